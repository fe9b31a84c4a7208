"""Hacker News through a local server that answers like the Algolia HN Search API.

The fake filters by ``created_at_i`` window, pages, and caps what paging can
reach the way Algolia does (``paginationLimitedTo``), scaled down so a test
needs few hits to run into the cap.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from connectors.hackernews import INDEX_LAG, SEARCH, HackerNewsConnector, recorded_hackernews
from connectors.http import HttpClient
from tests.connectors.conftest import Reply

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
START = int(NOW.timestamp()) - 6 * 86400


def hit(n: int, created: int, comment: bool = True) -> dict:
    base = {"objectID": str(n), "author": f"user{n}", "created_at_i": created, "points": None}
    if comment:
        return {
            **base,
            "comment_text": f"<p>Nordpay comment {n}</p>",
            "story_id": 1,
            "story_title": "Nordpay story",
            "parent_id": 1,
            "_tags": ["comment"],
        }
    return {
        **base,
        "title": f"Nordpay story {n}",
        "url": f"https://x.example/{n}",
        "story_text": None,
        "points": 10 + n,
        "_tags": ["story"],
    }


class FakeAlgolia:
    """search_by_date over ``hits``: newest first, windows, pages and a pagination cap."""

    def __init__(self, hits: list[dict], limit: int = 1000) -> None:
        self.hits = hits
        self.limit = limit
        self.windows: list[tuple[int, int, int]] = []  # (start, end, page) asked

    def __call__(self, request) -> Reply:
        low, high = (
            int(v) for v in re.findall(r"created_at_i[<>]=?(\d+)", request.query["numericFilters"])
        )
        per_page, page = int(request.query["hitsPerPage"]), int(request.query["page"])
        self.windows.append((low, high, page))
        matching = sorted(
            (h for h in self.hits if low <= h["created_at_i"] < high),
            key=lambda h: -h["created_at_i"],
        )
        reachable = matching[: self.limit]
        pages = min(math.ceil(len(matching) / per_page), self.limit // per_page)
        body = {
            "hits": reachable[page * per_page : (page + 1) * per_page],
            "nbHits": len(matching),
            "page": page,
            "nbPages": pages,
            "hitsPerPage": per_page,
        }
        return Reply(200, body)


def connector(server, waits=None, **kwargs) -> HackerNewsConnector:
    options = {
        "queries": [("Nordpay", "nordpay")],
        "base_url": server.url,
        "hits_per_page": 10,
        "now": lambda: NOW,
        "http": HttpClient(
            max_retries=2,
            backoff=0,
            sleep=(waits if waits is not None else []).append,
            allow_private_network=True,  # the fake service answers on this machine
        ),
        **kwargs,
    }
    return HackerNewsConnector(**options)


def test_windows_over_the_hit_limit_are_split_so_every_hit_is_read_once(server):
    hits = [hit(n, START + n * 900) for n in range(1, 121)]  # 120 hits in 30 hours
    algolia = FakeAlgolia(hits, limit=30)  # paging reaches only 30 hits of one query
    server.route(SEARCH, algolia)
    result = connector(server).fetch(None)
    assert sorted(int(r.external_id) for r in result.records) == list(range(1, 121))
    assert not result.errors
    answered = [w for w in algolia.windows if w[2] == 0]
    assert len(answered) > 4  # the first window was split
    asked = server.hits(SEARCH)[0].query
    assert asked["tags"] == "(story,comment)" and asked["query"] == "nordpay"


def test_the_next_run_starts_before_the_last_end_and_skips_what_it_stored(server):
    last = int(NOW.timestamp()) - 60
    algolia = FakeAlgolia([hit(1, last - 3000), hit(2, last, comment=False)])
    server.route(SEARCH, algolia)
    hackernews = connector(server)
    first = hackernews.fetch(None)
    assert {r.external_id: r.kind for r in first.records} == {"1": "comment", "2": "post"}
    story = next(r for r in first.records if r.kind == "post")
    assert story.reach == 12 and story.url == "https://x.example/2"
    late = hit(3, last - 120)  # posted before the first run's end, indexed after it
    algolia.hits.append(late)
    later = connector(server, now=lambda: NOW.replace(hour=13))
    second = later.fetch(first.cursor)
    assert [r.external_id for r in second.records] == ["3"]
    low = algolia.windows[-1][0]
    assert low == int(NOW.timestamp()) + 1 - INDEX_LAG  # overlap, so late hits are found


def test_max_requests_stops_the_run_and_the_next_one_continues_without_a_gap(server):
    hits = [hit(n, START + n * 900) for n in range(1, 61)]
    server.route(SEARCH, FakeAlgolia(hits, limit=30))
    stopped = connector(server, max_requests=3).fetch(None)
    assert any("stopped after 3 requests" in note for note in stopped.notes)
    rest = connector(server, max_requests=100).fetch(stopped.cursor)
    read = {r.external_id for r in stopped.records} | {r.external_id for r in rest.records}
    assert read == {str(n) for n in range(1, 61)}


def test_rate_limits_and_server_errors_are_retried_then_reported(server):
    algolia = FakeAlgolia([hit(1, START + 10)])
    server.route(SEARCH, Reply(429, {"message": "slow down"}, {"Retry-After": "7"}), algolia)
    waits: list[float] = []
    assert len(connector(server, waits).fetch(None).records) == 1
    assert waits == [7.0]
    server.route(SEARCH, Reply(502, "bad gateway"))
    failed = connector(server).fetch(None)
    assert "HTTP 502" in failed.errors[0].reason and not failed.records


def test_a_malformed_answer_is_reported_and_bad_hits_are_skipped(server):
    server.route(SEARCH, Reply(200, {"results": []}))
    assert "no 'hits'" in connector(server).fetch(None).errors[0].reason
    broken = {"objectID": "9", "author": "x"}  # no created_at_i
    algolia = FakeAlgolia([hit(1, START + 10)])
    server.route(
        SEARCH,
        lambda request: Reply(200, {**algolia(request).body, "hits": [broken, hit(1, START + 10)]}),
    )
    result = connector(server).fetch(None)
    assert [r.external_id for r in result.records] == ["1"]
    assert "created_at_i" in result.errors[0].reason


def test_the_recorded_connector_maps_its_documents_offline():
    result = recorded_hackernews().fetch(None)
    assert sorted(r.kind for r in result.records) == ["comment", "comment", "post", "post"]
    assert all(r.url for r in result.records) and not result.errors
