"""noise signal on mentions (link-only posts, bot bursts)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:00:00
"""

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("noise", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("noise")
