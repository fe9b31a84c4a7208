"""What every page narrows by (period, sources, languages, brands), how that reads in SQL,
and what the filter widgets offer.

Periods default to the 30 days ending at the newest data, so historical data (like the
demo's October) shows without picking dates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, inspect, literal_column, select
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from cxradar.schema import DailyAggregate, Enrichment, Mention, Source
from dashboard.data.cache import cached

REQUIRED_TABLES = ("mentions", "daily_aggregates", "topic_aggregates", "sentiment_corrections")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one (for deltas)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC datetimes."""
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return start, start + timedelta(days=self.days)


@dataclass(frozen=True)
class Filters:
    """What every page narrows by; empty tuples mean 'all'."""

    period: Period
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()

    def previous(self) -> Filters:
        return replace(self, period=self.period.previous())


# --- availability and defaults -----------------------------------------------------------------


def is_migrated(engine: Engine) -> bool:
    """True when the schema is at the revision the dashboard needs."""
    inspector = inspect(engine)
    return all(inspector.has_table(name) for name in REQUIRED_TABLES)


def has_data(engine: Engine) -> bool:
    """True once the pipeline stored at least one mention (and the schema exists)."""
    if not is_migrated(engine):
        return False
    with engine.connect() as connection:
        return connection.execute(select(Mention.id).limit(1)).first() is not None


def data_range(engine: Engine) -> Period | None:
    """First and last day with counted mentions (falls back to raw mentions)."""
    with engine.connect() as connection:
        first, last = connection.execute(
            select(func.min(DailyAggregate.day), func.max(DailyAggregate.day))
        ).one()
        if last is None:
            first, last = connection.execute(
                select(func.min(Mention.created_at), func.max(Mention.created_at))
            ).one()
    if last is None:
        return None
    return Period(as_date(first), as_date(last))


@cached
def default_period(engine: Engine, days: int = 30) -> Period:
    """The `days` days ending at the newest data (today when there is none)."""
    available = data_range(engine)
    end = available.end if available else date.today()
    return Period(end - timedelta(days=days - 1), end)


@cached
def filter_options(engine: Engine) -> dict[str, list[str]]:
    """Values offered in the filter widgets."""
    with engine.connect() as connection:
        sources = connection.execute(select(Source.name).order_by(Source.name)).scalars()
        langs = connection.execute(
            select(DailyAggregate.lang).distinct().order_by(DailyAggregate.lang)
        ).scalars()
        brands = connection.execute(
            select(DailyAggregate.brand)
            .where(DailyAggregate.brand != "")
            .distinct()
            .order_by(DailyAggregate.brand)
        ).scalars()
        return {"sources": list(sources), "langs": list(langs), "brands": list(brands)}


# --- the filters in SQL ------------------------------------------------------------------------


def narrowed(query, table, filters: Filters):
    """`query` on an aggregate `table` limited to the filters' period, sources, langs, brands."""
    start, end = filters.period.bounds()
    query = query.where(table.day >= start, table.day < end)
    for column, wanted in (
        (table.source, filters.sources),
        (table.lang, filters.langs),
        (table.brand, filters.brands),
    ):
        if wanted:
            query = query.where(column.in_(wanted))
    return query


def mention_lang():
    """A mention's language: detected, else as the source gave it, else 'und'."""
    return func.coalesce(Enrichment.lang, Mention.lang, literal_column("'und'"))


def not_indexed(column):
    """SQLite's unary plus: the same value, but the planner will not use an index for it."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def mention_conditions(
    filters: Filters, sentiments=(), issue_id=None, needle=None, period_index: bool = True
) -> tuple[list, bool]:
    """WHERE conditions on mentions, and whether they need the enrichment (outer) joined.

    `period_index=False` keeps SQLite from reading the period through its index (the
    review queue must walk the margin index instead; SQLite cannot tell which is cheaper).
    """
    start, end = filters.period.bounds()
    created = Mention.created_at if period_index else not_indexed(Mention.created_at)
    conditions = [Mention.duplicate_of.is_(None), created >= start, created < end]
    if filters.sources:
        named = select(Source.id).where(Source.name.in_(filters.sources))
        conditions.append(Mention.source_id.in_(named.scalar_subquery()))
    if filters.brands:
        conditions.append(Mention.brand.in_(filters.brands))
    if needle is not None:
        conditions.append(needle)
    if filters.langs:
        conditions.append(mention_lang().in_(filters.langs))
    if sentiments:
        conditions.append(Enrichment.sentiment.in_(sentiments))
    if issue_id is not None:
        conditions.append(Enrichment.issue_id == issue_id)
    return conditions, bool(filters.langs or sentiments or issue_id is not None)


def as_date(value) -> date:
    """Dates come back as str (SQLite date()), date (PostgreSQL) or datetime (aggregates)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
