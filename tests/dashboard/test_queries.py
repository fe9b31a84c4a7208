"""Dashboard queries against the hand-counted database in seed.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard import queries
from dashboard.queries import Filters, Period
from tests.dashboard.seed import ISOLATED_TEXT, SCRIPT_TEXT

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_default_period_is_the_30_days_ending_at_the_newest_mention(engine):
    assert queries.default_period(engine) == OCTOBER
    assert OCTOBER.previous() == Period(date(2026, 9, 1), date(2026, 9, 30))


def test_kpis_and_the_previous_period_of_equal_length(engine):
    now, before = queries.kpis_with_previous(engine, Filters(OCTOBER))
    assert (now.volume, now.negative, now.positive) == (40, 12, 20)  # the duplicate is not counted
    assert now.net_sentiment == pytest.approx(0.2) and now.negative_share == pytest.approx(0.3)
    assert now.avg_rating == pytest.approx(55 / 15)
    assert (before.volume, before.negative, before.positive) == (10, 2, 5)
    assert before.avg_rating == pytest.approx(3.3)


def test_an_empty_period_has_no_ratios(engine):
    empty = queries.kpis(engine, Filters(Period(date(2025, 1, 1), date(2025, 1, 7))))
    assert empty.volume == 0 and empty.net_sentiment is None and empty.avg_rating is None


def test_source_and_language_filters(engine):
    reddit = queries.kpis(engine, Filters(OCTOBER, sources=("reddit",)))
    assert (reddit.volume, reddit.negative, reddit.rating_count) == (25, 7, 0)
    german = queries.kpis(engine, Filters(OCTOBER, langs=("de",)))
    assert (german.volume, german.negative, german.positive) == (15, 5, 10)


def test_brand_filter_counts_raw_mentions_like_the_aggregates(engine):
    finora = queries.kpis(engine, Filters(OCTOBER, brands=("Finora",)))
    assert (finora.volume, finora.negative) == (32, 12)
    both = Filters(OCTOBER, brands=("Finora", "Zinsly"))
    assert queries.kpis(engine, both) == queries.kpis(engine, Filters(OCTOBER))
    by_day_raw = queries.sentiment_by_day(engine, both)
    by_day_aggregates = queries.sentiment_by_day(engine, Filters(OCTOBER))
    assert by_day_raw.to_dict("records") == by_day_aggregates.to_dict("records")


def test_sentiment_by_day_and_volumes(engine):
    daily = queries.sentiment_by_day(engine, Filters(OCTOBER))
    assert daily["mentions"].sum() == 40
    negative_20th = daily[(daily["day"] == date(2026, 10, 20)) & (daily["sentiment"] == "negative")]
    assert negative_20th["mentions"].tolist() == [2]  # one on reddit, one in the app store
    by_source = queries.volume_by(engine, Filters(OCTOBER), "source")
    assert by_source.to_dict("records") == [
        {"source": "reddit", "mentions": 25, "negative": 7},
        {"source": "appstore", "mentions": 15, "negative": 5},
    ]
    by_lang = queries.volume_by(engine, Filters(OCTOBER), "lang")
    assert dict(zip(by_lang["lang"], by_lang["mentions"], strict=True)) == {"en": 25, "de": 15}


def test_issues_systemic_first_then_emerging_singles_last_filtered_by_period_and_brand(
    engine, issue_ids
):
    issues = queries.issues(engine)
    assert issues["classification"].tolist() == ["systemic", "emerging", "isolated"]
    assert issues["single"].tolist() == [False, False, True]
    assert issues["source_names"].tolist() == ["appstore, reddit", "reddit", "reddit"]
    late_october = Period(date(2026, 10, 28), date(2026, 10, 30))
    assert queries.issues(engine, late_october)["classification"].tolist() == ["isolated"]
    zinsly = queries.issues(engine, brands=("zinsly",))
    assert zinsly["title"].tolist() == ["Apple Pay declined at the terminal"]


def test_brands_compared_by_their_share_of_complaints(engine, issue_ids):
    top = queries.brand_comparison(engine)
    finora = top[top["brand"] == "Finora"]
    assert finora["id"].tolist()[0] == issue_ids["systemic"]
    assert finora["share"].round(3).tolist() == [0.846, 0.077, 0.077]  # 11, 1 and 1 of 13
    assert top[top["brand"] == "Zinsly"]["share"].tolist() == [1.0]


def test_issue_drill_down_rows(engine, issue_ids):
    mentions = queries.issue_mentions(engine, issue_ids["systemic"])
    assert len(mentions) == 11
    assert mentions["created_at"].is_monotonic_decreasing
    script_row = mentions[mentions["text"] == SCRIPT_TEXT].iloc[0]
    assert pd.isna(script_row["url"])  # a javascript: link is never offered
    isolated = queries.issue_mentions(engine, issue_ids["isolated"])
    assert isolated["text"].tolist() == [ISOLATED_TEXT]
    assert isolated["url"].tolist() == ["https://www.reddit.com/r/finora/card"]
    tickets = queries.issue_tickets(engine, issue_ids["systemic"])
    assert tickets["ticket"].tolist() == ["ZD-0", "ZD-1", "ZD-2"]
    assert queries.issue_tickets(engine, issue_ids["isolated"]).empty


def test_issue_daily_counts_cover_every_day(engine, issue_ids):
    week = Period(date(2026, 10, 19), date(2026, 10, 25))
    counts = queries.issue_daily_counts(engine, [issue_ids["systemic"]], week)
    assert counts[issue_ids["systemic"]] == [0, 2, 2, 2, 2, 2, 1]


def test_mention_paging_is_complete_and_without_overlap(engine):
    filters = Filters(OCTOBER)
    pages = [queries.search_mentions(engine, filters, page=n, page_size=15) for n in (1, 2, 3)]
    assert [page.total for page in pages] == [40, 40, 40] and pages[0].pages == 3
    assert [len(page.rows) for page in pages] == [15, 15, 10]
    ids = [i for page in pages for i in page.rows["id"]]
    assert len(set(ids)) == 40
    created = [c for page in pages for c in page.rows["created_at"]]
    assert created == sorted(created, reverse=True)
    beyond = queries.search_mentions(engine, filters, page=9, page_size=15)
    assert beyond.page == 3 and beyond.rows["id"].tolist() == pages[2].rows["id"].tolist()


def test_mention_search_filters(engine, issue_ids):
    filters = Filters(OCTOBER)
    negative = queries.search_mentions(engine, filters, sentiments=("negative",))
    assert negative.total == 12
    isolated = queries.search_mentions(engine, filters, issue_id=issue_ids["isolated"])
    assert isolated.rows["text"].tolist() == [ISOLATED_TEXT]
    assert isolated.rows["classification"].tolist() == ["isolated"]
    reddit_de = queries.search_mentions(engine, Filters(OCTOBER, ("reddit",), ("de",)))
    assert reddit_de.total == 0


def test_text_search_folds_german_case_and_treats_wildcards_literally(engine):
    filters = Filters(OCTOBER)
    assert queries.search_mentions(engine, filters, text="ÜBERWEISUNG").total == 10
    assert queries.search_mentions(engine, filters, text="50%").rows["text"].tolist() == [
        ISOLATED_TEXT
    ]
    assert queries.search_mentions(engine, filters, text="%").total == 1
    assert queries.search_mentions(engine, filters, text="_").total == 0
    assert queries.search_mentions(engine, filters, text="'; DROP TABLE mentions; --").total == 0
    assert queries.search_mentions(engine, filters, text='"quoted"').total == 0
    assert queries.kpis(engine, filters).volume == 40


def test_the_sqlite_text_index_follows_inserts_edits_and_erasure(engine):
    from sqlalchemy import delete, update

    from cxradar.schema import Mention

    filters = Filters(OCTOBER)
    with engine.connect() as connection:
        assert queries._has_fts(connection)
    with engine.begin() as connection:
        first = connection.execute(select(Mention.id).order_by(Mention.id)).scalar()
        connection.execute(
            update(Mention).where(Mention.id == first).values(text="Ein Zebrastreifen-Problem")
        )
    assert queries.search_mentions(engine, filters, text="ZEBRASTREIFEN").total == 1
    with engine.begin() as connection:
        connection.execute(delete(Mention).where(Mention.id == first))
    assert queries.search_mentions(engine, filters, text="zebrastreifen").total == 0


def test_alerts_sources_and_errors(engine):
    alerts = queries.alerts(engine, OCTOBER)
    assert alerts[["scope", "status", "delivered"]].to_dict("records") == [
        {"scope": "all", "status": "resolved", "delivered": True}
    ]
    assert queries.alerts(engine, Period(date(2026, 9, 1), date(2026, 9, 30))).empty
    sources = queries.sources_overview(engine).set_index("source")
    assert sources.loc["reddit", "mentions"] == 25 and sources.loc["support", "tickets"] == 4
    assert sources.loc["appstore", "errors"] == 1
    assert sources.loc["reddit", "cursor_updated"] is not None
    # Tickets are fetched every 15 minutes, social sources hourly.
    now = pd.Timestamp.now(tz="UTC")
    assert sources.loc["support", "next_run"] - now <= pd.Timedelta(minutes=15)
    assert pd.Timedelta(0) < sources.loc["reddit", "next_run"] - now <= pd.Timedelta(hours=1)
    errors = queries.ingest_errors(engine, "appstore")
    assert errors["reason"].tolist() == ["rating 9 is not between 1 and 5"]
    assert queries.ingest_errors(engine, "reddit").empty


def test_filter_options(engine):
    options = queries.filter_options(engine)
    assert options == {
        "sources": ["appstore", "reddit", "support"],
        "langs": ["de", "en"],
        "brands": ["Finora", "Zinsly"],
    }


def test_empty_and_unmigrated_databases(sqlite_url, tmp_path):
    from cxradar.db import get_engine

    assert queries.is_migrated(get_engine(sqlite_url)) and not queries.has_data(
        get_engine(sqlite_url)
    )
    bare = get_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    assert not queries.is_migrated(bare) and not queries.has_data(bare)


def test_safe_url():
    assert queries.safe_url(" https://example.org/a ") == "https://example.org/a"
    assert queries.safe_url("JavaScript:alert(1)") is None
    assert queries.safe_url("data:text/html,x") is None
    assert queries.safe_url(None) is None
