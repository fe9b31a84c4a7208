"""All dashboard SQL: parameterised SQLAlchemy Core, pure functions over an Engine.

Nothing here needs a running Streamlit app, so tests and benchmarks call these
directly; the app calls them through :func:`cached`, which memoises per
database URL and arguments. Periods default to the 30 days ending at the newest
data, so historical data (like the demo's October) shows without picking dates.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy import (
    Engine,
    case,
    exists,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from cxradar.db import get_engine
from cxradar.records import MAX_REASON_CHARS
from cxradar.reports import ISSUE_FIELDS
from cxradar.schedules import next_run
from cxradar.schema import (
    Alert,
    DailyAggregate,
    Enrichment,
    IngestCursor,
    IngestError,
    Issue,
    IssueLink,
    IssueRedirect,
    Mention,
    SentimentCorrection,
    Source,
    Ticket,
    Topic,
    TopicAggregate,
    sentiment_margin,
)

CACHE_SECONDS = 60
SENTIMENTS = ("negative", "neutral", "positive")
SAFE_URL_SCHEMES = ("http://", "https://")


# --- filters -----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Kpis:
    volume: int
    negative: int
    positive: int
    rating_sum: int
    rating_count: int

    @property
    def net_sentiment(self) -> float | None:
        """(positive - negative) / total, in [-1, 1]."""
        return (self.positive - self.negative) / self.volume if self.volume else None

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.volume if self.volume else None

    @property
    def avg_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


@dataclass(frozen=True)
class MentionPage:
    rows: pd.DataFrame
    total: int
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.page_size)))


# --- availability and defaults -----------------------------------------------------------------


REQUIRED_TABLES = ("mentions", "daily_aggregates", "topic_aggregates", "sentiment_corrections")


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
    return Period(_as_date(first), _as_date(last))


def default_period(engine: Engine, days: int = 30) -> Period:
    """The `days` days ending at the newest data (today when there is none)."""
    available = data_range(engine)
    end = available.end if available else date.today()
    return Period(end - timedelta(days=days - 1), end)


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


# --- counts (daily aggregates; raw mentions only when filtering by brand) -----------------------


def _mention_lang():
    # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
    return func.coalesce(Enrichment.lang, literal_column("'und'"))


def _narrowed(query, table, filters: Filters):
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


def _daily_counts(filters: Filters):
    """daily_aggregates rows narrowed by the filters (brand included: it is a column there)."""
    table = DailyAggregate
    query = select(
        table.day,
        table.source,
        table.lang,
        table.sentiment,
        table.mentions,
        table.rating_sum,
        table.rating_count,
    )
    return _narrowed(query, table, filters).subquery()


def kpis(engine: Engine, filters: Filters) -> Kpis:
    """Volume, sentiment split and star ratings for one period."""
    counts = _daily_counts(filters)

    def total_of(sentiment: str):
        return func.sum(case((counts.c.sentiment == sentiment, counts.c.mentions), else_=0))

    query = select(
        func.coalesce(func.sum(counts.c.mentions), 0),
        func.coalesce(total_of("negative"), 0),
        func.coalesce(total_of("positive"), 0),
        func.coalesce(func.sum(counts.c.rating_sum), 0),
        func.coalesce(func.sum(counts.c.rating_count), 0),
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return Kpis(*(int(value) for value in row))


def kpis_with_previous(engine: Engine, filters: Filters) -> tuple[Kpis, Kpis]:
    """The period's KPIs and those of the equally long period before it."""
    return kpis(engine, filters), kpis(engine, filters.previous())


