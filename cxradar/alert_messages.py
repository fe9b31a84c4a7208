"""What an alert message says (the issue, its customers and channels, sample posts) and
the backtest: the messages the hourly runs would have sent over stored history."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from cxradar.alerts_store import (
    TRIGGER,
    Scope,
    detector_for,
    episode_facts,
    negative_posts,
    negative_times,
    posts_about,
    scope_named,
    scopes_in,
    times_watch,
    top_issue,
    watch_origin,
)
from cxradar.intelligence.alerts import (
    AlertContent,
    IssueSummary,
    alert_severity,
)
from cxradar.intelligence.customers import known_author
from cxradar.intelligence.impact import spike_version
from cxradar.intelligence.spikes import (
    AlertBook,
    Transition,
    step_all,
)
from cxradar.privacy import redact
from cxradar.schedules import hourly_cron
from cxradar.schema import (
    Alert,
    Issue,
    IssueRedirect,
    Mention,
)
from cxradar.scores import version_first_seen

# ------------------------------------------------------------------- what a message says


def sample_posts(session, scope: Scope, start, end, issue_id: int | None) -> list[str]:
    """Three posts of the episode from three different customers, most reach first,
    redacted: posts may quote e-mails, phone numbers, IBANs or cards."""
    query = (
        negative_posts(Mention.source_id, Mention.author, Mention.id, Mention.text)
        .where(Mention.created_at >= start, Mention.created_at < max(end, start))
        .order_by(Mention.reach.desc().nullslast(), Mention.id)
    )
    samples, seen = [], set()
    for source_id, author, mention_id, text in session.execute(
        posts_about(session, scope, issue_id, query).limit(200)
    ):
        who = (source_id, known_author(author)) if known_author(author) else (None, mention_id)
        if who not in seen and text and text.strip():
            seen.add(who)
            samples.append(redact(text))
        if len(samples) == 3:
            break
    return samples


def alert_content(session, alert: Alert, dashboard_url: str, now: datetime) -> AlertContent:
    scope = scope_named(session, alert.kind, alert.scope)
    end = min(alert.window_end, max(now, alert.window_start))
    if alert.issue_id is not None and session.get(Issue, alert.issue_id) is None:
        # Merged into another issue since: follow it there.
        redirect = session.get(IssueRedirect, alert.issue_id)
        if redirect is not None:
            alert.issue_id = redirect.merged_into
    issue = session.get(Issue, alert.issue_id) if alert.issue_id is not None else None
    if issue is None and alert.issue_id is not None:  # regrouped since: where its posts are
        alert.issue_id = top_issue(session, scope, alert.window_start, end)
        issue = session.get(Issue, alert.issue_id) if alert.issue_id is not None else None
    summary = None
    if issue is not None:
        summary = IssueSummary(
            issue.id, issue.title or issue.label, issue.classification, issue.tickets
        )
    facts = episode_facts(session, scope, alert.window_start, end, alert.issue_id)
    return AlertContent(
        kind=alert.kind,
        scope=alert.scope,
        window_start=alert.window_start,
        window_end=alert.window_end,
        observed=alert.observed,
        expected=alert.expected,
        severity=alert.severity,
        issue=summary,
        customers=facts.customers,
        channels=facts.channels,
        since=facts.since,
        # An update first reviewed in the window or just before it: the spike began with it.
        app_version=spike_version(version_first_seen(session), alert.window_start, end),
        samples=sample_posts(session, scope, alert.window_start, end, alert.issue_id),
        dashboard_url=dashboard_url,
        action=alert.pending_action or "open",
        as_of=now,  # the counts are the latest run's
    )


# ------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class BacktestAlert:
    """A message the alerting would have sent (open, escalate or resolve)."""

    at: datetime  # the scheduled run that would have sent it
    action: str
    kind: str
    scope: str
    issue_id: int | None
    issue: str  # the issue's title
    label: str  # systemic | emerging | isolated
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    severity: float
    minutes_after_first_post: int | None  # from the episode's first post to this message
    covers: tuple[str, ...]  # other scopes whose alerts this message tells


def schedule_runs(start: datetime, end: datetime, cron: str | None = None) -> list[datetime]:
    """The scheduled runs (``cxradar.schedules``' hourly cron) in (start, end]."""
    runs = croniter(cron or hourly_cron(), start)
    moments = []
    while (moment := runs.get_next(datetime)) <= end:
        moments.append(moment.astimezone(UTC))
    return moments


def backtest(session, config, start: datetime, end: datetime, now: datetime | None = None):
    """Replay stored history: the messages the hourly runs would have sent, start to end.

    Pure replay with its own alert book: nothing is stored or sent. Each scheduled run
    judges what had been posted by then; runs after ``now`` (default: the clock) have
    not happened, so nothing later is listed. Buckets before ``start`` still count as
    history for the baseline. The issue trigger watches today's emerging and systemic
    issues.
    """
    now = now or datetime.now(UTC)
    end = min(end, now)
    runs = schedule_runs(start, end)
    scopes = {(s.kind, s.name): s for s in scopes_in(session, config)}
    watches = []
    for scope in scopes.values():
        detector = detector_for(scope, config)
        times = negative_times(session, scope, end)
        watch = times_watch(scope, detector, times, end, watch_origin(session, scope, None))
        if watch is not None:
            watches.append(watch)

    def issue_of(kind: str, name: str, spike) -> int | None:
        return top_issue(
            session, scopes[kind, name], spike.window_start, min(spike.window_end, end)
        )

    book, sent = AlertBook(), []
    for run in runs:  # each message as it stands when it would have been sent
        transitions = step_all(book, [(run, watch) for watch in watches], issue_of)
        sent += [_backtest_alert(session, book, t, scopes) for t in transitions if t.message]
    return sent


def _backtest_alert(session, book, transition: Transition, scopes) -> BacktestAlert:
    state = book.alerts[transition.carrier]
    scope = scopes[state.kind, state.scope]
    issue = session.get(Issue, state.issue_id) if state.issue_id is not None else None
    end = min(state.window_end, transition.at)
    facts = episode_facts(session, scope, state.window_start, end, state.issue_id)
    customers = round(state.observed) if state.kind == TRIGGER else facts.customers
    minutes = None
    if facts.since is not None:
        minutes = int((transition.at - facts.since) // timedelta(minutes=1))
    return BacktestAlert(
        at=transition.at,
        action=transition.message,
        kind=state.kind,
        scope=state.scope,
        issue_id=state.issue_id,
        issue=(issue.title or issue.label) if issue else "",
        label=issue.classification if issue else "",
        window_start=state.window_start,
        window_end=state.window_end,
        observed=round(state.observed),
        expected=round(float(state.expected), 2),
        severity=alert_severity(state.observed, state.expected, customers),
        minutes_after_first_post=minutes,
        covers=tuple(a.scope for a in book.members(state)[1:]),
    )
