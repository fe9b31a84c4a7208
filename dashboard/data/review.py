"""The review queue: the predictions the model was least sure of, the verdicts given, and
storing a verdict (the dashboard's one write, never cached; it clears the cache).

Verdicts go to the sentiment_corrections table, which training reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, case, exists, func, insert, select
from sqlalchemy.sql import Select

from cxradar.schema import Enrichment, Mention, SentimentCorrection, Source, sentiment_margin
from dashboard.data import cache
from dashboard.data.cache import cached
from dashboard.data.filters import Filters, mention_conditions, mention_lang, not_indexed
from dashboard.data.mentions import safe_url

SENTIMENTS = ("negative", "neutral", "positive")
REVIEW_SORT_BELOW = 20_000  # matching mentions under which sorting beats the margin index
REVIEW_COLUMNS = [
    "id",
    "created_at",
    "source",
    "title",
    "text",
    "lang",
    "predicted",
    "prob_negative",
    "prob_neutral",
    "prob_positive",
    "margin",
    "url",
    "complaint",
]
REVIEWED_COLUMNS = ["id", "corrected_at", "text", "predicted", "label", "reviewer"]


@cached
def review_queue(engine: Engine, filters: Filters, limit: int = 20) -> pd.DataFrame:
    """Unreviewed predictions the model was least sure of (smallest lead of its top label).

    Walks ix_enrichments_margin from the smallest margin, so it stops after `limit`
    matches instead of sorting every mention in the period.
    """
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and _few_matches(engine, filters):
        # A narrow filter (a small brand, a rare source) would walk the whole margin index
        # looking for its matches: find them through the period index and sort them.
        conditions = [Mention.id.in_(_matching_ids(filters))]
        margin = not_indexed(sentiment_margin())
    else:
        conditions, _ = mention_conditions(filters, period_index=not sqlite)
        margin = sentiment_margin()
    reviewed = exists().where(SentimentCorrection.mention_id == Enrichment.mention_id)
    query = (
        select(
            Mention.id,
            Mention.created_at,
            Source.name,
            Mention.title,
            Mention.text,
            mention_lang(),
            Enrichment.sentiment,
            Enrichment.prob_negative,
            Enrichment.prob_neutral,
            Enrichment.prob_positive,
            margin,
            Mention.url,
            Enrichment.complaint,
        )
        .select_from(Enrichment)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(*conditions, ~reviewed)
        .order_by(margin, Enrichment.mention_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=REVIEW_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return frame


def _few_matches(engine: Engine, filters: Filters) -> bool:
    """Whether fewer than REVIEW_SORT_BELOW mentions match (counting stops there)."""
    matching = _matching_ids(filters).limit(REVIEW_SORT_BELOW).subquery()
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(matching)) < REVIEW_SORT_BELOW


def _matching_ids(filters: Filters) -> Select:
    conditions, _ = mention_conditions(filters)
    return (
        select(Mention.id)
        .select_from(Enrichment)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .where(*conditions)
    )


@cached
def reviewed_mentions(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The latest verdicts from the review queue, newest first."""
    query = (
        select(
            SentimentCorrection.mention_id,
            SentimentCorrection.corrected_at,
            Mention.text,
            SentimentCorrection.predicted,
            SentimentCorrection.label,
            SentimentCorrection.reviewer,
        )
        .join(Mention, Mention.id == SentimentCorrection.mention_id)
        .order_by(SentimentCorrection.corrected_at.desc(), SentimentCorrection.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=REVIEWED_COLUMNS)


@cached
def review_counts(engine: Engine) -> dict[str, int]:
    """How many predictions were reviewed, and how many of those a person changed."""
    changed = case((SentimentCorrection.label != SentimentCorrection.predicted, 1), else_=0)
    query = select(func.count(), func.coalesce(func.sum(changed), 0))
    with engine.connect() as connection:
        total, corrected = connection.execute(query.select_from(SentimentCorrection)).one()
    return {"reviewed": int(total), "corrected": int(corrected)}


def save_correction(
    engine: Engine,
    mention_id: int,
    label: str,
    reviewer: str | None = None,
    complaint: bool | None = None,
) -> None:
    """Store a person's sentiment label and complaint yes/no (None: not given) for a mention
    (again: the newer verdict wins)."""
    if label not in SENTIMENTS:
        raise ValueError(f"unknown sentiment label {label!r}")
    with engine.begin() as connection:
        predicted = connection.execute(
            select(Enrichment.sentiment).where(Enrichment.mention_id == mention_id)
        ).scalar_one_or_none()
        values = {
            "mention_id": mention_id,
            "label": label,
            "predicted": predicted,
            "corrected_at": datetime.now(UTC),
            "reviewer": (reviewer or "").strip()[:200] or None,
            "complaint": complaint,
        }
        connection.execute(_upsert(connection.dialect.name, values))
    cache.clear()


def _upsert(dialect: str, values: dict):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        return insert(SentimentCorrection).values(**values)
    statement = dialect_insert(SentimentCorrection).values(**values)
    changes = {key: statement.excluded[key] for key in values if key != "mention_id"}
    return statement.on_conflict_do_update(index_elements=["mention_id"], set_=changes)