def sentiment_by_day(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Columns day (date), sentiment, mentions; one row per day and sentiment with data."""
    counts = _daily_counts(filters)
    query = (
        select(counts.c.day, counts.c.sentiment, func.sum(counts.c.mentions))
        .group_by(counts.c.day, counts.c.sentiment)
        .order_by(counts.c.day, counts.c.sentiment)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(
            connection.execute(query).all(), columns=["day", "sentiment", "mentions"]
        )
    frame["day"] = [_as_date(value) for value in frame["day"]]
    frame["mentions"] = frame["mentions"].astype(int)
    return frame


def volume_by(engine: Engine, filters: Filters, column: str) -> pd.DataFrame:
    """Mentions per `source` or per `lang`, largest first, with the negative count."""
    counts = _daily_counts(filters)
    key = {"source": counts.c.source, "lang": counts.c.lang}[column]
    total = func.sum(counts.c.mentions)
    negative = func.sum(case((counts.c.sentiment == "negative", counts.c.mentions), else_=0))
    query = select(key, total, negative).group_by(key).order_by(total.desc(), key)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        [(name, int(n), int(neg)) for name, n, neg in rows],
        columns=[column, "mentions", "negative"],
    )


# --- issues -------------------------------------------------------------------------------------

# The CLI's issue fields, most telling first; keywords are in the label already.
ISSUE_COLUMNS = (
    ["id", "classification", "severity"]
    + [
        name
        for name in ISSUE_FIELDS
        if name not in ("id", "classification", "severity", "keywords")
    ]
    + ["source_names", "brands", "history"]
)
LABEL_ORDER = {"systemic": 0, "emerging": 1, "isolated": 2}


def issues(
    engine: Engine,
    period: Period | None = None,
    classification: str | None = None,
    brands: tuple[str, ...] = (),
    limit: int = 500,
) -> pd.DataFrame:
    """Issues seen in the period (all when None): grouped issues (two or more complaints)
    first, systemic, then emerging, then isolated, each by score then severity; single complaints
    after them (``single``). ``brands``: only issues about one of these brands."""
    order = case(
        (Issue.classification == "systemic", 0), (Issue.classification == "emerging", 1), else_=2
    )
    single = case((Issue.mentions <= 1, 1), else_=0)
    query = select(*[getattr(Issue, name) for name in ISSUE_COLUMNS]).order_by(
        single, order, Issue.score.desc(), Issue.severity.desc(), Issue.id
    )
    if period is not None:
        start, end = period.bounds()
        query = query.where(Issue.last_seen >= start, Issue.first_seen < end)
    if classification:
        query = query.where(Issue.classification == classification)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    frame["brands"] = [list(entries or []) for entries in frame["brands"]]
    if brands:
        wanted = {brand.casefold() for brand in brands}
        frame = frame[[any(e["brand"].casefold() in wanted for e in es) for es in frame["brands"]]]
    frame = frame.reset_index(drop=True)
    frame["source_names"] = [", ".join(names or []) for names in frame["source_names"]]
    frame["brand_names"] = [", ".join(e["brand"] for e in es[:3]) for es in frame["brands"]]
    frame["title"] = [
        title or label for title, label in zip(frame["title"], frame["label"], strict=True)
    ]
    frame["single"] = frame["mentions"] <= 1
    grouped = frame[~frame["single"]].head(limit)
    return pd.concat([grouped, frame[frame["single"]].head(limit)], ignore_index=True)


def brand_comparison(engine: Engine, period: Period | None = None, top: int = 5) -> pd.DataFrame:
    """Each brand's top problems, side by side: per brand its issues by the brand's
    customers, with the share of the brand's complaints in issues each one holds (its
    share of voice among the brand's complaints)."""
    query = select(Issue.id, Issue.title, Issue.title_de, Issue.classification, Issue.brands)
    if period is not None:
        start, end = period.bounds()
        query = query.where(Issue.last_seen >= start, Issue.first_seen < end)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    records = [
        {
            "brand": entry["brand"],
            "id": issue_id,
            "title": title,
            "title_de": title_de,
            "classification": label,
            "customers": int(entry["customers"]),
            "complaints": int(entry["complaints"]),
        }
        for issue_id, title, title_de, label, entries in rows
        for entry in entries or []
    ]
    columns = ["brand", "id", "title", "title_de", "classification", "customers", "complaints"]
    frame = pd.DataFrame(records, columns=columns)
    if frame.empty:
        return frame.assign(share=pd.Series(dtype=float))
    totals = frame.groupby("brand")["complaints"].transform("sum")
    frame["share"] = frame["complaints"] / totals
    frame = frame.sort_values(["brand", "customers", "complaints"], ascending=[True, False, False])
    return frame.groupby("brand", sort=False).head(top).reset_index(drop=True)


def issue_redirect(engine: Engine, issue_id: int) -> int | None:
    """The issue an id was merged into, for links to an issue that no longer exists."""
    with engine.connect() as connection:
        return connection.scalar(
            select(IssueRedirect.merged_into).where(IssueRedirect.issue_id == issue_id)
        )


def issue_daily_counts(
    engine: Engine, issue_ids: list[int], period: Period
) -> dict[int, list[int]]:
    """Mentions per day of each issue over the whole period (zeros included), for sparklines."""
    if not issue_ids:
        return {}
    start, end = period.bounds()
    day = func.date(Mention.created_at)
    query = (
        select(Enrichment.issue_id, day, func.count())
        .join(Mention, Mention.id == Enrichment.mention_id)
        .where(
            Enrichment.issue_id.in_(issue_ids),
            Mention.created_at >= start,
            Mention.created_at < end,
            Mention.duplicate_of.is_(None),
        )
        .group_by(Enrichment.issue_id, day)
    )
    series = {issue_id: [0] * period.days for issue_id in issue_ids}
    with engine.connect() as connection:
        for issue_id, value, count in connection.execute(query):
            series[issue_id][(_as_date(value) - period.start).days] = int(count)
    return series


def issue_mentions(engine: Engine, issue_id: int, limit: int = 500) -> pd.DataFrame:
    """The mentions grouped into an issue (cross-posts once), newest first, with their links."""
    query = (
        select(
            Mention.created_at,
            Source.name,
            Mention.author,
            Mention.text,
            _mention_lang(),
            Enrichment.sentiment,
            Mention.rating,
            Mention.url,
        )
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(Enrichment.issue_id == issue_id, Mention.duplicate_of.is_(None))
        .order_by(Mention.created_at.desc(), Mention.id)
        .limit(limit)
    )
    columns = ["created_at", "source", "author", "text", "lang", "sentiment", "rating", "url"]
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=columns)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return frame


