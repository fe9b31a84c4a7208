from datetime import UTC, datetime

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient, rate_limit_wait, retry_after_seconds, safe_url
from tests.connectors.conftest import Reply


def client(**kwargs) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    return HttpClient(sleep=waits.append, timeout=2, allow_private_network=True, **kwargs), waits


def test_retry_after_in_seconds_and_as_http_date():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Wed, 25 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("soon") is None


def test_rate_limit_resets_as_delta_seconds_unix_time_or_iso_time():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert rate_limit_wait({"X-Ratelimit-Reset": "42"}, now) == 42  # Reddit
    assert rate_limit_wait({"ratelimit-reset": str(int(now.timestamp()) + 90)}, now) == 90
    assert rate_limit_wait({"X-RateLimit-Reset": "2026-11-25T12:05:00.000Z"}, now) == 300
    assert rate_limit_wait({"Retry-After": "3", "ratelimit-reset": "999"}, now) == 3
    assert rate_limit_wait({"X-RateLimit-Reset": "whenever"}, now) is None


def test_429_waits_as_long_as_the_server_asks_then_succeeds(server):
    server.route("/api", Reply(429, headers={"Retry-After": "3"}), Reply(200, {"ok": True}))
    http, waits = client()
    assert http.get(server.url + "/api", accept=["json"]).json() == {"ok": True}
    assert waits == [3.0]
    assert len(server.hits("/api")) == 2


def test_5xx_is_retried_with_backoff_and_then_reported(server):
    server.route("/api", Reply(503))
    http, waits = client(max_retries=2, backoff=0.5)
    with pytest.raises(SourceError, match="HTTP 503 after 3 tries"):
        http.get(server.url + "/api")
    assert waits == [0.5, 1.0]


def test_a_very_long_retry_after_gives_up_for_this_run(server):
    server.route("/api", Reply(429, headers={"Retry-After": "3600"}))
    http, _ = client(max_retry_wait=60)
    with pytest.raises(SourceError, match="next scheduled run continues"):
        http.get(server.url + "/api")


def test_timeouts_are_retried_and_bounded(server):
    server.route("/slow", Reply(200, b"late", delay=1.5))
    http, waits = client(max_retries=1)
    http.timeout = 0.3
    with pytest.raises(SourceError, match="no answer after 2 tries"):
        http.get(server.url + "/slow")
    assert len(waits) == 1


def test_truncated_body_is_retried(server):
    server.route("/feed", Reply(200, b"<rss>", truncate=True), Reply(200, b"<rss></rss>"))
    http, _ = client()
    assert http.get(server.url + "/feed").body == b"<rss></rss>"


def test_huge_response_is_refused_without_reading_it(server):
    server.route("/big", Reply(200, b"x" * 5000))
    http, _ = client(max_bytes=1000)
    with pytest.raises(SourceError, match="larger than"):
        http.get(server.url + "/big")


def test_wrong_content_type_names_what_was_expected(server):
    server.route("/api", Reply(200, "<html>login</html>", {"Content-Type": "text/html"}))
    http, _ = client()
    with pytest.raises(SourceError, match="expected json, got 'text/html'"):
        http.get(server.url + "/api", accept=["json"])


def test_error_messages_never_carry_credentials_or_query_strings(server):
    server.route("/api", Reply(401))
    http, _ = client()
    with pytest.raises(SourceError) as raised:
        http.get(f"http://user:s3cret@127.0.0.1:{server.url.rsplit(':', 1)[1]}/api?token=s3cret")
    assert "s3cret" not in str(raised.value)
    assert "credentials" in str(raised.value)
    assert safe_url("https://u:p@host:8443/x?q=1") == "https://host:8443/x"
