"""The overview's numbers: KPIs against the previous period, sentiment per day, volumes.

Counts come from the daily aggregates the pipeline maintains (brand is a column there).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, case, func, select

from cxradar.schema import DailyAggregate
from dashboard.data.cache import cached
from dashboard.data.filters import Filters, as_date, narrowed


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


def daily_counts(filters: Filters):
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
    return narrowed(query, table, filters).subquery()


def kpis(engine: Engine, filters: Filters) -> Kpis:
    """Volume, sentiment split and star ratings for one period."""
    counts = daily_counts(filters)

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


@cached
def kpis_with_previous(engine: Engine, filters: Filters) -> tuple[Kpis, Kpis]:
    """The period's KPIs and those of the equally long period before it."""
    return kpis(engine, filters), kpis(engine, filters.previous())


@cached
def sentiment_by_day(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Columns day (date), sentiment, mentions; one row per day and sentiment with data."""
    counts = daily_counts(filters)
    query = (
        select(counts.c.day, counts.c.sentiment, func.sum(counts.c.mentions))
        .group_by(counts.c.day, counts.c.sentiment)
        .order_by(counts.c.day, counts.c.sentiment)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(
            connection.execute(query).all(), columns=["day", "sentiment", "mentions"]
        )
    frame["day"] = [as_date(value) for value in frame["day"]]
    frame["mentions"] = frame["mentions"].astype(int)
    return frame


@cached
def volume_by(engine: Engine, filters: Filters, column: str) -> pd.DataFrame:
    """Mentions per `source` or per `lang`, largest first, with the negative count."""
    counts = daily_counts(filters)
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