def issue_tickets(engine: Engine, issue_id: int) -> pd.DataFrame:
    """Support tickets linked to an issue, most similar first."""
    query = (
        select(
            Ticket.external_id,
            Ticket.created_at,
            Ticket.subject,
            Ticket.body,
            Ticket.status,
            Ticket.channel,
            IssueLink.similarity,
        )
        .join(IssueLink, IssueLink.ticket_id == Ticket.id)
        .where(IssueLink.issue_id == issue_id)
        .order_by(IssueLink.similarity.desc(), Ticket.id)
    )
    columns = ["ticket", "created_at", "subject", "body", "status", "channel", "similarity"]
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def safe_url(url: str | None) -> str | None:
    """Only web links are clickable; `javascript:` and the like are dropped."""
    if isinstance(url, str) and url.strip().lower().startswith(SAFE_URL_SCHEMES):
        return url.strip()
    return None


# --- mentions explorer --------------------------------------------------------------------------

MENTION_COLUMNS = [
    "id",
    "created_at",
    "source",
    "author",
    "text",
    "lang",
    "sentiment",
    "sentiment_score",
    "rating",
    "issue_id",
    "issue",
    "classification",
    "url",
]


def search_mentions(
    engine: Engine,
    filters: Filters,
    sentiments: tuple[str, ...] = (),
    issue_id: int | None = None,
    text: str = "",
    page: int = 1,
    page_size: int = 50,
) -> MentionPage:
    """One page of mentions matching every filter, newest first, and how many match in all."""
    with engine.connect() as connection:
        needle = _text_match(connection, text)
        conditions, needs_enrichment = _mention_filter(filters, sentiments, issue_id, needle)

        def matching(*columns):
            query = select(*columns).select_from(Mention)
            if needs_enrichment:
                query = query.outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
            return query.where(*conditions)

        # Count and page on the mentions alone (index on created_at); join the rest for 50 rows.
        total = connection.execute(matching(func.count())).scalar_one()
        page = min(max(1, page), max(1, math.ceil(total / page_size)))  # a page that exists
        newest_first = (Mention.created_at.desc(), Mention.id.desc())
        ids = matching(Mention.id).order_by(*newest_first).limit(page_size)
        ids = ids.offset((page - 1) * page_size)
        rows = connection.execute(
            _mention_rows().where(Mention.id.in_(ids.scalar_subquery())).order_by(*newest_first)
        ).all()
    frame = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return MentionPage(frame, int(total), page, page_size)


