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

from cxradar.kpis import NpsScore, RatingScore, nps_of, rating_of

# An update rolls out over a day or two before its reviews pile up: a version first seen up
# to two days before a spike window opens counts as the spike's start (the demo's 5.2 is
# first reviewed on 18 Oct, its spike window opens the same day).
NEW_VERSION_LEAD = timedelta(days=2)
LOW_RATING = 2  # 1-2 stars: the reviews a version's problems show in


@dataclass(frozen=True)
class ScoredAnswer:
    """An NPS answer (0-10) or a star rating (1-5), with the issue its comment is in;
    ``count``: this many alike answers (the database hands them over grouped)."""

    score: float
    issue_id: int | None
    count: int = 1


@dataclass(frozen=True)
class VersionedReview:
    created_at: datetime | None
    rating: int | None
    version: str | None
    issue_id: int | None
    count: int = 1


def _per_issue(answers: Sequence[ScoredAnswer], score_of) -> tuple:
    """The score of all answers and of each issue's own (``score_of(scores, counts)``)."""
    by_issue: dict[int, list[ScoredAnswer]] = defaultdict(list)
    for answer in answers:
        if answer.issue_id is not None:
            by_issue[answer.issue_id].append(answer)

    def of(selection):
        return score_of([a.score for a in selection], [a.count for a in selection])

    return of(answers), {issue_id: of(own) for issue_id, own in by_issue.items()}


def nps_impact(answers: Sequence[ScoredAnswer]) -> dict[int, float]:
    """Issue id -> NPS of all answers minus NPS without the issue's (points)."""
    overall, own = _per_issue(answers, nps_of)
    result = {}
    for issue_id, part in own.items():
        rest = NpsScore(
            overall.promoters - part.promoters,
            overall.passives - part.passives,
            overall.detractors - part.detractors,
        )
        if rest.nps is not None:
            result[issue_id] = overall.nps - rest.nps
    return result


def rating_impact(reviews: Sequence[ScoredAnswer]) -> dict[int, float]:
    """Issue id -> average star rating of all reviews minus that without the issue's."""
    overall, own = _per_issue(reviews, rating_of)
    result = {}
    for issue_id, part in own.items():
        rest = RatingScore(overall.count - part.count, overall.total - part.total)
        if rest.mean is not None:
            result[issue_id] = overall.mean - rest.mean
    return result


def first_versions(reviews: Sequence[VersionedReview]) -> dict[int, str]:
    """Issue id -> the version named by its earliest review that names one."""
    earliest: dict[int, VersionedReview] = {}
    for review in reviews:
        if review.issue_id is None or not review.version:
            continue
        if review.created_at is None:
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
    total = sum(r.count for r in low)
    if not total:
        return None
    return sum(r.count for r in low if r.issue_id == issue_id) / total


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
