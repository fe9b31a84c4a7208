"""Rows for the CLI's issues, alerts and export commands (and any other reader)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import case, select

from cxradar.db import session_scope
from cxradar.schema import Alert, Enrichment, Issue, IssueRedirect, Mention, Source

ISSUE_FIELDS = (
    "id",
    "title",
    "title_de",
    "label",
    "keywords",
    "classification",
    "severity",
    "mentions",
    "authors",
    "sources",
    "tickets",
    "first_seen",
    "last_seen",
    "negative_share",
    "evidence",
    "nps_impact",  # NPS points the issue costs (negative) or adds; None: no answers about it
    "rating_impact",  # the same in stars, from reviews
    "first_version",  # the app version its earliest review complaint named
)
ALERT_FIELDS = (
    "id",
    "kind",
    "scope",
    "window_start",
    "window_end",
    "observed",
    "expected",
    "created_at",
    "delivered",
    "issue_id",
    "covered_by",
)
EXPORT_COLUMNS = [
    "source",
    "external_id",
    "created_at",
    "author",
    "text",
    "lang",
    "sentiment",
    "sentiment_score",
    "complaint",
    "prob_complaint",
    "topic_id",
    "issue_id",
    "duplicate_of",
]
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def issue_rows(url: str | None = None, brand: str | None = None) -> list[dict]:
    """Issues a CX lead works through: grouped ones (two or more complaints) first, systemic,
    then emerging, then isolated, each by score (how systemic: customers, channels, days,
    tickets, growth), then severity; single complaints after them.

    ``brand``: only issues whose complaints concern this brand (case-insensitive).
    """
    order = case(
        (Issue.classification == "systemic", 0), (Issue.classification == "emerging", 1), else_=2
    )
    single = case((Issue.mentions <= 1, 1), else_=0)
    with session_scope(url) as session:
        issues = session.scalars(
            select(Issue).order_by(
                single, order, Issue.score.desc(), Issue.severity.desc(), Issue.id
            )
        ).all()
        rows = []
        for issue in issues:
            brands = [entry["brand"] for entry in issue.brands or []]
            if brand and brand.casefold() not in {b.casefold() for b in brands}:
                continue
            row = {name: _iso(getattr(issue, name)) for name in ISSUE_FIELDS}
            row.update(
                title=issue.title or issue.label,
                brands=list(issue.brands or []),
                single=issue.mentions <= 1,
                source_names=list(issue.source_names),
                active_days=issue.active_days,
                score=issue.score,
                growth=issue.growth,
                reach=issue.reach,
                history=list(issue.history or []),
                channels=dict(issue.channels or {}),  # customers per kind of channel
            )
            rows.append(row)
        return rows


def redirect_of(url: str | None, issue_id: int) -> int | None:
    """The issue an issue id was merged into (None when it was not merged)."""
    with session_scope(url) as session:
        redirect = session.get(IssueRedirect, issue_id)
        return redirect.merged_into if redirect else None


def alert_rows(url: str | None = None) -> list[dict]:
    with session_scope(url) as session:
        alerts = session.scalars(select(Alert).order_by(Alert.window_start, Alert.id)).all()
        return [
            {
                **{name: _iso(getattr(alert, name)) for name in ALERT_FIELDS},
                "status": alert.status,
                "severity": alert.severity,
            }
            for alert in alerts
        ]


def iter_mention_rows(url: str | None = None, chunk: int = 5000) -> Iterator[dict]:
    """Every mention with its enrichment, streamed in id order."""
    last_id = 0
    while True:
        with session_scope(url) as session:
            rows = session.execute(
                select(Mention, Source.name, Enrichment)
                .join(Source, Source.id == Mention.source_id)
                .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
                .where(Mention.id > last_id)
                .order_by(Mention.id)
                .limit(chunk)
            ).all()
        if not rows:
            return
        for mention, source, enrichment in rows:
            yield {
                "source": source,
                "external_id": mention.external_id,
                "created_at": mention.created_at.isoformat(),
                "author": mention.author,
                "text": mention.text,
                "lang": enrichment.lang if enrichment else mention.lang,
                "sentiment": enrichment.sentiment if enrichment else None,
                "sentiment_score": enrichment.sentiment_score if enrichment else None,
                "complaint": enrichment.complaint if enrichment else None,
                "prob_complaint": enrichment.prob_complaint if enrichment else None,
                "topic_id": enrichment.topic_id if enrichment else None,
                "issue_id": enrichment.issue_id if enrichment else None,
                "duplicate_of": mention.duplicate_of,
            }
        last_id = rows[-1][0].id


def spreadsheet_safe(value):
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
