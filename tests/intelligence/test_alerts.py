"""Chat alerts: the message a channel receives, retries, and no way for customers to ping."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cxradar.intelligence.alerts import AlertContent, TopIssue, format_alert, send_alert

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
        scope="source:reddit",
        window_start=datetime(2024, 10, 18, tzinfo=UTC),
        window_end=datetime(2024, 10, 20, tzinfo=UTC),
        observed=34,
        expected=8.2,
        severity=6.3,
        top_issue=TopIssue("Logged out after update", "systemic", 0.62),
        samples=samples,
        dashboard_url="http://localhost:8501/?issue=7",
    )
    fields.update(changes)
    return AlertContent(**fields)


def test_the_message_says_what_happened_where_and_how_bad():
    title, body = format_alert(spike_alert())
    assert title == "Negative spike in source reddit: 34 negative mentions (expected ~8)"
    assert "18 Oct – 19 Oct 2024 (UTC)" in body
    assert "**34** negative mentions, expected about 8.2 (robust z 6.3)" in body
    assert "Top issue: **Logged out after update** (systemic, severity 0.62)" in body
    assert "> “Login kaputt seit dem Update”" in body
    assert body.endswith("[Open the dashboard](http://localhost:8501/?issue=7)")


def test_escalations_and_resolutions_are_labelled_in_the_title():
    assert format_alert(spike_alert(action="escalate"))[0].startswith("Escalated: Negative spike")
    assert format_alert(spike_alert(action="resolve"))[0].startswith("Resolved: Negative spike")


def test_hourly_windows_show_times():
    _, body = format_alert(
        spike_alert(
            window_start=datetime(2024, 10, 18, 14, tzinfo=UTC),
            window_end=datetime(2024, 10, 18, 16, tzinfo=UTC),
        )
    )
    assert "18 Oct 2024 14:00–16:00 UTC" in body


def test_customer_text_in_samples_and_label_is_neutralised():
    alert = spike_alert(
        samples=[HOSTILE, "a\nb", "x" * 1000, "fourth is dropped"],
        top_issue=TopIssue("<!everyone> refund now", "isolated", 0.1),
    )
    _, body = format_alert(alert)
    for danger in ("@channel", "<!here>", "<script>", "<!everyone>", "](http://evil", "```"):
        assert danger not in body
    quotes = [line for line in body.splitlines() if line.startswith("> ")]
    assert len(quotes) == 3 and all(len(line) < 260 for line in quotes)
    assert "fourth is dropped" not in body


def test_a_dashboard_link_that_could_break_markdown_is_left_out():
    _, body = format_alert(spike_alert(dashboard_url="javascript:alert(1)"))
    assert "dashboard" not in body
    _, body = format_alert(spike_alert(dashboard_url="http://x/a)[b](http://evil"))
    assert "evil" not in body


def test_delivery_reaches_a_webhook_with_title_and_markdown_body(receiver):
    title, body = format_alert(spike_alert())
    result = send_alert([receiver.url], title, body, retries=0)
    assert result.delivered and result.attempts == 1 and result.error is None
    [request] = receiver.received
    assert request["path"] == "/hooks/cx"
    assert request["payload"]["title"] == title
    assert request["payload"]["message"] == body


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
