"""Issues: the list by label, the brands compared, and one issue's evidence (its daily
counts, mentions and linked tickets)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, case, func, literal_column, select

from cxradar.reports import ISSUE_FIELDS
from cxradar.schema import Enrichment, Issue, IssueLink, IssueRedirect, Mention, Source, Ticket
from dashboard.data.cache import cached
from dashboard.data.filters import Period, as_date
from dashboard.data.mentions import safe_url

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
ISSUE_MENTION_COLUMNS = [
    "created_at",
    "source",
    "author",
    "text",
    "lang",
    "sentiment",
    "rating",
    "url",
]
TICKET_COLUMNS = ["ticket", "created_at", "subject", "body", "status", "channel", "similarity"]


@cached
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


@cached
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


@cached
def issue_redirect(engine: Engine, issue_id: int) -> int | None:
    """The issue an id was merged into, for links to an issue that no longer exists."""
    with engine.connect() as connection:
        return connection.scalar(
            select(IssueRedirect.merged_into).where(IssueRedirect.issue_id == issue_id)
        )


@cached
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
            series[issue_id][(as_date(value) - period.start).days] = int(count)
    return series


@cached
def issue_mentions(engine: Engine, issue_id: int, limit: int = 500) -> pd.DataFrame:
    """The mentions grouped into an issue (cross-posts once), newest first, with their links."""
    query = (
        select(
            Mention.created_at,
            Source.name,
            Mention.author,
            Mention.text,
            _detected_lang(),
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
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=ISSUE_MENTION_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return frame


def _detected_lang():
    # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
    return func.coalesce(Enrichment.lang, literal_column("'und'"))


@cached
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
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=TICKET_COLUMNS)
