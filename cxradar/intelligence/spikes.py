"""Negative-spike detection and the alert episode state machine.

Method, in plain words:

1. Count negative mentions per bucket (hour or day, UTC), zero-filling quiet buckets.
2. For each bucket, the *expected* count is the median of up to ``history`` earlier
   buckets from the same season slot: the same weekday for daily counts
   (``season="dow"``), the same hour of day for hourly counts (``season="hod"``).
   When fewer than ``MIN_SEASON_SAMPLES`` (4) such buckets exist yet, the
   latest ``history`` buckets (at least one full week or day) are used instead;
   with less history than that, nothing is flagged. Only the past is used, so a
   bucket's verdict never changes when later data arrives.
3. The spread is the MAD (median absolute deviation, x1.4826 so it matches a
   standard deviation on normal data), but never less than sqrt(expected) and
   never less than 1: counts are Poisson-like, and a flat history must not make
   one extra post look infinitely surprising.
4. The robust z-score is (observed - expected) / spread. A bucket is a spike when
   z >= ``z_threshold`` AND observed >= ``min_count`` (small numbers never alert).
5. Consecutive spike buckets form one episode (``Spike``).

Alerting (``update_alert_state``): an ongoing episode alerts once ("open"), alerts
again only when its peak bucket reaches ``escalate_factor`` (1.5) times the level
last alerted ("escalate"), and is closed ("resolve") once its buckets are back to
baseline. The ``dedupe_key`` (kind, scope, first bucket of the episode) is stable
across reruns, so running the pipeline twice never sends twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

Freq = Literal["hour", "day"]
Season = Literal["dow", "hod"] | None
BUCKET = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
SEASON_LENGTH = {"dow": timedelta(days=7), "hod": timedelta(days=1)}
MIN_SEASON_SAMPLES = 4  # same-slot buckets needed before the seasonal baseline is trusted
MIN_HISTORY = 3  # buckets of any kind needed before anything can be called a spike
MAD_TO_SIGMA = 1.4826


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


@dataclass(frozen=True)
class Spike:
    window_start: datetime  # first spike bucket
    window_end: datetime  # end of the last spike bucket
    observed: int  # negative mentions in the episode
    expected: float  # what the baseline expected over the same buckets
    severity: float  # highest robust z-score in the episode
    scope: str = "all"
    peak: int = 0  # the largest single-bucket count, used for escalation
    buckets: int = 1


def _bucket_width(series: Sequence[tuple[datetime, int]]) -> timedelta:
    if len(series) < 2:
        return timedelta(days=1)
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
        expected = float(np.median(past))
        mad = float(np.median(np.abs(past - expected))) * MAD_TO_SIGMA
        spread = max(mad, np.sqrt(expected), 1.0)
        z = (observed - expected) / spread
        spike = z >= z_threshold and observed >= min_count
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
    return [
        Spike(
            window_start=members[0].start,
            window_end=members[-1].start + width,
            observed=sum(b.observed for b in members),
            expected=round(sum(b.expected for b in members), 3),
            severity=max(b.z for b in members),
            scope=scope,
            peak=max(b.observed for b in members),
            buckets=len(members),
        )
        for members in episodes
    ]


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
    alerted_peak: int  # the peak bucket count in the last message sent


@dataclass(frozen=True)
class AlertAction:
    action: Literal["open", "escalate", "update", "resolve"]
    dedupe_key: str
    kind: str
    scope: str
    spike: Spike | None  # None when resolving an episode that is no longer detected
    notify: bool  # send a chat message (open, escalate, resolve) or only update the record
    reason: str = field(default="", compare=False)


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

    ``now`` is the end of the last bucket analysed (the ``end`` given to
    ``count_series``): an episode reaching it is ongoing, an earlier one is over.
    Episodes that ended before ``now`` never open an alert (no alert storm when
    history is first loaded), nor do those whose key is in ``closed_keys``
    (alerts already resolved).
    """
    now = _utc(now)
    actions: list[AlertAction] = []
    claimed: set[int] = set()
    for alert in open_alerts:
        spike = _episode_of(alert, spikes)
        if spike is not None:
            claimed.add(id(spike))
        if spike is None or spike.window_end < now:
            actions.append(
                AlertAction("resolve", alert.dedupe_key, alert.kind, alert.scope, spike, True,
                            "back to baseline")
            )
        elif spike.peak >= escalate_factor * max(alert.alerted_peak, 1):
            actions.append(
                AlertAction("escalate", alert.dedupe_key, alert.kind, alert.scope, spike, True,
                            f"peak {spike.peak} >= {escalate_factor} x {alert.alerted_peak}")
            )
        else:
            actions.append(
                AlertAction("update", alert.dedupe_key, alert.kind, alert.scope, spike, False,
                            "still open")
            )
    for spike in spikes:
        key = dedupe_key(kind, spike.scope, spike.window_start)
        if id(spike) in claimed or key in closed_keys or spike.window_end < now:
            continue
        actions.append(AlertAction("open", key, kind, spike.scope, spike, True, "new spike"))
    return actions


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
    return SyntheticSeries([(t, int(c)) for t, c in zip(times, counts, strict=True)], injected,
                           warmup)


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

    For daily data "per 30 quiet buckets" is per 30 quiet days.
    """
    scores = score_buckets(
        synthetic.series, season=season, min_count=min_count, z_threshold=z_threshold,
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
        synthetic.series, season=season, min_count=min_count, z_threshold=z_threshold,
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
