"""Chat alerts: a Markdown message any chat app renders, and delivery through apprise.

Everything written by customers (sample posts, an issue label taken from a post)
goes through ``sanitize_untrusted`` so it cannot ping a channel, inject HTML or
links, or break the message layout.

Apprise URLs carry tokens (``slack://T000/B000/XXXX``), so nothing here logs or
returns a URL: failures name the channel by its position or the name given, and
apprise's and urllib3's log records that could quote a URL are dropped while sending.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import apprise

from cxradar.intelligence.text_safety import sanitize_untrusted

log = logging.getLogger(__name__)

SAMPLE_LENGTH = 240
TITLE_LENGTH = 120
MAX_SAMPLES = 3
ACTION_PREFIX = {"open": "", "escalate": "Escalated: ", "resolve": "Resolved: "}
# apprise's notification type per action: chat apps colour the message by it
NOTIFY_TYPE = {"open": "warning", "escalate": "warning", "resolve": "success"}
UNITS = {"negative_spike": "negative posts", "new_customers": "new customers"}
BREADTH_SATURATION = 100  # as an issue's severity: this many customers gives full breadth


@dataclass(frozen=True)
class IssueSummary:
    """The issue an alert is about, as the message names it."""

    id: int
    title: str  # the issue's title, its keywords when it has none yet
    classification: str  # systemic | emerging | isolated
    tickets: int = 0  # support tickets linked to the issue


@dataclass(frozen=True)
class AlertContent:
    kind: str  # negative_spike | new_customers
    scope: str  # all | brand:X | source:Y | issue:N | all (hourly)
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    severity: float  # 0..1, the scale issues use (see ``alert_severity``)
    issue: IssueSummary | None = None
    customers: int = 0  # distinct customers in the episode
    channels: Sequence[str] = ()  # the sources they posted on
    since: datetime | None = None  # the episode's first post
    app_version: str | None = None  # the app version the first reviews named, where known
    samples: Sequence[str] = ()  # already redacted; one per customer
    dashboard_url: str | None = None
    action: str = "open"  # open | escalate | resolve: sets the title's prefix
    as_of: datetime | None = None  # when it was judged: an open bucket is judged so far


def alert_severity(observed: float, expected: float, customers: int) -> float:
    """Severity 0..1, on the scale of an issue's: how abnormal x how many people.

    Abnormal is the share of the episode's posts above what was expected (0 at
    baseline, near 1 far above it); breadth is ln(1 + customers) / ln(1 + 100),
    capped at 1, as in an issue's severity. Both must be high.
    """
    if observed <= 0:
        return 0.0
    abnormal = max(0.0, 1.0 - expected / observed)
    breadth = min(1.0, math.log1p(max(customers, 0)) / math.log1p(BREADTH_SATURATION))
    return round(abnormal * breadth, 3)


def issue_link(dashboard_url: str | None, issue_id: int | None) -> str | None:
    """The issue's page in the dashboard (``/issues?issue=<id>``), else the dashboard."""
    base = _safe_link(dashboard_url)
    if base is None or issue_id is None:
        return base
    return f"{base.rstrip('/')}/issues?issue={int(issue_id)}"


def _scope_text(scope: str) -> str:
    if scope in ("all", "all (hourly)"):
        return "all channels"
    kind, _, value = scope.partition(":")
    return f"{kind} {value}" if value else scope


def _window_text(start: datetime, end: datetime) -> str:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.time() == end.time() == datetime.min.time():  # whole days; the end is exclusive
        last = end - timedelta(days=1)
        if last.date() <= start.date():
            return f"{start:%d %b %Y} (UTC)"
        return f"{start:%d %b} – {last:%d %b %Y} (UTC)"
    if start.date() == end.date():
        return f"{start:%d %b %Y %H:%M}–{end:%H:%M} UTC"
    return f"{start:%d %b %Y %H:%M} – {end:%d %b %Y %H:%M} UTC"


def _safe_link(url: str | None) -> str | None:
    """The dashboard link only when it is a plain http(s) URL that cannot break Markdown."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if any(char in url for char in " <>()[]`\"'\\") or any(ord(c) < 32 for c in url):
        return None
    return url


def _subject(alert: AlertContent) -> tuple[str, str]:
    """What the alert is about and its label: the issue's title, else the scope."""
    if alert.issue is None:
        return f"Negative spike in {_scope_text(alert.scope)}", "spike"
    title = sanitize_untrusted(alert.issue.title, TITLE_LENGTH) or f"Issue #{alert.issue.id}"
    return title, sanitize_untrusted(alert.issue.classification, 20)


def _counts_text(alert: AlertContent) -> str:
    unit = UNITS.get(alert.kind, "posts")
    by = (
        ""
        if alert.as_of is None or alert.as_of >= alert.window_end
        else (f" by {alert.as_of.astimezone(UTC):%H:%M} UTC")
    )
    expected = f"{alert.expected:.0f}"
    if alert.expected < 10:  # one decimal for small numbers, none when it is whole
        expected = f"{alert.expected:.1f}".removesuffix(".0")
    return f"{round(alert.observed)} {unit} (expected ~{expected}{by})"


