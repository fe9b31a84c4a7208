from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient
from connectors.zendesk import ZendeskConnector, recorded_zendesk
from tests.connectors.conftest import Reply

EXPORT = "/api/v2/incremental/tickets/cursor.json"
TOKEN = "zd-s3cret-token-value"


def ticket(ticket_id, **overrides) -> dict:
    """A ticket as the incremental export returns it (the fields the connector reads and more)."""
    fields = {
        "url": f"https://nordpay.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T11:00:00Z",
        "subject": f"Doppelte Abbuchung {ticket_id}",
        "description": "Mein Einkauf wurde zweimal abgebucht.",
        "status": "open",
        "requester_id": 9000 + ticket_id if isinstance(ticket_id, int) else 9000,
        "tags": ["double_charge", "de"],
        "generated_timestamp": 1795000000,
    }
    fields.update(overrides)
    return fields


def page(tickets, after_cursor, end_of_stream, before_cursor=None) -> dict:
    return {
        "tickets": tickets,
        "after_url": f"https://x.zendesk.com{EXPORT}?cursor={after_cursor}",
        "after_cursor": after_cursor,
        "before_url": None,
        "before_cursor": before_cursor,
        "end_of_stream": end_of_stream,
    }


def connector(server, **kwargs) -> tuple[ZendeskConnector, list[float]]:
    waits: list[float] = []
    settings = {
        "base_url": server.url,
        "email": "admin@nordpay.example",
        "api_token": TOKEN,
        "http": HttpClient(
            sleep=waits.append, timeout=2, max_retries=2, allow_private_network=True
        ),
    }
    settings.update(kwargs)
    return ZendeskConnector(**settings), waits


def test_tickets_are_mapped_into_ticket_records(server):
    one = ticket(
        35437,
        subject="Charged twice",
        description="Two identical charges for one coffee.",
        status="pending",
        via={"channel": "mobile"},
        requester_id=90000035437,
        tags=["double_charge", "en"],
    )
    server.route(EXPORT, Reply(200, page([one], "c1", True)))
    zendesk, _ = connector(server, source="zendesk-eu")
    (record,) = zendesk.fetch(None).records
    assert record.source == "zendesk-eu"
    assert record.external_id == "35437"
    assert record.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert (record.subject, record.body) == (
        "Charged twice",
        "Two identical charges for one coffee.",
    )
    assert (record.status, record.channel) == ("pending", "mobile")
    assert record.customer == "90000035437"
    assert record.tags == ("double_charge", "en")


def test_pages_are_followed_by_after_cursor_until_end_of_stream(server):
    server.route(
        EXPORT,
        Reply(200, page([ticket(1), ticket(2)], "c1", False)),
        Reply(200, page([ticket(3)], "c2", False, before_cursor="c1")),
        Reply(200, page([ticket(4)], "c3", True, before_cursor="c2")),
    )
    zendesk, _ = connector(server)
    result = zendesk.fetch(None)
    assert [r.external_id for r in result.records] == ["1", "2", "3", "4"]
    sent = [hit.query for hit in server.hits(EXPORT)]
    assert "start_time" in sent[0] and "cursor" not in sent[0]
    assert [q.get("cursor") for q in sent[1:]] == ["c1", "c2"]
    assert all("start_time" not in q for q in sent[1:])
    assert json.loads(result.cursor) == {"after_cursor": "c3"}
    assert result.requests == 3


def test_first_run_starts_from_start_time_or_30_days_back(server):
    server.route(EXPORT, Reply(200, page([], "c1", True)))
    start = datetime(2026, 10, 1, tzinfo=UTC)
    connector(server, start_time=start)[0].fetch(None)
    connector(server)[0].fetch(None)
    explicit, default = (int(hit.query["start_time"]) for hit in server.hits(EXPORT))
    assert explicit == int(start.timestamp())
    thirty_days_ago = datetime.now(UTC) - timedelta(days=30)
    assert abs(default - thirty_days_ago.timestamp()) < 120
    assert server.hits(EXPORT)[0].query["per_page"] == "1000"


def test_resume_sends_the_stored_cursor_and_finds_nothing_new(server):
    server.route(
        EXPORT,
        Reply(200, page([ticket(1)], "c1", True)),
        Reply(200, page([], "c1", True, before_cursor="c1")),
    )
    zendesk, _ = connector(server)
    first = zendesk.fetch(None)
    second = zendesk.fetch(first.cursor)
    resumed = server.hits(EXPORT)[1].query
    assert resumed["cursor"] == "c1" and "start_time" not in resumed
    assert second.records == [] and second.errors == []
    assert second.cursor == first.cursor


def test_api_token_basic_auth_header(server):
    server.route(EXPORT, Reply(200, page([], "c1", True)))
    connector(server)[0].fetch(None)
    header = server.hits(EXPORT)[0].headers["Authorization"]
    scheme, encoded = header.split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"admin@nordpay.example/token:{TOKEN}"


def test_429_waits_for_retry_after_then_continues(server):
    server.route(
        EXPORT,
        Reply(429, {"error": "APIRateLimitExceeded"}, headers={"Retry-After": "42"}),
        Reply(200, page([ticket(1)], "c1", True)),
    )
    zendesk, waits = connector(server)
    result = zendesk.fetch(None)
    assert waits == [42.0]
    assert [r.external_id for r in result.records] == ["1"]
    assert result.requests == 2


