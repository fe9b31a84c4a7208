"""Is a complaint isolated or systemic? Explainable statistics, verdict and evidence.

An *issue* is a group of complaints about the same thing (one topic, or a few
near-identical posts). For each issue we count, ignoring exact/near duplicates
(a post marked ``duplicate_of`` another never adds breadth) and re-shares (a
mention of kind "reshare": a boost, repost or quote of another post):

* **authors**: distinct people (a post without an author counts as its own person),
* **sources**: distinct channels (appstore, reddit, a forum ...),
* **active days**: distinct calendar days (UTC) with at least one post,
* **growth**: posts in the last 7 days against the 7 days before, relative to
  ``now`` (the time of the newest data, so reruns on old data agree),
* **tickets**: support tickets linked to the issue (private corroboration),
* **negative share**: share of posts that are negative (negative text or a 1-2 star rating),
* **reach**: summed audience (upvotes, followers ...), at least 1 per post.

Rule (with the default thresholds in brackets), in this order:

1. Fewer than ``min_authors`` (5) distinct authors: **isolated**, always. One or
   two loud customers are a case for support, not a systemic problem.
2. Enough authors, on at least ``min_sources`` (2) channels, AND either active on
   ``min_active_days`` (3) different days or corroborated by ``min_tickets`` (1)
   support tickets: **systemic**.
3. Otherwise the score decides: **systemic** when score >= ``systemic_score`` (0.5).
   This catches, e.g., many customers who keep complaining on a single channel.

Score (0..1): a weighted sum of five parts, each 0..1. A part is half-full when
its threshold is just met and full at twice the threshold:
authors 30 %, channels 20 %, active days 20 %, tickets 20 %, growth 10 % (full at
+100 % week on week; shrinking or unknown growth gives 0).

Severity (0..1) = negativity x reach x breadth, so all three must be high:
negativity is the negative share; reach is log10(1 + reach) / log10(1 + 100,000)
(capped at 1); breadth is ln(1 + authors) / ln(1 + 100) (capped at 1). Logarithms
make 10x more reach or people count the same at any size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from cxradar.intelligence.text_safety import shorten

WEEK = timedelta(days=7)
SCORE_WEIGHTS = {"authors": 0.3, "sources": 0.2, "persistence": 0.2, "tickets": 0.2, "growth": 0.1}
REACH_SATURATION = 100_000  # an audience this large gives the full reach factor
AUTHOR_SATURATION = 100  # this many people gives the full breadth factor
SAMPLE_COUNT = 3
QUOTE_LENGTH = 160
NEGATIVE_RATING = 2  # 1-2 stars count as negative whatever the words say

Classification = Literal["systemic", "isolated"]


@dataclass(frozen=True)
class IssueMention:
    mention_id: int
    created_at: datetime
    source: str
    author: str | None
    text: str
    sentiment: str  # negative | neutral | positive
    sentiment_score: float
    rating: int | None
    reach: int | None
    lang: str | None
    duplicate_of: int | None
    url: str | None
    kind: str = "post"  # a "reshare" (boost, repost, quote) never adds a customer

    @property
    def is_negative(self) -> bool:
        low_rating = self.rating is not None and self.rating <= NEGATIVE_RATING
        return self.sentiment == "negative" or low_rating


@dataclass(frozen=True)
class LinkedTicket:
    ticket_id: int
    created_at: datetime
    subject: str
    similarity: float


@dataclass(frozen=True)
class SystemicThresholds:
    """When an issue counts as systemic; the defaults suit a mid-sized brand."""

    min_authors: int = 5  # distinct people needed before anything is called systemic
    min_sources: int = 2  # distinct channels for the breadth rule
    min_active_days: int = 3  # distinct days with posts for the persistence rule
    min_tickets: int = 1  # linked support tickets that corroborate it (0: tickets are not used)
    systemic_score: float = 0.5  # score from which an issue with enough authors is systemic


@dataclass(frozen=True)
class IssueStats:
    mentions: int  # without duplicates
    duplicates: int
    authors: int
    sources: int
    source_names: tuple[str, ...]  # most frequent first
    active_days: int
    first_seen: datetime
    last_seen: datetime
    span_days: int  # calendar days from first to last post, both included
    recurrence: float  # active_days / span_days: 1.0 = every day
    last_week: int  # posts in (now - 7 days, now]
    previous_week: int  # posts in (now - 14 days, now - 7 days]
    growth: float | None  # last_week / previous_week - 1; None when the previous week is empty
    negative_share: float
    reach: int
    tickets: int
    languages: tuple[str, ...]  # most frequent first
    samples: tuple[str, ...]  # up to three short quotes from different authors
    now: datetime


@dataclass(frozen=True)
class IssueVerdict:
    classification: Classification
    score: float
    severity: float
    evidence: str
    reasons: list[str] = field(default_factory=list)
    evidence_de: str = ""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ranked(values) -> tuple[str, ...]:
    """Distinct values, most frequent first, ties alphabetical."""
    counts = Counter(values)
    return tuple(sorted(counts, key=lambda value: (-counts[value], value)))


def _pick_samples(mentions: Sequence[IssueMention]) -> tuple[str, ...]:
    """Negative, informative posts from different people, the most seen first."""

    def rank(mention: IssueMention):
        informative = min(len(mention.text.split()), 25)  # very short posts say little
        return (not mention.is_negative, -informative, -(mention.reach or 0), mention.mention_id)

    samples: list[str] = []
    seen_authors: set[str] = set()
    seen_texts: set[str] = set()
    for mention in sorted(mentions, key=rank):
        quote = shorten(mention.text, QUOTE_LENGTH)
        author_key = mention.author or f"#{mention.mention_id}"
        if not quote or author_key in seen_authors or quote.casefold() in seen_texts:
            continue
        samples.append(quote)
        seen_authors.add(author_key)
        seen_texts.add(quote.casefold())
        if len(samples) == SAMPLE_COUNT:
            break
    return tuple(samples)


def compute_issue_stats(
    mentions: Sequence[IssueMention], tickets: Sequence[LinkedTicket], now: datetime
) -> IssueStats:
    """Breadth, persistence, growth and corroboration of one issue (see the module docstring)."""
    # Duplicates and re-shares (boosts, reposts, quotes) are the same complaint seen again.
    originals = [m for m in mentions if m.duplicate_of is None and m.kind != "reshare"]
    counted = originals or list(mentions)  # an issue made only of duplicates still has a time span
    if not counted:
        raise ValueError("an issue needs at least one mention")
    now = _utc(now)
    times = [_utc(m.created_at) for m in counted]
    days = {moment.date() for moment in times}
    first_seen, last_seen = min(times), max(times)
    span_days = (last_seen.date() - first_seen.date()).days + 1
    last_week = sum(1 for t in times if now - WEEK < t <= now)
    previous_week = sum(1 for t in times if now - 2 * WEEK < t <= now - WEEK)
    authors = {m.author or f"#{m.mention_id}" for m in originals}
    return IssueStats(
        mentions=len(originals),
        duplicates=len(mentions) - len(originals),
        authors=len(authors),
        sources=len({m.source for m in originals}),
        source_names=_ranked(m.source for m in originals),
        active_days=len(days),
        first_seen=first_seen,
        last_seen=last_seen,
        span_days=span_days,
        recurrence=len(days) / span_days,
        last_week=last_week,
        previous_week=previous_week,
        growth=(last_week / previous_week - 1.0) if previous_week else None,
        negative_share=(sum(m.is_negative for m in originals) / len(originals)) if originals else 0,
        reach=sum(max(m.reach or 0, 1) for m in originals),
        tickets=len({t.ticket_id for t in tickets}),
        languages=_ranked(m.lang for m in originals if m.lang),
        samples=_pick_samples(originals),
        now=now,
    )


def _part(value: float, threshold: float) -> float:
    """0..1: half when the threshold is just met, full at twice the threshold."""
    if threshold <= 0:
        return 1.0 if value > 0 else 0.0
    return min(1.0, value / (2 * threshold))


def score_parts(stats: IssueStats, thresholds: SystemicThresholds) -> dict[str, float]:
    return {
        "authors": _part(stats.authors, thresholds.min_authors),
        "sources": _part(stats.sources, thresholds.min_sources),
        "persistence": _part(stats.active_days, thresholds.min_active_days),
        "tickets": _part(stats.tickets, max(thresholds.min_tickets, 1)),
        "growth": min(1.0, max(0.0, stats.growth or 0.0)),
    }


def systemic_score(stats: IssueStats, thresholds: SystemicThresholds) -> float:
    parts = score_parts(stats, thresholds)
    return round(sum(SCORE_WEIGHTS[name] * value for name, value in parts.items()), 4)


def issue_severity(stats: IssueStats) -> float:
    reach = min(1.0, math.log10(1 + stats.reach) / math.log10(1 + REACH_SATURATION))
    breadth = min(1.0, math.log1p(stats.authors) / math.log1p(AUTHOR_SATURATION))
    return round(stats.negative_share * reach * breadth, 4)


def classify_issue(
    stats: IssueStats, thresholds: SystemicThresholds | None = None
) -> IssueVerdict:
    """Systemic or isolated, with a score, a severity and a paragraph of evidence."""
    thresholds = thresholds or SystemicThresholds()
    score = systemic_score(stats, thresholds)
    enough_authors = stats.authors >= thresholds.min_authors
    enough_sources = stats.sources >= thresholds.min_sources
    persistent = stats.active_days >= thresholds.min_active_days
    corroborated = thresholds.min_tickets > 0 and stats.tickets >= thresholds.min_tickets
    reasons = _reasons(stats, thresholds, enough_authors, enough_sources, persistent, corroborated)
    if not enough_authors:
        systemic = False
    elif enough_sources and (persistent or corroborated):
        systemic = True
        reasons.append("rule met: enough people on enough channels, lasting or confirmed")
    else:
        systemic = score >= thresholds.systemic_score
        comparison = ">=" if systemic else "<"
        reasons.append(f"score {score:.2f} {comparison} {thresholds.systemic_score:.2f}")
    classification: Classification = "systemic" if systemic else "isolated"
    return IssueVerdict(
        classification=classification,
        score=score,
        severity=issue_severity(stats),
        evidence=write_evidence(stats, classification, "en", thresholds),
        reasons=reasons,
        evidence_de=write_evidence(stats, classification, "de", thresholds),
    )


def _reasons(stats, thresholds, enough_authors, enough_sources, persistent, corroborated):
    def check(ok: bool, text: str) -> str:
        return f"{'ok' if ok else 'below'}: {text}"

    return [
        check(enough_authors, f"authors {stats.authors} (need {thresholds.min_authors})"),
        check(enough_sources, f"channels {stats.sources} (need {thresholds.min_sources})"),
        check(persistent, f"active days {stats.active_days} (need {thresholds.min_active_days})"),
        check(corroborated, f"linked tickets {stats.tickets} (need {thresholds.min_tickets})"),
    ]


# ---------------------------------------------------------------- evidence text

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.",
           "Nov.", "Dez."],
}
_LISTED_SOURCES = 4


def _day(day: date, now: datetime, language: str) -> str:
    month = _MONTHS[language][day.month - 1]
    year = f" {day.year}" if day.year != now.year else ""
    return f"{day.day}. {month}{year}" if language == "de" else f"{day.day} {month}{year}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _source_list(stats: IssueStats) -> str:
    names = list(stats.source_names[:_LISTED_SOURCES])
    if len(stats.source_names) > _LISTED_SOURCES:
        names.append("...")
    return ", ".join(names)


def _trend(stats: IssueStats, language: str) -> str:
    en = language == "en"
    if stats.last_week == 0:
        return "quiet in the last 7 days" if en else "in den letzten 7 Tagen ruhig"
    if stats.growth is None:
        if stats.now - stats.first_seen <= WEEK:
            return "new in the last 7 days" if en else "neu in den letzten 7 Tagen"
        return "back again this week" if en else "diese Woche wieder aufgetaucht"
    percent = round(stats.growth * 100)
    if percent >= 10:
        return f"growing {percent}% week on week" if en else f"+{percent} % zur Vorwoche"
    if percent <= -10:
        return f"down {-percent}% week on week" if en else f"{percent} % zur Vorwoche"
    return "steady week on week" if en else "stabil zur Vorwoche"


def _evidence_en(stats: IssueStats, classification: str) -> str:
    first = _day(stats.first_seen.date(), stats.now, "en")
    who = _plural(stats.authors, "customer", "customers")
    where = _plural(stats.sources, "channel", "channels")
    if stats.active_days > 1 or stats.span_days > 1:
        when = f"over {_plural(stats.span_days, 'day', 'days')} since {first}"
        if stats.active_days < stats.span_days:
            when += f" (on {stats.active_days} of them)"
    else:
        when = f"on {first}"
    text = f"{classification.capitalize()}: {who} on {where} ({_source_list(stats)}) "
    text += f"reported this {when}, {_trend(stats, 'en')}; "
    if stats.tickets:
        confirm = _plural(stats.tickets, "support ticket confirms", "support tickets confirm")
        text += f"{confirm} it."
    else:
        text += "no support ticket matches it."
    return text


def _evidence_de(stats: IssueStats, classification: str) -> str:
    first = _day(stats.first_seen.date(), stats.now, "de")
    label = "Systemisch" if classification == "systemic" else "Einzelfall"
    who = _plural(stats.authors, "Person", "Personen")
    where = "1 Kanal" if stats.sources == 1 else f"{stats.sources} Kanälen"
    if stats.active_days > 1 or stats.span_days > 1:
        when = f"über {_plural(stats.span_days, 'Tag', 'Tage')} seit dem {first}"
        if stats.active_days < stats.span_days:
            when += f" (an {stats.active_days} davon)"
    else:
        when = f"am {first}"
    verb = "hat" if stats.authors == 1 else "haben"
    text = f"{label}: {who} auf {where} ({_source_list(stats)}) {verb} das {when} gemeldet, "
    text += f"{_trend(stats, 'de')}; "
    if stats.tickets:
        text += "1 Support-Ticket bestätigt es." if stats.tickets == 1 else (
            f"{stats.tickets} Support-Tickets bestätigen es."
        )
    else:
        text += "kein Support-Ticket passt dazu."
    return text


def _shortfall(stats: IssueStats, thresholds: SystemicThresholds, language: str) -> str:
    """Why an issue stays isolated, e.g. "Below the systemic bar: 2 customers (needs 5)."."""
    en = language == "en"
    missing = []
    if stats.authors < thresholds.min_authors:
        people = _plural(stats.authors, "customer", "customers") if en else (
            _plural(stats.authors, "Person", "Personen"))
        missing.append(f"{people} ({'needs' if en else 'nötig'} {thresholds.min_authors})")
    if stats.sources < thresholds.min_sources:
        where = _plural(stats.sources, "channel", "channels") if en else (
            "1 Kanal" if stats.sources == 1 else f"{stats.sources} Kanäle")
        missing.append(f"{where} ({'needs' if en else 'nötig'} {thresholds.min_sources})")
    if not missing and stats.active_days < thresholds.min_active_days:
        days = _plural(stats.active_days, "day", "days") if en else (
            _plural(stats.active_days, "Tag", "Tage"))
        shortfall = f"{days} ({'needs' if en else 'nötig'} {thresholds.min_active_days})"
        if stats.tickets == 0:
            shortfall += " and no confirming ticket" if en else " und kein bestätigendes Ticket"
        missing.append(shortfall)
    if not missing:
        return ""
    opening = "Below the systemic bar: " if en else "Unter der Schwelle für systemisch: "
    return " " + opening + ", ".join(missing) + "."


def write_evidence(
    stats: IssueStats,
    classification: str,
    language: str = "en",
    thresholds: SystemicThresholds | None = None,
) -> str:
    """One paragraph a CX lead can paste into a report (``language``: "en" or "de")."""
    if language not in _MONTHS:
        raise ValueError(f"evidence language must be one of {sorted(_MONTHS)}, not {language!r}")
    text = (_evidence_en if language == "en" else _evidence_de)(stats, classification)
    if classification == "isolated":
        text += _shortfall(stats, thresholds or SystemicThresholds(), language)
    if stats.samples:
        opening, closing = ("„", "“") if language == "de" else ("“", "”")
        label = "Typisch" if language == "de" else "Typical"
        quotes = " / ".join(f"{opening}{quote}{closing}" for quote in stats.samples[:2])
        text += f" {label}: {quotes}"
    return text
