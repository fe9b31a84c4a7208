"""issue titles, brands, history and lasting identity

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 17:00:00

- issues.title / issues.title_de: a short title naming the problem in the customers' words
  (the keywords stay in ``keywords``); ``title_de`` where German posts take part.
- issues.brands: the configured brands the issue's complaints concern, with customers each.
- issues.history: what happened to the issue (created, merged another in, split off).
- issues.join_similarity: how alike a new complaint must be to its members to join it.
- issue_redirects: an issue merged into another keeps its id as a pointer, so a shared link
  or an alert's link still leads to the problem.

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
        batch.add_column(sa.Column("history", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("join_similarity", sa.Float(), nullable=True))
    op.execute("UPDATE issues SET title = label")
    op.create_table(
        "issue_redirects",
        sa.Column("issue_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("merged_into", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("issue_redirects")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("join_similarity")
        batch.drop_column("history")
        batch.drop_column("brands")
        batch.drop_column("title_de")
        batch.drop_column("title")
