"""Alerts in the database: the watched scopes, their counts, the judged run, episode facts.

Each run judges every watch at the wall clock (``now``): first the buckets completed
since the last run, one by one, so an alert opens, escalates and resolves exactly as it
would have live; then the open bucket with what has arrived so far. The rules are in
``cxradar.intelligence.spikes``; this module counts and keeps the alerts
(``pipelines/alerts.py`` runs it and sends the messages, ``cxradar/alert_messages.py``
says what a message holds and replays history).
"""

import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, func, literal, or_, select

from cxradar.intelligence.alerts import (
    alert_severity,
)
from cxradar.intelligence.customers import known_author
from cxradar.intelligence.spikes import (
    BASELINE_SPAN,
    AlertBook,
    AlertState,
    CountWatch,
    Detector,
    Transition,
    bucket_floor,
    step_all,
)
from cxradar.issues_store import complaint_filter
from cxradar.schema import (
    Alert,
    Enrichment,
    Issue,
    Mention,
    Source,
)
from cxradar.state import ALERTS_EVALUATED_PREFIX, keys_under, read_state, write_state
from cxradar.surveys import SURVEY_KIND

KIND = "negative_spike"
TRIGGER = "new_customers"
TRIGGER_LABELS = ("emerging", "systemic")
HISTORY = {"day": 12, "hour": 14}
SEASON = {"day": "dow", "hour": "hod"}
# Counts reach back this far before the last evaluation: 12 same weekdays and the
# 28 days that teach the time-of-day profile.
LOOKBACK = timedelta(days=91)
# Resolved alerts kept in view: an ongoing episode must not reopen under its old key.
KEPT = timedelta(days=35)
# An alert older than this (by its bucket's end, against the clock) is news no more.
DELIVERY_MAX_AGE = timedelta(hours=48)
# An issue gets its own spike watch once it holds this many negative mentions.
ISSUE_SCOPE_MIN_MENTIONS = 20
GONE = -1  # the issue id of a scope whose issue was regrouped away: it counts nothing


@dataclass(frozen=True)
class Scope:
    name: str  # shown to people: all, source:reddit, brand:Finora, issue:topic:3, all (hourly)
    freq: str  # day | hour
    kind: str = KIND  # negative_spike (volume) | new_customers (the issue trigger)
    source: str | None = None
    brand: str | None = None
    issue_id: int | None = None


def issue_scope(key: str) -> str:
    """An issue's scope name from its stable key: "issue:<key>" ("issue:291", "issue:topic:1")."""
    return key if key.startswith("issue:") else f"issue:{key}"


def scopes_for(
    source_names=(), brands=(), issues=(), trigger_issues=(), trigger_window: str = "day"
) -> list[Scope]:
    """Every watch, in the order that decides which alert carries an episode's message.

    A brand's scope comes first (the message then speaks of the brand), the issue
    trigger last: it alerts on its own only when no volume watch saw the episode.
    """
    return [
        *(Scope(f"brand:{name}", "day", brand=name) for name in brands),
        Scope("all", "day"),
        *(Scope(f"source:{name}", "day", source=name) for name in source_names),
        Scope("all (hourly)", "hour"),
        *(Scope(issue_scope(key), "day", issue_id=issue_id) for issue_id, key in issues),
        *(
            Scope(issue_scope(key), trigger_window, kind=TRIGGER, issue_id=issue_id)
            for issue_id, key in trigger_issues
        ),
    ]


def scopes_in(session, config) -> list[Scope]:
    """Every scope the stored data has: brands, sources, the larger issues, the trigger's."""
    sources = sorted(
        session.scalars(
            select(Source.name).join(Mention).where(Mention.kind != SURVEY_KIND).distinct()
        )
    )
    brands = sorted(
        session.scalars(select(Mention.brand).where(Mention.brand.is_not(None)).distinct())
    )
    large_issues = session.execute(
        select(Issue.id, Issue.key)
        .where(Issue.mentions >= ISSUE_SCOPE_MIN_MENTIONS)
        .order_by(Issue.id)
    ).all()
    trigger = config.alerts.issue_trigger
    candidates = []
    if trigger.enabled:
        candidates = session.execute(
            select(Issue.id, Issue.key)
            .where(Issue.classification.in_(TRIGGER_LABELS))
            .order_by(Issue.id)
        ).all()
    return scopes_for(
        sources,
        brands,
        [tuple(row) for row in large_issues],
        [tuple(row) for row in candidates],
        trigger.window,
    )


