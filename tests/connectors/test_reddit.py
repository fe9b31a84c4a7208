import base64
import json
from datetime import UTC, datetime

import pytest

from connectors.base import SourceError
from connectors.reddit import RedditConnector, recorded_reddit
from tests.connectors.conftest import Reply

SECRET = "s3cr3t-Reddit-app-key"
USER_AGENT = "python:cxradar-tests:0.1 (by cxradar tests)"
TOKEN_PATH = "/api/v1/access_token"
TOKEN = {"access_token": "tok-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
NEW = "/r/nordpay/new"
COMMENTS = "/r/nordpay/comments/"
SEARCH = "/r/all/search/"
T0 = 1795549330.0  # 2026-11-24 19:42:10 UTC


def post(id, created=T0, **fields):
    data = {
        "id": id,
        "name": f"t3_{id}",
        "title": f"Nordpay post {id}",
        "selftext": "",
        "author": "quiet_otter_42",
        "created_utc": created,
        "permalink": f"/r/nordpay/comments/{id}/nordpay_post/",
        "score": 5,
        "subreddit": "nordpay",
        "num_comments": 0,
        "url": f"https://www.reddit.com/r/nordpay/comments/{id}/nordpay_post/",
    }
    return {"kind": "t3", "data": {**data, **fields}}


def comment(id, created=T0, **fields):
    data = {
        "id": id,
        "name": f"t1_{id}",
        "body": f"comment {id}",
        "author": "grey_fox_19",
        "created_utc": created,
        "permalink": f"/r/nordpay/comments/abc/comment/{id}/",
        "score": 2,
        "subreddit": "nordpay",
        "link_id": "t3_abc",
        "parent_id": "t3_abc",
    }
    return {"kind": "t1", "data": {**data, **fields}}


def listing(*children, after=None):
    return {"kind": "Listing", "data": {"after": after, "before": None, "children": list(children)}}


def connector(server, **kwargs) -> tuple[RedditConnector, list[float]]:
    waits: list[float] = []
    server.route(TOKEN_PATH, Reply(200, TOKEN))
    settings = {"subreddits": ["nordpay"], "include_comments": False, **kwargs}
    reddit = RedditConnector(
        client_id="cid-123",
        client_secret=SECRET,
        user_agent=USER_AGENT,
        oauth_url=server.url,
        reddit_url=server.url,
        sleep=waits.append,
        **settings,
    )
    return reddit, waits


def by_id(result):
    return {record.external_id: record for record in result.records}


def test_posts_are_mapped(server):
    server.route(
        NEW,
        Reply(
            200,
            listing(
                post(
                    "a1",
                    title="Card declined",
                    selftext="Since the update.",
                    score=57,
                    num_comments=3,
                ),
                post("a0", created=T0 - 60, author="[deleted]", selftext="[removed]"),
            ),
        ),
    )
    reddit, _ = connector(server)
    records = by_id(reddit.fetch(None))
    first = records["t3_a1"]
    assert first.source == "reddit" and first.kind == "post"
    assert first.created_at == datetime(2026, 11, 24, 19, 42, 10, tzinfo=UTC)
    assert first.title == "Card declined"
    assert first.text == "Card declined\n\nSince the update."
    assert first.author == "quiet_otter_42"
    assert first.url == "https://www.reddit.com/r/nordpay/comments/a1/nordpay_post/"
    assert first.reach == 57
    assert first.extra == {"subreddit": "nordpay", "num_comments": 3}
    assert first.brand is None
    deleted = records["t3_a0"]
    assert deleted.author is None
    assert deleted.text == "Nordpay post a0"  # a removed body leaves the title


def test_comments_are_mapped_and_removed_ones_skipped(server):
    server.route(NEW, Reply(200, listing()))
    server.route(
        COMMENTS,
        Reply(
            200,
            listing(
                comment("c2", body="Same here, declined twice today."),
                comment("c1", created=T0 - 5, body="[removed]", author="[deleted]"),
            ),
        ),
    )
    reddit, _ = connector(server, include_comments=True)
    records = by_id(reddit.fetch(None))
    assert list(records) == ["t1_c2"]
    record = records["t1_c2"]
    assert record.kind == "comment" and record.title is None
    assert record.text == "Same here, declined twice today."
    assert record.author == "grey_fox_19" and record.reach == 2
    assert record.url == "https://www.reddit.com/r/nordpay/comments/abc/comment/c2/"
    assert record.extra["subreddit"] == "nordpay"


def test_searches_run_across_reddit_and_carry_the_brand(server):
    server.route(SEARCH, Reply(200, listing(post("s1", subreddit="fintech"))))
    reddit, _ = connector(
        server, subreddits=[], searches=[("Nordpay", '"Nordpay" OR "@nordpay"')], limit=50
    )
    (record,) = reddit.fetch(None).records
    assert record.brand == "Nordpay" and record.extra["subreddit"] == "fintech"
    query = server.hits(SEARCH)[0].query
    assert query["q"] == '"Nordpay" OR "@nordpay"'
    sent = (query["sort"], query["t"], query["limit"], query["raw_json"])
    assert sent == ("new", "week", "50", "1")
    assert query["restrict_sr"] == "False"


def test_a_post_seen_in_its_subreddit_and_a_search_is_returned_once_with_the_brand(server):
    server.route(NEW, Reply(200, listing(post("a1"))))
    server.route(SEARCH, Reply(200, listing(post("a1"))))
    reddit, _ = connector(server, searches=[("Nordpay", "nordpay")])
    (record,) = reddit.fetch(None).records
    assert record.external_id == "t3_a1" and record.brand == "Nordpay"


def test_second_fetch_returns_nothing_new_then_only_the_new_post(server):
    server.route(NEW, Reply(200, listing(post("a2"), post("a1", created=T0 - 60))))
    reddit, _ = connector(server)
    first = reddit.fetch(None)
    assert set(by_id(first)) == {"t3_a2", "t3_a1"}
    assert json.loads(first.cursor)["listings"]["r/nordpay/new"] == {"newest": T0, "ids": ["t3_a2"]}

    second = reddit.fetch(first.cursor)
    assert second.records == [] and second.errors == []

    # a new post, and another one created in the same second as the newest seen
    server.route(
        NEW,
        Reply(
            200,
            listing(
                post("a4", created=T0 + 30), post("a3"), post("a2"), post("a1", created=T0 - 60)
            ),
        ),
    )
    third = reddit.fetch(second.cursor)
    assert set(by_id(third)) == {"t3_a4", "t3_a3"}
    assert reddit.fetch(third.cursor).records == []


def test_pages_are_followed_with_after_and_resume_stops_at_the_first_old_item(server):
    server.route(
        NEW,
        Reply(200, listing(post("p3", created=T0), post("p2", created=T0 - 10), after="t3_p2")),
        Reply(200, listing(post("p1", created=T0 - 20), after=None)),
    )
    reddit, _ = connector(server, limit=100)
    first = reddit.fetch(None)
    assert set(by_id(first)) == {"t3_p3", "t3_p2", "t3_p1"}
    pages = server.hits(NEW)
    assert "after" not in pages[0].query and pages[1].query["after"] == "t3_p2"
    assert pages[0].query["limit"] == "100"

    server.route(
        NEW,
        Reply(
            200,
            listing(
                post("p4", created=T0 + 5), post("p3"), post("p2", created=T0 - 10), after="t3_p2"
            ),
        ),
    )
    assert set(by_id(reddit.fetch(first.cursor))) == {"t3_p4"}
    assert len(server.hits(NEW)) == 3  # the old post on page one ended the listing


def test_429_waits_as_long_as_reddit_asks_then_succeeds(server):
    server.route(
        NEW,
        Reply(429, {"message": "Too Many Requests", "error": 429}, {"Retry-After": "7"}),
        Reply(200, listing(post("a1"))),
    )
    reddit, waits = connector(server)
    result = reddit.fetch(None)
    assert [r.external_id for r in result.records] == ["t3_a1"]
    assert waits == [7.0]
    assert len(server.hits(NEW)) == 2


def test_500_is_retried_with_backoff_then_succeeds(server):
    server.route(
        NEW,
        Reply(500, {"message": "Internal Server Error", "error": 500}),
        Reply(200, listing(post("a1"))),
    )
    reddit, waits = connector(server)
    assert [r.external_id for r in reddit.fetch(None).records] == ["t3_a1"]
    assert waits == [1.0]


def test_rate_limiting_that_does_not_end_fails_the_run_after_bounded_tries(server):
    server.route(NEW, Reply(429, {"error": 429}, {"Retry-After": "2"}))
    reddit, waits = connector(server, max_retries=2)
    with pytest.raises(SourceError, match="429 after 3 tries"):
        reddit.fetch(None)
    assert waits == [2.0, 2.0] and len(server.hits(NEW)) == 3


def test_credentials_are_sent_as_praw_does(server):
    server.route(NEW, Reply(200, listing(post("a1"))))
    reddit, _ = connector(server)
    reddit.fetch(None)
    (token_request,) = server.hits(TOKEN_PATH)
    assert token_request.method == "POST"
    expected = base64.b64encode(f"cid-123:{SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert token_request.body == b"grant_type=client_credentials"
    assert token_request.headers["User-Agent"].startswith(USER_AGENT)
    listing_request = server.hits(NEW)[0]
    assert listing_request.headers["Authorization"] == "bearer tok-123"
    assert listing_request.headers["User-Agent"].startswith(USER_AGENT)


def test_rejected_credentials_say_what_to_check_without_the_secret(server):
    reddit, _ = connector(server)
    server.route(TOKEN_PATH, Reply(401, {"message": "Unauthorized", "error": 401}))
    with pytest.raises(SourceError) as raised:
        reddit.fetch(None)
    message = str(raised.value)
    assert "REDDIT_CLIENT_ID" in message and "REDDIT_CLIENT_SECRET" in message
    assert SECRET not in message and SECRET not in repr(reddit)
    assert not server.hits(NEW)


def test_an_error_document_from_the_token_endpoint_is_a_credentials_problem(server):
    reddit, _ = connector(server)
    server.route(TOKEN_PATH, Reply(200, {"error": "invalid_grant"}))
    with pytest.raises(SourceError, match="REDDIT_CLIENT_SECRET"):
        reddit.fetch(None)


def test_missing_credentials_are_refused_before_any_request(server):
    reddit, _ = connector(server)
    reddit._client_secret = ""
    with pytest.raises(SourceError, match="REDDIT_CLIENT_ID"):
        reddit.fetch(None)
    assert server.requests == []


def test_a_forbidden_subreddit_is_reported_and_the_others_are_still_read(server):
    server.route("/r/privatesub/new", Reply(403, {"message": "Forbidden", "error": 403}))
    server.route(NEW, Reply(200, listing(post("a1"))))
    reddit, _ = connector(server, subreddits=["r/PrivateSub", "nordpay"])
    result = reddit.fetch(None)
    assert [r.external_id for r in result.records] == ["t3_a1"]
    (error,) = result.errors
    assert error.file == "reddit:r/privatesub/new" and "403" in error.reason
    assert "private" in error.reason
    assert "r/privatesub/new" not in json.loads(result.cursor)["listings"]


def test_a_malformed_listing_and_a_malformed_item_are_reported(server):
    server.route(NEW, Reply(200, "<html>we'll be right back</html>", {"Content-Type": "text/html"}))
    server.route(
        COMMENTS,
        Reply(200, listing(comment("c2"), comment("c1", created_utc="yesterday"), comment("c0"))),
    )
    reddit, _ = connector(server, include_comments=True)
    result = reddit.fetch(None)
    assert set(by_id(result)) == {"t1_c2", "t1_c0"}
    reasons = {(e.file, e.line): e.reason for e in result.errors}
    assert "JSON" in reasons[("reddit:r/nordpay/new", 0)]
    assert "created_utc" in reasons[("reddit:r/nordpay/comments", 2)]


def test_an_unreadable_cursor_starts_again_from_the_newest(server):
    server.route(NEW, Reply(200, listing(post("a1"))))
    reddit, _ = connector(server)
    result = reddit.fetch("not json")
    assert [r.external_id for r in result.records] == ["t3_a1"]
    assert any("cursor" in note for note in result.notes)


def test_recorded_reddit_serves_english_and_german_nordpay_mentions_offline():
    reddit = recorded_reddit()
    result = reddit.fetch(None)
    assert result.errors == []
    records = by_id(result)
    assert 8 <= len(records) <= 15
    assert {r.kind for r in records.values()} == {"post", "comment"}
    assert any("Überweisung" in r.text for r in records.values())
    assert any(r.brand == "Nordpay" and r.extra["subreddit"] != "nordpay" for r in records.values())
    assert all(r.created_at.tzinfo is UTC for r in records.values())
    assert reddit.fetch(result.cursor).records == []


def test_a_429_without_retry_after_waits_for_the_rate_limit_reset(server):
    headers = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Used": "600", "X-Ratelimit-Reset": "12"}
    server.route(NEW, Reply(429, {"error": 429}, headers), Reply(200, listing(post("a1"))))
    reddit, waits = connector(server)
    assert len(reddit.fetch(None).records) == 1
    assert waits == [12.0]