def test_500_is_retried_then_succeeds(server):
    server.route(EXPORT, Reply(500), Reply(200, page([ticket(1)], "c1", True)))
    zendesk, waits = connector(server)
    assert [r.external_id for r in zendesk.fetch(None).records] == ["1"]
    assert len(waits) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_name_the_env_vars_never_the_token(server, status):
    server.route(EXPORT, Reply(status, {"error": "Couldn't authenticate you"}))
    zendesk, waits = connector(server)
    with pytest.raises(SourceError) as raised:
        zendesk.fetch(None)
    message = str(raised.value)
    assert "ZENDESK_EMAIL" in message and "ZENDESK_API_TOKEN" in message
    assert TOKEN not in message and "admin@nordpay.example" not in message
    assert TOKEN not in repr(zendesk)
    assert waits == []  # refused credentials are not retried


def test_refused_credentials_on_a_later_page_still_raise(server):
    server.route(EXPORT, Reply(200, page([ticket(1)], "c1", False)), Reply(401))
    zendesk, _ = connector(server)
    with pytest.raises(SourceError, match="ZENDESK_API_TOKEN"):
        zendesk.fetch(None)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b'{"tickets": [', {"Content-Type": "application/json"}),
        Reply(200, {"count": 0}),
        Reply(200, "<html>Help Center</html>", {"Content-Type": "text/html"}),
    ],
    ids=["truncated-json", "no-tickets-list", "html-page"],
)
def test_malformed_first_page_is_a_source_error(server, reply):
    server.route(EXPORT, reply)
    zendesk, _ = connector(server)
    with pytest.raises(SourceError, match="subdomain or base_url|valid JSON"):
        zendesk.fetch(None)


def test_a_failing_later_page_keeps_the_pages_already_read(server):
    server.route(
        EXPORT,
        Reply(200, page([ticket(1)], "c1", False)),
        Reply(200, b"{oops", {"Content-Type": "application/json"}),
    )
    zendesk, _ = connector(server)
    result = zendesk.fetch(None)
    assert [r.external_id for r in result.records] == ["1"]
    assert json.loads(result.cursor) == {"after_cursor": "c1"}
    assert any("stopped at page 2" in note for note in result.notes)


def test_a_bad_ticket_is_reported_and_the_good_ones_kept(server):
    tickets = [
        ticket(1),
        ticket(None),
        ticket(3, created_at=None),
        ticket(4, created_at="last tuesday"),
        "not a ticket",
        ticket(6),
    ]
    server.route(EXPORT, Reply(200, page(tickets, "c1", True)))
    result = connector(server)[0].fetch(None)
    assert [r.external_id for r in result.records] == ["1", "6"]
    assert [e.line for e in result.errors] == [2, 3, 4, 5]
    assert "no id" in result.errors[0].reason
    assert "no created_at" in result.errors[1].reason
    assert "page 1" in result.errors[0].file and TOKEN not in str(result.errors[0])


def test_deleted_tickets_are_skipped_and_counted(server):
    tickets = [ticket(1), ticket(2, status="deleted"), ticket(3, status="deleted"), ticket(4)]
    server.route(EXPORT, Reply(200, page(tickets, "c1", True)))
    result = connector(server)[0].fetch(None)
    assert [r.external_id for r in result.records] == ["1", "4"]
    assert "skipped 2 deleted ticket(s)" in result.notes


def test_a_ticket_updated_during_the_export_yields_its_latest_version(server):
    server.route(
        EXPORT,
        Reply(200, page([ticket(1, status="open"), ticket(2)], "c1", False)),
        Reply(200, page([ticket(1, status="solved")], "c2", True)),
    )
    result = connector(server)[0].fetch(None)
    assert [(r.external_id, r.status) for r in result.records] == [("2", "open"), ("1", "solved")]


def test_max_pages_stops_and_the_cursor_continues_next_run(server):
    server.route(
        EXPORT,
        Reply(200, page([ticket(1)], "c1", False)),
        Reply(200, page([ticket(2)], "c2", False)),
        Reply(200, page([ticket(3)], "c3", True)),
    )
    zendesk, _ = connector(server, max_pages=2)
    first = zendesk.fetch(None)
    assert [r.external_id for r in first.records] == ["1", "2"]
    assert json.loads(first.cursor) == {"after_cursor": "c2"}
    assert any("next run continues" in note for note in first.notes)
    second = zendesk.fetch(first.cursor)
    assert server.hits(EXPORT)[2].query["cursor"] == "c2"
    assert [r.external_id for r in second.records] == ["3"]
    assert second.notes == []


def test_an_unreadable_stored_cursor_says_to_reset_it(server):
    zendesk, _ = connector(server)
    with pytest.raises(SourceError, match="reset this source's cursor"):
        zendesk.fetch("not-json")
    assert server.requests == []


def test_exactly_one_of_subdomain_or_base_url():
    common = {"email": "a@nordpay.example", "api_token": TOKEN}
    with pytest.raises(ValueError, match="exactly one of subdomain"):
        ZendeskConnector(**common)
    with pytest.raises(ValueError, match="exactly one of subdomain"):
        ZendeskConnector(subdomain="nordpay", base_url="https://nordpay.zendesk.com", **common)
    with pytest.raises(ValueError, match="not a plain name"):
        ZendeskConnector(subdomain="nordpay.zendesk.com", **common)
    zendesk = ZendeskConnector(subdomain="nordpay", **common)
    assert zendesk.endpoint == f"https://nordpay.zendesk.com{EXPORT}"
    assert zendesk.kind == "zendesk"


def test_recorded_connector_serves_nordpay_tickets_then_nothing_new():
    zendesk = recorded_zendesk()
    first = zendesk.fetch(None)
    assert len(first.records) >= 5 and first.errors == []
    assert {"de", "en"} <= {tag for r in first.records for tag in r.tags}
    assert all(
        r.created_at.tzinfo is not None and "@" not in (r.customer or "") for r in first.records
    )
    assert "skipped 1 deleted ticket(s)" in first.notes
    assert first.requests == 2
    assert zendesk.fetch(first.cursor).records == []
