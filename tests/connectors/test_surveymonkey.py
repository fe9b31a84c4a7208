"""The SurveyMonkey connector against a local server speaking the bulk responses API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient
from connectors.surveymonkey import SurveyMonkeyConnector, recorded_surveymonkey
from tests.connectors.conftest import Reply

SURVEY = "408123456"
PATH = f"/v3/surveys/{SURVEY}/responses/bulk"
TOKEN = "sm-s3cret-token-value"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def answer(number: int, score=3, comment="Login per SMS geht nicht", status="completed", **vars):
    moment = START + timedelta(minutes=number)
    questions = [
        {
            "id": "112233",
            "answers": [
                {
                    "choice_id": f"99{score}",
                    "row_id": "7788",
                    "simple_text": str(score),
                    "choice_metadata": {"weight": str(score)},
                }
            ],
        }
    ]
    if comment is not None:
        questions.append({"id": "112244", "answers": [{"text": comment, "simple_text": comment}]})
    return {
        "id": f"1180{number:04d}",
        "response_status": status,
        "date_created": moment.isoformat(),
        "date_modified": (moment + timedelta(seconds=30)).isoformat(),
        "custom_variables": {"customer_id": f"c{number}", **vars},
        "pages": [{"id": "3344", "questions": questions}],
    }


class FakeSurveyMonkey:
    """Answers like the bulk endpoint: modified since start_modified_at, ascending, paged."""

    def __init__(self, responses: list[dict]):
        self.responses = responses

    def __call__(self, request) -> Reply:
        since = datetime.fromisoformat(request.query["start_modified_at"]).replace(tzinfo=UTC)
        page, size = int(request.query["page"]), int(request.query["per_page"])
        matching = [
            r for r in self.responses if datetime.fromisoformat(r["date_modified"]) >= since
        ]
        matching.sort(key=lambda r: r["date_modified"])
        data = matching[(page - 1) * size : page * size]
        return Reply(200, {"data": data, "per_page": size, "page": page, "total": len(matching)})


def connector(server, **kwargs) -> tuple[SurveyMonkeyConnector, list[float]]:
    waits: list[float] = []
    settings = {
        "token": TOKEN,
        "survey_id": SURVEY,
        "source": "nps-monkey",
        "survey": "Q4 NPS",
        "base_url": server.url,
        "http": HttpClient(
            sleep=waits.append, timeout=2, max_retries=2, allow_private_network=True
        ),
    }
    settings.update(kwargs)
    return SurveyMonkeyConnector(**settings), waits


def test_responses_are_mapped_from_choice_weight_text_and_custom_variables(server):
    one = answer(1, score=0, lang="DE", segment="business", touchpoint="support")
    server.route(PATH, FakeSurveyMonkey([one]))
    (record,) = connector(server)[0].fetch(None).records
    assert (record.source, record.external_id, record.survey) == (
        "nps-monkey",
        "11800001",
        "Q4 NPS",
    )
    assert (record.score, record.comment) == (0.0, "Login per SMS geht nicht")
    assert (record.respondent, record.lang, record.segment, record.touchpoint) == (
        "c1",
        "de",
        "business",
        "support",
    )
    sent = server.hits(PATH)[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (sent.query["simple"], sent.query["sort_order"]) == ("true", "ASC")


def test_pages_then_only_answers_modified_since_the_cursor(server):
    fake = FakeSurveyMonkey([answer(n) for n in range(1, 6)])
    server.route(PATH, fake)
    monkey, _ = connector(server, per_page=2)
    first = monkey.fetch(None)
    assert [r.external_id for r in first.records] == [f"1180{n:04d}" for n in range(1, 6)]
    assert [h.query["page"] for h in server.hits(PATH)] == ["1", "2", "3"]
    cursor = json.loads(first.cursor)["modified_since"]
    assert cursor == (START + timedelta(minutes=5, seconds=30)).strftime("%Y-%m-%dT%H:%M:%S")
    fake.responses += [answer(6), answer(7, comment=None)]
    second = monkey.fetch(first.cursor)
    # The answer at the cursor's second comes again (the store keeps it once), then the new.
    assert [r.external_id for r in second.records] == ["11800005", "11800006", "11800007"]
    assert server.hits(PATH)[3].query["start_modified_at"] == cursor
    assert second.records[2].comment is None


def test_partial_answers_are_left_for_later_and_bad_scores_reported(server):
    server.route(
        PATH,
        FakeSurveyMonkey(
            [answer(1, status="partial"), answer(2, score=11), answer(3, score=9, comment=None)]
        ),
    )
    result = connector(server)[0].fetch(None)
    assert [r.external_id for r in result.records] == ["11800003"]
    assert [e.reason for e in result.errors] == [
        "response 11800002: score 11 is outside the nps scale (0-10)"
    ]


def test_429_waits_for_retry_after_and_503_is_retried(server):
    server.route(
        PATH,
        Reply(429, {"error": {"name": "Rate limit reached"}}, {"Retry-After": "7"}),
        Reply(503),
        FakeSurveyMonkey([answer(1)]),
    )
    monkey, waits = connector(server)
    assert len(monkey.fetch(None).records) == 1
    assert waits[0] == 7 and len(waits) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_names_the_variable_never_the_token(server, status):
    server.route(PATH, Reply(status, {"error": {"name": "Authorization Error"}}))
    with pytest.raises(SourceError, match="SURVEYMONKEY_TOKEN") as caught:
        connector(server)[0].fetch(None)
    assert TOKEN not in str(caught.value)


def test_recorded_surveymonkey_reads_the_bundled_page():
    result = recorded_surveymonkey(source="nps", survey="Q4 NPS").fetch(None)
    assert [r.score for r in result.records] == [3.0, 10.0, 6.0, 7.0] and not result.errors
