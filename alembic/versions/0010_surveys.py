"""survey responses (NPS, CSAT) beside mentions and tickets

Revision ID: 0010_surveys
Revises: 0009_complaint
Create Date: 2026-12-05 20:30:00

- survey_responses: one row per answer, with its scale (nps 0-10, csat 1-5), score, comment
  and who/where it came from; (source_id, external_id) is unique so a re-read stores nothing
  twice. A comment is also stored as a mention of kind "survey" (mention_id), so it is
  enriched and grouped into issues like every other channel;
- issues.channels (footprint per channel), nps_impact and rating_impact (what moves the
  score) and first_version (the app version the issue began on).
"""

import sqlalchemy as sa

import cxradar.schema
from alembic import op

revision = "0010_surveys"
down_revision = "0009_complaint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("external_id", sa.String(300), nullable=False),
        sa.Column("created_at", cxradar.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scale", sa.String(10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("respondent", sa.String(300), nullable=True),
        sa.Column("lang", sa.String(8), nullable=True),
        sa.Column("segment", sa.String(200), nullable=True),
        sa.Column("touchpoint", sa.String(200), nullable=True),
        sa.Column("survey", sa.String(300), nullable=True),
        sa.Column("brand", sa.String(200), nullable=True),
        sa.Column(
            "mention_id",
            sa.Integer(),
            sa.ForeignKey("mentions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("ingested_at", cxradar.schema.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "external_id", name="uq_survey_responses_source_external"),
    )
    op.create_index("ix_survey_responses_created_at", "survey_responses", ["created_at"])
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("channels", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("nps_impact", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rating_impact", sa.Float(), nullable=True))
        batch.add_column(sa.Column("first_version", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        for column in ("first_version", "rating_impact", "nps_impact", "channels"):
            batch.drop_column(column)
    op.drop_index("ix_survey_responses_created_at", "survey_responses")
    op.drop_table("survey_responses")
