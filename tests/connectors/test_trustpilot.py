"""Trustpilot business-unit reviews against a local server speaking its public API shapes."""

from __future__ import annotations

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient
from connectors.listing import CredentialsError
from connectors.trustpilot import FIND, TrustpilotConnector, recorded_trustpilot
from tests.connectors.conftest import Reply

KEY = "trustpilot-key-do-not-print"
UNIT = "5f0c1d2e3a4b5c6d7e8f9a0b"
REVIEWS = f"/v1/business-units/{UNIT}/reviews"


def review(n: int, created: str, stars: int = 1, reply: bool = False) -> dict:
    return {
        "id": f"r{n}",
        "stars": stars,
        "title": f"Title {n}",
        "text": f"Nordpay review {n}",
        "language": "de",
        "createdAt": created,
        "consumer": {"id": f"c{n}", "displayName": f"Kunde {n}"},
        "companyReply": {"text": "Sorry!", "createdAt": "2026-11-25T08:00:00Z"} if reply else None,
        "isVerified": True,
        "numberOfLikes": n,
    }


def reviews_page(*reviews, more: bool = False) -> Reply:
    links = [{"href": "https://api.trustpilot.com/self", "method": "GET", "rel": "self"}]
    if more:
        links.append(
            {"href": "https://api.trustpilot.com/next", "method": "GET", "rel": "next-page"}
        )
    return Reply(200, {"reviews": list(reviews), "links": links})


def connector(server, waits=None, **kwargs) -> TrustpilotConnector:
    options = {
        "api_key": KEY,
        "domain": "nordpay.example",
        "base_url": server.url,
        "per_page": 2,
        "lookback_days": 3650,
        "http": HttpClient(
            max_retries=2,
            backoff=0,
            sleep=(waits if waits is not None else []).append,
            allow_private_network=True,  # the fake service answers on this machine
        ),
        **kwargs,
    }
    return TrustpilotConnector(**options)


def test_finds_the_business_by_domain_pages_newest_first_and_stops_at_the_watermark(server):
    server.route(FIND, Reply(200, {"id": UNIT, "displayName": "Nordpay"}))
    server.route(
        REVIEWS,
        reviews_page(
            review(4, "2026-11-24T12:00:00Z", reply=True),
            review(3, "2026-11-24T11:00:00Z", 5),
            more=True,
        ),
        reviews_page(review(2, "2026-11-24T10:00:00Z")),
    )
    trustpilot = connector(server)
    result = trustpilot.fetch(None)
    assert [r.external_id for r in result.records] == ["r4", "r3", "r2"]
    assert server.hits(FIND)[0].query["name"] == "nordpay.example"
    first, second = server.hits(REVIEWS)
    assert first.query["orderBy"] == "createdat.desc" and second.query["page"] == "2"
    assert first.headers["apikey"] == KEY and KEY not in str(first.query)
    newest = result.records[0]
    assert newest.kind == "review" and newest.rating == 1 and newest.title == "Title 4"
    assert newest.extra["replied"] is True and newest.extra["reply_at"] == "2026-11-25T08:00:00Z"
    assert result.records[1].extra["replied"] is False and newest.author == "Kunde 4"

    server.route(
        REVIEWS,
        reviews_page(
            review(5, "2026-11-24T13:00:00Z"), review(4, "2026-11-24T12:00:00Z"), more=True
        ),
        reviews_page(review(3, "2026-11-24T11:00:00Z", 5)),
    )
    again = trustpilot.fetch(result.cursor)
    assert [r.external_id for r in again.records] == ["r5"]
    assert len(server.hits(REVIEWS)) == 4


def test_a_refused_key_fails_the_source_and_never_shows_the_key(server):
    server.route(FIND, Reply(401, {"fault": {"faultstring": "Invalid ApiKey"}}))
    trustpilot = connector(server)
    with pytest.raises(CredentialsError) as failure:
        trustpilot.fetch(None)
    assert "TRUSTPILOT_API_KEY" in str(failure.value) and KEY not in str(failure.value)
    assert KEY not in repr(trustpilot)


def test_an_unknown_domain_says_what_to_check(server):
    server.route(FIND, Reply(404, {"message": "Not found"}))
    with pytest.raises(SourceError, match="no business unit for the domain 'nordpay.example'"):
        connector(server).fetch(None)


def test_rate_limits_are_waited_for_and_server_errors_keep_the_cursor(server):
    server.route(
        REVIEWS,
        Reply(429, {"message": "Too many"}, {"Retry-After": "5"}),
        reviews_page(review(1, "2026-11-24T10:00:00Z")),
    )
    waits: list[float] = []
    trustpilot = connector(server, waits, domain=None, business_unit_id=UNIT)
    result = trustpilot.fetch(None)
    assert len(result.records) == 1 and waits == [5.0] and not server.hits(FIND)
    server.route(REVIEWS, Reply(500, "boom"))
    failed = trustpilot.fetch(result.cursor)
    assert "HTTP 500" in failed.errors[0].reason and failed.cursor == result.cursor


def test_a_malformed_answer_or_review_is_reported_and_the_rest_kept(server):
    server.route(REVIEWS, Reply(200, {"items": []}))
    trustpilot = connector(server, domain=None, business_unit_id=UNIT)
    assert "no 'reviews'" in trustpilot.fetch(None).errors[0].reason
    server.route(
        REVIEWS,
        reviews_page(review(2, "2026-11-24T11:00:00Z", stars=9), review(1, "2026-11-24T10:00:00Z")),
    )
    result = trustpilot.fetch(None)
    assert [r.external_id for r in result.records] == ["r1"]
    assert "stars 9" in result.errors[0].reason


def test_bad_settings_fail_at_once():
    with pytest.raises(ValueError, match="TRUSTPILOT_API_KEY"):
        TrustpilotConnector(api_key="", domain="nordpay.example")
    with pytest.raises(ValueError, match="exactly one"):
        TrustpilotConnector(api_key=KEY, domain="nordpay.example", business_unit_id=UNIT)


def test_the_recorded_connector_maps_its_documents_offline():
    result = recorded_trustpilot().fetch(None)
    assert sorted(r.rating for r in result.records) == [1, 1, 2, 4, 5]
    assert sum(r.extra["replied"] for r in result.records) == 1 and not result.errors
