"""Negative-spike alerts: detected per scope, stored once, sent to chat once.

Each run replays every bucket completed since the last run through the episode
state machine (``cxradar.intelligence.spikes``), so an alert opens, escalates
and resolves exactly as it would have live. Alerts about the past (history
loaded for the first time) are recorded but not sent: chat gets only news.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
from sqlalchemy import func, select

from cxradar.intelligence.alerts import AlertContent, TopIssue, format_alert
from cxradar.intelligence.spikes import (
    BUCKET,
    OpenAlert,
    bucket_floor,
    count_series,
    score_buckets,
    spikes_from_scores,
    update_alert_state,
)
from cxradar.issues_store import complaint_filter
from cxradar.privacy import redact
from cxradar.schema import Alert, Enrichment, Issue, Mention, PipelineState, Source, utcnow
from pipelines.intelligence import issues
from pipelines.resources import ConfigResource, DatabaseResource, NotifierResource

KIND = "negative_spike"
HISTORY = {"day": 12, "hour": 14}
SEASON = {"day": "dow", "hour": "hod"}
# An alert older than this (by its bucket's end, against the clock) is news no more.
DELIVERY_MAX_AGE = timedelta(hours=48)


@dataclass(frozen=True)
class Scope:
    name: str  # shown to people: all, source:reddit, brand:Finora, issue:topic:3, all (hourly)
    freq: str  # day | hour
    source: str | None = None
    brand: str | None = None
    issue_id: int | None = None


# An issue gets its own spike watch once it holds this many negative mentions.
ISSUE_SCOPE_MIN_MENTIONS = 20


def scopes_for(
    source_names: list[str], brands: list[str] = (), issues: list[tuple[int, str]] = ()
) -> list[Scope]:
    return [
        Scope("all", "day"),
        Scope("all (hourly)", "hour"),
        *(Scope(f"source:{name}", "day", source=name) for name in source_names),
        *(Scope(f"brand:{name}", "day", brand=name) for name in brands),
        *(Scope(f"issue:{key}", "day", issue_id=issue_id) for issue_id, key in issues),
    ]


def scopes_in(session) -> list[Scope]:
    """Every scope the stored data has: sources, brands and the larger issues."""
    sources = sorted(session.scalars(select(Source.name).join(Mention).distinct()))
    brands = sorted(
        session.scalars(select(Mention.brand).where(Mention.brand.is_not(None)).distinct())
    )
    large_issues = session.execute(
        select(Issue.id, Issue.key)
        .where(Issue.mentions >= ISSUE_SCOPE_MIN_MENTIONS)
        .order_by(Issue.id)
    ).all()
    return scopes_for(sources, brands, [tuple(row) for row in large_issues])


def negative_times(session, scope: Scope) -> list[datetime]:
    query = (
        select(Mention.created_at)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(complaint_filter(), Mention.duplicate_of.is_(None))
    )
    return list(session.scalars(_in_scope(query, scope)))


def negative_counts(session, scope: Scope) -> dict[datetime, int]:
    """Negative originals per bucket (UTC), counted by the database.

    The hourly run reads one row per bucket, not one per negative mention of the whole
    history, so its cost barely grows with the corpus.
    """
    bucket = _bucket(session.get_bind().dialect.name, scope.freq)
    query = (
        select(bucket, func.count())
        .select_from(Mention)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(complaint_filter(), Mention.duplicate_of.is_(None))
        .group_by(bucket)
    )
    rows = session.execute(_in_scope(query, scope))
    return {_bucket_start(value): count for value, count in rows}


def _in_scope(query, scope: Scope):
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


def _bucket(dialect: str, freq: str):
    column = Mention.__table__.c.created_at  # the raw column: SQL functions see stored values
    if dialect == "sqlite":  # stored as naive UTC text
        return func.strftime("%Y-%m-%d %H:00:00" if freq == "hour" else "%Y-%m-%d", column)
    return func.date_trunc(freq, func.timezone("UTC", column))


def _bucket_start(value) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _scores(scope: Scope, counts: dict[datetime, int], until: datetime, config) -> tuple:
    """The scope's complete buckets up to ``until`` and each bucket's spike score."""
    starts = count_series([], scope.freq, min(counts), bucket_floor(until, scope.freq))
    series = [(start, counts.get(start, 0)) for start, _ in starts]
    scores = score_buckets(
        series,
        season=SEASON[scope.freq],
        min_count=config.alerts.min_negative_count,
        z_threshold=config.alerts.z_threshold,
        history=HISTORY[scope.freq],
    )
    return series, scores


def replay(session, scope: Scope, counts: dict[datetime, int], until: datetime, config) -> list:
    """Apply the state machine at every bucket end after the last one evaluated."""
    if not counts:
        return []
    state_key = f"alerts.evaluated_until.{scope.name}"
    state = session.get(PipelineState, state_key)
    done = datetime.fromisoformat(state.value) if state else None
    width = BUCKET[scope.freq]
    series, scores = _scores(scope, counts, until, config)  # only complete buckets
    touched = []
    for index in range(1, len(series) + 1):
        now = series[index - 1][0] + width
        if done is not None and now <= done:
            continue
        spikes = spikes_from_scores(scores[:index], width, scope.name)
        stored = session.scalars(
            select(Alert).where(Alert.kind == KIND, Alert.scope == scope.name)
        ).all()
        open_alerts = [_as_open(a) for a in stored if a.status != "resolved"]
        closed = {a.dedupe_key for a in stored if a.status == "resolved"}
        for action in update_alert_state(open_alerts, spikes, now, kind=KIND, closed_keys=closed):
            touched.append(_apply(session, action, now))
    if series:
        final = series[-1][0] + width
        if state is None:
            session.add(PipelineState(key=state_key, value=final.isoformat()))
        else:
            state.value = final.isoformat()
    return [alert for alert in touched if alert is not None]


def _as_open(alert: Alert) -> OpenAlert:
    return OpenAlert(
        dedupe_key=alert.dedupe_key,
        kind=alert.kind,
        scope=alert.scope,
        window_start=alert.window_start,
        window_end=alert.window_end,
        alerted_peak=int(alert.alerted_peak or 0),
    )


def _apply(session, action, now: datetime) -> Alert | None:
    alert = session.scalar(select(Alert).where(Alert.dedupe_key == action.dedupe_key))
    spike = action.spike
    if alert is None:
        if action.action != "open":
            return None
        alert = Alert(
            dedupe_key=action.dedupe_key, kind=action.kind, scope=action.scope, created_at=now
        )
        session.add(alert)
    if spike is not None:
        alert.window_start, alert.window_end = spike.window_start, spike.window_end
        alert.observed, alert.expected = float(spike.observed), float(spike.expected)
        alert.severity = float(spike.severity)
    status = {"open": "open", "escalate": "escalated", "resolve": "resolved"}.get(action.action)
    if status:
        alert.status = status
    if action.notify:
        if action.action in ("open", "escalate") and spike is not None:
            alert.alerted_peak = spike.peak
        alert.pending_action = action.action
        alert.pending_since = now
        alert.delivered, alert.last_error = False, None  # a new message to send
    session.flush()
    return alert


def _content(session, alert: Alert, dashboard_url: str) -> AlertContent:
    """The top issue in the alert's window and three sample posts from it."""
    rows = session.execute(
        select(Enrichment.issue_id, Mention.text)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .where(
            complaint_filter(),
            Mention.duplicate_of.is_(None),
            Mention.created_at >= alert.window_start,
            Mention.created_at < alert.window_end,
        )
        .order_by(Mention.reach.desc().nullslast(), Mention.id)
    ).all()
    top_issue, samples = None, []
    counts = Counter(issue_id for issue_id, _ in rows if issue_id is not None)
    if counts:
        issue = session.get(Issue, counts.most_common(1)[0][0])
        top_issue = TopIssue(issue.label, issue.classification, issue.severity)
        # Posts may quote e-mails, phone numbers, IBANs or cards: never send those to chat.
        samples = [redact(text) for issue_id, text in rows if issue_id == issue.id][:3]
    return AlertContent(
        kind=alert.kind,
        scope=alert.scope,
        window_start=alert.window_start,
        window_end=alert.window_end,
        observed=alert.observed,
        expected=alert.expected,
        severity=alert.severity,
        top_issue=top_issue,
        samples=samples,
        dashboard_url=dashboard_url,
        action=alert.pending_action or "open",
    )


