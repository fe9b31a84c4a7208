"""Topic queries (dashboard/data/topics.py) and the map laid out from them.

These run on SQLite and, with CXRADAR_TEST_POSTGRES_URL set, on PostgreSQL too.
"""

from __future__ import annotations

from datetime import date

import pytest

from cxradar.db import get_engine
from dashboard import charts
from dashboard.data import topics as topic_data
from dashboard.data.filters import Filters, Period
from tests.dashboard.seed import SCRIPT_TEXT, seed

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


@pytest.fixture
def engine(db_url):
    seed(db_url)
    return get_engine(db_url)


def counts(frame) -> dict[str, tuple[int, float | None]]:
    return {
        row.label: (row.mentions, row.negative_share) for row in frame.itertuples() if row.mentions
    }


def test_topic_summary_counts_under_the_filters(engine):
    everything = topic_data.topic_summary(engine, Filters(OCTOBER))
    assert counts(everything) == {
        "savings · transfer · app": (20, 0.0),
        "login · sms · code": (11, 1.0),
        "card · apple pay": (8, 0.0),
    }
    assert counts(topic_data.topic_summary(engine, Filters(OCTOBER, langs=("de",)))) == {
        "savings · transfer · app": (10, 0.0),
        "login · sms · code": (5, 1.0),
    }
    zinsly = topic_data.topic_summary(engine, Filters(OCTOBER, brands=("Zinsly",)))
    assert counts(zinsly) == {"card · apple pay": (8, 0.0)}
    assert len(zinsly) == 3  # every topic stays (with 0), so the map keeps its layout


def test_topic_daily_and_top_mentions(engine):
    daily = topic_data.topic_daily(engine, Filters(OCTOBER, sources=("reddit",)))
    login = daily[daily["topic_id"] == 0]
    assert login["mentions"].sum() == 6 and set(login["sentiment"]) == {"negative"}
    assert login["day"].min() == date(2026, 10, 20)
    mentions = topic_data.topic_mentions(engine, Filters(OCTOBER, sources=("reddit",)), 0)
    assert len(mentions) == 6 and SCRIPT_TEXT in mentions["text"].tolist()
    assert not any(str(url).startswith("javascript") for url in mentions["url"])
    assert topic_data.topic_mentions(engine, Filters(OCTOBER, langs=("fr",)), 0).empty


def test_topic_map_places_every_topic_and_sizes_by_mentions(engine):
    topics = topic_data.topic_summary(engine, Filters(OCTOBER, brands=("Zinsly",)))
    positions = charts.project_2d(charts.centroid_matrix(list(topics["centroid"])))
    assert positions.shape == (3, 2)
    figure = charts.topic_map(topics, positions)
    assert [point[0] for point in figure.data[0].customdata] == [2]  # only topics with mentions