def _not_indexed(column):
    """SQLite's unary plus: the same value, but the planner will not use an index for it."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _explorer_lang():
    return func.coalesce(Enrichment.lang, Mention.lang, literal_column("'und'"))


def _mention_filter(
    filters: Filters, sentiments, issue_id, needle, period_index: bool = True
) -> tuple[list, bool]:
    """WHERE conditions on mentions, and whether they need the enrichment (outer) joined.

    `period_index=False` keeps SQLite from reading the period through its index (the
    review queue must walk the margin index instead; SQLite cannot tell which is cheaper).
    """
    start, end = filters.period.bounds()
    created = Mention.created_at if period_index else _not_indexed(Mention.created_at)
    conditions = [Mention.duplicate_of.is_(None), created >= start, created < end]
    if filters.sources:
        named = select(Source.id).where(Source.name.in_(filters.sources))
        conditions.append(Mention.source_id.in_(named.scalar_subquery()))
    if filters.brands:
        conditions.append(Mention.brand.in_(filters.brands))
    if needle is not None:
        conditions.append(needle)
    if filters.langs:
        conditions.append(_explorer_lang().in_(filters.langs))
    if sentiments:
        conditions.append(Enrichment.sentiment.in_(sentiments))
    if issue_id is not None:
        conditions.append(Enrichment.issue_id == issue_id)
    return conditions, bool(filters.langs or sentiments or issue_id is not None)


def _mention_rows() -> Select:
    return (
        select(
            Mention.id,
            Mention.created_at,
            Source.name,
            Mention.author,
            Mention.text,
            _explorer_lang(),
            Enrichment.sentiment,
            Enrichment.sentiment_score,
            Mention.rating,
            Enrichment.issue_id,
            Issue.label,
            Issue.classification,
            Mention.url,
        )
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
        .outerjoin(Issue, Issue.id == Enrichment.issue_id)
    )


def _text_match(connection, text: str):
    """Case-insensitive 'contains' that also folds German (Ä/ä, ß/ss) on SQLite.

    SQLite's lower() and LIKE only fold ASCII, so a small Python function is
    registered on the connection; PostgreSQL's lower() is Unicode-aware.
    """
    text = text.strip()
    if not text:
        return None
    if connection.dialect.name == "sqlite" and len(text) >= FTS_MIN_CHARS and _has_fts(connection):
        # The trigram index (migration 0004): any substring of 3+ characters, case-folded.
        phrase = '"' + text.replace('"', '""') + '"'
        hits = (
            select(literal_column("rowid"))
            .select_from(table("mentions_fts"))
            .where(literal_column("mentions_fts").op("MATCH")(phrase))
        )
        return Mention.id.in_(hits.scalar_subquery())
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        raw.create_function("cx_fold", 1, _fold, deterministic=True)
        title = func.cx_fold(func.coalesce(Mention.title, ""))
        return or_(
            func.cx_fold(Mention.text).contains(_fold(text), autoescape=True),
            title.contains(_fold(text), autoescape=True),
        )
    return or_(
        Mention.text.icontains(text, autoescape=True),
        func.coalesce(Mention.title, "").icontains(text, autoescape=True),
    )


REVIEW_SORT_BELOW = 20_000  # matching mentions under which sorting beats the margin index
FTS_MIN_CHARS = 3  # trigrams: shorter needles fall back to a scan


def _has_fts(connection) -> bool:
    return "mentions_fts" in inspect(connection).get_table_names()


def _fold(value: str | None) -> str | None:
    return None if value is None else unicodedata.normalize("NFKC", value).casefold()


# --- alerts and sources -------------------------------------------------------------------------

ALERT_COLUMNS = [
    "id",
    "kind",
    "scope",
    "window_start",
    "window_end",
    "observed",
    "expected",
    "severity",
    "status",
    "title",
    "created_at",
    "delivered",
    "delivered_at",
    "attempts",
    "last_error",
    "covered_by",
]


def alerts(engine: Engine, period: Period | None = None) -> pd.DataFrame:
    """Alerts whose window overlaps the period (all when None), newest window first."""
    query = select(*[getattr(Alert, name) for name in ALERT_COLUMNS]).order_by(
        Alert.window_start.desc(), Alert.id.desc()
    )
    if period is not None:
        start, end = period.bounds()
        query = query.where(Alert.window_end > start, Alert.window_start < end)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=ALERT_COLUMNS)


SOURCE_COLUMNS = [
    "source",
    "connector",
    "mentions",
    "tickets",
    "newest_item",
    "last_ingest",
    "cursor_updated",
    "errors",
    "next_run",
]


def sources_overview(engine: Engine) -> pd.DataFrame:
    """Per source: what was stored, when it was last fetched, how many rows were rejected."""

    def per_source(query):
        with engine.connect() as connection:
            return {row[0]: row[1:] for row in connection.execute(query)}

    mentions = per_source(
        select(Mention.source_id, func.count()).group_by(Mention.source_id)  # from an index
    )
    mentions = {
        source_id: (count, *newest)
        for (source_id, (count,)), newest in zip(
            mentions.items(), _newest_per_source(engine, list(mentions)), strict=True
        )
    }
    tickets = per_source(
        select(
            Ticket.source_id,
            func.count(),
            func.max(Ticket.created_at),
            func.max(Ticket.ingested_at),
        ).group_by(Ticket.source_id)
    )
    cursors = per_source(
        select(IngestCursor.source_id, func.max(IngestCursor.updated_at)).group_by(
            IngestCursor.source_id
        )
    )
    errors = per_source(
        select(IngestError.source_name, func.count()).group_by(IngestError.source_name)
    )
    with engine.connect() as connection:
        sources = connection.execute(
            select(Source.id, Source.name, Source.connector).order_by(Source.name)
        ).all()
    rows = []
    for source_id, name, connector in sources:
        m_count, m_newest, m_ingest = mentions.get(source_id, (0, None, None))
        t_count, t_newest, t_ingest = tickets.get(source_id, (0, None, None))
        rows.append(
            (
                name,
                connector,
                int(m_count),
                int(t_count),
                _latest(m_newest, t_newest),
                _latest(m_ingest, t_ingest),
                cursors.get(source_id, (None,))[0],
                int(errors.get(name, (0,))[0]),
                next_run(connector, tickets=bool(t_count) and not m_count),
            )
        )
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def _newest_per_source(engine: Engine, source_ids: list[int]) -> list[tuple]:
    """(newest created_at, newest ingested_at) per source, each one index look-up."""

    def newest(column, source_id):
        return select(func.max(column)).where(Mention.source_id == source_id).scalar_subquery()

    with engine.connect() as connection:
        return [
            tuple(
                connection.execute(
                    select(
                        newest(Mention.created_at, source_id),
                        newest(Mention.ingested_at, source_id),
                    )
                ).one()
            )
            for source_id in source_ids
        ]


def ingest_errors(engine: Engine, source: str | None = None, limit: int = 100) -> pd.DataFrame:
    """The most recent rejected rows and failed fetches (reasons cut to a readable length)."""
    # Rows stored before reasons were cut at ingest could hold megabytes; read a screenful.
    reason = func.substr(IngestError.reason, 1, MAX_REASON_CHARS).label("reason")
    query = select(
        IngestError.created_at, IngestError.source_name, IngestError.location, reason
    ).order_by(IngestError.created_at.desc(), IngestError.id.desc())
    if source:
        query = query.where(IngestError.source_name == source)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).all()
    return pd.DataFrame(rows, columns=["created_at", "source", "location", "reason"])


# --- topics -------------------------------------------------------------------------------------

TOPIC_COLUMNS = ["id", "label", "keywords", "mentions", "negative", "negative_share", "centroid"]


def topic_summary(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Every active topic with its mentions and negative count under the filters.

    Topics without mentions in the filters are kept (with 0), so a map laid out from
    all centroids stays where it is while filters change. `centroid` is float32 bytes.
    """
    negative = case((TopicAggregate.sentiment == "negative", TopicAggregate.mentions), else_=0)
    counts = _narrowed(
        select(
            TopicAggregate.topic_id,
            func.sum(TopicAggregate.mentions).label("mentions"),
            func.sum(negative).label("negative"),
        ),
        TopicAggregate,
        filters,
    ).group_by(TopicAggregate.topic_id)
    counts = counts.subquery()
    query = (
        select(
            Topic.id,
            Topic.label,
            Topic.keywords,
            func.coalesce(counts.c.mentions, 0),
            func.coalesce(counts.c.negative, 0),
            Topic.centroid,
        )
        .outerjoin(counts, counts.c.topic_id == Topic.id)
        .where(Topic.active.is_(True))
        .order_by(Topic.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(
        [
            (topic_id, label, list(keywords or []), int(n), int(neg), neg / n if n else None, c)
            for topic_id, label, keywords, n, neg, c in rows
        ],
        columns=TOPIC_COLUMNS,
    )
    return frame.sort_values(["mentions", "id"], ascending=[False, True], ignore_index=True)


def topic_daily(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Columns day (date), topic_id, sentiment, mentions under the filters."""
    table = TopicAggregate
    query = _narrowed(
        select(table.day, table.topic_id, table.sentiment, func.sum(table.mentions)),
        table,
        filters,
    ).group_by(table.day, table.topic_id, table.sentiment)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(table.day, table.topic_id)).all()
    frame = pd.DataFrame(rows, columns=["day", "topic_id", "sentiment", "mentions"])
    frame["day"] = [_as_date(value) for value in frame["day"]]
    frame["mentions"] = frame["mentions"].astype(int)
    return frame


def topic_mentions(engine: Engine, filters: Filters, topic_id: int, limit: int = 20):
    """A topic's most far-reaching mentions under the filters (then the newest)."""
    conditions, _ = _mention_filter(filters, (), None, None)
    query = (
        _mention_rows()
        .where(*conditions, Enrichment.topic_id == topic_id)
        .order_by(func.coalesce(Mention.reach, 0).desc(), Mention.created_at.desc(), Mention.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=MENTION_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return frame


# --- review queue -------------------------------------------------------------------------------

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
        margin = _not_indexed(sentiment_margin())
    else:
        conditions, _ = _mention_filter(filters, (), None, None, period_index=not sqlite)
        margin = sentiment_margin()
    reviewed = exists().where(SentimentCorrection.mention_id == Enrichment.mention_id)
    query = (
        select(
            Mention.id,
            Mention.created_at,
            Source.name,
            Mention.title,
            Mention.text,
            _explorer_lang(),
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
    conditions, _ = _mention_filter(filters, (), None, None)
    return (
        select(Mention.id)
        .select_from(Enrichment)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .where(*conditions)
    )


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
):
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
    clear_cache()


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


# --- helpers ------------------------------------------------------------------------------------


def _latest(*values):
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _as_date(value) -> date:
    """Dates come back as str (SQLite date()), date (PostgreSQL) or datetime (aggregates)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- cached access for the app ------------------------------------------------------------------

QUERIES = {
    function.__name__: function
    for function in (
        has_data,
        is_migrated,
        data_range,
        default_period,
        filter_options,
        kpis_with_previous,
        sentiment_by_day,
        volume_by,
        issues,
        brand_comparison,
        issue_redirect,
        issue_daily_counts,
        issue_mentions,
        issue_tickets,
        search_mentions,
        topic_summary,
        topic_daily,
        topic_mentions,
        review_queue,
        reviewed_mentions,
        review_counts,
        alerts,
        sources_overview,
        ingest_errors,
    )
}


def cached(name: str, url: str, *args, **kwargs):
    """Run query `name` on the database at `url`, memoised for CACHE_SECONDS."""
    return _cached_call(name, url, args, kwargs)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached_call(name: str, url: str, args: tuple, kwargs: dict):
    return QUERIES[name](get_engine(url), *args, **kwargs)


def clear_cache() -> None:
    """Forget every memoised answer (after the dashboard itself wrote something)."""
    _cached_call.clear()
