"""The issue queries (dashboard/data/issues.py) on seed.py's hand-counted rows."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.data import issues as issue_data
from dashboard.data.filters import Period
from tests.dashboard.seed import ISOLATED_TEXT, SCRIPT_TEXT

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_issues_systemic_first_then_emerging_singles_last_filtered_by_period_and_brand(
    engine, issue_ids
):
    issues = issue_data.issues(engine)
    assert issues["classification"].tolist() == ["systemic", "emerging", "isolated"]
    assert issues["single"].tolist() == [False, False, True]
    assert issues["source_names"].tolist() == ["appstore, reddit", "reddit", "reddit"]
    late_october = Period(date(2026, 10, 28), date(2026, 10, 30))
    assert issue_data.issues(engine, late_october)["classification"].tolist() == ["isolated"]
    zinsly = issue_data.issues(engine, brands=("zinsly",))
    assert zinsly["title"].tolist() == ["Apple Pay declined at the terminal"]


def test_brands_compared_by_their_share_of_complaints(engine, issue_ids):
    top = issue_data.brand_comparison(engine)
    finora = top[top["brand"] == "Finora"]
    assert finora["id"].tolist()[0] == issue_ids["systemic"]
    assert finora["share"].round(3).tolist() == [0.846, 0.077, 0.077]  # 11, 1 and 1 of 13
    assert top[top["brand"] == "Zinsly"]["share"].tolist() == [1.0]


def test_issue_drill_down_rows(engine, issue_ids):
    mentions = issue_data.issue_mentions(engine, issue_ids["systemic"])
    assert len(mentions) == 11
    assert mentions["created_at"].is_monotonic_decreasing
    script_row = mentions[mentions["text"] == SCRIPT_TEXT].iloc[0]
    assert pd.isna(script_row["url"])  # a javascript: link is never offered
    isolated = issue_data.issue_mentions(engine, issue_ids["isolated"])
    assert isolated["text"].tolist() == [ISOLATED_TEXT]
    assert isolated["url"].tolist() == ["https://www.reddit.com/r/finora/card"]
    tickets = issue_data.issue_tickets(engine, issue_ids["systemic"])
    assert tickets["ticket"].tolist() == ["ZD-0", "ZD-1", "ZD-2"]
    assert issue_data.issue_tickets(engine, issue_ids["isolated"]).empty


def test_issue_daily_counts_cover_every_day(engine, issue_ids):
    week = Period(date(2026, 10, 19), date(2026, 10, 25))
    counts = issue_data.issue_daily_counts(engine, [issue_ids["systemic"]], week)
    assert counts[issue_ids["systemic"]] == [0, 2, 2, 2, 2, 2, 1]
