"""Negative spikes, the issue trigger, and the alert episode state machine.

Volume spikes, in plain words:

1. Count negative mentions per bucket (hour or day, UTC), zero-filling quiet buckets.
2. For each bucket, the *expected* count is the median of up to ``history`` earlier
   buckets from the same season slot: the same weekday for daily counts
   (``season="dow"``), the same hour of day for hourly counts (``season="hod"``).
   When fewer than ``MIN_SEASON_SAMPLES`` (4) such buckets exist yet, the
   latest ``history`` buckets (at least one full week or day) are used instead;
   with less history than that, nothing is flagged.
3. How surprising the count is, as a z-score: the Poisson tail of the observed
   count around the expected one (counts are Poisson-like), or, when the history
   varies more than that, (observed - expected) / MAD (median absolute deviation,
   x1.4826 so it matches a standard deviation on normal data), whichever is smaller.
4. A bucket is a spike when z >= ``z_threshold`` AND observed >= ``min_count``
   (small numbers never alert).
5. **The open bucket** (the hour or day still running) is judged at every run on
   what has arrived so far, against what usually has arrived by that time: the
   expected count and the MAD are scaled by the elapsed share of the bucket
   (for days the share of a day's negatives that usually arrive by that time of
   day, learnt from the last 28 days; for hours the elapsed minutes). That
   verdict is *provisional*; once the bucket is complete it is judged again,
   and that verdict, which uses only the past, never changes.
6. Consecutive spike buckets form one episode (``Spike``).

The issue trigger: the same rules on another count, an emerging or systemic issue's
*new distinct customers* per day (or hour), with ``min_count`` = the configured
minimum of new customers. Before its first customer an issue had none, so a new
issue alerts on that minimum alone; a chronic one only when it gains far more
customers than it usually does.

Alerting (``update_alert_state``): an episode alerts once ("open"), again only when a
*later* bucket reaches ``escalate_factor`` (1.5) times the level last alerted
("escalate"), and is closed ("resolve") once a complete bucket is back at baseline,
or when the complete bucket does not confirm an early alert. The ``dedupe_key``
(kind, scope, first bucket of the episode) is stable across reruns, so running
the pipeline twice never sends twice. ``AlertBook`` adds one message per episode
across scopes and triggers: an alert that opens while another one about the same
issue is open joins its message instead of sending its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from scipy.special import ndtri, pdtrc

Freq = Literal["hour", "day"]
Season = Literal["dow", "hod"] | None
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
BUCKET = {"hour": HOUR, "day": DAY}
SEASON_LENGTH = {"dow": timedelta(days=7), "hod": DAY}
MIN_SEASON_SAMPLES = 4  # same-slot buckets needed before the seasonal baseline is trusted
MIN_HISTORY = 3  # buckets of any kind needed before anything can be called a spike
MAD_TO_SIGMA = 1.4826
Z_CAP = 99.0  # z-scores are capped here (a count where none was ever seen is "infinitely" new)
PROFILE_DAYS = 28  # days of hourly counts that teach when in the day negatives arrive
# Pseudo-posts spread evenly over the day: with few posts the profile stays near-even.
PROFILE_PRIOR = 24.0
BASELINE_SPAN = timedelta(days=28)  # an issue had no customers this long before its first


# ------------------------------------------------------------------- counting


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def bucket_floor(moment: datetime, freq: Freq) -> datetime:
    moment = _utc(moment)
    if freq == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if freq == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"freq must be 'hour' or 'day', not {freq!r}")


def count_series(
    timestamps: Iterable[datetime], freq: Freq, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """Counts per bucket for every bucket starting in [floor(start), end), zeros included.

    Pass ``end`` = the start of the current bucket to analyse complete buckets only.
    Timestamps are compared in UTC; those outside the range are ignored.
    """
    step = BUCKET.get(freq)
    if step is None:
        raise ValueError(f"freq must be 'hour' or 'day', not {freq!r}")
    first, end = bucket_floor(start, freq), _utc(end)
    size = max(0, -(-(end - first) // step))  # ceiling division: a partial last bucket counts
    counts = [0] * size
    for moment in timestamps:
        moment = _utc(moment)
        index = (moment - first) // step
        if 0 <= index < size and moment < end:
            counts[index] += 1
    return [(first + i * step, count) for i, count in enumerate(counts)]


# ------------------------------------------------------------------- detection


@dataclass(frozen=True)
class BucketScore:
    start: datetime
    observed: int
    expected: float | None  # None while there is too little history to judge
    z: float
    is_spike: bool
    end: datetime | None = None  # None: start + the series' bucket width
    provisional: bool = False  # the open bucket, judged on what has arrived so far


@dataclass(frozen=True)
class Spike:
    window_start: datetime  # first spike bucket
    window_end: datetime  # end of the last spike bucket (in the future while it is open)
    observed: int  # negative mentions in the episode (new customers: the largest window)
    expected: float  # what the baseline expected over the same buckets
    z: float  # highest robust z-score in the episode
    scope: str = "all"
    peak: int = 0  # the largest single-bucket count, used for escalation
    buckets: int = 1
    # (start, end, count) of each bucket of the episode: escalation compares later buckets
    bucket_counts: tuple[tuple[datetime, datetime, int], ...] = field(default=(), compare=False)


def _bucket_width(series: Sequence[tuple[datetime, int]]) -> timedelta:
    if len(series) < 2:
        return DAY
    return series[1][0] - series[0][0]


def _season_period(season: Season, width: timedelta) -> int:
    if season is None:
        return 1
    if season not in SEASON_LENGTH:
        raise ValueError(f"season must be 'dow', 'hod' or None, not {season!r}")
    return max(1, SEASON_LENGTH[season] // width)


def _baseline(counts: np.ndarray, index: int, period: int, history: int) -> np.ndarray | None:
    """Past counts to compare bucket ``index`` with: same season slot, else the latest ones.

    The fallback needs one full season cycle (a week of days, a day of hours), so
    a busy Monday is never judged against a quiet weekend alone.
    """
    same_slot = counts[index - period :: -period][:history] if index >= period else counts[:0]
    if period > 1 and len(same_slot) >= MIN_SEASON_SAMPLES:
        return same_slot
    recent = counts[max(0, index - max(history, period)) : index]
    return recent if len(recent) >= max(MIN_HISTORY, period) else None


def _median(values: np.ndarray) -> float:
    """np.median without its overhead (a run judges thousands of short arrays)."""
    ordered = np.sort(values)
    size = len(ordered)
    return float(ordered[(size - 1) // 2] + ordered[size // 2]) / 2


def poisson_z(observed: int, expected: float) -> float:
    """How surprising ``observed`` is for a Poisson count around ``expected``, as a z-score.

    The upper tail P(X >= observed) turned into the normal quantile with the same
    tail (z 4 = 1 in 31,600). Small counts have far heavier tails than a normal
    curve: 13 posts where 4 are usual is z 3.5, not (13 - 4) / 2 = 4.5.
    """
    if observed <= 0:
        return -Z_CAP
    tail = float(pdtrc(observed - 1, max(expected, 0.0)))
    return min(max(-float(ndtri(tail)), -Z_CAP), Z_CAP) if tail > 0 else Z_CAP


def _centre_and_spread(past: np.ndarray) -> tuple[float, float]:
    """Median and MAD (as a standard deviation) of the past buckets."""
    middle = _median(past)
    return middle, _median(np.abs(past - middle)) * MAD_TO_SIGMA


def _judge(
    observed: int,
    past: np.ndarray | tuple[float, float],
    share: float,
    min_count: int,
    z_threshold: float,
) -> tuple[float, float, bool]:
    """Expected count, robust z and verdict of a bucket ``share`` (0..1] of the way through.

    ``past``: the past buckets, or their ``_centre_and_spread`` already taken.
    """
    middle, mad = past if isinstance(past, tuple) else _centre_and_spread(past)
    expected = middle * share
    z = poisson_z(observed, expected)
    if mad > 0:  # a history that varies more than chance alone allows widens the spread
        z = min(z, (observed - expected) / (mad * share))
    return expected, z, z >= z_threshold and observed >= min_count


def score_buckets(
    series: Sequence[tuple[datetime, int]],
    *,
    season: Season,
    min_count: int,
    z_threshold: float,
    history: int,
) -> list[BucketScore]:
    """Expected count and robust z-score of every bucket, from earlier buckets only."""
    counts = np.array([count for _, count in series], dtype=float)
    period = _season_period(season, _bucket_width(series))
    scores = []
    for index, (start, observed) in enumerate(series):
        past = _baseline(counts, index, period, history)
        if past is None:  # too little history to judge
            scores.append(BucketScore(start, observed, None, 0.0, False))
            continue
        expected, z, spike = _judge(observed, past, 1.0, min_count, z_threshold)
        scores.append(BucketScore(start, observed, expected, round(float(z), 3), spike))
    return scores


def detect_spikes(
    series: Sequence[tuple[datetime, int]],
    *,
    season: Season = "dow",
    min_count: int = 8,
    z_threshold: float = 4.0,
    history: int = 12,
    scope: str = "all",
) -> list[Spike]:
    """Spike episodes in a zero-filled count series (see the module docstring)."""
    scores = score_buckets(
        series, season=season, min_count=min_count, z_threshold=z_threshold, history=history
    )
    return spikes_from_scores(scores, _bucket_width(series), scope)


def spikes_from_scores(
    scores: Sequence[BucketScore], width: timedelta, scope: str = "all"
) -> list[Spike]:
    """Group consecutive spike buckets into episodes.

    A bucket's score depends only on earlier buckets, so the episodes seen at any
    moment are those of ``scores[:n]``: replaying history needs one scoring pass.
    """
    episodes: list[list[BucketScore]] = []
    previous_was_spike = False
    for bucket in scores:
        if bucket.is_spike:
            if previous_was_spike:
                episodes[-1].append(bucket)
            else:
                episodes.append([bucket])
        previous_was_spike = bucket.is_spike
    return [_episode(members, width, scope) for members in episodes]


def _episode(members: list[BucketScore], width: timedelta, scope: str) -> Spike:
    ends = [b.end or b.start + width for b in members]
    return Spike(
        window_start=members[0].start,
        window_end=ends[-1],
        observed=sum(b.observed for b in members),
        expected=round(sum(b.expected for b in members), 3),
        z=max(b.z for b in members),
        scope=scope,
        peak=max(b.observed for b in members),
        buckets=len(members),
        bucket_counts=tuple(
            (b.start, end, b.observed) for b, end in zip(members, ends, strict=True)
        ),
    )


# ------------------------------------------------------------------- judging at any moment


def hour_of_day_weights(days_by_hour: np.ndarray, prior: float = PROFILE_PRIOR) -> np.ndarray:
    """The share of a day's posts that arrive in each hour (UTC), from per-day hourly counts.

    Days whose total would itself be a spike are left out (an outage's burst must not
    bend the profile for weeks); the rest is smoothed towards an even spread with
    ``prior`` posts, so a quiet scope's profile stays near-even.
    """
    days_by_hour = np.asarray(days_by_hour, dtype=float).reshape(-1, 24)
    counts = np.zeros(24)
    if len(days_by_hour):
        totals = days_by_hour.sum(axis=1)
        middle = _median(totals)
        spread = max(_median(np.abs(totals - middle)) * MAD_TO_SIGMA, math.sqrt(middle), 1.0)
        counts = days_by_hour[totals <= middle + 4 * spread].sum(axis=0)
    return (counts + prior / 24) / (counts.sum() + prior)


def elapsed_share(now: datetime, freq: Freq, weights: np.ndarray | None = None) -> float:
    """How much of an hour's or a day's usual volume has arrived by ``now``."""
    now = _utc(now)
    minutes = now.minute + now.second / 60
    if freq == "hour":
        return max(minutes / 60, 1 / 60)
    weights = np.full(24, 1 / 24) if weights is None else weights
    share = float(weights[: now.hour].sum() + weights[now.hour] * minutes / 60)
    return min(max(share, 1 / 1440), 1.0)


@dataclass(frozen=True)
class Detector:
    """How one scope's counts are judged."""

    freq: Freq  # bucket size
    season: Season
    history: int
    min_count: int
    z_threshold: float


