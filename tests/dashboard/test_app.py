"""The dashboard's first page with Streamlit's AppTest, on an empty and a seeded database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxradar.db import session_scope
from cxradar.schema import Alert, DailyAggregate, Issue
from dashboard import charts, queries

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
DAY = datetime(2026, 10, 20, tzinfo=UTC)


def run_app(url: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("CXRADAR_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def seed(url: str) -> None:
    from cxradar.records import MentionRecord
    from cxradar.store import store_mentions

    with session_scope(url) as session:
        store_mentions(session, [MentionRecord("reddit", "1", DAY, "hello")], "file")
        for offset in range(30):
            day = DAY - timedelta(days=offset)
            session.add_all([
                DailyAggregate(day=day, source="reddit", lang="en", sentiment="negative",
                               mentions=2 if offset else 12, rating_sum=0, rating_count=0),
                DailyAggregate(day=day, source="appstore", lang="de", sentiment="positive",
                               mentions=5, rating_sum=20, rating_count=5),
            ])
        common = dict(keywords=["login"], score=0.9, sources=2, source_names=["a", "b"],
                      active_days=5, first_seen=DAY, last_seen=DAY, negative_share=1.0,
                      growth=None, reach=10)
        session.add(Issue(key="topic:1", label="login · sms · code", classification="systemic",
                          severity=0.8, mentions=40, authors=30, tickets=12,
                          evidence="Systemic: 30 customers <script>alert(1)</script>", **common))
        session.add(Issue(key="mention:9", label="card sent to old address",
                          classification="isolated", severity=0.1, mentions=1, authors=1,
                          tickets=0, evidence="Isolated: 1 customer", **common))
        session.add(Alert(dedupe_key="k", kind="negative_spike", scope="all", window_start=DAY,
                          window_end=DAY + timedelta(days=1), observed=12, expected=2,
                          severity=5))


def test_empty_database_explains_what_to_do(sqlite_url, monkeypatch):
    app = run_app(sqlite_url, monkeypatch)
    assert "cxradar run --demo" in app.info[0].value


@pytest.fixture
def seeded(sqlite_url):
    seed(sqlite_url)
    return sqlite_url


def test_overview_shows_kpis_issues_and_evidence_escaped(seeded, monkeypatch):
    app = run_app(seeded, monkeypatch)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Mentions"] == f"{29 * 7 + 12 + 5:,}"
    assert metrics["Average rating"] == "4.00 ★"
    table = app.dataframe[0].value
    assert list(table["classification"]) == ["🔴 systemic", "🟢 isolated"]
    assert "<script>" in app.text[0].value  # shown as text, never run as HTML
    assert not any("<script>" in m.value for m in app.markdown)


def test_source_filter_changes_the_numbers(seeded, monkeypatch):
    app = run_app(seeded, monkeypatch)
    app.multiselect[0].select("reddit").run()
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Mentions"] == f"{29 * 2 + 12:,}"
    assert metrics["Negative share"] == "100%"


def test_previous_period_delta(seeded):
    from cxradar.db import get_engine

    engine = get_engine(seeded)
    period = queries.Period(DAY.date() - timedelta(days=4), DAY.date())
    now, before = queries.kpis(engine, period), queries.kpis(engine, period.previous())
    assert now["volume"] == 4 * 7 + 17 and before["volume"] == 5 * 7


def test_chart_marks_alert_windows():
    import pandas as pd

    daily = pd.DataFrame({"day": [DAY], "sentiment": ["negative"], "mentions": [3]})
    alerts = pd.DataFrame({"window_start": [DAY], "window_end": [DAY + timedelta(days=1)]})
    figure = charts.sentiment_over_time(daily, alerts)
    assert len(figure.data) == 3 and len(figure.layout.shapes) == 1
