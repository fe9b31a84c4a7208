"""alert episodes: the issue an alert is about, one message per episode, escalation by bucket

Revision ID: 0008_alert_episodes
Revises: 0007_mention_extra
Create Date: 2026-12-05 18:00:00

- alerts.issue_id: the issue the alert is about (its message names it and links to it).
- alerts.covered_by: the alert whose chat message also tells this one's news (another
  scope or trigger saw the same episode first); NULL for an alert that sends its own.
- alerts.alerted_until: the end of the bucket whose count was last alerted; only a later
  bucket can escalate the alert.

Severity moves to the 0-1 scale issues use; existing alerts keep their old robust-z value
until they change (the dashboard shows both as they are).
"""

import sqlalchemy as sa

import cxradar.schema
from alembic import op

revision = "0008_alert_episodes"
down_revision = "0007_mention_extra"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("issue_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("covered_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column(
                "alerted_until", cxradar.schema.UTCDateTime(timezone=True), nullable=True
            ))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("alerted_until")
        batch.drop_column("covered_by")
        batch.drop_column("issue_id")
