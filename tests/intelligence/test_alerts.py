"""Chat alerts: the message a channel receives, retries, and no way for customers to ping."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cxradar.intelligence.alerts import (
    NOTIFY_TYPE,
    AlertContent,
    IssueSummary,
    alert_severity,
    format_alert,
    issue_link,
    send_alert,
)

HOSTILE = "@channel <!here> <script>alert(1)</script> [win](http://evil.example) ```"


class Receiver:
    """A local webhook: records each JSON post and answers with the next queued status."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.default_status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append(
                    {"path": self.path, "payload": json.loads(self.rfile.read(length))}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hooks/cx"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with Receiver() as running:
        yield running


def spike_alert(samples=("The app logs me out", "Login kaputt seit dem Update"), **changes):
    fields = dict(
        kind="negative_spike",
        scope="brand:Finora",
        window_start=datetime(2024, 10, 18, tzinfo=UTC),
        window_end=datetime(2024, 10, 19, tzinfo=UTC),
        observed=29,
        expected=1.2,
        severity=0.71,
        issue=IssueSummary(7, "Logged out after update 5.2", "emerging", tickets=4),
        customers=27,
        channels=("appstore", "reddit"),
        since=datetime(2024, 10, 18, 9, 2, tzinfo=UTC),
        samples=samples,
        dashboard_url="http://localhost:8501",
        as_of=datetime(2024, 10, 18, 15, 5, tzinfo=UTC),
    )
    fields.update(changes)
    return AlertContent(**fields)


def test_the_title_and_first_line_name_the_issue_and_its_label():
    title, body = format_alert(spike_alert())
    assert title == (
        "Logged out after update 5.2 (emerging): 29 negative posts (expected ~1.2 by 15:05 UTC)"
    )
    lines = body.splitlines()
    assert lines[0] == (
        "**Logged out after update 5.2** (emerging) · 29 negative posts "
        "(expected ~1.2 by 15:05 UTC) in brand Finora"
    )
    assert "- 27 customers on 2 channels (appstore, reddit)" in lines
    assert "- Since: 18 Oct 2024 09:02 UTC" in lines
    assert "- Support tickets linked: 4" in lines
    assert "- Severity: 0.71 (0–1)" in lines
    assert "> “Login kaputt seit dem Update”" in lines
    assert lines[-1] == "[Open the issue in the dashboard](http://localhost:8501/issues?issue=7)"


def test_the_issue_trigger_speaks_of_new_customers_and_the_app_version_when_known():
    title, body = format_alert(
        spike_alert(
            kind="new_customers",
            scope="issue:topic:3",
            observed=6,
            expected=0,
            app_version="5.2.0",
            as_of=datetime(2024, 10, 19, 1, tzinfo=UTC),
        )
    )
    assert title.endswith("(emerging): 6 new customers (expected ~0)")  # the day is over
    assert "- Started with app version 5.2.0" in body.splitlines()
    assert "Started with app version" not in format_alert(spike_alert())[1]


def test_escalations_and_resolutions_are_labelled_in_the_title():
    assert format_alert(spike_alert(action="escalate"))[0].startswith("Escalated: Logged out")
    assert format_alert(spike_alert(action="resolve"))[0].startswith("Resolved: Logged out")
    assert (NOTIFY_TYPE["open"], NOTIFY_TYPE["escalate"], NOTIFY_TYPE["resolve"]) == (
        "warning",
        "warning",
        "success",
    )


def test_without_a_known_issue_the_scope_names_the_spike_and_the_link_the_dashboard():
    title, body = format_alert(spike_alert(issue=None, scope="all"))
    assert title.startswith("Negative spike in all channels (spike): 29 negative posts")
    assert body.endswith("[Open the dashboard](http://localhost:8501)")
    assert "Support tickets" not in body


def test_hourly_windows_show_times():
    _, body = format_alert(
        spike_alert(
            window_start=datetime(2024, 10, 18, 14, tzinfo=UTC),
            window_end=datetime(2024, 10, 18, 16, tzinfo=UTC),
        )
    )
    assert "18 Oct 2024 14:00–16:00 UTC" in body


