"""Topics: every active topic with its counts under the filters, per day, and a topic's
most far-reaching mentions."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, case, func, select

from cxradar.schema import Enrichment, Mention, Topic, TopicAggregate
from dashboard.data.cache import cached
from dashboard.data.filters import Filters, as_date, mention_conditions, narrowed
from dashboard.data.mentions import MENTION_COLUMNS, mention_rows, safe_url

TOPIC_COLUMNS = ["id", "label", "keywords", "mentions", "negative", "negative_share", "centroid"]


@cached
def topic_summary(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Every active topic with its mentions and negative count under the filters.

    Topics without mentions in the filters are kept (with 0), so a map laid out from
    all centroids stays where it is while filters change. `centroid` is float32 bytes.
    """
    negative = case((TopicAggregate.sentiment == "negative", TopicAggregate.mentions), else_=0)
    counts = narrowed(
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


@cached
def topic_daily(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Columns day (date), topic_id, sentiment, mentions under the filters."""
    table = TopicAggregate
    query = narrowed(
        select(table.day, table.topic_id, table.sentiment, func.sum(table.mentions)),
        table,
        filters,
    ).group_by(table.day, table.topic_id, table.sentiment)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(table.day, table.topic_id)).all()
    frame = pd.DataFrame(rows, columns=["day", "topic_id", "sentiment", "mentions"])
    frame["day"] = [as_date(value) for value in frame["day"]]
    frame["mentions"] = frame["mentions"].astype(int)
    return frame


@cached
def topic_mentions(
    engine: Engine, filters: Filters, topic_id: int, limit: int = 20
) -> pd.DataFrame:
    """A topic's most far-reaching mentions under the filters (then the newest)."""
    conditions, _ = mention_conditions(filters)
    query = (
        mention_rows()
        .where(*conditions, Enrichment.topic_id == topic_id)
        .order_by(func.coalesce(Mention.reach, 0).desc(), Mention.created_at.desc(), Mention.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=MENTION_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return frame
