"""The one cache of the dashboard's queries (dashboard/data/cache.py).

In a page, an answer is kept for a minute per database and arguments, and a verdict saved
in the review queue clears it; outside a page (tests, benchmarks) every call reads the
database. The decorated queries keep their signatures.
"""

from __future__ import annotations

import inspect
import typing

import pandas as pd
from sqlalchemy import delete
from streamlit.testing.v1 import AppTest

from cxradar.db import get_engine, migrate
from cxradar.schema import Alert
from dashboard.data import alerts as alert_data
from dashboard.data import cache
from dashboard.data import issues as issue_data


def alert_count_page(url: str) -> None:
    """A page that shows how many alerts the database at `url` holds."""
    import streamlit as st

    from cxradar.db import get_engine
    from dashboard.data import alerts

    st.text(f"{len(alerts.alerts(get_engine(url)))} alerts")


def shown(url: str) -> str:
    app = AppTest.from_function(alert_count_page, args=(url,), default_timeout=30).run()
    assert not app.exception, [e.value for e in app.exception]
    return app.text[0].value


def test_in_a_page_answers_are_kept_per_database_until_cleared(seeded, tmp_path):
    cache.clear()
    assert shown(seeded) == "1 alerts"
    with get_engine(seeded).begin() as connection:
        connection.execute(delete(Alert))
    assert shown(seeded) == "1 alerts"  # kept: the same database, the same arguments
    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrate(other)
    assert shown(other) == "0 alerts"  # another database has its own answers
    cache.clear()
    assert shown(seeded) == "0 alerts"


def test_outside_a_page_every_call_reads_the_database(engine):
    assert len(alert_data.alerts(engine)) == 1
    with engine.begin() as connection:
        connection.execute(delete(Alert))
    assert alert_data.alerts(engine).empty


def test_cached_queries_keep_their_signature():
    parameters = inspect.signature(issue_data.issue_mentions).parameters
    assert list(parameters) == ["engine", "issue_id", "limit"]
    assert parameters["limit"].default == 500
    hints = typing.get_type_hints(issue_data.issue_mentions)
    assert hints["issue_id"] is int and hints["return"] is pd.DataFrame