def format_alert(alert: AlertContent) -> tuple[str, str]:
    """Title and Markdown body of a chat alert; customer text in it is neutralised.

    The title and the first line name the issue by its title and label; then
    observed vs expected, customers and channels, since when, tickets, the app
    version, three sample posts and the link to the issue's page.
    """
    subject, label = _subject(alert)
    scope = sanitize_untrusted(_scope_text(alert.scope), 80)
    prefix = ACTION_PREFIX.get(alert.action, "")
    counts = _counts_text(alert)
    title = f"{prefix}{subject} ({label}): {counts}"
    lines = [f"**{subject}** ({label}) · {counts} in {scope}"]
    lines.append(f"- Window: {_window_text(alert.window_start, alert.window_end)}")
    if alert.customers:
        channels = sorted({sanitize_untrusted(c, 40) for c in alert.channels})
        where = f" on {len(channels)} channel{'s' * (len(channels) != 1)}" if channels else ""
        names = f" ({', '.join(channels)})" if channels else ""
        lines.append(f"- {alert.customers} customer{'s' * (alert.customers != 1)}{where}{names}")
    if alert.since is not None:
        lines.append(f"- Since: {alert.since.astimezone(UTC):%d %b %Y %H:%M} UTC")
    if alert.issue is not None:
        lines.append(f"- Support tickets linked: {alert.issue.tickets}")
    if alert.app_version:
        lines.append(f"- Started with app version {sanitize_untrusted(alert.app_version, 30)}")
    lines.append(f"- Severity: {alert.severity:.2f} (0–1)")
    samples = [sanitize_untrusted(s, SAMPLE_LENGTH) for s in alert.samples]
    samples = [s for s in samples if s][:MAX_SAMPLES]
    if samples:
        lines += ["", "Sample posts:"]
        lines += [f"> “{sample}”" for sample in samples]  # one quote line each, never merged
    link = issue_link(alert.dashboard_url, alert.issue.id if alert.issue else None)
    if link:
        what = "Open the issue in the dashboard" if alert.issue else "Open the dashboard"
        lines += ["", f"[{what}]({link})"]
    return title, "\n".join(lines)


# ------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool  # every channel accepted the message
    attempts: int  # rounds of sending used (1 = first try worked everywhere)
    error: str | None  # names failing channels by name or position, never by URL
    failed_channels: tuple[str, ...] = field(default=())


def _channel_label(index: int, names: Sequence[str] | None) -> str:
    if names and index < len(names) and names[index]:
        return f"channel {names[index]!r}"
    return f"channel #{index + 1}"


# These libraries log request URLs (with the tokens in them) at DEBUG level, and
# apprise names an unparseable URL in full at ERROR level.
_TRANSPORT_LOGGERS = ("apprise", "urllib3", "requests")


class _SecretFilter(logging.Filter):
    """Drops transport log records below WARNING and any record quoting a part of the URL."""

    def __init__(self, url: str):
        super().__init__()
        rest = url.partition("://")[2] or url
        self.secrets = [part for part in re.split(r"[/:@?&=#,]+", rest) if len(part) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        return not any(secret in message for secret in self.secrets)


@contextmanager
def _guarded_transport_logs(url: str) -> Iterator[None]:
    names = [
        name for name in logging.root.manager.loggerDict if name.split(".")[0] in _TRANSPORT_LOGGERS
    ]
    loggers = [logging.getLogger(name) for name in {*names, *_TRANSPORT_LOGGERS}]
    guard = _SecretFilter(url)
    for logger in loggers:
        logger.addFilter(guard)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(guard)


def _notify_once(url: str, title: str, body: str, notify_type: str) -> str | None:
    """None when the channel accepted the message, else a reason free of the URL."""
    try:
        with _guarded_transport_logs(url):
            sender = apprise.Apprise()
            if not sender.add(url):
                return "URL not understood by apprise"
            accepted = sender.notify(
                title=title,
                body=body,
                body_format=apprise.NotifyFormat.MARKDOWN,
                notify_type=apprise.NotifyType(notify_type),
            )
    except Exception as error:  # noqa: BLE001 - the message may quote the URL; keep the type only
        return f"{type(error).__name__} while sending"
    return None if accepted else "the service refused or could not be reached"


def send_alert(
    urls: Sequence[str],
    title: str,
    body: str,
    retries: int = 3,
    backoff_s: float = 2.0,
    *,
    channel_names: Sequence[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    notify_type: str = "warning",
) -> DeliveryResult:
    """Send to every apprise URL, retrying only the failed channels with exponential backoff.

    ``notify_type``: apprise's type (``NOTIFY_TYPE``: warning for open and escalate,
    success for resolve), which chat apps show as the message's colour or icon.

    ``retries`` is the number of extra rounds after the first (0 = one try);
    round n waits ``backoff_s * 2**(n-2)`` seconds first. Channels that accept
    are not sent to again, so a retry never duplicates a message.
    """
    if not urls:
        return DeliveryResult(False, 0, "no alert channel configured")
    pending = list(range(len(urls)))
    reasons: dict[int, str] = {}
    attempts = 0
    for round_number in range(retries + 1):
        if round_number:
            sleep(backoff_s * 2 ** (round_number - 1))
        attempts += 1
        still_failing = []
        for index in pending:
            reason = _notify_once(urls[index], title, body, notify_type)
            if reason is not None:
                reasons[index] = reason
                still_failing.append(index)
        pending = still_failing
        if not pending:
            return DeliveryResult(True, attempts, None)
    labels = tuple(_channel_label(index, channel_names) for index in pending)
    error = "; ".join(
        f"{label}: {reasons[index]}" for label, index in zip(labels, pending, strict=True)
    )
    error = f"not delivered after {attempts} attempts: {error}"
    log.warning("alert %r %s", title[:80], error)
    return DeliveryResult(False, attempts, error, labels)
