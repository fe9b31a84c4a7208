"""complaint signal on mentions, tickets and review-queue verdicts

Revision ID: 0009_complaint
Revises: 0008_alert_episodes
Create Date: 2026-12-05 18:00:00

- enrichments.complaint / prob_complaint: the customer reports a problem, whatever the tone
  (``models/complaint.py``), with its calibrated probability;
- tickets.complaint / prob_complaint: the same for support tickets;
- sentiment_corrections.complaint: a reviewer's complaint yes/no verdict beside the
  sentiment verdict (NULL: not given), for retraining the complaint head.

Rows stored before this migration get their complaint from their stored vectors on the next
run (``pipelines/enrich.py``: the head reads only the vector), nothing is re-encoded.
"""

import sqlalchemy as sa

from alembic import op

revision = "0009_complaint"
down_revision = "0008_alert_episodes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("enrichments", "tickets"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("complaint", sa.Boolean(), nullable=True))
            batch.add_column(sa.Column("prob_complaint", sa.Float(), nullable=True))
    with op.batch_alter_table("sentiment_corrections") as batch:
        batch.add_column(sa.Column("complaint", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sentiment_corrections") as batch:
        batch.drop_column("complaint")
    for table in ("tickets", "enrichments"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("prob_complaint")
            batch.drop_column("complaint")
