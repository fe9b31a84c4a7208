"""Every network connector against a hostile server: truncated, mislabelled and endless answers.

Each fault must end in a clear :class:`SourceError` (or, for one Reddit listing, a
row error naming the problem) after a bounded number of requests, and a body larger
than the cap is never read whole, announced or not.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable

import pytest

from connectors.appstore import AppStoreConnector
from connectors.base import SourceError
from connectors.feeds import FeedConnector
from connectors.http import HttpClient
from connectors.reddit import RedditConnector
from connectors.zendesk import ZendeskConnector
from tests.connectors.conftest import LocalServer, Reply

RETRIES = 2
CAP = 64 * 1024
APPSTORE_PATH = "/us/rss/customerreviews/page=1/id=42/sortby=mostrecent/json"
ZENDESK_PATH = "/api/v2/incremental/tickets/cursor.json"
REDDIT_TOKEN = {"access_token": "t", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
HTML_LOGIN = Reply(200, "<html><body>Please log in</body></html>", {"Content-Type": "text/html"})


@pytest.fixture
def server():
    local = LocalServer().start()
    yield local
    local.stop()


@pytest.fixture
def endless():
    """A server that streams an unannounced body (no Content-Length) until the client leaves."""
    listener = socket.create_server(("127.0.0.1", 0))
    sent = {"bytes": 0}

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[")
                try:
                    while sent["bytes"] < 200 * 1024 * 1024:
                        connection.sendall(b'"x",' * 4096)
                        sent["bytes"] += 16384
                except OSError:
                    continue

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", sent
    listener.close()


def http_client(waits: list[float]) -> HttpClient:
    return HttpClient(
        sleep=waits.append,
        timeout=3,
        max_retries=RETRIES,
        max_bytes=CAP,
        allow_private_network=True,  # the hostile servers run on this machine
    )


def feed(base: str, waits: list[float]):
    return FeedConnector(base + "/feed", source="news", http=http_client(waits))


def appstore(base: str, waits: list[float]):
    return AppStoreConnector("42", base_url=base, http=http_client(waits))


def zendesk(base: str, waits: list[float]):
    return ZendeskConnector(
        base_url=base, email="a@b.example", api_token="tok", http=http_client(waits)
    )


HTTP_CONNECTORS: dict[str, tuple[Callable, str, Reply]] = {
    # name: (factory, path, a well-formed answer of the right type)
    "rss": (feed, "/feed", Reply(200, "<rss version='2.0'><channel/></rss>",
                                 {"Content-Type": "application/rss+xml"})),
    "appstore": (appstore, APPSTORE_PATH, Reply(200, {"feed": {"entry": []}})),
    "zendesk": (zendesk, ZENDESK_PATH, Reply(200, {"tickets": [], "end_of_stream": True})),
}  # fmt: skip


def fetch_fails(factory, base: str, waits: list[float]) -> str:
    with pytest.raises(SourceError) as raised:
        factory(base, waits).fetch(None)
    return str(raised.value)


@pytest.mark.parametrize("name", HTTP_CONNECTORS)
def test_a_truncated_body_is_retried_a_bounded_number_of_times_then_reported(server, name):
    factory, path, good = HTTP_CONNECTORS[name]
    body, headers = good.encoded()
    server.route(path, Reply(200, body, headers, truncate=True))
    waits: list[float] = []
    message = fetch_fails(factory, server.url, waits)
    assert "no answer after 3 tries" in message and "127.0.0.1" in message
    assert len(server.hits(path)) == RETRIES + 1 and len(waits) == RETRIES


@pytest.mark.parametrize("name", HTTP_CONNECTORS)
def test_a_login_page_instead_of_the_document_is_reported_without_retrying(server, name):
    factory, path, _ = HTTP_CONNECTORS[name]
    server.route(path, HTML_LOGIN)
    message = fetch_fails(factory, server.url, [])
    assert any(hint in message for hint in ("text/html", "not a readable RSS or Atom feed"))
    assert len(server.hits(path)) == 1


@pytest.mark.parametrize("name", HTTP_CONNECTORS)
def test_an_announced_huge_body_is_refused_before_reading(server, name):
    factory, path, good = HTTP_CONNECTORS[name]
    body, headers = good.encoded()
    server.route(path, Reply(200, body + b" " * (CAP + 1), headers))
    assert "larger than" in fetch_fails(factory, server.url, [])
    assert len(server.hits(path)) == 1


@pytest.mark.parametrize("name", HTTP_CONNECTORS)
def test_an_unannounced_endless_body_is_cut_at_the_cap(endless, name):
    base, sent = endless
    factory, _, _ = HTTP_CONNECTORS[name]
    assert "larger than" in fetch_fails(factory, base, [])
    assert sent["bytes"] < 50 * 1024 * 1024  # it stopped reading long before the end


# --- Reddit, through PRAW -------------------------------------------------------------------


def reddit(server: LocalServer, waits: list[float]) -> RedditConnector:
    return RedditConnector(
        client_id="cid",
        client_secret="app-secret",
        user_agent="python:cxradar-tests:0.1 (by tests)",
        subreddits=["finora"],
        include_comments=False,
        oauth_url=server.url,
        reddit_url=server.url,
        sleep=waits.append,
        max_retries=RETRIES,
    )


LISTING = json.dumps({"kind": "Listing", "data": {"after": None, "children": []}})
NEW = "/r/finora/new"


def test_reddit_truncated_answers_end_in_a_source_error_after_bounded_tries(server):
    server.route("/api/v1/access_token", Reply(200, REDDIT_TOKEN))
    server.route(NEW, Reply(200, LISTING, {"Content-Type": "application/json"}, truncate=True))
    waits: list[float] = []
    with pytest.raises(SourceError, match="no answer after 3 tries"):
        reddit(server, waits).fetch(None)
    assert len(server.hits(NEW)) == RETRIES + 1 and len(waits) == RETRIES


def test_reddit_truncated_token_answer_ends_in_a_source_error(server):
    server.route("/api/v1/access_token", Reply(200, REDDIT_TOKEN, truncate=True))
    with pytest.raises(SourceError, match="access_token: no answer after 3 tries"):
        reddit(server, []).fetch(None)
    assert len(server.requests) == RETRIES + 1


def test_reddit_maintenance_page_is_reported_for_the_listing_without_retry_storm(server):
    server.route("/api/v1/access_token", Reply(200, REDDIT_TOKEN))
    server.route(NEW, HTML_LOGIN)
    result = reddit(server, []).fetch(None)
    assert result.records == []
    assert [str(error) for error in result.errors] == [
        "reddit:r/finora/new:0: Reddit did not answer with JSON (a maintenance or error page?)"
    ]
    assert len(server.hits(NEW)) <= 2  # PRAW asks once more after a bad document, no more


def test_reddit_huge_answer_is_refused(server):
    server.route("/api/v1/access_token", Reply(200, REDDIT_TOKEN))
    server.route(NEW, Reply(200, b" " * (21 * 1024 * 1024) + LISTING.encode(),
                            {"Content-Type": "application/json"}))  # fmt: skip
    with pytest.raises(SourceError, match="larger than"):
        reddit(server, []).fetch(None)