def scope_named(session, kind: str, name: str) -> Scope:
    """The scope an alert was raised in, from its stored kind and name."""
    family, _, value = name.partition(":")
    freq = "hour" if name == "all (hourly)" else "day"
    if family == "source":
        return Scope(name, freq, kind, source=value)
    if family == "brand":
        return Scope(name, freq, kind, brand=value)
    if family == "issue":
        issue_id = session.scalar(select(Issue.id).where(Issue.key == value))
        return Scope(name, freq, kind, issue_id=GONE if issue_id is None else issue_id)
    return Scope(name, freq, kind)


# ------------------------------------------------------------------- counting


def negative_posts(*columns):
    """Negative public posts; survey comments are no posts (a survey goes out in waves, and
    its detractors would look like a spike) and confirm issues instead."""
    return (
        select(*columns)
        .select_from(Mention)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(complaint_filter(), Mention.duplicate_of.is_(None), Mention.kind != SURVEY_KIND)
    )


def in_scope(query, scope: Scope):
    """The negative-mention query narrowed to one source, brand or issue."""
    if scope.source:
        query = query.join(Source, Source.id == Mention.source_id).where(
            Source.name == scope.source
        )
    if scope.brand:
        query = query.where(Mention.brand == scope.brand)
    if scope.issue_id is not None:
        query = query.where(Enrichment.issue_id == scope.issue_id)
    return query


def hourly_counts(session, scope: Scope, since: datetime | None, until: datetime) -> dict:
    """Negative originals per hour (UTC) before ``until``, counted by the database.

    A run reads one row per hour of its look-back, not one per negative mention,
    so its cost barely grows with the corpus.
    """
    bucket = _hour(session.get_bind().dialect.name)
    query = in_scope(negative_posts(bucket, func.count()), scope).where(Mention.created_at < until)
    if since is not None:
        query = query.where(Mention.created_at >= since)
    rows = session.execute(query.group_by(bucket))
    return {bucket_start(value): count for value, count in rows}


def first_negative(session, scope: Scope) -> datetime | None:
    first = session.scalar(in_scope(negative_posts(func.min(Mention.created_at)), scope))
    return bucket_start(first) if first is not None else None


def negative_times(session, scope: Scope, until: datetime, since=None) -> list[datetime]:
    """When each negative original of the scope was posted (the issue trigger: when each
    customer first complained about the issue), in [since, until), sorted."""
    if scope.kind == TRIGGER:
        return customer_first_posts(session, scope.issue_id, until, since)
    query = in_scope(negative_posts(Mention.created_at), scope).where(Mention.created_at < until)
    if since is not None:
        query = query.where(Mention.created_at >= since)
    return sorted(bucket_start(moment) for moment in session.scalars(query))


def customer_first_posts(session, issue_id: int, until: datetime, since=None) -> list[datetime]:
    """When each customer first complained about the issue, for those whose first
    complaint falls in [since, until), sorted; grouped by the database.

    A customer is an author on a source; a post without an author is its own customer.
    """
    who = func.coalesce(Mention.author, literal("#").concat(cast(Mention.id, String)))
    first = func.min(Mention.created_at)
    query = (
        negative_posts(first)
        .where(Enrichment.issue_id == issue_id, Mention.created_at < until)
        .group_by(Mention.source_id, who)
    )
    if since is not None:
        query = query.having(first >= since)
    return sorted(bucket_start(moment) for moment in session.scalars(query))


def watch_origin(session, scope: Scope, since: datetime | None) -> datetime | None:
    """Where a scope's counts begin: its first negative post, or the look-back's start.

    An issue's new customers begin 28 days before its first one (it had none then),
    but never before the stored data does: a chronic issue found at the start of the
    data is not new.
    """
    first = first_negative(session, scope)
    if first is None:
        return None
    if scope.kind == TRIGGER:
        first = max(first - BASELINE_SPAN, data_since(session))
    return max(first, since) if since is not None else first


def _hour(dialect: str):
    column = Mention.__table__.c.created_at  # the raw column: SQL functions see stored values
    if dialect == "sqlite":  # stored as naive UTC text
        return func.strftime("%Y-%m-%d %H:00:00", column)
    return func.date_trunc("hour", func.timezone("UTC", column))


def bucket_start(value) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ------------------------------------------------------------------- watches


def detector_for(scope: Scope, config) -> Detector:
    alerts = config.alerts
    minimum = (
        alerts.issue_trigger.min_new_customers
        if scope.kind == TRIGGER
        else alerts.min_negative_count
    )
    return Detector(
        scope.freq, SEASON[scope.freq], HISTORY[scope.freq], minimum, alerts.z_threshold
    )


def stored_watch(session, scope: Scope, config, now: datetime, done: datetime | None):
    """The scope's watch from the database, counted up to now (the scheduled run)."""
    detector = detector_for(scope, config)
    since = done - LOOKBACK if done is not None else None
    first = watch_origin(session, scope, since)
    if scope.kind == TRIGGER:
        times = negative_times(session, scope, now, since)
        return times_watch(scope, detector, times, now, first)
    # The current hour's count is what has arrived so far: CountWatch's default.
    counts = hourly_counts(session, scope, since, now)
    return CountWatch.from_counts(scope.kind, scope.name, detector, counts, now, first)