# Committed on an alert just before it is sent. Found again only after a crash during
# the send: the message may have reached the channel, so it is not sent a second time.
SENDING = "sending"
INTERRUPTED = "interrupted while sending; not sent again (it may have reached the channel)"


def deliver(db: DatabaseResource, notifier: NotifierResource, config, clock: datetime, log) -> dict:
    """Send each pending alert in its own transactions: mark it, send, record the outcome.

    A crash before the mark re-sends on the next run; a crash after it never does.
    """
    channels = [(c.name, c.resolve_url()) for c in config.alerts.channels]
    urls = [url for _, url in channels if url]
    names = [name for name, url in channels if url]
    missing = [name for name, url in channels if not url]
    if missing:
        log.warning(f"alert channels without a URL (set their url_env variable): {missing}")
    counts = Counter()
    with db.session() as session:
        pending = session.scalars(
            select(Alert.id)
            .where(Alert.delivered.is_(False), Alert.pending_action.is_not(None))
            .order_by(Alert.window_start, Alert.id)
        ).all()
    for alert_id in pending:
        with db.session() as session:
            message = _claim(session, session.get(Alert, alert_id), config, clock, urls, counts)
        if message is None:
            continue
        result = notifier.send(urls, *message, channel_names=names)
        with db.session() as session:
            _record(session.get(Alert, alert_id), result, counts)
    return {
        "sent": counts["sent"],
        "failed": counts["failed"],
        "historical_not_sent": counts["historical"],
        "interrupted_not_resent": counts["interrupted"],
    }


