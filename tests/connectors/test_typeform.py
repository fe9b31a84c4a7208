"""The Typeform connector against a local server speaking the Responses API's shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient
from connectors.typeform import TypeformConnector, recorded_typeform
from tests.connectors.conftest import Reply

FORM = "Fn0rAnps"
PATH = f"/forms/{FORM}/responses"
TOKEN = "tfp_s3cret-token-value"


def response(number: int, score=3, comment="SMS code never arrives", **hidden) -> dict:
    """A completed response as the API returns it (the fields the connector reads and more)."""
    submitted = datetime.now(UTC) - timedelta(days=5) + timedelta(minutes=number)
    answers = [
        {"field": {"id": "Q1", "ref": "nps", "type": "nps"}, "type": "number", "number": score}
    ]
    if comment is not None:
        answers.append(
            {
                "field": {"id": "Q2", "ref": "why", "type": "long_text"},
                "type": "text",
                "text": comment,
            }
        )
    return {
        "landing_id": f"t{number:03d}",
        "token": f"t{number:03d}",
        "response_id": f"t{number:03d}",
        "landed_at": submitted.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submitted_at": submitted.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "metadata": {"platform": "mobile", "browser": "default"},
        "hidden": {"customer_id": f"cus_{number}", **hidden},
        "answers": answers,
    }


class FakeTypeform:
    """Answers like Typeform: newest first (``before`` pages back), ``after`` oldest first."""

    def __init__(self, responses: list[dict]):
        self.responses = responses  # in processing order, oldest first

    def __call__(self, request) -> Reply:
        size = int(request.query["page_size"])
        tokens = [r["token"] for r in self.responses]
        if "after" in request.query:
            start = tokens.index(request.query["after"]) + 1
            items = self.responses[start : start + size]
        else:
            newest_first = list(reversed(self.responses))
            if "before" in request.query:
                newest_first = newest_first[
                    [r["token"] for r in newest_first].index(request.query["before"]) + 1 :
                ]
            items = newest_first[:size]
        return Reply(200, {"total_items": len(self.responses), "page_count": 1, "items": items})


def connector(server, **kwargs) -> tuple[TypeformConnector, list[float]]:
    waits: list[float] = []
    settings = {
        "token": TOKEN,
        "form_id": FORM,
        "source": "nps-typeform",
        "survey": "October NPS",
        "base_url": server.url,
        "http": HttpClient(
            sleep=waits.append, timeout=2, max_retries=2, allow_private_network=True
        ),
    }
    settings.update(kwargs)
    return TypeformConnector(**settings), waits


def test_responses_are_mapped_with_score_comment_and_hidden_fields(server):
    one = response(
        1, score=2, comment="Seit 5.2 kein SMS-Code", lang="de", segment="premium", touchpoint="app"
    )
    server.route(PATH, FakeTypeform([one]))
    (record,) = connector(server)[0].fetch(None).records
    assert (record.source, record.external_id, record.survey) == (
        "nps-typeform",
        "t001",
        "October NPS",
    )
    assert (record.score, record.scale, record.comment) == (2.0, "nps", "Seit 5.2 kein SMS-Code")
    assert (record.respondent, record.lang, record.segment, record.touchpoint) == (
        "cus_1",
        "de",
        "premium",
        "app",
    )
    sent = server.hits(PATH)[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.query["completed"] == "true" and "since" in sent.query


def test_first_run_pages_back_then_the_next_run_reads_only_new_answers(server):
    fake = FakeTypeform([response(n) for n in range(1, 6)])
    server.route(PATH, fake)
    typeform, _ = connector(server, page_size=2)
    first = typeform.fetch(None)
    assert sorted(r.external_id for r in first.records) == ["t001", "t002", "t003", "t004", "t005"]
    assert [h.query.get("before") for h in server.hits(PATH)] == [None, "t004", "t002"]
    assert json.loads(first.cursor) == {"after": "t005"}
    fake.responses += [response(6), response(7, comment=None), response(8)]
    second = typeform.fetch(first.cursor)
    assert [r.external_id for r in second.records] == ["t006", "t007", "t008"]
    assert second.records[1].comment is None
    assert [h.query.get("after") for h in server.hits(PATH)[3:]] == ["t005", "t007"]
    assert json.loads(second.cursor) == {"after": "t008"}
    third = typeform.fetch(second.cursor)
    assert third.records == [] and json.loads(third.cursor) == {"after": "t008"}


def test_a_score_outside_the_scale_is_a_bad_item_and_the_rest_kept(server):
    answers = [response(1, score=12), response(2, score=4), response(3, comment="x")]
    answers[2]["answers"] = []  # no score answered
    server.route(PATH, FakeTypeform(answers))
    result = connector(server)[0].fetch(None)
    assert [r.external_id for r in result.records] == ["t002"]
    reasons = sorted(error.reason for error in result.errors)
    assert reasons == [
        "response t001: score 12 is outside the nps scale (0-10)",
        "response t003: no nps score answered",
    ]


def test_csat_and_configured_fields(server):
    one = response(1)
    one["answers"] = [
        {
            "field": {"id": "Q9", "ref": "ease", "type": "opinion_scale"},
            "type": "number",
            "number": 9,
        },
        {"field": {"id": "Q7", "ref": "csat", "type": "rating"}, "type": "number", "number": 2},
        {"field": {"id": "Q8", "ref": "why", "type": "short_text"}, "type": "text", "text": "slow"},
    ]
    one["hidden"] = {"uid": "u-77"}
    server.route(PATH, FakeTypeform([one]))
    typeform, _ = connector(
        server, scale="csat", score_field="csat", hidden_fields={"respondent": "uid"}
    )
    (record,) = typeform.fetch(None).records
    assert (record.scale, record.score, record.comment, record.respondent) == (
        "csat",
        2.0,
        "slow",
        "u-77",
    )


def test_429_waits_for_retry_after_and_500_is_retried(server):
    items = {"total_items": 1, "page_count": 1, "items": [response(1)]}
    server.route(
        PATH,
        Reply(429, {"code": "RATE_LIMITED"}, {"Retry-After": "3"}),
        Reply(500),
        Reply(200, items),
    )
    typeform, waits = connector(server)
    assert len(typeform.fetch(None).records) == 1
    assert waits[0] == 3 and len(waits) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_names_the_variable_never_the_token(server, status):
    server.route(PATH, Reply(status, {"code": "AUTHENTICATION_FAILED"}))
    with pytest.raises(SourceError, match="TYPEFORM_TOKEN") as caught:
        connector(server)[0].fetch(None)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(connector(server)[0])


def test_an_unreadable_cursor_says_to_reset_it(server):
    with pytest.raises(SourceError, match="reset this source's cursor"):
        connector(server)[0].fetch("not json")
    assert server.requests == []


def test_recorded_typeform_reads_the_bundled_page_then_nothing_new():
    typeform = recorded_typeform(source="nps", survey="October NPS")
    first = typeform.fetch(None)
    assert len(first.records) == 4 and not first.errors
    assert {r.lang for r in first.records} == {"en", "de"}
    second = typeform.fetch(first.cursor)
    assert second.records == [] and second.cursor == first.cursor