def data_since(session) -> datetime | None:
    """When the stored data begins: nothing is known about the time before."""
    first = session.scalar(select(func.min(Mention.created_at)).where(Mention.kind != SURVEY_KIND))
    return bucket_start(first) if first is not None else None


def times_watch(
    scope: Scope,
    detector: Detector,
    times: list[datetime],
    until: datetime,
    first: datetime | None = None,
):
    """The scope's watch from post times, judged at any moment (the backtest, the trigger)."""

    def partial(now: datetime) -> int:  # posts of the current hour that arrived before now
        return bisect.bisect_left(times, now) - bisect.bisect_left(times, bucket_floor(now, "hour"))

    counts = Counter(bucket_floor(moment, "hour") for moment in times)
    return CountWatch.from_counts(scope.kind, scope.name, detector, counts, until, first, partial)


def quiet_watch(scope: Scope, config, since: datetime, now: datetime) -> CountWatch:
    """A scope that has gone (an issue merged away): no posts, so its open alerts resolve."""
    detector = detector_for(scope, config)
    return CountWatch.from_counts(scope.kind, scope.name, detector, {}, now, since - LOOKBACK)


def top_issue(session, scope: Scope, start: datetime, end: datetime) -> int | None:
    """The issue a spike is about: the one with the most negative posts above its own usual.

    Each issue's posts in the window, less what its last 28 days would have put in a
    window that long, so a chronic gripe never hides the new problem that spiked.
    Asked again at every run: regrouping may have given the posts another issue.
    """
    if scope.issue_id == GONE:  # its issue was regrouped away: where are its posts now
        scope = Scope("all", scope.freq)
    if scope.issue_id is not None:
        return scope.issue_id
    if end <= start:
        end = start + timedelta(minutes=1)

    def per_issue(lo: datetime, hi: datetime) -> dict[int, int]:
        query = in_scope(negative_posts(Enrichment.issue_id, func.count()), scope).where(
            Mention.created_at >= lo, Mention.created_at < hi, Enrichment.issue_id.is_not(None)
        )
        return dict(session.execute(query.group_by(Enrichment.issue_id)).all())

    now_counts = per_issue(start, end)
    if not now_counts:
        return None
    usual = per_issue(start - BASELINE_SPAN, start)
    scale = (end - start) / BASELINE_SPAN
    return max(
        now_counts, key=lambda i: (now_counts[i] - usual.get(i, 0) * scale, now_counts[i], -i)
    )


# ------------------------------------------------------------------- the run


def state_key(scope: Scope) -> str:
    suffix = scope.name if scope.kind == KIND else f"{scope.kind}.{scope.name}"
    return f"{ALERTS_EVALUATED_PREFIX}{suffix}"


def judge(session, config, now: datetime) -> tuple[AlertBook, list[Transition]]:
    """Step every watch through the whole hours since the last run, then to now."""
    rows = _rows_in_view(session, now)
    keys = {row.id: key for key, row in rows.items()}
    book = AlertBook(_as_state(row, keys) for row in rows.values())
    # The first run catches up over all history (recorded, not sent); after that a scope
    # that is new (a new source, an issue newly emerging) starts with the last hour.
    started = bool(keys_under(session, ALERTS_EVALUATED_PREFIX))
    scopes = {(s.kind, s.name): s for s in scopes_in(session, config)}
    for state in book.alerts.values():  # scopes gone since their alert opened
        if state.status != "resolved" and (state.kind, state.scope) not in scopes:
            scopes[state.kind, state.scope] = scope_named(session, state.kind, state.scope)
    events = []
    for order, scope in enumerate(scopes.values()):
        stored = read_state(session, state_key(scope))
        done = datetime.fromisoformat(stored) if stored else None
        if done is None and started:
            done = now - timedelta(hours=1)
        watch = stored_watch(session, scope, config, now, done)
        if watch is None:
            opened = [a.window_start for a in book.open_in(scope.kind, scope.name)]
            if not opened:
                continue
            watch = quiet_watch(scope, config, min(opened), now)
        events += [(moment, order, watch) for moment in watch.moments(done, now)]
        write_state(session, state_key(scope), now.isoformat())

    def issue_of(kind: str, name: str, spike) -> int | None:
        return top_issue(
            session, scopes[kind, name], spike.window_start, min(spike.window_end, now)
        )

    # Issues may have been regrouped since the last run: what the open episodes are about
    # now, so a new alert about the same posts still joins their message.
    refreshed = []
    for state in book.alerts.values():
        if state.status != "resolved" or (state.covered_by is None and book.group_open(state)):
            scope = scopes.get((state.kind, state.scope)) or scope_named(
                session, state.kind, state.scope
            )
            state.issue_id = top_issue(
                session, scope, state.window_start, min(state.window_end, now)
            )
            refreshed.append(state.key)
    transitions = step_all(book, [(m, w) for m, _, w in sorted(events, key=_event_order)], issue_of)
    _store(session, book, rows, transitions, refreshed, now)
    return book, transitions


