"""Alerts: every alert whose window overlaps the period, with its status and delivery."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from cxradar.schema import Alert
from dashboard.data.cache import cached
from dashboard.data.filters import Period

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


@cached
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
