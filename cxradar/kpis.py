"""KPIs beside the social signal, per day or per week: plain Python, no SQL, no Dagster.

A CX lead compares the mood in social media with the scores customers give, to tell a
loud but isolated problem from one that moves the business. Definitions (all times UTC):

* **NPS** (Net Promoter Score), from answers 0-10 to "how likely are you to recommend us":
  promoters answer 9-10, passives 7-8, detractors 0-6;
  NPS = 100 x (promoters - detractors) / respondents, in points from -100 to +100, always
  shown with the respondent count (with 20 answers one person moves it by 5 points).
* **CSAT** (customer satisfaction), from answers 1-5: the share of satisfied answers (4-5)
  in percent, and the mean answer.
* **Average star rating**: the mean of the 1-5 star ratings of reviews (App Store, Google
  Play, Trustpilot ...), overall, per store (source) and per app version.
* **Ticket volume**: support tickets created.
* **Negative share of social mentions**: of the public posts without a star rating (posts,
  comments, articles; no reviews) outside the survey sources (no survey comments), copies
  left out, the share with negative sentiment; counted as the Overview counts mentions.

A *day* is a UTC calendar day; a *week* starts on Monday (ISO weeks). Every bucket from the
first to the last is listed, empty ones too, so the KPIs share one continuous time axis; a
KPI without answers in a bucket is None (unknown), never 0.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from typing import Literal

from cxradar.records import DETRACTOR_MAX as DETRACTOR_MAX_BY_SCALE

Grain = Literal["day", "week"]
GRAINS: tuple[Grain, ...] = ("day", "week")
PROMOTER_MIN = 9  # NPS: 9-10 promote (Reichheld's definition, fixed by the method)
DETRACTOR_MAX = DETRACTOR_MAX_BY_SCALE["nps"]  # NPS: 0-6 detract; 7-8 are passive
SATISFIED_MIN = 4  # CSAT: 4-5 of 1-5 count as satisfied (the usual top-two-box)


@dataclass(frozen=True)
class Response:
    """One survey answer: when, the survey's scale ("nps" | "csat") and the score."""

    created_at: datetime
    scale: str
    score: float
    count: int = 1  # this many alike answers (the database hands them over grouped by day)


@dataclass(frozen=True)
class Review:
    """A review's star rating, where it was left and the app version it names (if any)."""

    created_at: datetime
    rating: float  # 1-5 stars (a mean, when ``count`` reviews are given together)
    source: str
    version: str | None = None
    count: int = 1


@dataclass(frozen=True)
class SocialPost:
    created_at: datetime
    negative: bool
    count: int = 1


@dataclass(frozen=True)
class TicketCount:
    created_at: datetime
    count: int = 1


