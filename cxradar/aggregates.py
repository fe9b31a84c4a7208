"""Daily counts per source, language, brand and sentiment (and per topic), for dashboards.

Only the days of newly enriched mentions are recounted each hour; every day is recounted
on the first run, after a topic refit (topic ids change), once a day (erasures delete
mentions without touching enrichments) and when asked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, delete, func, insert, literal_column, or_, select

from cxradar.chunks import chunked
from cxradar.schema import DailyAggregate, Enrichment, Mention, Source, TopicAggregate, utcnow
from cxradar.state import (
    AGGREGATED_UNTIL,
    AGGREGATES_FIT,
    AGGREGATES_REBUILT_AT,
    TOPIC_FIT,
    full_pass_reason,
    read_state,
    write_state,
)
from cxradar.surveys import SURVEY_KIND

AGGREGATE_CHUNK = 5_000
ONE_DAY = timedelta(days=1)


def full_rebuild_reason(session, asked: bool = False) -> str | None:
    """Why every day must be recounted, or None when the touched days suffice."""
    return full_pass_reason(
        session, asked, done_at=AGGREGATES_REBUILT_AT, work="full rebuild", topic_fit=AGGREGATES_FIT
    )


def refresh_aggregates(session, full: bool = False) -> tuple[int, int, int]:
    """Recount the days with mentions enriched since the last run (every day when ``full``).

    Returns the rows written to daily_aggregates and topic_aggregates and the days recounted.
    """
    newest = session.scalar(select(func.max(Enrichment.enriched_at)))
    since = read_state(session, AGGREGATED_UNTIL)
    if full or since is None:
        daily, topics = rebuild_aggregates(session)
        days = session.scalar(select(func.count(func.distinct(DailyAggregate.day)))) or 0
        write_state(session, AGGREGATES_FIT, read_state(session, TOPIC_FIT) or "")
        write_state(session, AGGREGATES_REBUILT_AT, utcnow().isoformat())
    else:
        # An enrichment committed after this run read the watermark but stamped before it
        # (a backfill in flight) is missed here; the daily full rebuild counts it.
        touched = touched_days(session, datetime.fromisoformat(since))
        daily, topics = rebuild_aggregates(session, days=touched) if touched else (0, 0)
        days = len(touched)
    if newest is not None:
        write_state(session, AGGREGATED_UNTIL, newest.isoformat())
    return daily, topics, days


def touched_days(session, since: datetime) -> list[datetime]:
    """The days (UTC midnight) of the mentions enriched after ``since``."""
    days = session.scalars(
        select(func.date(Mention.created_at))
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(Enrichment.enriched_at > since)
        .distinct()
    )
    return sorted({_as_datetime(day) for day in days})


def rebuild_aggregates(session, days: list[datetime] | None = None) -> tuple[int, int]:
    """Replace daily_aggregates and topic_aggregates with counts of the original mentions.

    Only the given ``days`` (UTC midnights) when given, else every day. Returns how many
    rows each table got. Mentions of no brand count under brand "". Survey comments are
    left out: the volumes and negative shares here are of public posts and reviews (a
    survey's answers are counted as scores, ``cxradar/surveys.py``).
    """
    day = func.date(Mention.created_at)
    # Literals, not bound parameters: PostgreSQL must see the same expressions in GROUP BY.
    lang = func.coalesce(Enrichment.lang, literal_column("'und'"))
    brand = func.coalesce(Mention.brand, literal_column("''"))
    keys = (day, Source.name, lang, Enrichment.sentiment, brand)
    originals = (
        select()
        .select_from(Mention)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.duplicate_of.is_(None), Mention.kind != SURVEY_KIND)
    )
    if days is not None:
        # Ranges on created_at, not date(created_at) = ...: the index answers them.
        originals = originals.where(
            or_(*(and_(Mention.created_at >= d, Mention.created_at < d + ONE_DAY) for d in days))
        )
    daily = session.execute(
        originals.add_columns(
            *keys,
            func.count(),
            func.coalesce(func.sum(Mention.rating), 0),
            func.count(Mention.rating),
        ).group_by(*keys)
    ).all()
    topics = session.execute(
        originals.add_columns(*keys, Enrichment.topic_id, func.count())
        .where(Enrichment.topic_id >= 0)
        .group_by(*keys, Enrichment.topic_id)
    ).all()
    names = ("day", "source", "lang", "sentiment", "brand")
    _replace_rows(
        session,
        DailyAggregate,
        [
            dict(zip(names, (_as_datetime(d), *rest), strict=True))
            | {"mentions": n, "rating_sum": int(rating_sum), "rating_count": rating_count}
            for d, *rest, n, rating_sum, rating_count in daily
        ],
        days,
    )
    _replace_rows(
        session,
        TopicAggregate,
        [
            dict(zip(names, (_as_datetime(d), *rest), strict=True))
            | {"topic_id": topic_id, "mentions": n}
            for d, *rest, topic_id, n in topics
        ],
        days,
    )
    return len(daily), len(topics)


def _replace_rows(session, model, rows: list[dict], days: list[datetime] | None) -> None:
    session.execute(delete(model) if days is None else delete(model).where(model.day.in_(days)))
    for chunk in chunked(rows, AGGREGATE_CHUNK):
        session.execute(insert(model), chunk)


def _as_datetime(value) -> datetime:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