def test_customer_text_in_samples_and_issue_title_is_neutralised():
    alert = spike_alert(
        samples=[HOSTILE, "a\nb", "x" * 1000, "fourth is dropped"],
        issue=IssueSummary(3, "<!everyone> refund now", "systemic"),
    )
    title, body = format_alert(alert)
    for danger in ("@channel", "<!here>", "<script>", "<!everyone>", "](http://evil", "```"):
        assert danger not in body and danger not in title
    quotes = [line for line in body.splitlines() if line.startswith("> ")]
    assert len(quotes) == 3 and all(len(line) < 260 for line in quotes)
    assert "fourth is dropped" not in body


def test_a_dashboard_link_that_could_break_markdown_is_left_out():
    _, body = format_alert(spike_alert(dashboard_url="javascript:alert(1)"))
    assert "dashboard" not in body
    _, body = format_alert(spike_alert(dashboard_url="http://x/a)[b](http://evil"))
    assert "evil" not in body
    assert issue_link("https://cx.example/radar/", 12) == "https://cx.example/radar/issues?issue=12"


def test_alert_severity_shares_the_issue_scale():
    assert alert_severity(30, 1.2, 100) == pytest.approx(0.96)  # far above normal, 100 people
    assert alert_severity(30, 1.2, 1) < 0.15  # one loud customer
    assert alert_severity(20, 20, 50) == 0.0  # at the baseline
    assert 0 <= alert_severity(10_000, 1, 10_000) <= 1 and alert_severity(0, 3, 0) == 0.0


def test_delivery_reaches_a_webhook_with_title_and_markdown_body(receiver):
    title, body = format_alert(spike_alert())
    result = send_alert([receiver.url], title, body, retries=0)
    assert result.delivered and result.attempts == 1 and result.error is None
    [request] = receiver.received
    assert request["path"] == "/hooks/cx"
    assert request["payload"]["title"] == title
    assert request["payload"]["message"] == body
    assert request["payload"]["type"] == "warning"
    assert send_alert([receiver.url], title, body, retries=0, notify_type="success").delivered
    assert receiver.received[1]["payload"]["type"] == "success"


def test_failed_deliveries_are_retried_until_they_work(receiver):
    receiver.statuses = [500, 500]
    waits = []
    result = send_alert([receiver.url], "t", "b", retries=3, backoff_s=0.5, sleep=waits.append)
    assert result.delivered and result.attempts == 3
    assert len(receiver.received) == 3
    assert waits == [0.5, 1.0]  # exponential backoff


def test_a_channel_that_keeps_failing_is_reported_without_its_url(receiver):
    receiver.default_status = 500
    result = send_alert([receiver.url], "t", "b", retries=2, backoff_s=0, channel_names=["ops"])
    assert not result.delivered and result.attempts == 3
    assert len(receiver.received) == 3
    assert "channel 'ops'" in result.error
    assert "127.0.0.1" not in result.error and "json://" not in result.error
    assert result.failed_channels == ("channel 'ops'",)


def test_only_failing_channels_are_retried_so_nobody_gets_the_message_twice(receiver):
    with Receiver() as broken:
        broken.default_status = 500
        result = send_alert([receiver.url, broken.url], "t", "b", retries=1, backoff_s=0)
        assert len(broken.received) == 2
    assert len(receiver.received) == 1
    assert not result.delivered and result.failed_channels == ("channel #2",)


def test_unreachable_and_invalid_urls_fail_cleanly_without_leaking_tokens(caplog):
    caplog.set_level(logging.DEBUG)
    urls = ["json://127.0.0.1:9/hook/SECRET-A", "notaservice://SECRET-B"]
    result = send_alert(urls, "t", "b", retries=0)
    assert not result.delivered
    assert "channel #1" in result.error and "channel #2" in result.error
    assert "SECRET" not in result.error and "127.0.0.1" not in result.error
    assert "SECRET" not in caplog.text
    assert not send_alert([], "t", "b").delivered


def test_transport_debug_logs_never_show_the_token(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    assert send_alert([receiver.url + "/SECRET-TOKEN"], "t", "b", retries=0).delivered
    assert receiver.received[0]["path"].endswith("/SECRET-TOKEN")
    assert "SECRET-TOKEN" not in caplog.text
    assert logging.getLogger("apprise").filters == []  # the guard is removed afterwards


def test_hostile_post_arrives_neutralised(receiver):
    title, body = format_alert(spike_alert(samples=[HOSTILE]))
    assert send_alert([receiver.url], title, body, retries=0).delivered
    message = receiver.received[0]["payload"]["message"]
    assert "@channel" not in message and "<!here>" not in message
    assert "<script>" not in message and "alert(1)" in message