@dataclass(frozen=True)
class NpsScore:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def respondents(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        """Promoters minus detractors in percent of respondents (points, -100..100)."""
        if not self.respondents:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.respondents


@dataclass(frozen=True)
class CsatScore:
    satisfied: int = 0
    respondents: int = 0
    total: float = 0.0  # sum of the answers

    @property
    def csat(self) -> float | None:
        """Satisfied (4-5) answers in percent."""
        return 100.0 * self.satisfied / self.respondents if self.respondents else None

    @property
    def mean(self) -> float | None:
        return self.total / self.respondents if self.respondents else None


@dataclass(frozen=True)
class RatingScore:
    count: int = 0
    total: float = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass(frozen=True)
class KpiBucket:
    """The KPIs of one day or week (``start``: the day, or the week's Monday)."""

    start: date
    nps: NpsScore = field(default_factory=NpsScore)
    csat: CsatScore = field(default_factory=CsatScore)
    rating: RatingScore = field(default_factory=RatingScore)
    tickets: int = 0
    social: int = 0
    social_negative: int = 0

    @property
    def negative_share(self) -> float | None:
        return self.social_negative / self.social if self.social else None


def _weighted(values: Iterable[float], counts: Iterable[int] | None):
    if counts is None:  # one answer per value
        return zip(values, repeat(1), strict=False)
    return zip(values, counts, strict=True)


def nps_of(scores: Iterable[float], counts: Iterable[int] | None = None) -> NpsScore:
    """``counts``: how many answers each score stands for (one each when None)."""
    promoters = passives = detractors = 0
    for score, n in _weighted(scores, counts):
        if score >= PROMOTER_MIN:
            promoters += n
        elif score <= DETRACTOR_MAX:
            detractors += n
        else:
            passives += n
    return NpsScore(promoters, passives, detractors)


def csat_of(scores: Iterable[float], counts: Iterable[int] | None = None) -> CsatScore:
    satisfied = respondents = 0
    total = 0.0
    for score, n in _weighted(scores, counts):
        satisfied += n if score >= SATISFIED_MIN else 0
        respondents += n
        total += score * n
    return CsatScore(satisfied, respondents, total)


def rating_of(ratings: Iterable[float], counts: Iterable[int] | None = None) -> RatingScore:
    count = total = 0
    for rating, n in _weighted(ratings, counts):
        count += n
        total += rating * n
    return RatingScore(count, total)


def bucket_of(moment: datetime | date, grain: Grain) -> date:
    """The UTC day, or the Monday of its week."""
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    if grain == "week":
        return moment - timedelta(days=moment.weekday())
    if grain != "day":
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    return moment


def buckets(first: date, last: date, grain: Grain) -> list[date]:
    """Every bucket start from ``first``'s bucket to ``last``'s, both included."""
    step = timedelta(days=7 if grain == "week" else 1)
    current, end = bucket_of(first, grain), bucket_of(last, grain)
    result = []
    while current <= end:
        result.append(current)
        current += step
    return result


def kpi_series(
    grain: Grain,
    responses: Sequence[Response] = (),
    reviews: Sequence[Review] = (),
    tickets: Sequence[datetime | TicketCount] = (),
    social: Sequence[SocialPost] = (),
    first: date | None = None,
    last: date | None = None,
) -> list[KpiBucket]:
    """The KPIs of every bucket from ``first`` to ``last`` (default: the data's range)."""
    tickets = [t if isinstance(t, TicketCount) else TicketCount(t) for t in tickets]
    if first is None or last is None:
        moments = [r.created_at for r in responses] + [r.created_at for r in reviews]
        moments += [t.created_at for t in tickets] + [p.created_at for p in social]
        if not moments:
            return []
        days = [bucket_of(m, "day") for m in moments]
        first, last = first or min(days), last or max(days)
    scores: dict[tuple[str, date], list[tuple[float, int]]] = defaultdict(list)
    for response in responses:
        scores[response.scale, bucket_of(response.created_at, grain)].append(
            (response.score, response.count)
        )
    ratings: dict[date, list[tuple[int, int]]] = defaultdict(list)
    for review in reviews:
        ratings[bucket_of(review.created_at, grain)].append((review.rating, review.count))
    ticket_counts: dict[date, int] = defaultdict(int)
    for ticket in tickets:
        ticket_counts[bucket_of(ticket.created_at, grain)] += ticket.count
    posts: dict[date, list[int]] = defaultdict(lambda: [0, 0])  # [posts, negative]
    for post in social:
        counts = posts[bucket_of(post.created_at, grain)]
        counts[0] += post.count
        counts[1] += post.count if post.negative else 0

    def unzipped(pairs):
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return [
        KpiBucket(
            start=start,
            nps=nps_of(*unzipped(scores.get(("nps", start), []))),
            csat=csat_of(*unzipped(scores.get(("csat", start), []))),
            rating=rating_of(*unzipped(ratings.get(start, []))),
            tickets=ticket_counts.get(start, 0),
            social=posts[start][0] if start in posts else 0,
            social_negative=posts[start][1] if start in posts else 0,
        )
        for start in buckets(first, last, grain)
    ]


def ratings_by(reviews: Sequence[Review], key: Callable[[Review], str | None]) -> dict:
    """Average star rating per ``key`` (e.g. ``lambda r: r.source``); reviews whose key is
    None (no version given) are left out."""
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for review in reviews:
        name = key(review)
        if name:
            grouped[name].append((review.rating, review.count))
    return {
        name: rating_of([p[0] for p in pairs], [p[1] for p in pairs])
        for name, pairs in grouped.items()
    }


def version_releases(reviews: Sequence[Review]) -> dict[str, datetime]:
    """When each app version was first seen in a review: its release date, as the reviews
    tell it (the stores do not say when an update reached the customers)."""
    first: dict[str, datetime] = {}
    for review in reviews:
        if review.version and (
            review.version not in first or review.created_at < first[review.version]
        ):
            first[review.version] = review.created_at
    return first


_NUMBER = re.compile(r"(\d+)")


def version_key(version: str) -> tuple:
    """Sorts "5.10" after "5.9" (numbers compared as numbers, text as text)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _NUMBER.split(version)
        if part
    )
