"""The SurveyMonkey connector: NPS/CSAT answers of one survey through the bulk responses API.

``GET https://api.surveymonkey.com/v3/surveys/{survey_id}/responses/bulk`` with an access
token (``SURVEYMONKEY_TOKEN``, scope ``responses_read_detail``) as ``Authorization:
Bearer``, ``simple=true`` (answers carry their text), completed responses only, sorted by
``date_modified`` ascending.

Incremental: the first run asks for responses modified since ``lookback_days`` ago
(``start_modified_at``); the newest ``date_modified`` read is the cursor, and the next run
starts there (the response at that second comes again; the store keeps it once). Pages are
read with ``page=N`` until the ``total`` is reached or a page comes back short; the next
link the API returns is not followed, so the token goes to the configured host only.

Mapping: the score is the answer to ``score_question`` (a question id) or else the first
answer that is a choice with a number (SurveyMonkey's NPS question answers "0".."10"); the
comment the answer to ``comment_question`` or else the first free-text answer. Respondent
id, language, segment and touchpoint come from the survey's custom variables
(``customer_id``, ``lang``, ``segment``, ``touchpoint`` unless configured otherwise).

Limits: 120 requests per minute and 500 per day on a private app's default plan; a 429 is
retried after ``Retry-After`` (its reset header), ``max_pages`` bounds one run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, recorded_session, safe_url
from connectors.listing import json_answer, parse_time
from connectors.surveys import AnswerProblem, check_scale, load_json_cursor, survey_record
from cxradar.records import RowError, SurveyResponseRecord

API_URL = "https://api.surveymonkey.com"
BULK = "/v3/surveys/{survey}/responses/bulk"
MAX_PER_PAGE = 100
AUTH_STATUSES = (401, 403)
VARIABLE_DEFAULTS = {
    "respondent": "customer_id",
    "lang": "lang",
    "segment": "segment",
    "touchpoint": "touchpoint",
}
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "surveymonkey"
RECORDED_SURVEY = "408123456"


class SurveyMonkeyConnector:
    """Responses of one survey modified since the cursor; see the module docstring."""

    kind = "surveymonkey"

    def __init__(
        self,
        *,
        token: str,
        survey_id: str,
        source: str = "surveymonkey",
        scale: str = "nps",
        survey: str | None = None,
        brand: str | None = None,
        score_question: str | None = None,
        comment_question: str | None = None,
        custom_variables: dict[str, str] | None = None,
        lookback_days: int = 30,
        per_page: int = MAX_PER_PAGE,
        max_pages: int = 50,
        base_url: str = API_URL,
        http: HttpClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("SurveyMonkey needs an access token (usually SURVEYMONKEY_TOKEN)")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self.source, self.scale = source, check_scale(scale)
        self.survey, self.brand = survey, brand
        self.score_question, self.comment_question = score_question, comment_question
        self.variables = {**VARIABLE_DEFAULTS, **(custom_variables or {})}
        self.lookback = timedelta(days=lookback_days)
        self.per_page, self.max_pages = per_page, max_pages
        self.endpoint = base_url.rstrip("/") + BULK.format(survey=quote(survey_id, safe=""))
        self.http = http or HttpClient()
        self._headers = {"Authorization": f"Bearer {token}"}

    def __repr__(self) -> str:  # never show the token
        return f"SurveyMonkeyConnector(endpoint={self.endpoint!r}, source={self.source!r})"

    def fetch(self, cursor: str | None) -> FetchResult:
        result = FetchResult()
        before = self.http.requests_made
        stored = load_json_cursor(cursor, "modified_since", "SurveyMonkey")
        since = stored or (datetime.now(UTC) - self.lookback).strftime("%Y-%m-%dT%H:%M:%S")
        newest = stored
        for number in range(1, self.max_pages + 1):
            document = self._page(since, number, result)
            if document is None:
                break
            items = document["data"] if isinstance(document["data"], list) else []
            for position, item in enumerate(items, start=1):
                modified = _modified(item)
                if modified and (newest is None or modified > newest):
                    newest = modified
                if isinstance(item, dict) and item.get("response_status", "completed") not in (
                    "completed",
                ):
                    continue  # a partial answer: read when it is completed (date_modified moves)
                try:
                    result.records.append(self.record(item))
                except AnswerProblem as problem:
                    where = f"{safe_url(self.endpoint)} page {number}"
                    result.errors.append(RowError(where, position, str(problem)))
            total = document.get("total")
            read = (number - 1) * self.per_page + len(items)
            if len(items) < self.per_page or (isinstance(total, int) and read >= total):
                break
        else:
            result.notes.append(
                f"stopped after {self.max_pages} pages; the next run continues from the cursor"
            )
        if newest:
            result.cursor = json.dumps({"modified_since": newest})
        result.requests = self.http.requests_made - before
        return result

    def _page(self, since: str, number: int, result: FetchResult) -> dict | None:
        params = {
            "start_modified_at": since,
            "page": str(number),
            "per_page": str(self.per_page),
            "simple": "true",
            "status": "completed",
            "sort_by": "date_modified",
            "sort_order": "ASC",
        }
        try:
            response = self.http.get(
                self.endpoint, params=params, headers=self._headers, ok_statuses=(200, 401, 403)
            )
            if response.status in AUTH_STATUSES:
                raise SourceError(
                    f"{safe_url(self.endpoint)}: HTTP {response.status}: the token was refused; "
                    "check SURVEYMONKEY_TOKEN (an access token with responses_read_detail) and "
                    "that it can see this survey"
                )
            return json_answer(response, "data", "is survey_id a SurveyMonkey survey id?")
        except SourceError as exc:
            if number == 1 or "SURVEYMONKEY_TOKEN" in str(exc):
                raise
            result.notes.append(f"stopped at page {number}: {exc}")  # keep what was read
            return None

    def record(self, item: Any) -> SurveyResponseRecord:
        if not isinstance(item, dict):
            raise AnswerProblem("a response must be a JSON object")
        response_id = item.get("id")
        try:
            created = parse_time(item.get("date_created"), "date_created")
        except ValueError as exc:
            raise AnswerProblem(f"response {response_id}: {exc}") from None
        answers = list(_answers(item))
        variables = item.get("custom_variables")
        variables = variables if isinstance(variables, dict) else {}
        return survey_record(
            source=self.source,
            external_id=response_id,
            created_at=created,
            score=_score(answers, self.score_question),
            scale=self.scale,
            comment=_comment(answers, self.comment_question),
            respondent=variables.get(self.variables["respondent"]),
            lang=variables.get(self.variables["lang"]),
            segment=variables.get(self.variables["segment"]),
            touchpoint=variables.get(self.variables["touchpoint"]),
            survey=self.survey,
            brand=self.brand,
        )


def _modified(item: Any) -> str | None:
    """The response's ``date_modified`` as the API's start_modified_at wants it (UTC)."""
    if not isinstance(item, dict):
        return None
    try:
        moment = parse_time(item.get("date_modified"), "date_modified")
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _answers(item: dict):
    """(question id, answer) of every answer of every page."""
    for page in item.get("pages") or ():
        if not isinstance(page, dict):
            continue
        for question in page.get("questions") or ():
            if not isinstance(question, dict):
                continue
            for answer in question.get("answers") or ():
                if isinstance(answer, dict):
                    yield str(question.get("id")), answer


def _number(answer: dict) -> str | None:
    weight = answer.get("choice_metadata")
    for value in (
        weight.get("weight") if isinstance(weight, dict) else None,
        answer.get("simple_text"),
    ):
        try:
            float(str(value))
        except (TypeError, ValueError):
            continue
        return str(value)
    return None


def _score(answers: list, question: str | None):
    for question_id, answer in answers:
        if question is not None and question_id != question:
            continue
        if answer.get("choice_id") and _number(answer) is not None:
            return _number(answer)
        if question is not None:  # the configured question was answered with no number
            return answer.get("simple_text") or answer.get("text")
    return None


def _comment(answers: list, question: str | None) -> str | None:
    for question_id, answer in answers:
        if question is not None and question_id != question:
            continue
        free_text = not answer.get("choice_id") and not answer.get("other_id")
        if free_text and isinstance(answer.get("text"), str) and answer["text"].strip():
            return answer["text"]
    return None


def recorded_surveymonkey(
    source: str = "surveymonkey", survey: str | None = None
) -> SurveyMonkeyConnector:
    """SurveyMonkey answered from a recorded page of bulk responses."""
    return SurveyMonkeyConnector(
        token="recorded-no-secret",
        survey_id=RECORDED_SURVEY,
        source=source,
        survey=survey,
        http=HttpClient(
            session=recorded_session(RECORDED_FOLDER, {r"/responses/bulk$": "bulk.json"})
        ),
    )
