"""The overview's numbers (dashboard/data/overview.py) on seed.py's hand-counted rows."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.data import overview
from dashboard.data.filters import Filters, Period

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_kpis_and_the_previous_period_of_equal_length(engine):
    now, before = overview.kpis_with_previous(engine, Filters(OCTOBER))
    assert (now.volume, now.negative, now.positive) == (40, 12, 20)  # the duplicate is not counted
    assert now.net_sentiment == pytest.approx(0.2) and now.negative_share == pytest.approx(0.3)
    assert now.avg_rating == pytest.approx(55 / 15)
    assert (before.volume, before.negative, before.positive) == (10, 2, 5)
    assert before.avg_rating == pytest.approx(3.3)


def test_an_empty_period_has_no_ratios(engine):
    empty = overview.kpis(engine, Filters(Period(date(2025, 1, 1), date(2025, 1, 7))))
    assert empty.volume == 0 and empty.net_sentiment is None and empty.avg_rating is None


def test_source_and_language_filters(engine):
    reddit = overview.kpis(engine, Filters(OCTOBER, sources=("reddit",)))
    assert (reddit.volume, reddit.negative, reddit.rating_count) == (25, 7, 0)
    german = overview.kpis(engine, Filters(OCTOBER, langs=("de",)))
    assert (german.volume, german.negative, german.positive) == (15, 5, 10)


def test_brand_filter_counts_raw_mentions_like_the_aggregates(engine):
    finora = overview.kpis(engine, Filters(OCTOBER, brands=("Finora",)))
    assert (finora.volume, finora.negative) == (32, 12)
    both = Filters(OCTOBER, brands=("Finora", "Zinsly"))
    assert overview.kpis(engine, both) == overview.kpis(engine, Filters(OCTOBER))
    by_day_raw = overview.sentiment_by_day(engine, both)
    by_day_aggregates = overview.sentiment_by_day(engine, Filters(OCTOBER))
    assert by_day_raw.to_dict("records") == by_day_aggregates.to_dict("records")


def test_sentiment_by_day_and_volumes(engine):
    daily = overview.sentiment_by_day(engine, Filters(OCTOBER))
    assert daily["mentions"].sum() == 40
    negative_20th = daily[(daily["day"] == date(2026, 10, 20)) & (daily["sentiment"] == "negative")]
    assert negative_20th["mentions"].tolist() == [2]  # one on reddit, one in the app store
    by_source = overview.volume_by(engine, Filters(OCTOBER), "source")
    assert by_source.to_dict("records") == [
        {"source": "reddit", "mentions": 25, "negative": 7},
        {"source": "appstore", "mentions": 15, "negative": 5},
    ]
    by_lang = overview.volume_by(engine, Filters(OCTOBER), "lang")
    assert dict(zip(by_lang["lang"], by_lang["mentions"], strict=True)) == {"en": 25, "de": 15}
