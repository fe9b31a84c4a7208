"""Time to alert: recall, false alerts and delay of cxradar's alerting as it runs every hour.

    python -m benchmarks.time_to_alert [--seeds 4] [--outages 12] [--json FILE]

Synthetic brands with 1, 10, 100 and 1,000 negative posts a day (Poisson; weekends at half
the weekday rate, the night hours 00-07 UTC at a quarter of the day rate). After eight weeks
of history, outages are injected two weeks apart, each at a random minute of the first week
of its slot, lasting ``--hours`` (24): a **step** multiplies the rate by 3, 5, 10 or 20 at
once; a **ramp** grows linearly to that multiple over the first 12 hours and holds it. An
outage's posts come from distinct customers and form one new issue; the everyday posts
spread over three chronic, systemic issues (half, 30 % and 20 % of them), each post from a
new customer (the hardest case for the issue trigger).

The alerting runs as the scheduled pipeline does, at minute 5 of every hour, with the
production code and default thresholds: the daily volume watch (brand scope, weekday
seasonality), the hourly one (hour-of-day seasonality), both judging the open bucket, and
the issue trigger on the outage issue and the chronic ones, deduplicated by issue in one
``AlertBook`` (one message per episode).

Measured per volume, shape and multiple:

- **recall**: share of outages whose first message went out before the outage ended;
- **false alerts per 30 quiet days**: messages opened outside every outage (from its start
  to two days after its end), per 30 days of such quiet time;
- **delay**: minutes from the outage's first minute to the run that sent its first message
  (median and 90th percentile over the detected outages);
- **messages per outage**: opens and escalations a detected outage sent (1 = one message).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from cxradar.intelligence.spikes import (
    AlertBook,
    CountWatch,
    Detector,
    step_all,
)

LEVELS = (1, 10, 100, 1000)  # negative posts a day
MULTIPLES = (3, 5, 10, 20)
SHAPES = ("step", "ramp")
RAMP_HOURS = 12
WARMUP_DAYS = 56
SLOT_DAYS = 14
AFTERMATH = timedelta(days=2)  # after an outage, messages about it are not false alerts
START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
RUN_MINUTE = 5  # the hourly schedule's minute (cxradar.schedules)
CHRONIC_SHARES = (0.5, 0.3, 0.2)
# The defaults of cxradar.config.AlertsConfig and cxradar/alerts_store.py
MIN_COUNT, Z_THRESHOLD, MIN_CUSTOMERS = 8, 4.0, 5
DAILY = Detector("day", "dow", 12, MIN_COUNT, Z_THRESHOLD)
HOURLY = Detector("hour", "hod", 14, MIN_COUNT, Z_THRESHOLD)
CUSTOMERS = Detector("day", "dow", 12, MIN_CUSTOMERS, Z_THRESHOLD)


@dataclass(frozen=True)
class Outage:
    issue: int
    start: datetime
    end: datetime
    first_post: datetime | None


@dataclass
class Outcome:
    level: int
    shape: str
    multiple: int
    outages: int = 0
    detected: int = 0
    delays: list = field(default_factory=list)  # minutes, per detected outage
    messages: list = field(default_factory=list)  # opens and escalations, per detected outage
    false_alerts: int = 0
    quiet_days: float = 0.0


def minute_rates(days: int, level: float) -> np.ndarray:
    """Baseline negatives per minute: ``level`` a day on average over the week."""
    minutes = np.arange(days * 1440)
    hour = (minutes // 60) % 24
    weekday = (minutes // 1440) % 7
    shape = np.where(hour < 7, 0.25, 1.0) * np.where(weekday >= 5, 0.5, 1.0)
    return level * shape / shape.reshape(days, 1440).sum(axis=1).mean()


def outage_multiple(elapsed_minutes: np.ndarray, multiple: float, shape: str) -> np.ndarray:
    if shape == "step":
        return np.full(len(elapsed_minutes), float(multiple))
    return 1 + (multiple - 1) * np.minimum(1.0, elapsed_minutes / (RAMP_HOURS * 60))


def simulate(level, multiple, shape, outages, hours, seed):
    """Posts per minute (all, per chronic issue) and the outages with their posts' minutes."""
    rng = np.random.default_rng(seed)
    days = WARMUP_DAYS + outages * SLOT_DAYS
    base = minute_rates(days, level)
    everyday = rng.poisson(base)
    chronic, left, share_left = [], everyday, 1.0
    for share in CHRONIC_SHARES:  # a multinomial split of each minute's posts
        part = rng.binomial(left, min(1.0, share / share_left))
        chronic.append(part)
        left, share_left = left - part, share_left - share
    total = everyday.copy()
    injected, outage_minutes = [], []
    for number in range(outages):
        first = (WARMUP_DAYS + number * SLOT_DAYS) * 1440 + int(rng.integers(0, 7 * 1440))
        span = np.arange(first, min(first + hours * 60, len(base)))
        extra = rng.poisson(base[span] * (outage_multiple(span - first, multiple, shape) - 1))
        total[span] += extra
        posts = np.repeat(span, extra)
        outage_minutes.append(posts)
        start = START + timedelta(minutes=int(first))
        first_post = START + timedelta(minutes=int(posts[0])) if len(posts) else None
        injected.append(Outage(100 + number, start, start + timedelta(hours=hours), first_post))
    return total, chronic, injected, outage_minutes, days


