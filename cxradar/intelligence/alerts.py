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
LABEL_LENGTH = 120
MAX_SAMPLES = 3
KIND_NAMES = {"negative_spike": "Negative spike"}
ACTION_PREFIX = {"open": "", "escalate": "Escalated: ", "resolve": "Resolved: "}


@dataclass(frozen=True)
class TopIssue:
    label: str
    classification: str  # systemic | isolated
    severity: float


@dataclass(frozen=True)
class AlertContent:
    kind: str  # e.g. negative_spike
    scope: str  # all | brand:X | source:Y | issue:N
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    severity: float  # robust z-score of the spike
    top_issue: TopIssue | None = None
    samples: Sequence[str] = ()
    dashboard_url: str | None = None
    action: str = "open"  # open | escalate | resolve: sets the title's prefix


def _scope_text(scope: str) -> str:
    if scope == "all":
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


def format_alert(alert: AlertContent) -> tuple[str, str]:
    """Title and Markdown body of a chat alert; customer text in it is neutralised."""
    kind = KIND_NAMES.get(alert.kind, alert.kind.replace("_", " ").capitalize())
    scope = sanitize_untrusted(_scope_text(alert.scope), 80)
    observed, expected = round(alert.observed), alert.expected
    prefix = ACTION_PREFIX.get(alert.action, "")
    title = f"{prefix}{kind} in {scope}: {observed} negative mentions (expected ~{expected:.0f})"
    lines = [
        f"**{kind}** in **{scope}**",
        f"- Window: {_window_text(alert.window_start, alert.window_end)}",
        f"- Observed: **{observed}** negative mentions, expected about {expected:.1f} "
        f"(robust z {alert.severity:.1f})",
    ]
    if alert.top_issue is not None:
        issue = alert.top_issue
        label = sanitize_untrusted(issue.label, LABEL_LENGTH)
        lines.append(
            f"- Top issue: **{label}** ({sanitize_untrusted(issue.classification, 20)}, "
            f"severity {issue.severity:.2f})"
        )
    samples = [sanitize_untrusted(s, SAMPLE_LENGTH) for s in alert.samples]
    samples = [s for s in samples if s][:MAX_SAMPLES]
    if samples:
        lines += ["", "Sample posts:"]
        lines += [f"> “{sample}”" for sample in samples]  # one quote line each, never merged
    link = _safe_link(alert.dashboard_url)
    if link:
        lines += ["", f"[Open the dashboard]({link})"]
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
        name for name in logging.root.manager.loggerDict
        if name.split(".")[0] in _TRANSPORT_LOGGERS
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


def _notify_once(url: str, title: str, body: str) -> str | None:
    """None when the channel accepted the message, else a reason free of the URL."""
    try:
        with _guarded_transport_logs(url):
            sender = apprise.Apprise()
            if not sender.add(url):
                return "URL not understood by apprise"
            accepted = sender.notify(
                title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN
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
) -> DeliveryResult:
    """Send to every apprise URL, retrying only the failed channels with exponential backoff.

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
            reason = _notify_once(urls[index], title, body)
            if reason is not None:
                reasons[index] = reason
                still_failing.append(index)
        pending = still_failing
        if not pending:
            return DeliveryResult(True, attempts, None)
    labels = tuple(_channel_label(index, channel_names) for index in pending)
    error = "; ".join(f"{label}: {reasons[index]}" for label, index in zip(labels, pending,
                                                                               strict=True))
    error = f"not delivered after {attempts} attempts: {error}"
    log.warning("alert %r %s", title[:80], error)
    return DeliveryResult(False, attempts, error, labels)
