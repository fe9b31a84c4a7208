"""What moves the score: an issue's effect on NPS and the star rating, and the app version
it started with. Plain Python over plain rows (``cxradar/scores.py`` reads them).

**Impact** (as Thematic defines it): the score of all answers minus the score of the answers
without the issue's. NPS impact is in NPS points, rating impact in stars; negative means the
issue pulls the score down (its detractors or 1-2 star reviews lower it), positive that it
lifts it. An NPS answer or a review belongs to an issue when its comment (stored as a
mention) was grouped into that issue. Unknown (None) when the issue has no such answer, or
when every answer belongs to it (nothing is left to compare with).

**First version**: the app version named by the issue's earliest review complaint (App
Store and Google Play reviews carry it). **Version share**: of the 1-2 star reviews on that
version, the share that are about the issue.

**A spike that starts with a new version**: a version first seen (in any review) within the
spike window or at most ``NEW_VERSION_LEAD`` before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cxradar.kpis import nps_of, rating_of

# An update rolls out over a day or two before its reviews pile up: a version first seen up
# to two days before a spike window opens counts as the spike's start (the demo's 5.2 is
# first reviewed on 18 Oct, its spike window opens the same day).
NEW_VERSION_LEAD = timedelta(days=2)
LOW_RATING = 2  # 1-2 stars: the reviews a version's problems show in


@dataclass(frozen=True)
class ScoredAnswer:
    """An NPS answer (0-10) or a star rating (1-5), with the issue its comment is in."""

    score: float
    issue_id: int | None


@dataclass(frozen=True)
class VersionedReview:
    created_at: datetime
    rating: int | None
    version: str | None
    issue_id: int | None


def _impacts(answers: Sequence[ScoredAnswer], score) -> dict[int, float]:
    overall = score([a.score for a in answers])
    by_issue: dict[int, list[float]] = defaultdict(list)
    for answer in answers:
        if answer.issue_id is not None:
            by_issue[answer.issue_id].append(answer.score)
    result = {}
    for issue_id in by_issue:
        rest = score([a.score for a in answers if a.issue_id != issue_id])
        if overall is not None and rest is not None:
            result[issue_id] = overall - rest
    return result


def nps_impact(answers: Sequence[ScoredAnswer]) -> dict[int, float]:
    """Issue id -> NPS of all answers minus NPS without the issue's (points)."""
    return _impacts(answers, lambda scores: nps_of(scores).nps)


def rating_impact(reviews: Sequence[ScoredAnswer]) -> dict[int, float]:
    """Issue id -> average star rating of all reviews minus that without the issue's."""
    return _impacts(reviews, lambda ratings: rating_of(ratings).mean)


def first_versions(reviews: Sequence[VersionedReview]) -> dict[int, str]:
    """Issue id -> the version named by its earliest review that names one."""
    earliest: dict[int, VersionedReview] = {}
    for review in reviews:
        if review.issue_id is None or not review.version:
            continue
        known = earliest.get(review.issue_id)
        if known is None or review.created_at < known.created_at:
            earliest[review.issue_id] = review
    return {issue_id: review.version for issue_id, review in earliest.items()}


def version_share(reviews: Sequence[VersionedReview], version: str, issue_id: int) -> float | None:
    """Of the 1-2 star reviews on ``version``, the share about the issue (0..1)."""
    low = [
        r
        for r in reviews
        if r.version == version and r.rating is not None and r.rating <= LOW_RATING
    ]
    if not low:
        return None
    return sum(r.issue_id == issue_id for r in low) / len(low)


def spike_version(
    first_seen: dict[str, datetime],
    start: datetime,
    end: datetime,
    lead: timedelta = NEW_VERSION_LEAD,
) -> str | None:
    """The version first seen in [start - lead, end): the spike started with it (the newest
    one when several are)."""
    new = [(seen, v) for v, seen in first_seen.items() if start - lead <= seen < end]
    return max(new)[1] if new else None
