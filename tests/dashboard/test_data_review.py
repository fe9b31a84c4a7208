"""The review queue (dashboard/data/review.py), the stored verdicts, and the training
script's reader.

These run on SQLite and, with CXRADAR_TEST_POSTGRES_URL set, on PostgreSQL too.
"""

from __future__ import annotations

from datetime import date

import pytest

from cxradar.db import get_engine
from dashboard.data import review
from dashboard.data.filters import Filters, Period
from models.training.train_sentiment import (
    read_complaint_corrections_db,
    read_corrections_db,
)
from tests.dashboard.seed import ISOLATED_TEXT, REVIEW_ORDER, UNSURE_QUESTION, seed

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


@pytest.fixture
def engine(db_url):
    seed(db_url)
    return get_engine(db_url)


@pytest.mark.parametrize("sort_below", [0, 20_000], ids=["walks-margin-index", "sorts-matches"])
def test_review_queue_least_sure_first_without_reviewed(engine, sort_below, monkeypatch):
    # Both query plans (SQLite walks the margin index for broad filters and sorts the
    # matches of narrow ones) must give the same queue.
    monkeypatch.setattr(review, "REVIEW_SORT_BELOW", sort_below)
    queue = review.review_queue(engine, Filters(OCTOBER), limit=3)
    assert queue["text"].tolist() == REVIEW_ORDER
    assert queue["margin"].tolist() == pytest.approx([0.05, 0.06, 0.10])
    zinsly = review.review_queue(engine, Filters(OCTOBER, brands=("Zinsly",)), limit=1)
    assert zinsly["text"].tolist() == [UNSURE_QUESTION]
    first = int(queue["id"].iloc[0])
    review.save_correction(engine, first, "neutral", reviewer="  Ana  ")
    after = review.review_queue(engine, Filters(OCTOBER), limit=2)
    assert after["text"].tolist() == REVIEW_ORDER[1:]


def test_a_verdict_is_stored_once_and_the_newest_wins(engine):
    mention_id = int(review.review_queue(engine, Filters(OCTOBER), limit=1)["id"].iloc[0])
    review.save_correction(engine, mention_id, "positive")
    review.save_correction(engine, mention_id, "neutral", reviewer="Ana")
    reviewed = review.reviewed_mentions(engine)
    assert reviewed[["text", "predicted", "label", "reviewer"]].to_dict("records") == [
        {"text": ISOLATED_TEXT, "predicted": "negative", "label": "neutral", "reviewer": "Ana"}
    ]
    assert review.review_counts(engine) == {"reviewed": 1, "corrected": 1}
    with pytest.raises(ValueError):
        review.save_correction(engine, mention_id, "furious")


def test_training_reads_the_verdicts_from_the_database(engine, db_url):
    queue = review.review_queue(engine, Filters(OCTOBER), limit=3)
    assert "complaint" in queue.columns
    ids = [int(i) for i in queue["id"]]
    review.save_correction(engine, ids[0], "neutral", complaint=False)
    review.save_correction(engine, ids[1], "neutral")  # a confirmation, no complaint verdict
    review.save_correction(engine, ids[2], "negative", complaint=True)
    data = read_corrections_db(db_url)
    assert data.name == "corrections"
    assert sorted(data.texts) == sorted(REVIEW_ORDER[:3])
    assert sorted(data.labels.tolist()) == [0, 1, 1]
    texts, labels = read_complaint_corrections_db(db_url)  # the verdicts given, none made up
    assert dict(zip(texts, labels, strict=True)) == {REVIEW_ORDER[0]: 0, REVIEW_ORDER[2]: 1}


def test_training_reader_defaults_to_the_configured_database(engine, db_url, monkeypatch):
    monkeypatch.setenv("CXRADAR_DATABASE_URL", db_url)
    assert len(read_corrections_db()) == 0
    mention_id = int(review.review_queue(engine, Filters(OCTOBER), limit=1)["id"].iloc[0])
    review.save_correction(engine, mention_id, "negative")
    assert read_corrections_db().labels.tolist() == [0]
