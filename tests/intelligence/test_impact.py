"""What moves the score: impact on NPS and stars, first version, version share, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxradar.intelligence.impact import (
    ScoredAnswer,
    VersionedReview,
    first_versions,
    nps_impact,
    rating_impact,
    spike_version,
    version_share,
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def test_nps_impact_is_nps_with_minus_without_the_issues_answers():
    answers = [ScoredAnswer(score, None) for score in (10, 10, 9, 9, 8, 7, 3)]
    answers += [ScoredAnswer(score, 1) for score in (2, 0, 5)]  # issue 1: three detractors
    answers += [ScoredAnswer(10, 2)]  # issue 2: a promoter
    # all 11: 5 promoters, 2 passives, 4 detractors -> 100 * 1 / 11 = 9.09
    # without issue 1 (8 left): 5 promoters, 1 detractor -> 50; impact 9.09 - 50 = -40.91
    # without issue 2 (10 left): 4 promoters, 4 detractors -> 0; impact +9.09
    impact = nps_impact(answers)
    assert impact[1] == pytest.approx(100 / 11 - 50)
    assert impact[2] == pytest.approx(100 / 11)
    assert set(impact) == {1, 2}  # no answer, no impact: other issues are unknown


def test_no_impact_when_every_answer_is_the_issues():
    assert nps_impact([ScoredAnswer(0, 1), ScoredAnswer(3, 1)]) == {}
    assert nps_impact([]) == {}


def test_rating_impact_in_stars():
    reviews = [ScoredAnswer(r, None) for r in (5, 5, 4, 4)] + [ScoredAnswer(1, 7)] * 2
    # all: 20 / 6 = 3.333; without issue 7: 18 / 4 = 4.5; impact -1.1667
    assert rating_impact(reviews)[7] == pytest.approx(20 / 6 - 4.5)


def test_first_version_is_that_of_the_earliest_review_complaint():
    reviews = [
        VersionedReview(at(19), 1, "5.2", 3),
        VersionedReview(at(18), 2, "5.2", 3),
        VersionedReview(at(17), 1, None, 3),  # earlier, but says no version (Trustpilot)
        VersionedReview(at(5), 2, "5.1", 4),
        VersionedReview(at(9), 1, "5.1", None),
    ]
    assert first_versions(reviews) == {3: "5.2", 4: "5.1"}


def test_version_share_of_the_low_reviews_on_that_version():
    reviews = [VersionedReview(at(18 + i % 3), 1, "5.2", 3) for i in range(6)]
    reviews += [VersionedReview(at(19), 2, "5.2", None), VersionedReview(at(20), 2, "5.2", 8)]
    reviews += [VersionedReview(at(20), 5, "5.2", None)]  # 5 stars: not a low review
    reviews += [VersionedReview(at(10), 1, "5.1", None)]  # another version
    assert version_share(reviews, "5.2", 3) == pytest.approx(6 / 8)  # 75 %
    assert version_share(reviews, "5.0", 3) is None


def test_a_spike_starts_with_a_version_first_seen_in_or_just_before_its_window():
    first_seen = {"5.1": at(1), "5.2": at(17, 22)}
    assert spike_version(first_seen, at(18, 0), at(22, 0)) == "5.2"  # 2 h before the window
    assert spike_version(first_seen, at(19, 0), at(22, 0)) == "5.2"  # 26 h before
    assert spike_version(first_seen, at(20, 0), at(22, 0)) is None  # 50 h before: old news
    assert spike_version(first_seen, at(10, 0), at(12, 0)) is None
    assert spike_version({"5.2": at(18), "5.2.1": at(19)}, at(18, 0), at(20, 0)) == "5.2.1"
    assert spike_version({}, at(18), at(18) + timedelta(days=1)) is None


def test_answers_counted_together_give_the_same_impact():
    one_by_one = [ScoredAnswer(s, None) for s in (10, 10, 9, 9, 8, 7, 3)]
    one_by_one += [ScoredAnswer(s, 1) for s in (2, 0, 5)] + [ScoredAnswer(10, 2)]
    grouped = [
        ScoredAnswer(10, None, 2),
        ScoredAnswer(9, None, 2),
        ScoredAnswer(8, None),
        ScoredAnswer(7, None),
        ScoredAnswer(3, None),
        ScoredAnswer(2, 1),
        ScoredAnswer(0, 1),
        ScoredAnswer(5, 1),
        ScoredAnswer(10, 2),
    ]
    assert nps_impact(grouped) == pytest.approx(nps_impact(one_by_one))
    stars = [ScoredAnswer(5, None, 2), ScoredAnswer(4, None, 2), ScoredAnswer(1, 7, 2)]
    assert rating_impact(stars)[7] == pytest.approx(20 / 6 - 4.5)
    low = [VersionedReview(None, 1, "5.2", 3, 6), VersionedReview(None, 2, "5.2", None, 2)]
    assert version_share(low, "5.2", 3) == pytest.approx(0.75)
