"""The Qualtrics connector against a local server speaking the response export API:
start an export, poll its progress, download the zip, continue from the token next run."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import SourceError
from connectors.http import HttpClient
from connectors.qualtrics import QualtricsConnector, recorded_qualtrics
from tests.connectors.conftest import Reply

SURVEY = "SV_0NnPsFinora"
EXPORTS = f"/API/v3/surveys/{SURVEY}/export-responses"
TOKEN = "qx-s3cret-token-value"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def response(number: int, score=2, comment="SMS code missing since the update", **values):
    when = (START + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {
        "recordedDate": when,
        "endDate": when,
        "finished": 1,
        "QID1": score,
        "customer_id": f"c{number}",
        "userLanguage": "EN",
        **values,
    }
    if comment is not None:
        fields["QID2_TEXT"] = comment
    return {"responseId": f"R_{number:04d}", "values": fields, "labels": {}}


def zipped(responses: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Finora NPS.json", json.dumps({"responses": responses}))
    return buffer.getvalue()


class FakeQualtrics:
    """Exports as Qualtrics runs them: each POST starts job N (ES_N), the first poll says
    inProgress, the next complete with file F_N and a continuation token (the export's count)."""

    def __init__(self, server, responses: list[dict]):
        self.responses, self.jobs = responses, []
        server.route(EXPORTS, self.start)
        for n in range(1, 4):
            server.route(
                f"{EXPORTS}/ES_{n}",
                Reply(200, {"result": {"status": "inProgress", "percentComplete": 40.0}}),
                self.progress(n),
            )
            server.route(f"{EXPORTS}/F_{n}/file", self.file(n))

    def start(self, request) -> Reply:
        body = json.loads(request.body)
        first = int(body["continuationToken"]) if "continuationToken" in body else 0
        self.jobs.append((body, self.responses[first:]))
        return Reply(
            200, {"result": {"progressId": f"ES_{len(self.jobs)}", "status": "inProgress"}}
        )

    def progress(self, n: int):
        def answer(request) -> Reply:
            result = {"status": "complete", "percentComplete": 100.0, "fileId": f"F_{n}"}
            result["continuationToken"] = str(len(self.responses))
            return Reply(200, {"result": result})

        return answer

    def file(self, n: int):
        return lambda request: Reply(
            200, zipped(self.jobs[n - 1][1]), {"Content-Type": "application/octet-stream"}
        )


def connector(server, **kwargs) -> tuple[QualtricsConnector, list[float]]:
    waits: list[float] = []
    settings = {
        "token": TOKEN,
        "base_url": server.url,
        "survey_id": SURVEY,
        "source": "nps-qualtrics",
        "survey": "October NPS",
        "poll_every_s": 1.5,
        "http": HttpClient(
            sleep=waits.append, timeout=2, max_retries=2, allow_private_network=True
        ),
    }
    settings.update(kwargs)
    return QualtricsConnector(**settings), waits


def test_an_export_is_started_polled_downloaded_and_mapped(server):
    fake = FakeQualtrics(server, [response(1, segment="premium", touchpoint="app")])
    qualtrics, waits = connector(server)
    result = qualtrics.fetch(None)
    (record,) = result.records
    assert (record.external_id, record.score, record.scale) == ("R_0001", 2.0, "nps")
    assert (record.comment, record.respondent, record.lang) == (
        "SMS code missing since the update",
        "c1",
        "en",
    )
    assert (record.segment, record.touchpoint, record.survey) == ("premium", "app", "October NPS")
    body, _ = fake.jobs[0]
    assert body["format"] == "json" and body["allowContinuation"] is True and "startDate" in body
    assert waits == [1.5]  # one poll said inProgress
    assert server.hits(EXPORTS)[0].headers["X-API-TOKEN"] == TOKEN
    assert json.loads(result.cursor) == {"continuation": "1"}
    assert result.requests == 4  # start, two polls, the file


def test_the_next_run_continues_from_the_token_with_only_new_responses(server):
    fake = FakeQualtrics(server, [response(1), response(2, score=10, comment=None)])
    qualtrics, _ = connector(server)
    first = qualtrics.fetch(None)
    assert [r.external_id for r in first.records] == ["R_0001", "R_0002"]
    fake.responses.append(response(3, score=6))
    second = qualtrics.fetch(first.cursor)
    assert [r.external_id for r in second.records] == ["R_0003"]
    assert fake.jobs[1][0] == {"format": "json", "continuationToken": "2"}
    assert json.loads(second.cursor) == {"continuation": "3"}


def test_bad_scores_and_unfinished_answers_are_bad_items(server):
    FakeQualtrics(server, [response(1, score=11), response(2, finished=0), response(3, score=0)])
    result = connector(server)[0].fetch(None)
    assert [r.external_id for r in result.records] == ["R_0003"]
    assert [e.reason for e in result.errors] == [
        "response R_0001: score 11 is outside the nps scale (0-10)",
        "response R_0002: not finished",
    ]


def test_an_export_that_fails_or_never_finishes_fails_the_run_without_a_cursor(server):
    server.route(EXPORTS, Reply(200, {"result": {"progressId": "ES_9"}}))
    server.route(f"{EXPORTS}/ES_9", Reply(200, {"result": {"status": "failed"}}))
    with pytest.raises(SourceError, match="the export failed"):
        connector(server)[0].fetch(None)
    server.route(f"{EXPORTS}/ES_9", Reply(200, {"result": {"status": "inProgress"}}))
    with pytest.raises(SourceError, match="not ready after 3 s"):
        connector(server, max_wait_s=3)[0].fetch(None)


def test_429_and_5xx_are_retried_and_a_refused_token_is_named_not_shown(server):
    fake = FakeQualtrics(server, [response(1)])
    server.route(EXPORTS, Reply(429, {"meta": {}}, {"Retry-After": "4"}), Reply(503), fake.start)
    qualtrics, waits = connector(server)
    assert len(qualtrics.fetch(None).records) == 1
    assert waits[:2] == [4, 2.0]  # Retry-After, then the backoff
    server.route(EXPORTS, Reply(401, {"meta": {"error": {"errorMessage": "bad token"}}}))
    with pytest.raises(SourceError, match="QUALTRICS_API_TOKEN") as caught:
        connector(server)[0].fetch(None)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(qualtrics)


def test_a_download_that_is_no_zip_says_so(server):
    fake = FakeQualtrics(server, [response(1)])
    server.route(f"{EXPORTS}/F_1/file", Reply(200, b"<html>login</html>"))
    with pytest.raises(SourceError, match="not a readable zip"):
        connector(server)[0].fetch(None)
    assert fake.jobs


def test_recorded_qualtrics_reads_the_bundled_export():
    result = recorded_qualtrics(source="nps", survey="October NPS").fetch(None)
    assert [r.score for r in result.records] == [1.0, 5.0, 9.0, 8.0] and not result.errors
    assert {r.lang for r in result.records} == {"en", "de"}
