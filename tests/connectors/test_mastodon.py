"""Mastodon's hashtag timelines and search against a local server speaking its REST shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.http import HttpClient
from connectors.listing import CredentialsError
from connectors.mastodon import SEARCH, MastodonConnector, recorded_mastodon
from tests.connectors.conftest import Reply

TAG = "/api/v1/timelines/tag/nordpay"
TOKEN = "mastodon-token-do-not-print"


def status(n: int, created: str, content: str = "", **extra) -> dict:
    return {
        "id": str(1000 + n),
        "created_at": created,
        "in_reply_to_id": None,
        "spoiler_text": "",
        "language": "en",
        "uri": f"https://remote.example/users/u{n}/statuses/{n}",
        "url": f"https://remote.example/@u{n}/{n}",
        "reblogs_count": 1,
        "favourites_count": n,
        "content": content or f"<p>Nordpay &amp; me, post {n}</p>",
        "reblog": None,
        "account": {"id": str(n), "username": f"u{n}", "acct": f"u{n}@remote.example"},
        **extra,
    }


def connector(server, waits=None, **kwargs) -> MastodonConnector:
    options = {
        "instance": server.url,
        "hashtags": ["#Nordpay"],
        "lookback_days": 3650,
        "http": HttpClient(
            max_retries=2,
            backoff=0,
            sleep=(waits if waits is not None else []).append,
            allow_private_network=True,  # the fake service answers on this machine
        ),
        **kwargs,
    }
    return MastodonConnector(**options)


def test_pages_follow_max_id_and_the_next_run_stops_at_the_watermark(server):
    first = [status(5, "2026-11-24T12:00:00.000Z"), status(4, "2026-11-24T11:00:00.000Z")]
    server.route(
        TAG, Reply(200, first), Reply(200, [status(3, "2026-11-24T10:00:00.000Z")]), Reply(200, [])
    )
    mastodon = connector(server)
    result = mastodon.fetch(None)
    assert [r.external_id for r in result.records] == ["1005", "1004", "1003"]
    assert result.records[0].text == "Nordpay & me, post 5"  # HTML to text
    pages = server.hits(TAG)
    assert "max_id" not in pages[0].query and pages[1].query["max_id"] == "1004"
    assert pages[0].query["limit"] == "40" and "Authorization" not in pages[0].headers

    newer = status(6, "2026-11-24T13:00:00.000Z")
    late = status(7, "2026-11-24T11:30:00.000Z")  # federated late: older than the watermark
    server.route(
        TAG,
        Reply(200, [newer, first[0], late, first[1]]),
        Reply(200, [status(3, "2026-11-24T10:00:00.000Z")]),  # below the hour of overlap
    )
    again = mastodon.fetch(result.cursor)
    assert [r.external_id for r in again.records] == ["1006", "1007"]  # nothing stored twice
    assert len(server.hits(TAG)) == 3 + 2
    third = mastodon.fetch(again.cursor)
    assert third.records == []


def test_boosts_and_quotes_are_reshares_of_the_original_and_replies_are_comments(server):
    original = status(1, "2026-11-24T09:00:00.000Z", "<p>Card declined again</p>")
    boost = status(2, "2026-11-24T10:00:00.000Z", "", reblog=original, url=None)
    quote = status(
        3,
        "2026-11-24T11:00:00.000Z",
        "<p>Same here</p>",
        quote={
            "state": "accepted",
            "quoted_status": original,
        },
    )
    reply = status(4, "2026-11-24T12:00:00.000Z", in_reply_to_id="1001")
    server.route(TAG, Reply(200, [reply, quote, boost, original]), Reply(200, []))
    records = {r.external_id: r for r in connector(server).fetch(None).records}
    assert records["1002"].kind == "reshare" and records["1002"].text == "Card declined again"
    assert records["1002"].author == "u2@remote.example"  # the booster, not the original author
    assert records["1002"].extra["reshare_of"] == original["uri"]
    assert records["1002"].extra["reshare_type"] == "boost"
    assert records["1003"].kind == "reshare" and records["1003"].text == "Same here"
    assert records["1003"].extra["reshare_url"] == original["url"]
    assert records["1004"].kind == "comment" and records["1001"].kind == "post"
    assert records["1001"].reach == 2  # favourites + boosts


def test_a_429_waits_for_x_ratelimit_reset(server):
    reset = (datetime.now(UTC) + timedelta(seconds=40)).isoformat().replace("+00:00", "Z")
    server.route(
        TAG,
        Reply(429, {"error": "Too many requests"}, {"X-RateLimit-Reset": reset}),
        Reply(200, [status(1, "2026-11-24T09:00:00.000Z")]),
        Reply(200, []),
    )
    waits: list[float] = []
    assert len(connector(server, waits).fetch(None).records) == 1
    assert 35 <= waits[0] <= 41


def test_a_server_error_answer_is_retried_with_backoff_not_the_rate_limit_reset(server):
    far = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    server.route(
        TAG,
        Reply(503, "busy", {"X-RateLimit-Reset": far}),
        Reply(200, [status(1, "2026-11-24T09:00:00.000Z")]),
        Reply(200, []),
    )
    waits: list[float] = []
    assert len(connector(server, waits).fetch(None).records) == 1
    assert waits == [0]  # backoff (0 in tests), never the 4 minutes to the window's reset


def test_search_needs_a_token_sends_it_as_bearer_and_never_shows_it(server):
    with pytest.raises(ValueError, match="MASTODON_ACCESS_TOKEN"):
        connector(server, hashtags=[], searches=[("Nordpay", "nordpay")])
    server.route(
        SEARCH,
        Reply(
            200,
            {"accounts": [], "statuses": [status(1, "2026-11-24T09:00:00.000Z")], "hashtags": []},
        ),
        Reply(200, {"statuses": []}),
    )
    searching = connector(
        server, hashtags=[], searches=[("Nordpay", "nordpay")], access_token=TOKEN
    )
    result = searching.fetch(None)
    assert result.records[0].brand == "Nordpay"
    asked = server.hits(SEARCH)[0]
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"
    assert asked.query["type"] == "statuses" and TOKEN not in str(asked.query)
    server.route(SEARCH, Reply(401, {"error": "The access token is invalid"}))
    with pytest.raises(CredentialsError) as failure:
        searching.fetch(None)
    assert "MASTODON_ACCESS_TOKEN" in str(failure.value) and TOKEN not in str(failure.value)
    assert TOKEN not in repr(searching)


def test_a_server_that_hides_tag_timelines_says_to_set_a_token(server):
    server.route(TAG, Reply(401, {"error": "This method requires an authenticated user"}))
    with pytest.raises(CredentialsError, match="MASTODON_ACCESS_TOKEN"):
        connector(server).fetch(None)


def test_a_malformed_answer_is_a_listing_error_and_keeps_the_cursor(server):
    server.route(TAG, Reply(200, [status(1, "2026-11-24T09:00:00.000Z")]), Reply(200, []))
    mastodon = connector(server)
    cursor = mastodon.fetch(None).cursor
    server.route(TAG, Reply(200, {"error": "not a list"}))
    failed = mastodon.fetch(cursor)
    assert "not a list of statuses" in failed.errors[0].reason and failed.cursor == cursor
    broken = status(2, "not a time")
    server.route(TAG, Reply(200, [broken, status(3, "2026-11-24T10:00:00.000Z")]), Reply(200, []))
    partial = mastodon.fetch(cursor)
    assert [r.external_id for r in partial.records] == ["1003"]
    assert "ISO 8601" in partial.errors[0].reason


def test_bad_settings_fail_at_once():
    with pytest.raises(ValueError, match="not a hashtag"):
        MastodonConnector(instance="https://mastodon.social", hashtags=["two words"])
    with pytest.raises(ValueError, match="server's URL"):
        MastodonConnector(instance="mastodon.social", hashtags=["finora"])


def test_the_recorded_connector_maps_its_documents_offline():
    result = recorded_mastodon().fetch(None)
    kinds = sorted(r.kind for r in result.records)
    assert kinds == ["comment", "post", "post", "post", "post", "reshare", "reshare"]
    assert not result.errors
