"""incremental hourly run: issue centroids, enrichment time index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:00:00

- issues.centroid: the mean centred vector of the issue's members (float32 bytes), so a
  new complaint can join its issue without reloading every member's embedding.
- ix_enrichments_enriched_at: the daily aggregates find the days touched since the last
  run from the enrichments written after it, without reading every row.

Issues without a centroid (from before this migration) get one at the next full regroup,
which the issues asset runs when any issue lacks it.
"""

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("centroid", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("enrichments") as batch:
        batch.create_index("ix_enrichments_enriched_at", ["enriched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enrichments") as batch:
        batch.drop_index("ix_enrichments_enriched_at")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("centroid")
