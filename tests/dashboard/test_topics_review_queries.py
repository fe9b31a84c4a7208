"""Topic and review-queue queries, the stored verdicts, and the training script's reader.

These run on SQLite and, with CXRADAR_TEST_POSTGRES_URL set, on PostgreSQL too.
"""

from __future__ import annotations

from datetime import date

import pytest

from cxradar.db import get_engine
from dashboard import charts, queries
from dashboard.queries import Filters, Period
from models.training.train_sentiment import (
    read_complaint_corrections_db,
    read_corrections_db,
)
from tests.dashboard.seed import ISOLATED_TEXT, REVIEW_ORDER, SCRIPT_TEXT, UNSURE_QUESTION, seed

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
    everything = queries.topic_summary(engine, Filters(OCTOBER))
    assert counts(everything) == {
        "savings · transfer · app": (20, 0.0),
        "login · sms · code": (11, 1.0),
        "card · apple pay": (8, 0.0),
    }
    assert counts(queries.topic_summary(engine, Filters(OCTOBER, langs=("de",)))) == {
        "savings · transfer · app": (10, 0.0),
        "login · sms · code": (5, 1.0),
    }
    zinsly = queries.topic_summary(engine, Filters(OCTOBER, brands=("Zinsly",)))
    assert counts(zinsly) == {"card · apple pay": (8, 0.0)}
    assert len(zinsly) == 3  # every topic stays (with 0), so the map keeps its layout


def test_topic_daily_and_top_mentions(engine):
    daily = queries.topic_daily(engine, Filters(OCTOBER, sources=("reddit",)))
    login = daily[daily["topic_id"] == 0]
    assert login["mentions"].sum() == 6 and set(login["sentiment"]) == {"negative"}
    assert login["day"].min() == date(2026, 10, 20)
    mentions = queries.topic_mentions(engine, Filters(OCTOBER, sources=("reddit",)), 0)
    assert len(mentions) == 6 and SCRIPT_TEXT in mentions["text"].tolist()
    assert not any(str(url).startswith("javascript") for url in mentions["url"])
    assert queries.topic_mentions(engine, Filters(OCTOBER, langs=("fr",)), 0).empty


def test_topic_map_places_every_topic_and_sizes_by_mentions(engine):
    topics = queries.topic_summary(engine, Filters(OCTOBER, brands=("Zinsly",)))
    positions = charts.project_2d(charts.centroid_matrix(list(topics["centroid"])))
    assert positions.shape == (3, 2)
    figure = charts.topic_map(topics, positions)
    assert [point[0] for point in figure.data[0].customdata] == [2]  # only topics with mentions


@pytest.mark.parametrize("sort_below", [0, 20_000], ids=["walks-margin-index", "sorts-matches"])
def test_review_queue_least_sure_first_without_reviewed(engine, sort_below, monkeypatch):
    # Both query plans (SQLite walks the margin index for broad filters and sorts the
    # matches of narrow ones) must give the same queue.
    monkeypatch.setattr(queries, "REVIEW_SORT_BELOW", sort_below)
    queue = queries.review_queue(engine, Filters(OCTOBER), limit=3)
    assert queue["text"].tolist() == REVIEW_ORDER
    assert queue["margin"].tolist() == pytest.approx([0.05, 0.06, 0.10])
    zinsly = queries.review_queue(engine, Filters(OCTOBER, brands=("Zinsly",)), limit=1)
    assert zinsly["text"].tolist() == [UNSURE_QUESTION]
    first = int(queue["id"].iloc[0])
    queries.save_correction(engine, first, "neutral", reviewer="  Ana  ")
    after = queries.review_queue(engine, Filters(OCTOBER), limit=2)
    assert after["text"].tolist() == REVIEW_ORDER[1:]


def test_a_verdict_is_stored_once_and_the_newest_wins(engine):
    mention_id = int(queries.review_queue(engine, Filters(OCTOBER), limit=1)["id"].iloc[0])
    queries.save_correction(engine, mention_id, "positive")
    queries.save_correction(engine, mention_id, "neutral", reviewer="Ana")
    reviewed = queries.reviewed_mentions(engine)
    assert reviewed[["text", "predicted", "label", "reviewer"]].to_dict("records") == [
        {"text": ISOLATED_TEXT, "predicted": "negative", "label": "neutral", "reviewer": "Ana"}
    ]
    assert queries.review_counts(engine) == {"reviewed": 1, "corrected": 1}
    with pytest.raises(ValueError):
        queries.save_correction(engine, mention_id, "furious")


def test_training_reads_the_verdicts_from_the_database(engine, db_url):
    queue = queries.review_queue(engine, Filters(OCTOBER), limit=3)
    assert "complaint" in queue.columns
    ids = [int(i) for i in queue["id"]]
    queries.save_correction(engine, ids[0], "neutral", complaint=False)
    queries.save_correction(engine, ids[1], "neutral")  # a confirmation, no complaint verdict
    queries.save_correction(engine, ids[2], "negative", complaint=True)
    data = read_corrections_db(db_url)
    assert data.name == "corrections"
    assert sorted(data.texts) == sorted(REVIEW_ORDER[:3])
    assert sorted(data.labels.tolist()) == [0, 1, 1]
    texts, labels = read_complaint_corrections_db(db_url)  # the verdicts given, none made up
    assert dict(zip(texts, labels, strict=True)) == {REVIEW_ORDER[0]: 0, REVIEW_ORDER[2]: 1}


def test_training_reader_defaults_to_the_configured_database(engine, db_url, monkeypatch):
    monkeypatch.setenv("CXRADAR_DATABASE_URL", db_url)
    assert len(read_corrections_db()) == 0
    mention_id = int(queries.review_queue(engine, Filters(OCTOBER), limit=1)["id"].iloc[0])
    queries.save_correction(engine, mention_id, "negative")
    assert read_corrections_db().labels.tolist() == [0]
