"""KPIs per day and week, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cxradar.kpis import (
    Response,
    Review,
    SocialPost,
    bucket_of,
    csat_of,
    kpi_series,
    nps_of,
    ratings_by,
    version_key,
    version_releases,
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def test_nps_is_promoters_minus_detractors_in_percent_with_the_respondents():
    # 10, 9, 9 promote; 8, 7 are passive; 6, 3, 0 detract: (3 - 3) / 8 -> 0
    assert nps_of([10, 9, 9, 8, 7, 6, 3, 0]).nps == 0
    # 4 promoters, 1 passive, 5 detractors of 10: 100 * (4 - 5) / 10 = -10
    score = nps_of([9, 9, 10, 10, 7, 6, 5, 1, 0, 2])
    assert (score.promoters, score.passives, score.detractors) == (4, 1, 5)
    assert score.respondents == 10 and score.nps == pytest.approx(-10.0)
    # 3 promoters of 4: 75; all detractors: -100; nobody: unknown, not 0
    assert nps_of([9, 10, 9, 8]).nps == pytest.approx(75.0)
    assert nps_of([0, 6]).nps == -100.0
    assert nps_of([]).nps is None


def test_csat_is_the_share_of_4_and_5_answers_and_the_mean():
    score = csat_of([5, 4, 4, 3, 1])  # 3 of 5 satisfied; mean 17 / 5
    assert score.csat == pytest.approx(60.0)
    assert score.mean == pytest.approx(3.4)
    assert csat_of([]).csat is None and csat_of([]).mean is None


def test_weeks_start_on_monday_utc():
    assert bucket_of(at(21), "week") == date(2026, 10, 19)  # a Wednesday
    assert bucket_of(at(19, 0), "week") == date(2026, 10, 19)
    assert bucket_of(at(18, 23), "week") == date(2026, 10, 12)  # Sunday night
    assert bucket_of(at(18, 23), "day") == date(2026, 10, 18)
    with pytest.raises(ValueError, match="grain must be one of day, week"):
        bucket_of(at(1), "month")


def test_weekly_series_has_every_week_and_each_kpi_by_hand():
    responses = [
        # week of 12 Oct: 9, 10 promote, 3 detracts -> 100 * (2 - 1) / 3 = 33.3
        Response(at(13), "nps", 9),
        Response(at(14), "nps", 10),
        Response(at(15), "nps", 3),
        Response(at(14), "csat", 5),
        Response(at(15), "csat", 2),  # CSAT 50 %, mean 3.5
        # week of 26 Oct: 2, 5 detract, 8 passive -> -66.7
        Response(at(26), "nps", 2),
        Response(at(27), "nps", 5),
        Response(at(28), "nps", 8),
    ]
    reviews = [Review(at(13), 5, "appstore"), Review(at(16), 2, "googleplay")]
    tickets = [at(20), at(21), at(22)]
    social = [SocialPost(at(20), True), SocialPost(at(21), False), SocialPost(at(25), True)]
    series = kpi_series("week", responses, reviews, tickets, social)
    assert [b.start for b in series] == [date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)]
    first, middle, last = series
    assert first.nps.nps == pytest.approx(100 / 3) and first.nps.respondents == 3
    assert first.csat.csat == pytest.approx(50.0) and first.csat.mean == pytest.approx(3.5)
    assert first.rating.mean == pytest.approx(3.5) and first.rating.count == 2
    assert first.tickets == 0 and first.negative_share is None
    assert middle.nps.nps is None and middle.nps.respondents == 0  # a week without answers
    assert middle.tickets == 3 and middle.negative_share == pytest.approx(2 / 3)
    assert middle.rating.mean is None
    assert last.nps.nps == pytest.approx(-200 / 3) and last.nps.respondents == 3


def test_daily_series_spans_the_asked_range_even_without_data():
    series = kpi_series("day", [Response(at(2), "nps", 10)], first=date(2026, 10, 1), last=at(3))
    assert [b.start.day for b in series] == [1, 2, 3]
    assert [b.nps.nps for b in series] == [None, 100.0, None]
    assert kpi_series("day") == []


def test_star_rating_per_version_and_store_with_release_dates():
    reviews = [
        Review(at(10), 5, "appstore", "5.1"),
        Review(at(12), 4, "googleplay", "5.1"),
        Review(at(9), 4, "appstore", "5.1"),
        Review(at(18), 1, "appstore", "5.2"),
        Review(at(19), 2, "googleplay", "5.2"),
        Review(at(20), 4, "googleplay", "5.2"),
        Review(at(21), 3, "trustpilot", None),  # no version: not in the per-version figures
    ]
    per_version = ratings_by(reviews, lambda r: r.version)
    assert per_version["5.1"].mean == pytest.approx(13 / 3)  # 5 + 4 + 4
    assert per_version["5.2"].mean == pytest.approx(7 / 3)  # 1 + 2 + 4
    assert set(per_version) == {"5.1", "5.2"}
    per_store = ratings_by(reviews, lambda r: r.source)
    assert per_store["appstore"].mean == pytest.approx(10 / 3)  # 5 + 4 + 1
    assert per_store["googleplay"].mean == pytest.approx(10 / 3)  # 4 + 2 + 4
    assert per_store["trustpilot"].mean == 3
    assert version_releases(reviews) == {"5.1": at(9), "5.2": at(18)}


def test_versions_sort_as_numbers():
    assert sorted(["5.10", "5.2", "5.9.1", "10.0"], key=version_key) == [
        "5.2",
        "5.9.1",
        "5.10",
        "10.0",
    ]


def test_answers_counted_together_give_the_same_figures():
    one_by_one = [Response(at(20), "nps", s) for s in (10, 10, 9, 3, 3, 3, 7)]
    grouped = [
        Response(at(20), "nps", 10, 2),
        Response(at(20), "nps", 9),
        Response(at(20), "nps", 3, 3),
        Response(at(20), "nps", 7),
    ]
    [alone] = kpi_series("week", one_by_one)
    [together] = kpi_series("week", grouped)
    assert alone.nps == together.nps == nps_of([10, 10, 9, 3, 3, 3, 7])
    assert together.nps.nps == 0.0  # 3 promoters, 3 detractors of 7
    days = [Review(at(20), 4.5, "appstore", count=4), Review(at(21), 1.0, "appstore")]
    assert kpi_series("week", reviews=days)[0].rating.mean == pytest.approx(19 / 5)
    assert csat_of([5, 2], [3, 1]).csat == 75.0
    with pytest.raises(ValueError):
        nps_of([9, 10], [1])  # a count for every score
