"""YouTube comment threads against a local server speaking the Data API v3 shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.http import HttpClient
from connectors.listing import CredentialsError
from connectors.youtube import API, YouTubeConnector, recorded_youtube
from tests.connectors.conftest import Reply

THREADS, COMMENTS = f"{API}/commentThreads", f"{API}/comments"
KEY = "AIza-youtube-key-do-not-print"
VIDEO = "vid00000001"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 04:00 in California: quota day 2026-11-25


def comment(cid: str, published: str, text: str = "", likes: int = 0, parent: str | None = None):
    snippet = {
        "videoId": VIDEO,
        "textDisplay": text or f"Nordpay comment {cid}",
        "authorDisplayName": f"@author_{cid}",
        "authorChannelId": {"value": f"UC{cid}"},
        "likeCount": likes,
        "publishedAt": published,
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "id": cid, "snippet": snippet}


def thread(cid: str, published: str, replies=(), total=None) -> dict:
    top = comment(cid, published, likes=3)
    body = {
        "kind": "youtube#commentThread",
        "id": cid,
        "snippet": {
            "videoId": VIDEO,
            "topLevelComment": top,
            "totalReplyCount": len(replies) if total is None else total,
        },
    }
    if replies:
        body["replies"] = {"comments": list(replies)}
    return body


def page(*threads, token=None) -> Reply:
    body = {"kind": "youtube#commentThreadListResponse", "items": list(threads)}
    if token:
        body["nextPageToken"] = token
    return Reply(200, body)


def google_error(status: int, reason: str, message: str = "") -> Reply:
    error = {
        "code": status,
        "message": message or reason,
        "errors": [{"reason": reason, "domain": "youtube"}],
    }
    return Reply(status, {"error": error})


def connector(server, waits=None, **kwargs) -> YouTubeConnector:
    options = {
        "api_key": KEY,
        "video_ids": [VIDEO],
        "base_url": server.url,
        "lookback_days": 3650,
        "now": lambda: NOW,
        "http": HttpClient(
            max_retries=2,
            backoff=0,
            sleep=(waits if waits is not None else []).append,
            allow_private_network=True,  # the fake service answers on this machine
        ),
        **kwargs,
    }
    return YouTubeConnector(**options)


def test_threads_page_with_page_tokens_replies_are_fetched_and_the_next_run_stops(server):
    reply = comment("t2.r1", "2026-11-24T12:30:00Z", "Same here", parent="t2")
    server.route(
        THREADS,
        page(
            thread("t3", "2026-11-24T13:00:00Z"),
            thread("t2", "2026-11-24T12:00:00Z", [reply], total=2),
            token="NEXT",
        ),
        page(thread("t1", "2026-11-24T11:00:00Z")),
    )
    server.route(
        COMMENTS,
        Reply(200, {"items": [reply, comment("t2.r2", "2026-11-24T12:40:00Z", parent="t2")]}),
    )
    youtube = connector(server)
    result = youtube.fetch(None)
    assert sorted(r.external_id for r in result.records) == ["t1", "t2", "t2.r1", "t2.r2", "t3"]
    first, second = server.hits(THREADS)
    assert first.query["videoId"] == VIDEO and first.query["order"] == "time"
    assert second.query["pageToken"] == "NEXT"
    assert server.hits(COMMENTS)[0].query["parentId"] == "t2"  # 2 replies, 1 embedded
    assert first.headers["X-Goog-Api-Key"] == KEY and KEY not in json.dumps(first.query)
    replied = next(r for r in result.records if r.external_id == "t2.r1")
    assert replied.extra["parent_id"] == "t2" and replied.url.endswith("&lc=t2.r1")
    assert json.loads(result.cursor)["quota_units"] == 3

    newest_first = [thread("t4", "2026-11-24T14:00:00Z"), thread("t3", "2026-11-24T13:00:00Z")]
    server.route(
        THREADS, page(*newest_first, token="NEXT"), page(thread("t2", "2026-11-24T12:00:00Z"))
    )
    again = youtube.fetch(result.cursor)
    assert [r.external_id for r in again.records] == ["t4"]
    assert len(server.hits(THREADS)) == 4 and len(server.hits(COMMENTS)) == 1
    assert json.loads(again.cursor)["quota_units"] == 5  # counted across runs of the day


def test_a_run_stops_before_the_daily_quota_and_the_next_day_continues(server):
    server.route(
        THREADS,
        page(thread("t2", "2026-11-24T12:00:00Z"), token="A"),
        page(thread("t1", "2026-11-24T11:00:00Z"), token="B"),
    )
    youtube = connector(server, daily_quota=2)
    result = youtube.fetch(None)
    assert len(server.hits(THREADS)) == 2
    assert any("stopped before the daily quota: 2 of 2 units" in n for n in result.notes)
    assert [r.external_id for r in result.records] == ["t2", "t1"]
    same_day = youtube.fetch(result.cursor)
    assert len(server.hits(THREADS)) == 2 and not same_day.records  # no request at all
    tomorrow = connector(server, daily_quota=2, now=lambda: NOW.replace(day=26))
    tomorrow.fetch(result.cursor)
    assert len(server.hits(THREADS)) == 4  # a new quota day: reading resumes


def test_quota_exceeded_stops_for_the_day_and_bad_videos_do_not_stop_the_others(server):
    server.route(
        THREADS, google_error(403, "commentsDisabled"), page(thread("t1", "2026-11-24T11:00:00Z"))
    )
    result = connector(server, video_ids=[VIDEO, "vid00000002"]).fetch(None)
    assert "comments are turned off" in result.errors[0].reason
    assert [r.external_id for r in result.records] == ["t1"]
    server.route(THREADS, google_error(403, "quotaExceeded", "The request cannot be completed"))
    spent = connector(server).fetch(None)
    assert any("daily quota is used up" in n for n in spent.notes) and not spent.errors
    assert json.loads(spent.cursor)["quota_units"] == 10_000


def test_an_invalid_key_fails_the_source_without_showing_the_key(server):
    server.route(
        THREADS, google_error(400, "badRequest", "API key not valid. Please pass a valid API key.")
    )
    youtube = connector(server)
    with pytest.raises(CredentialsError) as failure:
        youtube.fetch(None)
    assert "YOUTUBE_API_KEY" in str(failure.value) and KEY not in str(failure.value)
    assert KEY not in repr(youtube)


def test_server_errors_are_retried_and_every_try_counts_against_the_quota(server):
    server.route(THREADS, Reply(500, "oops"), page(thread("t1", "2026-11-24T11:00:00Z")))
    result = connector(server).fetch(None)
    assert len(result.records) == 1 and json.loads(result.cursor)["quota_units"] == 2


def test_a_malformed_answer_is_a_listing_error(server):
    server.route(THREADS, Reply(200, {"kind": "youtube#commentThreadListResponse"}))
    assert "no 'items'" in connector(server).fetch(None).errors[0].reason
    server.route(THREADS, page({"id": "x"}, thread("t1", "2026-11-24T11:00:00Z")))
    result = connector(server).fetch(None)
    assert [r.external_id for r in result.records] == ["t1"]
    assert "top-level comment" in result.errors[0].reason


def test_bad_settings_fail_at_once():
    with pytest.raises(ValueError, match="YOUTUBE_API_KEY"):
        YouTubeConnector(api_key="", video_ids=[VIDEO])
    with pytest.raises(ValueError, match="video_ids or channel_ids"):
        YouTubeConnector(api_key=KEY)


def test_the_recorded_connector_maps_its_documents_offline():
    result = recorded_youtube().fetch(None)
    assert len(result.records) == 6 and not result.errors
    assert {r.lang for r in result.records} == {None}  # the API does not say; detection will