class CountWatch:
    """A scope's counts per hour, judged in hourly or daily buckets at any moment.

    Complete buckets are scored once (lazily, in order), the open one at every call.
    ``hourly`` counts posts (or an issue's new customers) per hour from ``origin`` (a
    bucket start) on; ``partial(now)`` gives those of the hour holding ``now`` that
    arrived before ``now``. By default it is the stored count of that hour, which is
    right when the counts were taken at ``now`` (nothing later had arrived) and at whole
    hours (nothing has arrived yet).
    """

    def __init__(
        self,
        kind: str,
        scope: str,
        detector: Detector,
        origin: datetime,
        hourly: Sequence[int] | np.ndarray,
        partial: Callable[[datetime], int] | None = None,
    ):
        self.kind, self.scope, self.detector = kind, scope, detector
        self.width = BUCKET[detector.freq]
        self.origin = bucket_floor(origin, detector.freq)
        self.per_bucket = self.width // HOUR
        self.hourly = np.asarray(hourly, dtype=np.int64)
        padding = (-len(self.hourly)) % self.per_bucket
        full = np.concatenate([self.hourly, np.zeros(padding, dtype=np.int64)])
        self.counts = full.reshape(-1, self.per_bucket).sum(axis=1).astype(float)
        self.period = _season_period(detector.season, self.width)
        self._partial = partial
        self._weights: dict[int, np.ndarray] = {}
        self._scores: dict[int, BucketScore] = {}
        self._open_stats: dict[int, tuple[float, float] | None] = {}

    @classmethod
    def from_counts(
        cls,
        kind: str,
        scope: str,
        detector: Detector,
        counts: Mapping[datetime, int],
        until: datetime,
        first: datetime | None = None,
        partial=None,
    ) -> CountWatch | None:
        """From posts per hour (UTC hour start -> count), zero-filled from ``first`` (default:
        the first count) up to ``until``; None when there is nothing to judge."""
        starts = [*counts, *([first] if first is not None else [])]
        if not starts:
            return None
        origin = bucket_floor(min(starts), detector.freq)
        hours = max(0, (bucket_floor(until, "hour") - origin) // HOUR + 1)
        hourly = np.zeros(hours, dtype=np.int64)
        for hour, count in counts.items():
            index = (_utc(hour) - origin) // HOUR
            if 0 <= index < hours:
                hourly[index] += count
        return cls(kind, scope, detector, origin, hourly, partial)

    def score(self, index: int) -> BucketScore:
        if index not in self._scores:
            self._scores[index] = self._score(index)
        return self._scores[index]

    def complete_buckets(self, now: datetime) -> int:
        return max(0, (_utc(now) - self.origin) // self.width)

    def judged_until(self, now: datetime) -> datetime:
        """The end of the last bucket complete at ``now``."""
        return self.origin + self.complete_buckets(now) * self.width

    def moments(self, after: datetime | None, now: datetime) -> list[datetime]:
        """When to judge to catch up from ``after``: each whole hour since, then ``now``.

        At a whole hour every count before it is complete, so a day still running is
        judged as an hourly run would have judged it then: a run after a gap (or the
        first run over history) opens and resolves alerts as the live runs would have.
        """
        now = _utc(now)
        first = self.origin + HOUR
        if after is not None:
            first = max(first, bucket_floor(_utc(after), "hour") + HOUR)
        hours = max(0, (bucket_floor(now, "hour") - first) // HOUR + 1)
        moments = [first + i * HOUR for i in range(hours)]
        return moments if moments and moments[-1] == now else [*moments, now]

    def spikes_at(self, now: datetime, since: datetime | None = None) -> tuple[list, datetime]:
        """Episodes seen at ``now`` (those from ``since`` on, else only the latest) and the
        end of the last complete bucket."""
        now = _utc(now)
        complete = self.complete_buckets(now)
        judged_until = self.origin + complete * self.width
        first = complete - 1
        if since is not None:
            first = min(first, max(0, (_utc(since) - self.origin) // self.width))
        while first > 0 and self.score(first - 1).is_spike:  # back to the episode's start
            first -= 1
        scores = [self.score(i) for i in range(max(first, 0), complete)]
        opened = self._open(now, complete) if now > judged_until else None
        if opened is not None:
            scores.append(opened)
        spikes = spikes_from_scores(scores, self.width, self.scope)
        return spikes, judged_until

    def _bucket_count(self, index: int) -> int:
        return int(self.counts[index]) if index < len(self.counts) else 0

    def _baseline_of(self, index: int) -> np.ndarray | None:
        counts = self.counts[:index]
        if len(counts) < index:  # asked beyond the counts: nothing was posted since
            counts = np.concatenate([counts, np.zeros(index - len(counts))])
        return _baseline(counts, index, self.period, self.detector.history)

    def _score(self, index: int) -> BucketScore:
        start = self.origin + index * self.width
        observed = self._bucket_count(index)
        d = self.detector
        past = self._baseline_of(index)
        if past is None:
            return BucketScore(start, observed, None, 0.0, False)
        expected, z, spike = _judge(observed, past, 1.0, d.min_count, d.z_threshold)
        return BucketScore(start, observed, expected, round(float(z), 3), spike)

    def _hours(self, start: int, stop: int) -> int:
        return int(self.hourly[max(start, 0) : max(stop, 0)].sum())

    def _open(self, now: datetime, complete: int) -> BucketScore | None:
        start = self.origin + complete * self.width
        hour = (bucket_floor(now, "hour") - self.origin) // HOUR
        if self._partial is not None:
            partial = self._partial(now)
        else:  # the stored count of the current hour: counted when ``now`` was the clock
            partial = self._hours(hour, hour + 1) if now > bucket_floor(now, "hour") else 0
        observed = self._hours(complete * self.per_bucket, hour) + partial
        d = self.detector
        if complete not in self._open_stats:  # the same for every run while it is open
            past = self._baseline_of(complete)
            self._open_stats[complete] = None if past is None else _centre_and_spread(past)
        stats = self._open_stats[complete]
        if stats is None:
            return None
        share = elapsed_share(now, d.freq, self._day_weights(complete) if d.freq == "day" else None)
        expected, z, spike = _judge(observed, stats, share, d.min_count, d.z_threshold)
        return BucketScore(
            start,
            observed,
            expected,
            round(float(z), 3),
            spike,
            start + self.width,
            provisional=True,
        )

    def _day_weights(self, day: int) -> np.ndarray:
        """When in the day this scope's negatives arrive, from the 28 days before ``day``."""
        if day not in self._weights:
            first = max(0, day - PROFILE_DAYS) * 24
            hours = self.hourly[first : day * 24]
            hours = np.concatenate([hours, np.zeros((-len(hours)) % 24, dtype=np.int64)])
            self._weights[day] = hour_of_day_weights(hours.reshape(-1, 24))
        return self._weights[day]


# ------------------------------------------------------------------- alert state


def dedupe_key(kind: str, scope: str, window_start: datetime) -> str:
    return f"{kind}|{scope}|{_utc(window_start).isoformat()}"


@dataclass(frozen=True)
class OpenAlert:
    """An alert already sent and not resolved, as stored by the caller."""

    dedupe_key: str
    kind: str
    scope: str
    window_start: datetime
    window_end: datetime
    alerted_peak: int  # the bucket count in the last message sent
    alerted_until: datetime | None = None  # end of that bucket: later buckets may escalate


@dataclass(frozen=True)
class AlertAction:
    action: Literal["open", "escalate", "update", "resolve"]
    dedupe_key: str
    kind: str
    scope: str
    spike: Spike | None  # None when resolving an episode that is no longer detected
    notify: bool  # send a chat message (open, escalate, resolve) or only update the record
    reason: str = field(default="", compare=False)
    # The level to remember as alerted, and the end of its bucket (None: unchanged)
    alerted_peak: int | None = field(default=None, compare=False)
    alerted_until: datetime | None = field(default=None, compare=False)


def _episode_of(alert: OpenAlert, spikes: Sequence[Spike]) -> Spike | None:
    """The current episode an open alert belongs to: same key, else overlapping in time."""
    same_scope = [s for s in spikes if s.scope == alert.scope]
    for spike in same_scope:
        if dedupe_key(alert.kind, spike.scope, spike.window_start) == alert.dedupe_key:
            return spike
    for spike in same_scope:
        if spike.window_start <= alert.window_end and spike.window_end >= alert.window_start:
            return spike
    return None


def _peak_bucket(buckets) -> tuple[int, datetime | None]:
    if not buckets:
        return 0, None
    start, end, count = max(buckets, key=lambda b: (b[2], b[0]))
    return count, end


def _follow(alert: OpenAlert, spike: Spike, escalate_factor: float) -> AlertAction:
    """Escalate when a bucket after the one last alerted is much larger; else track it."""
    buckets = spike.bucket_counts or ((spike.window_start, spike.window_end, spike.peak),)
    if alert.alerted_until is None:  # stored before buckets were tracked: compare the peak
        later, same = list(buckets), []
    else:
        later = [b for b in buckets if b[0] >= alert.alerted_until]
        same = [b for b in buckets if b[1] == alert.alerted_until]
    peak, until = _peak_bucket(later)
    args = (alert.dedupe_key, alert.kind, alert.scope, spike)
    if later and peak >= escalate_factor * max(alert.alerted_peak, 1):
        reason = f"peak {peak} >= {escalate_factor} x {alert.alerted_peak}"
        return AlertAction("escalate", *args, True, reason, peak, until)
    grown = _peak_bucket(same)[0]  # the alerted bucket kept filling after the message
    if grown > alert.alerted_peak:
        return AlertAction("update", *args, False, "still open", grown, alert.alerted_until)
    return AlertAction("update", *args, False, "still open")


def update_alert_state(
    open_alerts: Sequence[OpenAlert],
    spikes: Sequence[Spike],
    now: datetime,
    *,
    kind: str = "negative_spike",
    escalate_factor: float = 1.5,
    closed_keys: Collection[str] = (),
) -> list[AlertAction]:
    """What to do with each alert, given the episodes detected up to ``now``.

    ``now`` is the end of the last complete bucket: an episode reaching it (or
    a provisional one beyond it) is ongoing, an earlier one is over. Episodes
    that ended before ``now`` never open an alert (no alert storm when history
    is first loaded), nor do those whose key is in ``closed_keys`` (alerts
    already resolved). An early alert whose bucket is still open stays open even
    when the bucket no longer looks like a spike; it resolves when the complete
    bucket does not confirm it.
    """
    now = _utc(now)
    actions: list[AlertAction] = []
    claimed: set[int] = set()
    for alert in open_alerts:
        spike = _episode_of(alert, spikes)
        if spike is not None:
            claimed.add(id(spike))
        args = (alert.dedupe_key, alert.kind, alert.scope, spike)
        if spike is None and alert.window_end > now:
            actions.append(AlertAction("update", *args, False, "bucket still open"))
        elif spike is None or spike.window_end < now:
            actions.append(AlertAction("resolve", *args, True, "back to baseline"))
        else:
            actions.append(_follow(alert, spike, escalate_factor))
    for spike in spikes:
        key = dedupe_key(kind, spike.scope, spike.window_start)
        if id(spike) in claimed or key in closed_keys or spike.window_end < now:
            continue
        peak, until = _peak_bucket(spike.bucket_counts)
        actions.append(
            AlertAction(
                "open",
                key,
                kind,
                spike.scope,
                spike,
                True,
                "new spike",
                peak or spike.peak,
                until or spike.window_end,
            )
        )
    return actions


# ------------------------------------------------------------------- one message per episode


@dataclass
class AlertState:
    """An alert as the book keeps it (the pipeline stores one row per alert)."""

    key: str
    kind: str
    scope: str
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    z: float
    status: str = "open"  # open | escalated | resolved
    alerted_peak: int = 0
    alerted_until: datetime | None = None
    issue_id: int | None = None  # the issue the alert is about (None: unknown)
    covered_by: str | None = None  # the alert whose message also tells this one's news
    created_at: datetime | None = None  # when it opened: the run that found it


@dataclass(frozen=True)
class Transition:
    """One change of an alert, and the chat message it causes (if any)."""

    action: str  # open | escalate | update | resolve
    key: str
    at: datetime
    message: str | None = None  # open | escalate | resolve, sent on ``carrier``
    carrier: str | None = None  # the alert that sends the episode's messages


IssueOf = Callable[[str, str, Spike], int | None]  # (kind, scope, spike) -> issue id


class AlertBook:
    """The alerts of all scopes and triggers, stepped through time in one order.

    An alert that opens while another alert about the same issue is open is
    *covered* by it: no message of its own, and the episode's resolve message
    goes out once the last of them has resolved. So a channel gets one message
    per episode, however many scopes or triggers see it.
    """

    def __init__(self, alerts: Iterable[AlertState] = (), escalate_factor: float = 1.5):
        self.alerts: dict[str, AlertState] = {a.key: a for a in alerts}
        self.escalate_factor = escalate_factor

    def open_in(self, kind: str, scope: str) -> list[AlertState]:
        return [
            a
            for a in self.alerts.values()
            if a.kind == kind and a.scope == scope and a.status != "resolved"
        ]

    def step(self, watch: CountWatch, now: datetime, issue_of: IssueOf) -> list[Transition]:
        """Judge one watch at ``now`` and apply what follows to the alerts."""
        now = _utc(now)
        current = self.open_in(watch.kind, watch.scope)
        since = min((a.window_start for a in current), default=None)
        spikes, judged_until = watch.spikes_at(now, since)
        closed = {
            a.key
            for a in self.alerts.values()
            if a.kind == watch.kind and a.scope == watch.scope and a.status == "resolved"
        }
        actions = update_alert_state(
            [_as_open(a) for a in current],
            spikes,
            judged_until,
            kind=watch.kind,
            escalate_factor=self.escalate_factor,
            closed_keys=closed,
        )
        return [self._apply(action, now, issue_of) for action in actions]

    def _apply(self, action: AlertAction, now: datetime, issue_of: IssueOf) -> Transition:
        spike = action.spike
        state = self.alerts.get(action.dedupe_key)
        if state is None:  # "open": only opens create alerts
            state = AlertState(
                action.dedupe_key,
                action.kind,
                action.scope,
                spike.window_start,
                spike.window_end,
                spike.observed,
                spike.expected,
                spike.z,
                created_at=now,
            )
            state.issue_id = issue_of(action.kind, action.scope, spike)
            carrier = self.carrier_for(state.issue_id)
            state.covered_by = carrier.key if carrier else None
            self.alerts[state.key] = state
        elif spike is not None:
            state.window_start, state.window_end = spike.window_start, spike.window_end
            state.observed, state.expected, state.z = spike.observed, spike.expected, spike.z
        if action.alerted_peak is not None:
            state.alerted_peak, state.alerted_until = action.alerted_peak, action.alerted_until
        status = {"open": "open", "escalate": "escalated", "resolve": "resolved"}
        state.status = status.get(action.action, state.status)
        return self._message(action.action, state, now)

    def _message(self, action: str, state: AlertState, now: datetime) -> Transition:
        if action in ("open", "escalate") and state.covered_by is None:
            return Transition(action, state.key, now, action, state.key)
        if action == "resolve":
            carrier = self.alerts.get(state.covered_by or state.key, state)
            if not self.group_open(carrier):
                return Transition(action, state.key, now, "resolve", carrier.key)
        return Transition(action, state.key, now)

    def members(self, carrier: AlertState) -> list[AlertState]:
        return [carrier, *(a for a in self.alerts.values() if a.covered_by == carrier.key)]

    def group_open(self, carrier: AlertState) -> bool:
        return any(a.status != "resolved" for a in self.members(carrier))

    def carrier_for(self, issue_id: int | None) -> AlertState | None:
        """The open episode about this issue whose message a new alert joins."""
        for alert in self.alerts.values():
            if alert.covered_by is None and alert.issue_id == issue_id and self.group_open(alert):
                return alert
        return None


def _as_open(alert: AlertState) -> OpenAlert:
    return OpenAlert(
        alert.key,
        alert.kind,
        alert.scope,
        alert.window_start,
        alert.window_end,
        alert.alerted_peak,
        alert.alerted_until,
    )


def step_all(
    book: AlertBook, events: Iterable[tuple[datetime, CountWatch]], issue_of: IssueOf
) -> list[Transition]:
    """Step each watch at its moment, in time order (a stable sort keeps the given order
    of watches judged at the same moment: it decides which alert carries a message)."""
    transitions = []
    for moment, watch in sorted(events, key=lambda event: _utc(event[0])):
        transitions += book.step(watch, moment, issue_of)
    return transitions


# ------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class SyntheticSeries:
    series: list[tuple[datetime, int]]
    injected: list[tuple[int, int]]  # (first bucket index, bucket count) of each injected spike
    warmup: int  # leading buckets left out of the evaluation (baseline still forming)


def simulate_series(
    *,
    freq: Freq = "day",
    buckets: int = 730,
    base_rate: float = 6.0,
    spikes: int = 20,
    spike_multiplier: float = 4.0,
    max_spike_buckets: int = 3,
    warmup: int = 56,
    seed: int = 7,
) -> SyntheticSeries:
    """Poisson counts with a weekly (daily data) or daily (hourly data) rhythm, plus spikes.

    Weekdays run at ``base_rate`` and weekends at half of it; for hourly data the
    night hours run at a quarter of it. Each injected spike multiplies the rate
    of 1..``max_spike_buckets`` consecutive buckets by ``spike_multiplier``;
    spikes are at least three weeks apart so each one is judged on its own.
    """
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
    step = BUCKET[freq]
    times = [start + i * step for i in range(buckets)]
    if freq == "day":
        rates = np.array([base_rate * (0.5 if t.weekday() >= 5 else 1.0) for t in times])
    else:
        rates = np.array([base_rate * (0.25 if t.hour < 7 else 1.0) for t in times])
    gap = (buckets - warmup) // max(spikes, 1)
    injected = []
    for number in range(spikes):
        first = warmup + number * gap + int(rng.integers(0, max(1, gap - max_spike_buckets)))
        length = int(rng.integers(1, max_spike_buckets + 1))
        rates[first : first + length] *= spike_multiplier
        injected.append((first, length))
    counts = rng.poisson(rates)
    return SyntheticSeries(
        [(t, int(c)) for t, c in zip(times, counts, strict=True)], injected, warmup
    )


@dataclass(frozen=True)
class DetectorReport:
    recall: float  # share of injected spikes flagged in at least one of their buckets
    false_alerts_per_30_quiet_buckets: float  # episodes touching no injected spike, per 30
    mean_delay_buckets: float  # buckets from a spike's start to its first flagged bucket
    injected: int
    detected: int
    false_alerts: int
    quiet_buckets: int


def evaluate_detector(
    synthetic: SyntheticSeries,
    *,
    season: Season = "dow",
    min_count: int = 8,
    z_threshold: float = 4.0,
    history: int = 12,
) -> DetectorReport:
    """Recall, false alerts and detection delay of ``detect_spikes`` on a synthetic series.

    For daily data "per 30 quiet buckets" is per 30 quiet days. Complete buckets
    only; ``benchmarks/time_to_alert.py`` measures the alerting as it runs, hourly.
    """
    scores = score_buckets(
        synthetic.series,
        season=season,
        min_count=min_count,
        z_threshold=z_threshold,
        history=history,
    )
    flagged = {i for i, bucket in enumerate(scores) if bucket.is_spike and i >= synthetic.warmup}
    in_spike: set[int] = set()
    delays = []
    for first, length in synthetic.injected:
        members = range(first, first + length)
        in_spike.update(members)
        hits = [i for i in members if i in flagged]
        if hits:
            delays.append(hits[0] - first)
    episodes = detect_spikes(
        synthetic.series,
        season=season,
        min_count=min_count,
        z_threshold=z_threshold,
        history=history,
    )
    starts = [bucket.start for bucket in scores]
    false_alerts = 0
    for episode in episodes:
        first = starts.index(episode.window_start)
        members = set(range(first, first + episode.buckets))
        if first >= synthetic.warmup and not members & in_spike:
            false_alerts += 1
    quiet = len(synthetic.series) - synthetic.warmup - len(in_spike)
    return DetectorReport(
        recall=len(delays) / max(len(synthetic.injected), 1),
        false_alerts_per_30_quiet_buckets=30 * false_alerts / max(quiet, 1),
        mean_delay_buckets=float(np.mean(delays)) if delays else float("nan"),
        injected=len(synthetic.injected),
        detected=len(delays),
        false_alerts=false_alerts,
        quiet_buckets=quiet,
    )
