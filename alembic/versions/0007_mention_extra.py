"""mentions.extra: what a source says beyond the common fields

Revision ID: 0007_mention_extra
Revises: 0006
Create Date: 2026-12-05 18:00:00

- mentions.extra (JSON, nullable): e.g. the original post of a re-share (``reshare_of``,
  ``reshare_url``), a Trustpilot review's reply status (``replied``, ``reply_at``), a
  YouTube comment's video, the subreddit. Existing mentions keep NULL.
"""

import sqlalchemy as sa

from alembic import op

revision = "0007_mention_extra"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("extra")
