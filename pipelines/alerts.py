"""Alerts: negative spikes per scope and the issue trigger, one chat message per episode.

Each run judges every watch at the wall clock (``now``; the run config can set it):
first the buckets completed since the last run, one by one, so an alert opens,
escalates and resolves exactly as it would have live; then the open bucket with
what has arrived so far, so an outage alerts within the run after it crosses the
threshold. The rules are in ``cxradar.intelligence.spikes``; ``cxradar.alerts_store``
counts and keeps the alerts, ``cxradar.alert_messages`` says what a message holds; this
module runs them and sends the messages. Alerts about the past (history loaded for the
first time) are recorded but not sent: chat gets only news.
"""

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
from pydantic import Field
from sqlalchemy import func, select

from cxradar.alert_messages import alert_content
from cxradar.alerts_store import DELIVERY_MAX_AGE, judge
from cxradar.intelligence.alerts import (
    NOTIFY_TYPE,
    format_alert,
)
from cxradar.intelligence.spikes import (
    AlertBook,
    Transition,
)
from cxradar.schema import (
    Alert,
    Mention,
    utcnow,
)
from pipelines.intelligence import issues
from pipelines.resources import ConfigResource, DatabaseResource, NotifierResource

# ------------------------------------------------------------------- delivery

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
        result = _send(notifier, urls, message, names)
        with db.session() as session:
            _record(session.get(Alert, alert_id), result, counts)
    return {
        "sent": counts["sent"],
        "failed": counts["failed"],
        "historical_not_sent": counts["historical"],
        "interrupted_not_resent": counts["interrupted"],
    }


def _claim(session, alert: Alert, config, clock: datetime, urls, counts) -> tuple | None:
    """The (title, body, type) to send, with the alert marked as being sent; None: nothing."""
    if alert.last_error == SENDING:
        alert.last_error, alert.pending_action = INTERRUPTED, None
        counts["interrupted"] += 1
        return None
    content = alert_content(session, alert, config.alerts.dashboard_url, clock)
    alert.title, alert.body = format_alert(content)
    if clock - alert.pending_since > DELIVERY_MAX_AGE:
        alert.last_error, alert.pending_action = "historical: found while loading history", None
        counts["historical"] += 1
        return None
    if not urls:
        alert.last_error = "no alert channel configured"
        return None
    alert.last_error = SENDING
    return alert.title, alert.body, NOTIFY_TYPE.get(alert.pending_action, "warning")


def _send(notifier, urls, message, names):
    title, body, notify_type = message
    return notifier.send(urls, title, body, channel_names=names, notify_type=notify_type)


def _record(alert: Alert, result, counts) -> None:
    alert.attempts += result.attempts
    alert.delivered, alert.last_error = result.delivered, result.error
    if result.delivered:
        alert.delivered_at, alert.pending_action = utcnow(), None
        counts["sent"] += 1
    else:
        counts["failed"] += 1


# ------------------------------------------------------------------- the asset


class AlertsRunConfig(dg.Config):
    now: str = Field(
        default="",
        description="Judge as of this ISO time (UTC unless it says otherwise); empty: the "
        "wall clock. For tests and replays.",
    )


def _now(config: AlertsRunConfig) -> datetime:
    if not config.now:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(config.now)
    except ValueError:
        raise dg.Failure(
            f"negative_spike_alerts: now={config.now!r} is not an ISO time; "
            "use e.g. 2026-10-18T11:05:00+00:00 or leave it empty for the clock"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _change_line(transition: Transition, book: AlertBook, ids: dict[str, int]) -> str:
    state = book.alerts[transition.key]
    verb = {"open": "opened", "escalate": "escalated", "resolve": "resolved"}[transition.action]
    line = (
        f"alert {verb}: {state.kind} {state.scope} from {state.window_start:%Y-%m-%d %H:%M}, "
        f"{state.observed:.0f} observed, ~{state.expected:.1f} expected"
    )
    if state.issue_id is not None:
        line += f", issue #{state.issue_id}"
    if transition.message:
        return f"{line}; message: {transition.message}"
    if state.covered_by:
        return f"{line}; told in alert #{ids.get(state.covered_by)}'s message"
    return line


@dg.asset(
    group_name="intelligence",
    deps=[issues],
    description="Negative-spike alerts per scope (brand, all, per source, hourly, large "
    "issues) and the issue trigger, one message per episode via apprise.",
    automation_condition=dg.AutomationCondition.eager(),
)
def negative_spike_alerts(
    context: dg.AssetExecutionContext,
    config: AlertsRunConfig,
    db: DatabaseResource,
    cx_config: ConfigResource,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    settings = cx_config.load()
    now = _now(config)
    with db.session() as session:
        if session.scalar(select(func.count(Mention.id))) == 0:
            return dg.MaterializeResult(metadata={"alerts": 0})
        book, transitions = judge(session, settings, now)
        ids = {row.dedupe_key: row.id for row in session.scalars(select(Alert))}
        # Each state change once, in the order it happened.
        changes = [_change_line(t, book, ids) for t in transitions if t.action != "update"]
    # The alerts are committed before anything is sent; each send has its own transactions.
    delivery = deliver(db, notifier, settings, now, context.log)
    with db.session() as session:
        total = session.scalar(select(func.count(Alert.id)))
        open_now = session.scalar(select(func.count(Alert.id)).where(Alert.status != "resolved"))
    for change in changes:
        context.log.info(change)
    return dg.MaterializeResult(
        metadata={
            "alerts_total": total,
            "open": open_now,
            "changed": len(changes),
            "judged_at": now.isoformat(),
            **delivery,
        }
    )


@dg.asset_check(
    asset=negative_spike_alerts, description="Alert storm guard: at most 10 alerts opened a day."
)
def no_alert_storm(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        per_day = Counter(
            created.date()
            for created in session.scalars(
                select(Alert.created_at).where(Alert.covered_by.is_(None))
            )
        )
    worst = max(per_day.values(), default=0)
    return dg.AssetCheckResult(passed=worst <= 10, metadata={"most_alerts_in_a_day": worst})


defs = dg.Definitions(assets=[negative_spike_alerts], asset_checks=[no_alert_storm])
