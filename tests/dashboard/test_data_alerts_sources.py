"""The Alerts and Sources pages' queries (dashboard/data/alerts.py, sources.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.data import alerts as alert_data
from dashboard.data import sources as source_data
from dashboard.data.filters import Period

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_alerts_sources_and_errors(engine):
    alerts = alert_data.alerts(engine, OCTOBER)
    assert alerts[["scope", "status", "delivered"]].to_dict("records") == [
        {"scope": "all", "status": "resolved", "delivered": True}
    ]
    assert alert_data.alerts(engine, Period(date(2026, 9, 1), date(2026, 9, 30))).empty
    sources = source_data.sources_overview(engine).set_index("source")
    assert sources.loc["reddit", "mentions"] == 25 and sources.loc["support", "tickets"] == 4
    assert sources.loc["appstore", "errors"] == 1
    assert sources.loc["reddit", "cursor_updated"] is not None
    # Tickets are fetched every 15 minutes, social sources hourly.
    now = pd.Timestamp.now(tz="UTC")
    assert sources.loc["support", "next_run"] - now <= pd.Timedelta(minutes=15)
    assert pd.Timedelta(0) < sources.loc["reddit", "next_run"] - now <= pd.Timedelta(hours=1)
    errors = source_data.ingest_errors(engine, "appstore")
    assert errors["reason"].tolist() == ["rating 9 is not between 1 and 5"]
    assert source_data.ingest_errors(engine, "reddit").empty
