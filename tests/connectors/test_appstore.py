from datetime import UTC, datetime

import pytest

from connectors.appstore import AppStoreConnector, recorded_appstore
from connectors.base import SourceError
from connectors.http import HttpClient
from tests.connectors.conftest import Reply

APPLE_JSON = {"Content-Type": "text/javascript; charset=utf-8"}  # what Apple sends


def page_path(page: int, app_id: str = "1555000000", country: str = "us") -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"


def review(rid: int, updated: str, rating="2", title="Transfer stuck", text="Pending for days."):
    return {
        "author": {
            "uri": {"label": f"https://itunes.apple.com/us/reviews/id{rid}"},
            "name": {"label": f"user{rid}"},
            "label": "",
        },
        "updated": {"label": updated},
        "im:rating": {"label": rating},
        "im:version": {"label": "4.2.0"},
        "id": {"label": str(rid)},
        "title": {"label": title},
        "content": {"label": text, "attributes": {"type": "text"}},
        "link": {
            "attributes": {
                "rel": "related",
                "href": "https://itunes.apple.com/us/review?id=1555000000",
            }
        },
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }


def feed(entries=None) -> Reply:
    document = {
        "feed": {
            "author": {"name": {"label": "iTunes Store"}},
            "link": [{"attributes": {"rel": "self", "href": "https://x"}}],
            "id": {"label": "https://itunes.apple.com/us/rss/customerreviews"},
        }
    }
    if entries is not None:
        document["feed"]["entry"] = entries
    return Reply(200, document, APPLE_JSON)


def connector(server, **kwargs) -> tuple[AppStoreConnector, list[float]]:
    waits: list[float] = []
    http = HttpClient(sleep=waits.append, timeout=2, allow_private_network=True)
    return AppStoreConnector("1555000000", base_url=server.url, http=http, **kwargs), waits


def test_reviews_map_with_rating_version_and_utc_time(server):
    server.route(page_path(1), feed([review(1002, "2026-11-20T01:02:03-07:00", rating="1")]))
    server.route(page_path(2), feed())
    app, _ = connector(server, brand="Nordpay")
    [record] = app.fetch(None).records
    assert record.external_id == "1002" and record.source == "appstore"
    assert record.kind == "review" and record.rating == 1 and record.brand == "Nordpay"
    assert record.created_at == datetime(2026, 11, 20, 8, 2, 3, tzinfo=UTC)
    assert (record.title, record.text, record.author) == (
        "Transfer stuck",
        "Pending for days.",
        "user1002",
    )
    assert record.extra == {"version": "4.2.0", "country": "us"}
    assert record.lang is None and record.url == "https://itunes.apple.com/us/review?id=1555000000"


def test_pages_are_read_until_a_page_has_no_entry(server):
    server.route(
        page_path(1),
        feed([review(30, "2026-11-22T10:00:00-07:00"), review(29, "2026-11-22T09:00:00-07:00")]),
    )
    server.route(
        page_path(2),
        feed([review(28, "2026-11-21T10:00:00-07:00"), review(27, "2026-11-21T09:00:00-07:00")]),
    )
    server.route(page_path(3), feed())
    app, _ = connector(server)
    result = app.fetch(None)
    assert [r.external_id for r in result.records] == ["30", "29", "28", "27"]
    assert result.requests == 3 and len(server.hits(page_path(4))) == 0


def test_a_page_with_one_review_gives_an_object_not_a_list(server):
    server.route(page_path(1), feed(review(7, "2026-11-22T10:00:00Z")))
    server.route(page_path(2), feed())
    app, _ = connector(server)
    assert [r.external_id for r in app.fetch(None).records] == ["7"]


def test_paging_stops_at_max_pages(server):
    for page in (1, 2, 3):
        server.route(page_path(page), feed([review(100 - page, f"2026-11-2{5 - page}T10:00:00Z")]))
    app, _ = connector(server, max_pages=2)
    assert len(app.fetch(None).records) == 2
    assert server.hits(page_path(3)) == []


def test_second_fetch_stops_at_the_cursor_without_reading_further_pages(server):
    old = [review(20, "2026-11-21T10:00:00Z"), review(19, "2026-11-21T09:00:00Z")]
    newest = review(21, "2026-11-22T08:00:00Z")
    server.route(page_path(1), feed(old), feed(old), feed([newest, *old]))
    server.route(page_path(2), feed())
    app, _ = connector(server)
    first = app.fetch(None)
    unchanged = app.fetch(first.cursor)
    newer = app.fetch(unchanged.cursor)
    assert unchanged.records == [] and unchanged.cursor == first.cursor
    assert [r.external_id for r in newer.records] == ["21"]
    assert len(server.hits(page_path(2))) == 1  # only the first fetch went past page 1
    assert app.fetch(newer.cursor).records == []


def test_reviews_sharing_the_newest_second_are_not_lost(server):
    same = "2026-11-22T08:00:00Z"
    server.route(page_path(1), feed([review(40, same)]), feed([review(41, same), review(40, same)]))
    server.route(page_path(2), feed())
    app, _ = connector(server)
    first = app.fetch(None)
    assert [r.external_id for r in app.fetch(first.cursor).records] == ["41"]


def test_a_bad_rating_is_a_row_error_and_the_rest_is_kept(server):
    server.route(
        page_path(1),
        feed(
            [
                review(5, "2026-11-22T10:00:00Z", rating="five"),
                review(4, "2026-11-22T09:00:00Z", rating="9"),
                review(3, "2026-11-22T08:00:00Z"),
            ]
        ),
    )
    server.route(page_path(2), feed())
    app, _ = connector(server)
    result = app.fetch(None)
    assert [r.external_id for r in result.records] == ["3"]
    assert [(e.line, e.file) for e in result.errors] == [
        (1, server.url + page_path(1)),
        (2, server.url + page_path(1)),
    ]
    assert "'five' is not a number" in result.errors[0].reason
    assert "not between 1 and 5" in result.errors[1].reason


def test_429_and_500_are_retried(server):
    server.route(
        page_path(1),
        Reply(429, headers={"Retry-After": "4"}),
        Reply(500),
        feed([review(1, "2026-11-22T10:00:00Z")]),
    )
    server.route(page_path(2), feed())
    app, waits = connector(server)
    result = app.fetch(None)
    assert len(result.records) == 1
    assert waits == [4.0, 2.0] and result.requests == 4


def test_a_malformed_document_is_a_source_error(server):
    server.route(page_path(1), Reply(200, "{not json", APPLE_JSON))
    app, _ = connector(server)
    with pytest.raises(SourceError, match="did not return valid JSON"):
        app.fetch(None)


def test_an_answer_without_a_feed_points_at_app_id_and_country(server):
    server.route(page_path(1, country="de"), Reply(200, {"error": "unknown"}, APPLE_JSON))
    app, _ = connector(server, country="DE")
    with pytest.raises(SourceError, match="check the app id and country"):
        app.fetch(None)


def test_recorded_appstore_returns_nordpay_reviews():
    app = recorded_appstore()
    result = app.fetch(None)
    assert 5 <= len(result.records) <= 15 and result.errors == []
    assert all(1 <= r.rating <= 5 and r.brand == "Nordpay" for r in result.records)
    assert any("Überweisung" in r.text for r in result.records)
    assert any("update" in r.text.lower() for r in result.records)
    assert app.fetch(result.cursor).records == []