def _event_order(event) -> tuple:
    moment, order, _ = event
    return moment, order


def _rows_in_view(session, now: datetime) -> dict[str, Alert]:
    """Open alerts, recently resolved ones, and the alerts carrying their messages."""
    rows = {
        row.dedupe_key: row
        for row in session.scalars(
            select(Alert).where(or_(Alert.status != "resolved", Alert.window_end >= now - KEPT))
        )
    }
    carriers = {row.covered_by for row in rows.values()} - {row.id for row in rows.values()}
    if carriers - {None}:
        for row in session.scalars(select(Alert).where(Alert.id.in_(carriers - {None}))):
            rows[row.dedupe_key] = row
    return rows


def _as_state(row: Alert, keys: dict[int, str]) -> AlertState:
    return AlertState(
        key=row.dedupe_key,
        kind=row.kind,
        scope=row.scope,
        window_start=row.window_start,
        window_end=row.window_end,
        observed=row.observed,
        expected=row.expected,
        z=0.0,
        status=row.status,
        alerted_peak=int(row.alerted_peak or 0),
        alerted_until=row.alerted_until,
        issue_id=row.issue_id,
        covered_by=keys.get(row.covered_by),
        created_at=row.created_at,
    )


def _store(session, book: AlertBook, rows: dict, transitions, refreshed, now) -> None:
    """Write every alert the run touched, and mark the messages to send."""
    touched = list(dict.fromkeys([*refreshed, *(t.key for t in transitions)]))
    for key in touched:
        state = book.alerts[key]
        row = rows.get(key)
        if row is None:
            row = Alert(
                dedupe_key=key,
                kind=state.kind,
                scope=state.scope,
                created_at=state.created_at or now,
                severity=0.0,
            )
            session.add(row)
            rows[key] = row
        row.window_start, row.window_end = state.window_start, state.window_end
        row.observed, row.expected = float(state.observed), float(state.expected)
        row.status, row.issue_id = state.status, state.issue_id
        row.alerted_peak, row.alerted_until = state.alerted_peak, state.alerted_until
    session.flush()
    for key in touched:
        state, row = book.alerts[key], rows[key]
        row.covered_by = rows[state.covered_by].id if state.covered_by else None
        facts = episode_facts(
            session,
            scope_named(session, row.kind, row.scope),
            row.window_start,
            min(row.window_end, now),
            row.issue_id,
        )
        customers = round(row.observed) if row.kind == TRIGGER else facts.customers
        row.severity = alert_severity(row.observed, row.expected, customers)
    for transition in transitions:
        if transition.message:
            carrier = rows[transition.carrier]
            carrier.pending_action, carrier.pending_since = transition.message, transition.at
            carrier.delivered, carrier.last_error = False, None  # a new message to send
    session.flush()


# ------------------------------------------------------------------- what a message says


@dataclass(frozen=True)
class EpisodeFacts:
    customers: int  # distinct customers
    channels: tuple[str, ...]  # the sources they posted on
    since: datetime | None  # the first post


def posts_about(session, scope: Scope, issue_id: int | None, query):
    """Posts about the issue (on any channel) when it is known, else the scope's."""
    if issue_id is not None:
        return query.where(Enrichment.issue_id == issue_id)
    return in_scope(query, scope)


def episode_facts(session, scope: Scope, start, end, issue_id: int | None) -> EpisodeFacts:
    query = (
        negative_posts(Source.name, Mention.author, Mention.id, Mention.created_at)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.created_at >= start, Mention.created_at < max(end, start))
    )
    if issue_id is None and scope.source:  # in_scope would join sources a second time
        query = query.where(Source.name == scope.source)
        scope = Scope(scope.name, scope.freq, scope.kind, brand=scope.brand)
    rows = session.execute(posts_about(session, scope, issue_id, query)).all()
    # Placeholder names ("A Google User", "[deleted]") are no one in particular.
    people = {
        (source, known_author(author)) if known_author(author) else (None, mention_id)
        for source, author, mention_id, _ in rows
    }
    first = min((bucket_start(created) for *_, created in rows), default=None)
    return EpisodeFacts(len(people), tuple(sorted({row[0] for row in rows})), first)