def per_hour(per_minute: np.ndarray):
    """Counts per hour, and the posts of the current hour that arrived before a moment."""
    cumulative = np.concatenate([[0], np.cumsum(per_minute)])

    def partial(now: datetime) -> int:
        minute = int((now - START) // timedelta(minutes=1))
        return int(cumulative[minute] - cumulative[minute - minute % 60])

    return per_minute.reshape(-1, 60).sum(axis=1), partial


def customer_watch(scope: str, per_minute: np.ndarray) -> CountWatch:
    """New customers of one issue (each post a new customer), judged like volume."""
    return CountWatch("new_customers", scope, CUSTOMERS, START, *per_hour(per_minute))


def run_series(level, multiple, shape, outages, hours, seed) -> Outcome:
    total, chronic, injected, outage_minutes, days = simulate(
        level, multiple, shape, outages, hours, seed
    )
    hourly, partial = per_hour(total)
    watches = [
        CountWatch("negative_spike", "brand", DAILY, START, hourly, partial),
        CountWatch("negative_spike", "all (hourly)", HOURLY, START, hourly, partial),
        *(customer_watch(f"issue:{issue}", posts) for issue, posts in enumerate(chronic)),
    ]
    outage_watches = []
    for outage, minutes in zip(injected, outage_minutes, strict=True):
        posts = np.bincount(minutes, minlength=len(total)) if len(minutes) else total * 0
        outage_watches.append((outage, customer_watch(f"issue:{outage.issue}", posts)))

    def issue_of(kind: str, scope: str, spike) -> int:
        if kind == "new_customers":
            return int(scope.partition(":")[2])
        for outage in injected:  # a volume spike during an outage is about the outage's issue
            if spike.window_start < outage.end + AFTERMATH and spike.window_end > outage.start:
                return outage.issue
        return 0  # the largest chronic issue

    book = AlertBook()
    messages = []
    first_run = START + timedelta(days=28, minutes=RUN_MINUTE)
    run = first_run
    end = START + timedelta(days=days)
    while run < end:
        active = [
            w
            for o, w in outage_watches
            if o.first_post is not None and o.first_post <= run < o.end + AFTERMATH
        ]
        for change in step_all(book, [(run, w) for w in [*watches, *active]], issue_of):
            if change.message in ("open", "escalate"):
                messages.append((run, change.message, book.alerts[change.carrier].issue_id))
        run += timedelta(hours=1)
    return score(level, multiple, shape, injected, messages, end)


def score(level, multiple, shape, injected, messages, end) -> Outcome:
    outcome = Outcome(level, shape, multiple)
    evaluated_from = START + timedelta(days=WARMUP_DAYS)
    for outage in injected:
        about = [(at, action) for at, action, issue in messages if issue == outage.issue]
        outcome.outages += 1
        opened = [at for at, action in about if action == "open" and at < outage.end]
        if opened:
            outcome.detected += 1
            outcome.delays.append((opened[0] - outage.start) / timedelta(minutes=1))
            outcome.messages.append(len(about))
    busy = [(o.start, o.end + AFTERMATH) for o in injected]
    for at, action, _ in messages:
        quiet = not any(lo <= at < hi for lo, hi in busy)
        if action == "open" and quiet and at >= evaluated_from:
            outcome.false_alerts += 1
    busy_days = sum((min(hi, end) - lo) / timedelta(days=1) for lo, hi in busy)
    outcome.quiet_days = (end - evaluated_from) / timedelta(days=1) - busy_days
    return outcome


def combine(outcomes: list[Outcome]) -> dict:
    delays = [d for o in outcomes for d in o.delays]
    messages = [m for o in outcomes for m in o.messages]
    outages = sum(o.outages for o in outcomes)
    quiet = sum(o.quiet_days for o in outcomes)
    return {
        "outages": outages,
        "recall": sum(o.detected for o in outcomes) / max(outages, 1),
        "false_alerts_per_30_quiet_days": 30 * sum(o.false_alerts for o in outcomes) / quiet,
        "median_delay_min": float(np.median(delays)) if delays else None,
        "p90_delay_min": float(np.percentile(delays, 90)) if delays else None,
        "messages_per_outage": float(np.mean(messages)) if messages else None,
        "quiet_days": round(quiet, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="series per cell (default 4)")
    parser.add_argument("--outages", type=int, default=12, help="outages per series")
    parser.add_argument("--hours", type=int, default=24, help="how long an outage lasts")
    parser.add_argument("--levels", type=int, nargs="*", default=list(LEVELS))
    parser.add_argument("--multiples", type=int, nargs="*", default=list(MULTIPLES))
    parser.add_argument("--json", help="write every cell's numbers to this file")
    args = parser.parse_args(argv)
    began = time.monotonic()
    cells: dict[tuple, list[Outcome]] = defaultdict(list)
    for level in args.levels:
        for multiple in args.multiples:
            for shape in SHAPES:
                for seed in range(args.seeds):
                    cells[level, multiple, shape].append(
                        run_series(level, multiple, shape, args.outages, args.hours, seed)
                    )
            print(
                f"  {level}/day {multiple}x done ({time.monotonic() - began:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    rows = []
    print(
        "| negatives/day | outage | recall | false alerts / 30 quiet days | median delay "
        "| p90 delay | messages per outage |"
    )
    print("|---|---|---|---|---|---|---|")
    for level in args.levels:
        for multiple in args.multiples:
            for shape in SHAPES:
                row = {
                    "level": level,
                    "multiple": multiple,
                    "shape": shape,
                    **combine(cells[level, multiple, shape]),
                }
                rows.append(row)
                print(
                    f"| {level:,} | {shape} {multiple}x | {row['recall']:.2f} "
                    f"| {row['false_alerts_per_30_quiet_days']:.2f} "
                    f"| {_minutes(row['median_delay_min'])} | {_minutes(row['p90_delay_min'])} "
                    f"| {_number(row['messages_per_outage'])} |"
                )
    for level in args.levels:
        every = combine([o for (lv, _, _), outs in cells.items() if lv == level for o in outs])
        print(
            f"{level:>5}/day overall: false alerts/30 quiet days "
            f"{every['false_alerts_per_30_quiet_days']:.2f} over {every['quiet_days']:.0f} days"
        )
    print(f"took {time.monotonic() - began:.0f} s", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"args": vars(args), "cells": rows}, handle, indent=1)
    return 0


def _minutes(value) -> str:
    return "—" if value is None else f"{value:.0f} min"


def _number(value) -> str:
    return "—" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
