"""issue titles and brands

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 17:00:00

- issues.title / issues.title_de: a short title naming the problem in the customers' words
  (the keywords stay in ``keywords``); ``title_de`` where German posts take part.
- issues.brands: the configured brands the issue's complaints concern, most first.

Existing issues get their label as title until the next full regroup rewrites them.
"""

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("title", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("title_de", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("brands", sa.JSON(), nullable=True))
    op.execute("UPDATE issues SET title = label")


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("brands")
        batch.drop_column("title_de")
        batch.drop_column("title")
