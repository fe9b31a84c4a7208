"""All dashboard SQL, parameterised; pure functions over an Engine, cached in the app.

Periods default to the 30 days ending at the newest mention, so historical data
(like the demo's October) shows without picking dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, case, func, inspect, select

from cxradar.reports import ISSUE_FIELDS
from cxradar.schema import Alert, DailyAggregate, Issue, Mention, Source


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def has_data(engine: Engine) -> bool:
    if not inspect(engine).has_table("mentions"):
        return False
    with engine.connect() as connection:
        return connection.execute(select(Mention.id).limit(1)).first() is not None


def default_period(engine: Engine, days: int = 30) -> Period:
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(DailyAggregate.day))).scalar()
    end = newest.date() if isinstance(newest, datetime) else date.today()
    return Period(end - timedelta(days=days - 1), end)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, datetime.min.time())
    return start, start + timedelta(days=period.days)


def kpis(engine: Engine, period: Period, sources: tuple[str, ...] = ()) -> dict:
    """Volume, net sentiment, negative share and average rating for one period."""
    start, end = _bounds(period)
    query = select(
        func.coalesce(func.sum(DailyAggregate.mentions), 0),
        func.coalesce(
            func.sum(
                case((DailyAggregate.sentiment == "negative", DailyAggregate.mentions), else_=0)
            ),
            0,
        ),
        func.coalesce(
            func.sum(
                case((DailyAggregate.sentiment == "positive", DailyAggregate.mentions), else_=0)
            ),
            0,
        ),
        func.coalesce(func.sum(DailyAggregate.rating_sum), 0),
        func.coalesce(func.sum(DailyAggregate.rating_count), 0),
    ).where(DailyAggregate.day >= start, DailyAggregate.day < end)
    if sources:
        query = query.where(DailyAggregate.source.in_(sources))
    with engine.connect() as connection:
        total, negative, positive, rating_sum, rating_count = connection.execute(query).one()
    return {
        "volume": int(total),
        "net_sentiment": (positive - negative) / total if total else None,
        "negative_share": negative / total if total else None,
        "avg_rating": rating_sum / rating_count if rating_count else None,
    }


def sentiment_by_day(engine: Engine, period: Period, sources: tuple[str, ...] = ()) -> pd.DataFrame:
    start, end = _bounds(period)
    query = (
        select(
            DailyAggregate.day,
            DailyAggregate.sentiment,
            func.sum(DailyAggregate.mentions).label("mentions"),
        )
        .where(DailyAggregate.day >= start, DailyAggregate.day < end)
        .group_by(DailyAggregate.day, DailyAggregate.sentiment)
        .order_by(DailyAggregate.day)
    )
    if sources:
        query = query.where(DailyAggregate.source.in_(sources))
    with engine.connect() as connection:
        return pd.DataFrame(
            connection.execute(query).all(), columns=["day", "sentiment", "mentions"]
        )


def volume_by(engine: Engine, period: Period, column: str, sources: tuple[str, ...] = ()):
    """Mentions per source or per language in the period."""
    start, end = _bounds(period)
    key = {"source": DailyAggregate.source, "lang": DailyAggregate.lang}[column]
    query = (
        select(key, func.sum(DailyAggregate.mentions).label("mentions"))
        .where(DailyAggregate.day >= start, DailyAggregate.day < end)
        .group_by(key)
        .order_by(func.sum(DailyAggregate.mentions).desc())
    )
    if sources:
        query = query.where(DailyAggregate.source.in_(sources))
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=[column, "mentions"])


# The CLI's issue fields, most telling first; keywords are in the label already.
ISSUE_COLUMNS = ["id", "classification", "severity"] + [
    name for name in ISSUE_FIELDS if name not in ("id", "classification", "severity", "keywords")
]


def top_issues(engine: Engine, limit: int = 50, classification: str | None = None) -> pd.DataFrame:
    systemic_first = case((Issue.classification == "systemic", 0), else_=1)
    query = select(*[getattr(Issue, c) for c in ISSUE_COLUMNS]).order_by(
        systemic_first, Issue.severity.desc(), Issue.id
    )
    if classification:
        query = query.where(Issue.classification == classification)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).all()
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def alerts_in(engine: Engine, period: Period) -> pd.DataFrame:
    start, end = _bounds(period)
    columns = [
        "id",
        "scope",
        "window_start",
        "window_end",
        "observed",
        "expected",
        "status",
        "delivered",
    ]
    query = (
        select(*[getattr(Alert, c) for c in columns])
        .where(Alert.window_end > start, Alert.window_start < end)
        .order_by(Alert.window_start)
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def source_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(Source.name).order_by(Source.name)).scalars())