def _claim(session, alert: Alert, config, clock: datetime, urls, counts) -> tuple | None:
    """The (title, body) to send, with the alert marked as being sent; None: nothing to send."""
    if alert.last_error == SENDING:
        alert.last_error, alert.pending_action = INTERRUPTED, None
        counts["interrupted"] += 1
        return None
    alert.title, alert.body = format_alert(_content(session, alert, config.alerts.dashboard_url))
    if clock - alert.pending_since > DELIVERY_MAX_AGE:
        alert.last_error, alert.pending_action = "historical: found while loading history", None
        counts["historical"] += 1
        return None
    if not urls:
        alert.last_error = "no alert channel configured"
        return None
    alert.last_error = SENDING
    return alert.title, alert.body


def _record(alert: Alert, result, counts) -> None:
    alert.attempts += result.attempts
    alert.delivered, alert.last_error = result.delivered, result.error
    if result.delivered:
        alert.delivered_at, alert.pending_action = utcnow(), None
        counts["sent"] += 1
    else:
        counts["failed"] += 1


@dg.asset(
    group_name="intelligence",
    deps=[issues],
    description="Negative-spike alerts per scope (all, per source, hourly), sent once via apprise.",
    automation_condition=dg.AutomationCondition.eager(),
)
def negative_spike_alerts(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    cx_config: ConfigResource,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    config = cx_config.load()
    with db.session() as session:
        newest = session.scalar(select(func.max(Mention.created_at)))
        if newest is None:
            return dg.MaterializeResult(metadata={"alerts": 0})
        touched = []
        # The data's own clock: the bucket holding the newest mention is still filling.
        for scope in scopes_in(session):
            counts = negative_counts(session, scope)
            touched += replay(session, scope, counts, newest, config)
        changes = [f"alert {a.status}: {a.scope} {a.window_start:%Y-%m-%d %H:%M}" for a in touched]
    # The alerts are committed before anything is sent; each send has its own transactions.
    delivery = deliver(db, notifier, config, datetime.now(UTC), context.log)
    with db.session() as session:
        total = session.scalar(select(func.count(Alert.id)))
        open_now = session.scalar(select(func.count(Alert.id)).where(Alert.status != "resolved"))
    for change in changes:
        context.log.info(change)
    return dg.MaterializeResult(
        metadata={"alerts_total": total, "open": open_now, "changed": len(changes), **delivery}
    )


@dg.asset_check(
    asset=negative_spike_alerts, description="Alert storm guard: at most 10 alerts opened a day."
)
def no_alert_storm(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        per_day = Counter(created.date() for created in session.scalars(select(Alert.created_at)))
    worst = max(per_day.values(), default=0)
    return dg.AssetCheckResult(passed=worst <= 10, metadata={"most_alerts_in_a_day": worst})


@dataclass(frozen=True)
class BacktestAlert:
    """A message the alerting would have sent (open, escalate or resolve)."""

    at: datetime  # end of the bucket that triggered it
    action: str
    scope: str
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    severity: float


def backtest(session, config, start: datetime, end: datetime) -> list[BacktestAlert]:
    """Replay stored history: the alerts that would have been sent between ``start`` and ``end``.

    Pure replay with its own alert state: nothing is stored or sent. Buckets
    before ``start`` still count as history for the baseline.
    """
    sent = []
    for scope in scopes_in(session):
        times = [t for t in negative_times(session, scope) if t < end]
        if times:
            sent += _replay_in_memory(scope, times, start, end, config)
    return sorted(sent, key=lambda alert: (alert.at, alert.scope))


def _replay_in_memory(scope: Scope, times, start, end, config) -> list[BacktestAlert]:
    width = BUCKET[scope.freq]
    counts = Counter(bucket_floor(moment, scope.freq) for moment in times)
    series, scores = _scores(scope, counts, end, config)
    open_alerts: dict[str, OpenAlert] = {}
    closed: set[str] = set()
    sent = []
    for index in range(1, len(series) + 1):
        now = series[index - 1][0] + width
        if now <= start:
            continue
        spikes = spikes_from_scores(scores[:index], width, scope.name)
        for action in update_alert_state(
            list(open_alerts.values()), spikes, now, kind=KIND, closed_keys=closed
        ):
            spike, previous = action.spike, open_alerts.get(action.dedupe_key)
            if action.action == "resolve":
                open_alerts.pop(action.dedupe_key, None)
                closed.add(action.dedupe_key)
            else:
                peak = spike.peak if action.notify else previous.alerted_peak
                open_alerts[action.dedupe_key] = OpenAlert(
                    action.dedupe_key, KIND, scope.name, spike.window_start, spike.window_end, peak
                )
            if action.notify:
                sent.append(_backtest_alert(now, action.action, scope.name, spike or previous))
    return sent


def _backtest_alert(now, action: str, scope: str, spike) -> BacktestAlert:
    return BacktestAlert(
        at=now,
        action=action,
        scope=scope,
        window_start=spike.window_start,
        window_end=spike.window_end,
        observed=int(getattr(spike, "observed", 0)),
        expected=float(getattr(spike, "expected", 0.0)),
        severity=round(float(getattr(spike, "severity", 0.0)), 2),
    )


defs = dg.Definitions(assets=[negative_spike_alerts], asset_checks=[no_alert_storm])
