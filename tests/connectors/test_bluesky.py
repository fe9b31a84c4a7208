"""Bluesky's post search against a local server speaking the AT Protocol XRPC shapes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from connectors.base import SourceError
from connectors.bluesky import LOGIN, SEARCH, BlueskyConnector, recorded_bluesky
from connectors.http import HttpClient
from connectors.listing import CredentialsError
from tests.connectors.conftest import Reply

SECRET = "app-pass-word-do-not-print"


def post(n: int, created: str, text: str = "", **record_extra) -> dict:
    did = f"did:plc:user{n}"
    return {
        "uri": f"at://{did}/app.bsky.feed.post/rk{n}",
        "cid": f"cid{n}",
        "author": {"did": did, "handle": f"user{n}.bsky.social"},
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": created,
            "langs": ["de"],
            "text": text or f"Nordpay post number {n}",
            **record_extra,
        },
        "likeCount": n,
        "repostCount": 1,
        "quoteCount": 0,
        "indexedAt": created,
    }


def connector(server, waits=None, **kwargs) -> BlueskyConnector:
    options = {
        "queries": [("Nordpay", "nordpay")],
        "handle": "cx.bsky.social",
        "app_password": SECRET,
        "service_url": server.url,
        "lookback_days": 3650,
        "http": HttpClient(
            max_retries=2,
            backoff=0,
            sleep=(waits if waits is not None else []).append,
            allow_private_network=True,  # the fake service answers on this machine
        ),
        **kwargs,
    }
    return BlueskyConnector(**options)


def serve_login(server) -> None:
    server.route(LOGIN, Reply(200, {"did": "did:plc:cx", "accessJwt": "jwt-1", "refreshJwt": "r"}))


def test_pages_follow_the_cursor_and_the_next_run_reads_only_newer_posts(server):
    serve_login(server)
    first = [post(5, "2026-11-24T12:00:00Z"), post(4, "2026-11-24T11:00:00Z")]
    second = [post(3, "2026-11-24T10:00:00Z")]
    server.route(
        SEARCH, Reply(200, {"posts": first, "cursor": "page2"}), Reply(200, {"posts": second})
    )
    bluesky = connector(server)
    result = bluesky.fetch(None)
    assert [r.external_id for r in result.records] == [p["uri"] for p in first + second]
    asked = server.hits(SEARCH)
    assert asked[0].query["sort"] == "latest" and "cursor" not in asked[0].query
    assert asked[1].query["cursor"] == "page2"
    assert asked[0].headers["Authorization"] == "Bearer jwt-1"
    login = server.hits(LOGIN)[0]
    assert login.method == "POST" and json.loads(login.body)["password"] == SECRET

    newer = post(6, "2026-11-24T13:00:00Z")
    server.route(SEARCH, Reply(200, {"posts": [newer, *first], "cursor": "page2"}))
    again = bluesky.fetch(result.cursor)
    assert [r.external_id for r in again.records] == [newer["uri"]]
    assert server.hits(SEARCH)[-1].query["since"] == "2026-11-24T11:50:00Z"  # 10 min overlap
    assert len(server.hits(SEARCH)) == 3  # the watermark stopped the paging


def test_quotes_are_reshares_replies_are_comments_and_reach_counts_likes_and_reposts(server):
    serve_login(server)
    quoted = "at://did:plc:orig/app.bsky.feed.post/abc"
    quote = post(
        2,
        "2026-11-24T12:00:00Z",
        "Same here",
        embed={
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": {"uri": quoted, "cid": "c"}},
        },
    )
    reply = post(
        1, "2026-11-24T11:00:00Z", reply={"parent": {"uri": quoted}, "root": {"uri": quoted}}
    )
    server.route(SEARCH, Reply(200, {"posts": [quote, reply]}))
    records = {r.author: r for r in connector(server).fetch(None).records}
    shared = records["user2.bsky.social"]
    assert shared.kind == "reshare" and shared.text == "Same here"
    assert shared.extra["reshare_of"] == quoted
    assert shared.extra["reshare_url"] == "https://bsky.app/profile/did:plc:orig/post/abc"
    assert shared.url == "https://bsky.app/profile/user2.bsky.social/post/rk2"
    assert shared.reach == 3 and shared.lang == "de" and shared.brand == "Nordpay"
    assert records["user1.bsky.social"].kind == "comment"


def test_a_429_waits_until_the_ratelimit_reset(server):
    serve_login(server)
    reset = str(int(time.time()) + 30)
    server.route(
        SEARCH,
        Reply(429, {"error": "RateLimitExceeded"}, {"ratelimit-reset": reset}),
        Reply(200, {"posts": [post(1, "2026-11-24T11:00:00Z")]}),
    )
    waits: list[float] = []
    result = connector(server, waits).fetch(None)
    assert len(result.records) == 1
    assert len(waits) == 1 and 25 <= waits[0] <= 31  # until the reset, not a blind backoff


def test_a_refused_login_fails_the_source_naming_the_variables_not_the_password(server):
    server.route(LOGIN, Reply(401, {"error": "AuthenticationRequired", "message": "Invalid"}))
    with pytest.raises(CredentialsError) as failure:
        connector(server).fetch(None)
    assert "BLUESKY_APP_PASSWORD" in str(failure.value) and SECRET not in str(failure.value)
    assert SECRET not in repr(connector(server))


def test_without_credentials_the_public_appview_is_asked_and_a_refusal_says_what_to_set(server):
    server.route(SEARCH, Reply(403, {"error": "Forbidden"}))
    bluesky = connector(server, handle="", app_password="", appview_url=server.url)
    with pytest.raises(CredentialsError, match="BLUESKY_HANDLE"):
        bluesky.fetch(None)
    assert not server.hits(LOGIN) and "Authorization" not in server.hits(SEARCH)[0].headers


def test_server_errors_and_malformed_answers_keep_the_watermark_for_the_next_run(server):
    serve_login(server)
    server.route(SEARCH, Reply(200, {"posts": [post(1, "2026-11-24T11:00:00Z")]}))
    bluesky = connector(server)
    cursor = bluesky.fetch(None).cursor
    server.route(SEARCH, Reply(503, "down"))
    failed = bluesky.fetch(cursor)
    assert len(server.hits(SEARCH)) == 1 + 3  # retried twice, then given up
    assert "HTTP 503" in failed.errors[0].reason and failed.cursor == cursor
    server.route(SEARCH, Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"}))
    malformed = bluesky.fetch(cursor)
    assert "expected json" in malformed.errors[0].reason and malformed.cursor == cursor
    server.route(SEARCH, Reply(200, {"feed": []}))
    assert "no 'posts'" in bluesky.fetch(cursor).errors[0].reason


def test_a_post_without_text_is_a_bad_item_and_its_neighbours_are_kept(server):
    serve_login(server)
    broken = post(2, "2026-11-24T12:00:00Z")
    broken["record"]["text"] = ""
    server.route(SEARCH, Reply(200, {"posts": [broken, post(1, "2026-11-24T11:00:00Z")]}))
    result = connector(server).fetch(None)
    assert len(result.records) == 1 and "without text" in result.errors[0].reason


def test_the_first_run_reaches_back_lookback_days_only(server):
    serve_login(server)
    server.route(SEARCH, Reply(200, {"posts": [post(1, "2026-11-24T11:00:00Z")]}))
    connector(server, lookback_days=7).fetch(None)
    since = datetime.fromisoformat(server.hits(SEARCH)[0].query["since"])
    assert abs((datetime.now(UTC) - since).days - 7) <= 1


def test_the_recorded_connector_maps_its_documents_offline():
    result = recorded_bluesky().fetch(None)
    assert len(result.records) == 6 and not result.errors
    assert {r.kind for r in result.records} == {"post", "comment", "reshare"}
    assert {r.lang for r in result.records} == {"de", "en"}


def test_a_login_answer_without_a_token_is_an_error(server):
    server.route(LOGIN, Reply(200, {"did": "did:plc:cx"}))
    with pytest.raises(SourceError, match="no access token"):
        connector(server).fetch(None)


def test_a_post_dated_in_the_future_takes_its_indexing_time(server):
    serve_login(server)
    ahead = post(2, "2031-01-01T00:00:00Z")  # a client clock years ahead
    ahead["indexedAt"] = "2026-11-24T12:00:00Z"
    server.route(SEARCH, Reply(200, {"posts": [ahead, post(1, "2026-11-24T11:00:00Z")]}))
    bluesky = connector(server)
    result = bluesky.fetch(None)
    assert result.records[0].created_at.year == 2026 and len(result.records) == 2
    newer = post(3, "2026-11-24T13:00:00Z")
    server.route(SEARCH, Reply(200, {"posts": [newer, ahead]}))
    assert [r.author for r in bluesky.fetch(result.cursor).records] == ["user3.bsky.social"]
