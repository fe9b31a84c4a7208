"""Negative spikes: counting, robust seasonal detection, alert episodes, measured accuracy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cxradar.intelligence.spikes import (
    Z_CAP,
    AlertBook,
    CountWatch,
    Detector,
    OpenAlert,
    Spike,
    count_series,
    dedupe_key,
    detect_spikes,
    evaluate_detector,
    hour_of_day_weights,
    poisson_z,
    score_buckets,
    simulate_series,
    step_all,
    update_alert_state,
)

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def daily(counts, start=MONDAY):
    return [(start + i * DAY, int(c)) for i, c in enumerate(counts)]


def weekly_pattern(weeks, weekday=20, weekend=2):
    return [weekend if (i % 7) >= 5 else weekday for i in range(weeks * 7)]


# ------------------------------------------------------------------ counting


def test_count_series_zero_fills_days_and_ignores_outside_times():
    times = [MONDAY + timedelta(hours=h) for h in (1, 2, 50, 50.5)]
    times += [MONDAY - timedelta(hours=1), MONDAY + timedelta(days=4)]
    series = count_series(times, "day", MONDAY + timedelta(hours=5), MONDAY + 4 * DAY)
    assert series == [(MONDAY, 2), (MONDAY + DAY, 0), (MONDAY + 2 * DAY, 2), (MONDAY + 3 * DAY, 0)]


def test_count_series_hourly_includes_a_partial_last_bucket_but_not_its_future():
    end = MONDAY + timedelta(hours=2, minutes=30)
    times = [MONDAY + timedelta(minutes=m) for m in (5, 65, 130, 160)]
    series = count_series(times, "hour", MONDAY, end)
    assert [count for _, count in series] == [1, 1, 1]
    assert series[-1][0] == MONDAY + timedelta(hours=2)


def test_count_series_treats_naive_and_other_zones_as_utc():
    cet = datetime(2024, 1, 2, 0, 30, tzinfo=UTC).astimezone().tzinfo
    times = [datetime(2024, 1, 1, 23), datetime(2024, 1, 2, 0, 30, tzinfo=UTC).astimezone(cet)]
    series = count_series(times, "day", datetime(2024, 1, 1), datetime(2024, 1, 3))
    assert [count for _, count in series] == [1, 1]


def test_count_series_rejects_unknown_frequency():
    with pytest.raises(ValueError):
        count_series([], "week", MONDAY, MONDAY + DAY)


# ------------------------------------------------------------------ detection


def test_quiet_noisy_weeks_raise_nothing():
    rng = np.random.default_rng(3)
    series = daily(rng.poisson(weekly_pattern(12, weekday=10, weekend=4)))
    assert detect_spikes(series, season="dow", min_count=8, z_threshold=4, history=8) == []


def test_a_spike_is_found_with_what_was_expected():
    counts = weekly_pattern(6)
    counts[38] = 60  # a Thursday
    spikes = detect_spikes(
        daily(counts), season="dow", min_count=8, z_threshold=4, history=8, scope="source:reddit"
    )
    assert len(spikes) == 1
    spike = spikes[0]
    assert spike.window_start == MONDAY + 38 * DAY and spike.window_end == MONDAY + 39 * DAY
    assert (spike.observed, spike.expected, spike.peak) == (60, 20, 60)
    assert spike.scope == "source:reddit"
    assert spike.z > 4


def test_weekday_seasonality_catches_a_weekend_spike_a_flat_baseline_misses():
    counts = weekly_pattern(6, weekday=20, weekend=2)
    counts[40] = 14  # a Saturday: seven times the usual weekend, below a weekday
    seasonal = detect_spikes(daily(counts), season="dow", min_count=8, z_threshold=4, history=8)
    flat = detect_spikes(daily(counts), season=None, min_count=8, z_threshold=4, history=8)
    assert [s.window_start for s in seasonal] == [MONDAY + 40 * DAY]
    assert flat == []


def test_small_numbers_never_alert():
    counts = [0] * 40 + [6]
    assert detect_spikes(daily(counts), season="dow", min_count=8, z_threshold=4, history=8) == []
    counts[-1] = 9
    assert (
        len(detect_spikes(daily(counts), season="dow", min_count=8, z_threshold=4, history=8)) == 1
    )


def test_consecutive_spike_buckets_form_one_episode():
    counts = weekly_pattern(6)
    counts[36:39] = [70, 90, 80]
    spikes = detect_spikes(daily(counts), season="dow", min_count=8, z_threshold=4, history=8)
    assert len(spikes) == 1
    assert spikes[0].buckets == 3 and spikes[0].observed == 240 and spikes[0].peak == 90
    assert spikes[0].window_end - spikes[0].window_start == 3 * DAY


def test_short_history_falls_back_to_recent_buckets():
    counts = [5, 6, 4, 5, 6, 5, 4, 30]  # one week: no same-weekday history yet
    spikes = detect_spikes(daily(counts), season="dow", min_count=8, z_threshold=4, history=8)
    assert [s.window_start for s in spikes] == [MONDAY + 7 * DAY]
    six_days = detect_spikes(daily(counts[1:]), season="dow", min_count=8, z_threshold=4, history=8)
    assert six_days == []  # less than a week of history is too little to judge
    assert (
        len(detect_spikes(daily(counts[1:]), season=None, min_count=8, z_threshold=4, history=8))
        == 1
    )  # without seasonality three buckets suffice


def test_hour_of_day_seasonality_for_hourly_counts():
    # quiet nights, busy days, a little day-to-day wobble
    counts = [(2 if hour < 7 else 12) + day % 3 - 1 for day in range(14) for hour in range(24)]
    counts[13 * 24 + 3] = 15  # 03:00 on the last day: a busy daytime hour, but not at night
    series = [(MONDAY + timedelta(hours=i), int(c)) for i, c in enumerate(counts)]
    spikes = detect_spikes(series, season="hod", min_count=8, z_threshold=4, history=7)
    assert [s.window_start for s in spikes] == [MONDAY + timedelta(days=13, hours=3)]
    assert spikes[0].window_end - spikes[0].window_start == timedelta(hours=1)


def test_verdicts_never_depend_on_later_data():
    synthetic = simulate_series(buckets=200, spikes=6, seed=11)
    full = score_buckets(synthetic.series, season="dow", min_count=8, z_threshold=4, history=8)
    for cut in (30, 75, 140):
        prefix = score_buckets(
            synthetic.series[:cut], season="dow", min_count=8, z_threshold=4, history=8
        )
        assert prefix == full[:cut]


def test_small_counts_are_judged_by_their_poisson_tail():
    assert poisson_z(13, 4.0) == pytest.approx(3.46, abs=0.01)  # (13 - 4) / 2 would say 4.5
    assert poisson_z(559, 468.0) == pytest.approx(4.07, abs=0.02)  # large counts: near-normal
    assert poisson_z(5, 0.0) == Z_CAP  # never seen before
    assert poisson_z(0, 3.0) < 0


def test_detector_accuracy_on_seeded_seasonal_poisson_data():
    reports = [evaluate_detector(simulate_series(seed=seed)) for seed in range(8)]
    injected = sum(r.injected for r in reports)
    recall = sum(r.detected for r in reports) / injected
    quiet_days = sum(r.quiet_buckets for r in reports)
    false_per_30 = 30 * sum(r.false_alerts for r in reports) / quiet_days
    delay = np.mean([r.mean_delay_buckets for r in reports])
    assert injected == 160 and quiet_days > 5000
    # Poisson-calibrated: 4x a weekend's 3 posts (12) is a 1-in-7,700 day, under z 4
    assert recall >= 0.85
    assert false_per_30 <= 0.1
    assert delay <= 0.5  # on average flagged in the first day of the spike


def test_evaluation_counts_false_alerts_on_spike_free_data():
    report = evaluate_detector(simulate_series(spikes=0, seed=2), z_threshold=1.0, min_count=1)
    assert report.injected == 0 and report.false_alerts > 10  # a trigger-happy detector is caught
    strict = evaluate_detector(simulate_series(spikes=0, seed=2))
    assert strict.false_alerts_per_30_quiet_buckets <= 0.2


# ------------------------------------------------------------------ alert episodes


def spike(start_day, days=1, peak=40, scope="all"):
    return Spike(
        MONDAY + start_day * DAY,
        MONDAY + (start_day + days) * DAY,
        peak * days,
        10.0 * days,
        6.0,
        scope,
        peak,
        days,
    )


def as_open(action):
    s = action.spike
    return OpenAlert(
        action.dedupe_key, action.kind, action.scope, s.window_start, s.window_end, s.peak
    )


def test_an_ongoing_spike_opens_one_alert_with_a_stable_key():
    now = MONDAY + 11 * DAY
    actions = update_alert_state([], [spike(10)], now)
    assert [(a.action, a.notify) for a in actions] == [("open", True)]
    assert actions[0].dedupe_key == dedupe_key("negative_spike", "all", MONDAY + 10 * DAY)
    assert update_alert_state([], [spike(10)], now)[0].dedupe_key == actions[0].dedupe_key
    rerun = update_alert_state([as_open(actions[0])], [spike(10)], now)
    assert [(a.action, a.notify) for a in rerun] == [("update", False)]


def test_a_growing_spike_escalates_and_a_steady_one_does_not():
    alert = as_open(update_alert_state([], [spike(10, peak=40)], MONDAY + 11 * DAY)[0])
    steady = update_alert_state([alert], [spike(10, days=2, peak=50)], MONDAY + 12 * DAY)
    grown = update_alert_state([alert], [spike(10, days=2, peak=60)], MONDAY + 12 * DAY)
    assert [a.action for a in steady] == ["update"]
    assert [(a.action, a.notify) for a in grown] == [("escalate", True)]
    assert grown[0].dedupe_key == alert.dedupe_key


def test_an_episode_back_at_baseline_resolves():
    alert = as_open(update_alert_state([], [spike(10)], MONDAY + 11 * DAY)[0])
    ended = update_alert_state([alert], [spike(10)], MONDAY + 12 * DAY)
    vanished = update_alert_state([alert], [], MONDAY + 12 * DAY)
    assert [(a.action, a.notify) for a in ended] == [("resolve", True)]
    assert [a.action for a in vanished] == ["resolve"] and vanished[0].spike is None


def test_past_episodes_resolved_keys_and_other_scopes_behave():
    now = MONDAY + 30 * DAY
    old_and_new = [spike(3), spike(29, scope="source:reddit"), spike(29)]
    actions = update_alert_state(
        [], old_and_new, now, closed_keys={dedupe_key("negative_spike", "all", MONDAY + 29 * DAY)}
    )
    assert [(a.action, a.scope) for a in actions] == [("open", "source:reddit")]


def test_running_every_day_sends_one_message_per_episode_plus_its_resolution():
    counts = weekly_pattern(8)
    counts[40:43] = [60, 62, 120]  # grows: one escalation
    counts[50] = 70
    series = daily(counts)
    store: dict[str, OpenAlert] = {}
    closed: set[str] = set()
    sent = []
    for day in range(30, len(series) + 1):
        for _rerun in range(2):  # a second run on the same data must change nothing
            spikes = detect_spikes(
                series[:day], season="dow", min_count=8, z_threshold=4, history=8
            )
            now = MONDAY + day * DAY
            for action in update_alert_state(list(store.values()), spikes, now, closed_keys=closed):
                if action.notify:
                    sent.append((action.action, action.dedupe_key))
                if action.action == "resolve":
                    store.pop(action.dedupe_key)
                    closed.add(action.dedupe_key)
                elif action.action in ("open", "escalate"):
                    store[action.dedupe_key] = as_open(action)
    first, second = (dedupe_key("negative_spike", "all", MONDAY + d * DAY) for d in (40, 50))
    assert sent == [
        ("open", first),
        ("escalate", first),
        ("resolve", first),
        ("open", second),
        ("resolve", second),
    ]


# ------------------------------------------------------------------ judging at any moment

HOUR = timedelta(hours=1)
DAILY = Detector("day", "dow", 12, 8, 4.0)
HOURLY = Detector("hour", "hod", 14, 8, 4.0)


def hourly_watch(detector, per_day_hours, extra=None, days=28, scope="brand:B", kind="spike"):
    """``days`` days of posts at the given hours, plus ``extra`` {hours after the start: n}."""
    counts = np.zeros((days + 3) * 24, dtype=int)
    for day in range(days):
        for hour in per_day_hours:
            counts[day * 24 + hour] += 1
    for hour, number in (extra or {}).items():
        counts[hour] += number
    return CountWatch(kind, scope, detector, MONDAY, counts, evenly_within_the_hour(counts))


def evenly_within_the_hour(counts):
    """The posts of the hour holding ``now`` that arrived before it, spread evenly."""

    def partial(now):
        return int(counts[(now - MONDAY) // timedelta(hours=1)] * now.minute / 60)

    return partial


def about(issue):
    return lambda kind, scope, spike: issue


def test_the_open_day_is_judged_on_what_has_arrived_so_far():
    today = 28 * 24  # hour index of the day after four quiet weeks (one post a day at 10:00)
    watch = hourly_watch(DAILY, [10], {today + 9: 5, today + 10: 5})
    at = MONDAY + timedelta(days=28)
    assert watch.spikes_at(at + timedelta(hours=10))[0] == []  # 5 posts: below the minimum
    spikes, judged_until = watch.spikes_at(at + timedelta(hours=11))  # whole hours: 10 posts
    assert judged_until == at  # today is still open
    [spike] = spikes
    assert (spike.window_start, spike.window_end) == (at, at + DAY)
    assert spike.observed == 10 and spike.expected < 1  # ~0 usually arrives by 11:00
    # At a whole hour later than the posts, the same count is as surprising; the
    # complete day, judged at midnight, agrees.
    assert watch.spikes_at(at + timedelta(days=1))[0][0].observed == 10


def test_an_early_alert_the_complete_bucket_does_not_confirm_is_resolved_not_repeated():
    # 20 posts a day, one every hour from 02:00; today 12 arrive in the first hour, then none
    watch = hourly_watch(DAILY, range(2, 22), {28 * 24: 12})
    book = AlertBook()
    today = MONDAY + timedelta(days=28)
    runs = [today + timedelta(hours=h, minutes=5) for h in range(0, 49)]
    sent = [
        (t.at, t.message) for t in step_all(book, [(r, watch) for r in runs], about(7)) if t.message
    ]
    assert sent == [
        (today + timedelta(minutes=65), "open"),  # 12 by 01:05 where ~0 usually arrive
        (today + timedelta(days=1, minutes=5), "resolve"),  # the whole day: 12 of 20
    ]
    [alert] = book.alerts.values()
    assert alert.status == "resolved"


def test_escalation_needs_a_later_bucket_not_the_same_one_filling_up():
    # hourly: 2 posts an hour for two weeks, then 20 in hour A, 26 in A+1, 40 in A+2
    counts = np.array([2] * (14 * 24) + [20, 26, 40, 2, 2])
    watch = CountWatch(
        "spike", "all (hourly)", HOURLY, MONDAY, counts, evenly_within_the_hour(counts)
    )
    book = AlertBook()
    a = MONDAY + timedelta(days=14)
    runs = [a + timedelta(hours=h, minutes=m) for h in range(0, 5) for m in (5, 45)]
    messages = [
        (t.at, t.message) for t in step_all(book, [(r, watch) for r in runs], about(1)) if t.message
    ]
    # 15 by 00:45 opens it; hour A filling up to 20, then 26 in A+1 (1.3 x 20) do not
    # escalate; 30 by 02:45 in A+2 (1.5 x the 20 alerted) does.
    assert messages == [
        (a + timedelta(minutes=45), "open"),
        (a + timedelta(hours=2, minutes=45), "escalate"),
        (a + timedelta(hours=4, minutes=5), "resolve"),
    ]


def test_one_message_per_episode_across_scopes_the_last_to_resolve_closes_it():
    today = 28 * 24
    burst = {today + 10: 12, today + 11: 12}
    daily = hourly_watch(DAILY, [10], burst, scope="brand:B")
    hourly = hourly_watch(HOURLY, [10], burst, scope="all (hourly)")
    book = AlertBook()
    start = MONDAY + timedelta(days=28)
    runs = [start + timedelta(hours=h, minutes=5) for h in range(0, 60)]
    events = [(r, w) for r in runs for w in (hourly, daily)]  # at one run: this order
    transitions = step_all(book, events, about(42))
    messages = [(t.message, book.alerts[t.carrier].scope) for t in transitions if t.message]
    assert messages == [("open", "all (hourly)"), ("resolve", "all (hourly)")]
    carrier = next(a for a in book.alerts.values() if a.covered_by is None)
    covered = [a for a in book.alerts.values() if a.covered_by == carrier.key]
    assert [a.scope for a in covered] == ["brand:B"] and carrier.issue_id == 42
    # The hourly alert resolved on the day itself; the message waited for the daily one.
    resolve = next(t for t in transitions if t.message == "resolve")
    assert resolve.at == start + timedelta(days=2, minutes=5) and resolve.key == covered[0].key


def test_alerts_about_different_issues_each_send_their_own_message():
    today = 28 * 24
    daily = hourly_watch(DAILY, [10], {today + 10: 12}, scope="brand:B")
    other = hourly_watch(DAILY, [10], {today + 10: 12}, scope="source:forum")
    issues = {"brand:B": 1, "source:forum": 2}
    book = AlertBook()
    run = MONDAY + timedelta(days=28, hours=11, minutes=5)
    transitions = step_all(
        book, [(run, daily), (run, other)], lambda kind, scope, spike: issues[scope]
    )
    assert [(t.message, t.carrier) for t in transitions] == [
        ("open", t.key) for t in transitions
    ] and len(transitions) == 2


def test_catching_up_judges_every_whole_hour_since_the_last_run_then_now():
    watch = hourly_watch(DAILY, [10])
    last = MONDAY + timedelta(days=3, hours=7, minutes=5)
    now = MONDAY + timedelta(days=3, hours=10, minutes=30)
    assert watch.moments(last, now) == [MONDAY + timedelta(days=3, hours=h) for h in (8, 9, 10)] + [
        now
    ]
    assert watch.moments(now, now) == [now]  # a re-run judges the same moment again
    assert watch.moments(None, MONDAY + 2 * HOUR) == [MONDAY + HOUR, MONDAY + 2 * HOUR]


def test_a_burst_day_does_not_bend_when_in_the_day_posts_usually_arrive():
    days = np.zeros((28, 24))
    days[:, 9:17] = 5  # office hours
    days[3, 2] = 400  # one outage night
    weights = hour_of_day_weights(days)
    assert weights[2] < 0.01 and weights[9:17].sum() > 0.9
    assert hour_of_day_weights(np.zeros((0, 24))) == pytest.approx(np.full(24, 1 / 24))


def test_a_new_issue_alerts_on_its_minimum_of_new_customers_alone():
    # an issue's new customers per hour; before its first it had none for 28 days
    detector = Detector("day", "dow", 12, 5, 4.0)
    hours = np.zeros(30 * 24, dtype=int)
    first_day = 28 * 24
    hours[first_day + 9 : first_day + 13] = 1  # 4 customers by 13:00
    watch = CountWatch("new_customers", "issue:topic:9", detector, MONDAY, hours)
    at = MONDAY + timedelta(days=28, hours=13, minutes=5)
    assert watch.spikes_at(at)[0] == []
    hours[first_day + 13] = 1  # the fifth
    watch = CountWatch("new_customers", "issue:topic:9", detector, MONDAY, hours)
    [spike] = watch.spikes_at(at + HOUR)[0]
    assert spike.observed == 5 and spike.expected == 0


def test_time_to_alert_on_a_busy_brand_as_the_benchmark_measures_it():
    from benchmarks.time_to_alert import combine, run_series

    outcome = run_series(1000, 5, "step", outages=3, hours=24, seed=1)
    summary = combine([outcome])
    assert summary["recall"] == 1.0 and outcome.false_alerts == 0
    assert summary["median_delay_min"] <= 60  # the first hourly run after the outage began
