"""review queue, topic aggregates, brand in daily aggregates, dashboard indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00

- sentiment_corrections: a person's verdict per mention (the dashboard's review queue)
- daily_aggregates.brand (part of the unique key), so the brand filter needs no raw rows
- topic_aggregates: daily counts per topic, for the topics page
- mention indexes for the dashboard (period counts by source and brand from the index alone,
  each source's newest item and last ingest) and ix_enrichments_margin (review queue order)

Both aggregate tables are derived data; they are rebuilt here from the mentions the
way the daily_aggregates asset builds them, so the dashboard is right before the next run.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

import cxradar.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = cxradar.schema.UTCDateTime(timezone=True)
CHUNK = 5_000
MENTION_INDEXES = {
    "ix_mentions_period": ["created_at", "duplicate_of", "source_id", "brand"],
    "ix_mentions_source_created_at": ["source_id", "created_at"],
    "ix_mentions_source_ingested_at": ["source_id", "ingested_at"],
}


def upgrade() -> None:
    op.create_table(
        "sentiment_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("predicted", sa.String(length=10), nullable=True),
        sa.Column("corrected_at", UTC_DATETIME, nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id"),
    )
    op.create_table(
        "topic_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", UTC_DATETIME, nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "day", "topic_id", "source", "lang", "brand", "sentiment", name="uq_topic_aggregates"
        ),
    )
    op.create_index("ix_topic_aggregates_day", "topic_aggregates", ["day"])
    with op.batch_alter_table("daily_aggregates") as batch_op:
        batch_op.add_column(
            sa.Column("brand", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.drop_constraint("uq_daily_aggregates", type_="unique")
        batch_op.create_unique_constraint(
            "uq_daily_aggregates", ["day", "source", "lang", "sentiment", "brand"]
        )
    for name, columns in MENTION_INDEXES.items():
        op.create_index(name, "mentions", columns)
    op.create_index("ix_enrichments_margin", "enrichments", [_margin(), "mention_id"])
    _rebuild_aggregates(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_enrichments_margin", table_name="enrichments")
    for name in MENTION_INDEXES:
        op.drop_index(name, table_name="mentions")
    op.execute("DELETE FROM daily_aggregates")  # per-brand rows would break the old key
    with op.batch_alter_table("daily_aggregates") as batch_op:
        batch_op.drop_constraint("uq_daily_aggregates", type_="unique")
        batch_op.create_unique_constraint(
            "uq_daily_aggregates", ["day", "source", "lang", "sentiment"]
        )
        batch_op.drop_column("brand")
    op.drop_index("ix_topic_aggregates_day", table_name="topic_aggregates")
    op.drop_table("topic_aggregates")
    op.drop_table("sentiment_corrections")


# --- frozen copies of what the code does at this revision ------------------------------------

ENRICHMENTS = sa.table(
    "enrichments",
    sa.column("mention_id"),
    sa.column("lang"),
    sa.column("sentiment"),
    sa.column("topic_id"),
    sa.column("prob_negative"),
    sa.column("prob_neutral"),
    sa.column("prob_positive"),
)
MENTIONS = sa.table(
    "mentions",
    sa.column("id"),
    sa.column("source_id"),
    sa.column("created_at"),
    sa.column("rating"),
    sa.column("brand"),
    sa.column("duplicate_of"),
)
SOURCES = sa.table("sources", sa.column("id"), sa.column("name"))


def _margin():
    """cxradar.schema.sentiment_margin at this revision."""
    a, b, c = (ENRICHMENTS.c[name] for name in ("prob_negative", "prob_neutral", "prob_positive"))
    top = sa.case((sa.and_(a >= b, a >= c), a), (b >= c, b), else_=c)
    lowest = sa.case((sa.and_(a <= b, a <= c), a), (b <= c, b), else_=c)
    return top + top + lowest - a - b - c


def _rebuild_aggregates(connection) -> None:
    day = sa.func.date(MENTIONS.c.created_at)
    lang = sa.func.coalesce(ENRICHMENTS.c.lang, sa.literal_column("'und'"))
    brand = sa.func.coalesce(MENTIONS.c.brand, sa.literal_column("''"))
    keys = (day, SOURCES.c.name, lang, ENRICHMENTS.c.sentiment, brand)
    originals = (
        sa.select()
        .select_from(MENTIONS)
        .join(ENRICHMENTS, ENRICHMENTS.c.mention_id == MENTIONS.c.id)
        .join(SOURCES, SOURCES.c.id == MENTIONS.c.source_id)
        .where(MENTIONS.c.duplicate_of.is_(None))
    )
    daily = originals.add_columns(
        *keys,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(MENTIONS.c.rating), 0),
        sa.func.count(MENTIONS.c.rating),
    ).group_by(*keys)
    columns = ("day", "source", "lang", "sentiment", "brand", "mentions")
    _replace(
        connection,
        "daily_aggregates",
        (*columns, "rating_sum", "rating_count"),
        connection.execute(daily).all(),
    )
    topic = ENRICHMENTS.c.topic_id
    topics = (
        originals.add_columns(*keys, topic, sa.func.count())
        .where(topic >= 0)
        .group_by(*keys, topic)
    )
    rows = connection.execute(topics).all()
    _replace(connection, "topic_aggregates", (*columns[:5], "topic_id", "mentions"), rows)


def _replace(connection, name: str, columns: tuple[str, ...], rows) -> None:
    table = sa.table(name, *[sa.column(c, UTC_DATETIME if c == "day" else None) for c in columns])
    connection.execute(sa.delete(table))
    batch = []
    for row in rows:
        batch.append(dict(zip(columns, (_as_datetime(row[0]), *row[1:]), strict=True)))
        if len(batch) >= CHUNK:
            connection.execute(sa.insert(table), batch)
            batch = []
    if batch:
        connection.execute(sa.insert(table), batch)


def _as_datetime(value) -> datetime:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
