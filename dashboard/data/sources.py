"""Sources: per source what was stored, when it was last fetched and what was rejected."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cxradar.records import MAX_REASON_CHARS
from cxradar.schedules import next_run
from cxradar.schema import IngestCursor, IngestError, Mention, Source, Ticket
from dashboard.data.cache import cached

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


@cached
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


@cached
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


def _latest(*values):
    present = [value for value in values if value is not None]
    return max(present) if present else None
