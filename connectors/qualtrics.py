"""The Qualtrics connector: NPS/CSAT answers of one survey through the response export API.

A Qualtrics export is a job in three steps, each authenticated with ``X-API-TOKEN``
(``QUALTRICS_API_TOKEN``) against the account's data centre (``https://<id>.qualtrics.com``):

1. ``POST /API/v3/surveys/{survey_id}/export-responses`` starts it (JSON, completed responses
   only) and answers a ``progressId``;
2. ``GET .../export-responses/{progressId}`` is polled until ``status`` is ``complete``
   (``failed``: the run fails with Qualtrics' word for it); the answer names the ``fileId``
   and a ``continuationToken``;
3. ``GET .../export-responses/{fileId}/file`` downloads a zip holding one JSON file of
   ``responses``.

Incremental: the first export asks for responses recorded since ``lookback_days`` ago
(``startDate``) with ``allowContinuation``; each later export sends the stored
``continuationToken`` instead and gets only the responses recorded since the previous
export. The token is stored only after the file was read, so a failed run exports again.

Mapping: ``values`` of each response: the score is ``score_question`` (a question id such as
``QID1``; default: the first ``QID`` value that is a number), the comment ``comment_question``
(default: the first ``QID…_TEXT`` value); respondent id, language, segment and touchpoint
come from embedded data fields (``customer_id``, ``lang``/``userLanguage``, ``segment``,
``touchpoint``). Limits: 3000 requests per minute per brand; an export of many responses
takes a few seconds to minutes, bounded here by ``max_wait_s``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, HttpResponse, RecordedAdapter, safe_url
from connectors.listing import parse_time
from connectors.surveys import AnswerProblem, check_scale, load_json_cursor, survey_record
from cxradar.records import RowError, SurveyResponseRecord

EXPORTS = "/API/v3/surveys/{survey}/export-responses"
AUTH_STATUSES = (401, 403)
MAX_FILE_BYTES = 200 * 1024 * 1024  # an unpacked export; far above a survey's answers
FIELD_DEFAULTS = {
    "respondent": "customer_id",
    "lang": "userLanguage",
    "segment": "segment",
    "touchpoint": "touchpoint",
}
QUESTION = re.compile(r"^QID\d+$")
TEXT = re.compile(r"^QID\d+_TEXT$")
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "qualtrics"
RECORDED_BASE_URL = "https://fra1.qualtrics.com"
RECORDED_SURVEY = "SV_0NnPsFinora"


class QualtricsConnector:
    """Responses of one survey since the last export; see the module docstring."""

    kind = "qualtrics"

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        survey_id: str,
        source: str = "qualtrics",
        scale: str = "nps",
        survey: str | None = None,
        brand: str | None = None,
        score_question: str | None = None,
        comment_question: str | None = None,
        embedded_fields: dict[str, str] | None = None,
        lookback_days: int = 30,
        poll_every_s: float = 2.0,
        max_wait_s: float = 300.0,
        http: HttpClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("Qualtrics needs an API token (usually QUALTRICS_API_TOKEN)")
        self.source, self.scale = source, check_scale(scale)
        self.survey, self.brand = survey, brand
        self.score_question, self.comment_question = score_question, comment_question
        self.fields = {**FIELD_DEFAULTS, **(embedded_fields or {})}
        self.lookback = timedelta(days=lookback_days)
        self.poll_every_s, self.max_wait_s = poll_every_s, max_wait_s
        self.exports = base_url.rstrip("/") + EXPORTS.format(survey=quote(survey_id, safe=""))
        self.http = http or HttpClient()
        self._headers = {"X-API-TOKEN": token}

    def __repr__(self) -> str:  # never show the token
        return f"QualtricsConnector(exports={self.exports!r}, source={self.source!r})"

    def fetch(self, cursor: str | None) -> FetchResult:
        result = FetchResult()
        before = self.http.requests_made
        token = load_json_cursor(cursor, "continuation", "Qualtrics")
        if token:
            body: dict[str, Any] = {"format": "json", "continuationToken": token}
        else:
            since = datetime.now(UTC) - self.lookback
            body = {
                "format": "json",
                "startDate": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "allowContinuation": True,
            }
        started = self._call(self.exports, body)
        progress = _result(started, "progressId")
        done = self._wait(str(progress["progressId"]), result)
        file = self._call(f"{self.exports}/{quote(str(done['fileId']), safe='')}/file")
        for position, item in enumerate(_responses(file), start=1):
            try:
                result.records.append(self.record(item))
            except AnswerProblem as problem:
                result.errors.append(
                    RowError(f"{safe_url(self.exports)} export", position, str(problem))
                )
        if done.get("continuationToken"):
            result.cursor = json.dumps({"continuation": str(done["continuationToken"])})
        result.requests = self.http.requests_made - before
        return result

    def _call(self, url: str, body: dict | None = None) -> HttpResponse:
        response = self.http.get(
            url, headers=self._headers, json_body=body, ok_statuses=(200, *AUTH_STATUSES)
        )
        if response.status in AUTH_STATUSES:
            raise SourceError(
                f"{safe_url(url)}: HTTP {response.status}: the token was refused; check "
                "QUALTRICS_API_TOKEN (Account settings > Qualtrics IDs > API) and that it may "
                "export this survey's responses"
            )
        return response

    def _wait(self, progress_id: str, result: FetchResult) -> dict:
        """Poll the export until it is complete; its result (fileId, continuationToken)."""
        waited = 0.0
        while True:
            answer = _result(self._call(f"{self.exports}/{quote(progress_id, safe='')}"), "status")
            status = str(answer["status"]).lower()
            if status == "complete" and answer.get("fileId"):
                return answer
            if status == "failed":
                raise SourceError(
                    f"{safe_url(self.exports)}: the export failed on Qualtrics' side; the next "
                    "run starts a new one"
                )
            if waited >= self.max_wait_s:
                raise SourceError(
                    f"{safe_url(self.exports)}: the export was not ready after "
                    f"{self.max_wait_s:.0f} s ({answer.get('percentComplete', '?')} %); the next "
                    "run starts a new one"
                )
            self.http.sleep(self.poll_every_s)
            waited += self.poll_every_s

    def record(self, item: Any) -> SurveyResponseRecord:
        if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
            raise AnswerProblem("a response must be an object with 'values'")
        values = item["values"]
        response_id = item.get("responseId")
        try:
            recorded = parse_time(values.get("recordedDate") or values.get("endDate"), "time")
        except ValueError as exc:
            raise AnswerProblem(f"response {response_id}: {exc}") from None
        if values.get("finished") in (0, "0", False):
            raise AnswerProblem(f"response {response_id}: not finished")
        return survey_record(
            source=self.source,
            external_id=response_id,
            created_at=recorded,
            score=_pick(values, self.score_question, QUESTION, number=True),
            scale=self.scale,
            comment=_pick(values, self.comment_question, TEXT, number=False),
            respondent=values.get(self.fields["respondent"]),
            lang=values.get(self.fields["lang"]) or values.get("lang"),
            segment=values.get(self.fields["segment"]),
            touchpoint=values.get(self.fields["touchpoint"]),
            survey=self.survey,
            brand=self.brand,
        )


def _pick(values: dict, key: str | None, pattern: re.Pattern, number: bool):
    if key is not None:
        return values.get(key)
    for name in sorted(values, key=_question_order):
        value = values[name]
        if not pattern.match(name) or value in (None, ""):
            continue
        if number == (isinstance(value, int | float) and not isinstance(value, bool)):
            return value
    return None


def _question_order(name: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", name)
    return (int(digits[0]) if digits else 1 << 30, name)


def _result(response: HttpResponse, key: str) -> dict:
    document = response.json()
    result = document.get("result") if isinstance(document, dict) else None
    if not isinstance(result, dict) or key not in result:
        raise SourceError(
            f"{safe_url(response.url)}: the answer has no result.{key}; is base_url your "
            "Qualtrics data centre (https://<id>.qualtrics.com) and survey_id an SV_ id?"
        )
    return result


def _responses(response: HttpResponse) -> list:
    """The responses of the downloaded export (a zip with one JSON file)."""
    where = safe_url(response.url)
    try:
        with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".json")]
            if not names:
                raise SourceError(f"{where}: the export holds no JSON file")
            info = archive.getinfo(names[0])
            if info.file_size > MAX_FILE_BYTES:
                raise SourceError(f"{where}: the export unpacks to more than 200 MiB; not read")
            with archive.open(info) as handle:
                document = json.loads(handle.read(MAX_FILE_BYTES + 1))
    except (zipfile.BadZipFile, ValueError, RecursionError) as exc:
        raise SourceError(f"{where}: the export is not a readable zip of JSON ({exc})") from None
    responses = document.get("responses") if isinstance(document, dict) else None
    if not isinstance(responses, list):
        raise SourceError(f"{where}: the export has no 'responses' list")
    return responses


def recorded_qualtrics(source: str = "qualtrics", survey: str | None = None) -> QualtricsConnector:
    """Qualtrics answered from a recorded export: started, complete at once, one zip file."""
    import requests

    routes = {
        r"/export-responses$": "start.json",
        r"/export-responses/ES_[^/]+$": "progress.json",
        r"/export-responses/[^/]+/file$": "responses.zip",
    }
    session = requests.Session()
    adapter = RecordedAdapter(RECORDED_FOLDER, routes)
    session.mount("https://", adapter)
    return QualtricsConnector(
        token="recorded-no-secret",
        base_url=RECORDED_BASE_URL,
        survey_id=RECORDED_SURVEY,
        source=source,
        survey=survey,
        poll_every_s=0,
        http=HttpClient(session=session),
    )
