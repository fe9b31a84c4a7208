"""The Typeform connector: NPS/CSAT answers of one form through the Responses API.

``GET https://api.typeform.com/forms/{form_id}/responses`` with a personal access token
(``TYPEFORM_TOKEN``, scope ``responses:read``) as ``Authorization: Bearer``.

Incremental, the way Typeform pages: the first run asks for the responses submitted
``since`` ``lookback_days`` ago, which come newest first, and pages back with
``before=<token of the last response read>``; the newest response's token becomes the
cursor. Every later run asks ``after=<cursor>``: only responses processed after it, oldest
first, page by page (``after=<last token>``) until a page is not full; the last token read
is the next cursor. Only completed responses are read (``completed=true``).

Mapping: the score is the answer to ``score_field`` (a field id or ref) or else the first
NPS / opinion-scale / rating answer; the comment the answer to ``comment_field`` or else
the first long- or short-text answer. Respondent id, language, segment and touchpoint come
from the form's hidden fields (``customer_id``, ``lang``, ``segment``, ``touchpoint`` unless
configured otherwise).

Limits: 2 requests per second per account; a 429 is retried after ``Retry-After``. At most
1000 responses per page; ``max_pages`` bounds one run (the cursor continues next run).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, RecordedAdapter, recorded_session, safe_url
from connectors.listing import json_answer, parse_time
from connectors.surveys import AnswerProblem, check_scale, load_json_cursor, survey_record
from cxradar.records import RowError, SurveyResponseRecord

API_URL = "https://api.typeform.com"
RESPONSES = "/forms/{form}/responses"
MAX_PAGE_SIZE = 1000
SCORE_TYPES = ("nps", "opinion_scale", "rating", "number")
COMMENT_TYPES = ("long_text", "short_text")
AUTH_STATUSES = (401, 403)
HIDDEN_DEFAULTS = {
    "respondent": "customer_id",
    "lang": "lang",
    "segment": "segment",
    "touchpoint": "touchpoint",
}
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "typeform"
RECORDED_FORM = "Fn0rAnps"
RECORDED_LAST_TOKEN = "b7e1c2d3f4a5"  # the newest response of the recorded page


class TypeformConnector:
    """Responses of one form since the cursor; see the module docstring."""

    kind = "typeform"

    def __init__(
        self,
        *,
        token: str,
        form_id: str,
        source: str = "typeform",
        scale: str = "nps",
        survey: str | None = None,
        brand: str | None = None,
        score_field: str | None = None,
        comment_field: str | None = None,
        hidden_fields: dict[str, str] | None = None,
        lookback_days: int = 30,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = 20,
        base_url: str = API_URL,
        http: HttpClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("Typeform needs a personal access token (usually TYPEFORM_TOKEN)")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        self.source, self.scale = source, check_scale(scale)
        self.survey, self.brand = survey, brand
        self.score_field, self.comment_field = score_field, comment_field
        self.hidden = {**HIDDEN_DEFAULTS, **(hidden_fields or {})}
        self.lookback = timedelta(days=lookback_days)
        self.page_size, self.max_pages = page_size, max_pages
        self.endpoint = base_url.rstrip("/") + RESPONSES.format(form=quote(form_id, safe=""))
        self.http = http or HttpClient()
        self._headers = {"Authorization": f"Bearer {token}"}

    def __repr__(self) -> str:  # never show the token
        return f"TypeformConnector(endpoint={self.endpoint!r}, source={self.source!r})"

    def fetch(self, cursor: str | None) -> FetchResult:
        result = FetchResult()
        before = self.http.requests_made
        token = load_json_cursor(cursor, "after", "Typeform")
        newest = self._first_run(result) if token is None else self._since_token(token, result)
        if newest:
            result.cursor = json.dumps({"after": newest})
        result.requests = self.http.requests_made - before
        return result

    def _first_run(self, result: FetchResult) -> str | None:
        """Newest first from ``since``, paging back with ``before``; the newest token."""
        since = (datetime.now(UTC) - self.lookback).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"since": since}
        newest = None
        for number in range(1, self.max_pages + 1):
            items = self._page(params, number, result)
            if items is None:
                break
            if items and newest is None:
                newest = _token(items[0])
            self._map(items, number, result)
            if len(items) < self.page_size or not _token(items[-1]):
                break
            params = {"since": since, "before": _token(items[-1])}
        else:
            result.notes.append(
                f"stopped after {self.max_pages} pages; older responses of the look-back "
                "were not read (raise max_pages or lower lookback_days)"
            )
        return newest

    def _since_token(self, token: str, result: FetchResult) -> str:
        """Oldest first after ``token``, page by page; the last token read."""
        for number in range(1, self.max_pages + 1):
            items = self._page({"after": token}, number, result)
            if items is None:
                break
            self._map(items, number, result)
            if items and _token(items[-1]):
                token = _token(items[-1])
            if len(items) < self.page_size:
                break
        else:
            result.notes.append(
                f"stopped after {self.max_pages} pages; the next run continues from the cursor"
            )
        return token

    def _page(self, params: dict, number: int, result: FetchResult) -> list | None:
        query = {**params, "page_size": str(self.page_size), "completed": "true"}
        try:
            response = self.http.get(
                self.endpoint,
                params=query,
                headers=self._headers,
                ok_statuses=(200, *AUTH_STATUSES),
            )
            if response.status in AUTH_STATUSES:
                raise SourceError(
                    f"{safe_url(self.endpoint)}: HTTP {response.status}: the token was refused; "
                    "check TYPEFORM_TOKEN (a personal access token with responses:read) and "
                    "that it can see this form"
                )
            document = json_answer(response, "items", "is form_id a Typeform form id?")
        except SourceError as exc:
            if number == 1 or "TYPEFORM_TOKEN" in str(exc):
                raise
            result.notes.append(f"stopped at page {number}: {exc}")  # keep what was read
            return None
        return document["items"] if isinstance(document["items"], list) else []

    def _map(self, items: list, page: int, result: FetchResult) -> None:
        for position, item in enumerate(items, start=1):
            try:
                result.records.append(self.record(item))
            except AnswerProblem as problem:
                where = f"{safe_url(self.endpoint)} page {page}"
                result.errors.append(RowError(where, position, str(problem)))

    def record(self, item: Any) -> SurveyResponseRecord:
        if not isinstance(item, dict):
            raise AnswerProblem("a response must be a JSON object")
        answers = [a for a in item.get("answers") or () if isinstance(a, dict)]
        hidden = item.get("hidden") if isinstance(item.get("hidden"), dict) else {}
        response_id = item.get("response_id") or item.get("token")
        try:
            submitted = parse_time(item.get("submitted_at"), "submitted_at")
        except ValueError as exc:
            raise AnswerProblem(f"response {response_id}: {exc}") from None
        score = _answer(answers, self.score_field, SCORE_TYPES, "number")
        comment = _answer(answers, self.comment_field, COMMENT_TYPES, "text")
        return survey_record(
            source=self.source,
            external_id=response_id,
            created_at=submitted,
            score=score,
            scale=self.scale,
            comment=comment if isinstance(comment, str) else None,
            respondent=hidden.get(self.hidden["respondent"]),
            lang=hidden.get(self.hidden["lang"]),
            segment=hidden.get(self.hidden["segment"]),
            touchpoint=hidden.get(self.hidden["touchpoint"]),
            survey=self.survey,
            brand=self.brand,
        )


def _token(item: Any) -> str | None:
    return item.get("token") if isinstance(item, dict) and item.get("token") else None


def _answer(answers: list[dict], field: str | None, types: tuple[str, ...], value: str):
    """The answer to ``field`` (id or ref), or the first answer of one of ``types``."""
    for answer in answers:
        about = answer.get("field") if isinstance(answer.get("field"), dict) else {}
        if field is not None:
            if field in (about.get("id"), about.get("ref")):
                return answer.get(value)
        elif about.get("type") in types and answer.get(value) is not None:
            return answer.get(value)
    return None


def recorded_typeform(source: str = "typeform", survey: str | None = None) -> TypeformConnector:
    """Typeform answered from a recorded page of responses, then "nothing new" after it."""
    session = recorded_session(RECORDED_FOLDER, {r"/responses$": "responses.json"})
    endpoint = API_URL + RESPONSES.format(form=RECORDED_FORM)
    session.mount(
        f"{endpoint}?after=", RecordedAdapter(RECORDED_FOLDER, {r"/responses$": "empty.json"})
    )
    return TypeformConnector(
        token="recorded-no-secret",
        form_id=RECORDED_FORM,
        source=source,
        survey=survey,
        http=HttpClient(session=session),
    )
