"""The Zendesk connector: support tickets through the cursor-based incremental export.

``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>`` starts the
stream; every later request sends ``?cursor=<after_cursor>`` instead. Pages are
followed until ``end_of_stream`` is true; the last ``after_cursor`` is stored
(as ``{"after_cursor": "..."}``), so the next run asks only for tickets created
or updated since. A ticket updated again shows up again with the same id; the
store ignores the duplicate.

Real-world limits worth knowing:

* The incremental export endpoints allow **10 requests per minute** (30 with the
  High Volume API add-on), separate from the account's general API limit. A 429
  carries ``Retry-After``; :class:`~connectors.http.HttpClient` waits as long as
  it asks, and a wait longer than its ``max_retry_wait`` ends the run (the
  stored cursor lets the next run continue). ``max_pages`` bounds one run.
* ``start_time`` must be at least a minute in the past, and the export needs an
  **admin's** API token (agents get 403). Token access must be enabled under
  Admin Center > Apps and integrations > Zendesk API.
* At most 1000 tickets per page (``per_page``).

Auth is API-token Basic auth: username ``"{email}/token"``, password the token.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, HttpResponse, RecordedAdapter, recorded_session, safe_url
from cxradar.records import RowError, TicketRecord

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
DEFAULT_LOOKBACK = timedelta(days=30)
MAX_PER_PAGE = 1000
# Zendesk rejects a start_time less than a minute old.
MIN_START_AGE = timedelta(minutes=1)
AUTH_STATUSES = (401, 403)
SUBDOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "zendesk"
RECORDED_BASE_URL = "https://nordpay.zendesk.com"
RECORDED_LAST_CURSOR = "MTU3NjYxNzY3OS4wfHw0NTR8"  # page 2's after_cursor
EXPORT_ROUTE = r"/incremental/tickets/cursor\.json$"


class TicketProblem(ValueError):
    """Why one exported ticket cannot be mapped."""


class ZendeskAuthError(SourceError):
    """The credentials were refused: a person must act, so it is never downgraded to a note."""


class ZendeskConnector:
    """Tickets from one Zendesk account; ``fetch`` returns what changed since the cursor."""

    kind = "zendesk"

    def __init__(
        self,
        *,
        subdomain: str | None = None,
        base_url: str | None = None,
        email: str,
        api_token: str,
        source: str = "zendesk",
        start_time: datetime | None = None,
        per_page: int = MAX_PER_PAGE,
        max_pages: int = 50,
        http: HttpClient | None = None,
    ) -> None:
        self.base_url = _base_url(subdomain, base_url)
        if not email or not api_token:
            raise ValueError(
                "Zendesk needs an agent e-mail and an API token "
                "(usually from ZENDESK_EMAIL and ZENDESK_API_TOKEN)"
            )
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        if max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages}")
        if start_time is not None and start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        self.source = source
        self.start_time = start_time
        self.per_page = per_page
        self.max_pages = max_pages
        self.http = http or HttpClient()
        self._auth = (f"{email}/token", api_token)
        self.endpoint = self.base_url + EXPORT_PATH

    def __repr__(self) -> str:  # never show the token
        return f"ZendeskConnector(base_url={self.base_url!r}, source={self.source!r})"

    def fetch(self, cursor: str | None) -> FetchResult:
        result = FetchResult()
        requests_before = self.http.requests_made
        after_cursor = _read_cursor(cursor)
        latest: dict[str, TicketRecord] = {}
        deleted = 0
        for page_number in range(1, self.max_pages + 1):
            try:
                page = self._get_page(after_cursor)
            except SourceError as exc:
                if page_number == 1 or isinstance(exc, ZendeskAuthError):
                    raise
                # Keep the pages already read: the next run continues after them
                # instead of repeating a long, rate-limited backfill.
                result.notes.append(f"stopped at page {page_number}: {exc}")
                break
            deleted += self._map_page(page, page_number, latest, result.errors)
            next_cursor = page.get("after_cursor")
            if not isinstance(next_cursor, str) or not next_cursor:
                result.notes.append(f"page {page_number} has no after_cursor; stopped there")
                break
            after_cursor = next_cursor
            if page.get("end_of_stream") is True:
                break
        else:
            result.notes.append(
                f"stopped after {self.max_pages} pages; the next run continues from the cursor"
            )
        if deleted:
            result.notes.append(f"skipped {deleted} deleted ticket(s)")
        result.records = list(latest.values())
        result.cursor = json.dumps({"after_cursor": after_cursor}) if after_cursor else None
        result.requests = self.http.requests_made - requests_before
        return result

    def _get_page(self, after_cursor: str | None) -> dict[str, Any]:
        # The cursor (or start_time) goes first so a recorded fake can route on the URL prefix.
        if after_cursor:
            params = {"cursor": after_cursor}
        else:
            params = {"start_time": str(self._start_timestamp())}
        params["per_page"] = str(self.per_page)
        response = self.http.get(
            self.endpoint, params=params, auth=self._auth, ok_statuses=(200, *AUTH_STATUSES)
        )
        if response.status in AUTH_STATUSES:
            raise ZendeskAuthError(_auth_failure(response.status, safe_url(self.endpoint)))
        return _page_document(response)

    def _start_timestamp(self) -> int:
        latest = datetime.now(UTC) - MIN_START_AGE
        start = self.start_time or datetime.now(UTC) - DEFAULT_LOOKBACK
        return int(min(start, latest).timestamp())

    def _map_page(
        self,
        page: dict[str, Any],
        page_number: int,
        latest: dict[str, TicketRecord],
        errors: list[RowError],
    ) -> int:
        """Map the page's tickets into ``latest`` by id; return how many were deleted.

        A ticket updated during the export appears again further on; its later
        version replaces the earlier one, so one fetch yields one record per ticket.
        """
        deleted = 0
        for position, ticket in enumerate(page["tickets"], start=1):
            if isinstance(ticket, dict) and ticket.get("status") == "deleted":
                deleted += 1
                continue
            try:
                record = ticket_record(ticket, self.source)
            except TicketProblem as problem:
                where = f"{safe_url(self.endpoint)} page {page_number}"
                errors.append(RowError(where, position, str(problem)))
                continue
            latest.pop(record.external_id, None)  # keep the order of the latest versions
            latest[record.external_id] = record
        return deleted


def ticket_record(ticket: Any, source: str) -> TicketRecord:
    """Map one exported Zendesk ticket; raise :class:`TicketProblem` when it cannot be used."""
    if not isinstance(ticket, dict):
        raise TicketProblem("a ticket must be a JSON object")
    ticket_id = ticket.get("id")
    if ticket_id in (None, ""):
        raise TicketProblem("ticket has no id")
    via = ticket.get("via")
    requester = ticket.get("requester_id")
    return TicketRecord(
        source=source,
        external_id=str(ticket_id),
        created_at=_parse_time(ticket.get("created_at"), ticket_id),
        subject=ticket.get("subject") or "",
        body=ticket.get("description") or "",
        status=ticket.get("status"),
        channel=via.get("channel") if isinstance(via, dict) else None,
        # The requester's id, never an e-mail address: tickets leave no contact data here.
        customer=str(requester) if requester is not None else None,
        tags=tuple(str(tag) for tag in ticket.get("tags") or ()),
    )


def _parse_time(value: Any, ticket_id: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise TicketProblem(f"ticket {ticket_id} has no created_at")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        reason = f"ticket {ticket_id}: created_at {value[:40]!r} is not ISO 8601"
        raise TicketProblem(reason) from None
    if parsed.tzinfo is None:  # Zendesk sends "Z"; a naive time is taken as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _page_document(response: HttpResponse) -> dict[str, Any]:
    where = safe_url(response.url)
    if "json" not in response.content_type:
        raise SourceError(
            f"{where}: expected json, got '{response.content_type or 'no content type'}' "
            "(a login or error page?); check the Zendesk subdomain or base_url"
        )
    page = response.json()
    if not isinstance(page, dict) or not isinstance(page.get("tickets"), list):
        raise SourceError(
            f"{where}: the answer has no 'tickets' list; is this a Zendesk incremental "
            "export endpoint? Check the subdomain or base_url"
        )
    return page


def _auth_failure(status: int, where: str) -> str:
    if status == 403:
        why = "forbidden; the incremental export needs an admin's API token"
    else:
        why = "not authorised; the e-mail or API token was refused (is token access enabled?)"
    return (
        f"{where}: HTTP {status}: {why}. Check the Zendesk credentials, usually the "
        "ZENDESK_EMAIL and ZENDESK_API_TOKEN environment variables"
    )


def _read_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        stored = json.loads(cursor)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get("after_cursor"), str):
        raise SourceError(
            "the stored Zendesk cursor is unreadable; reset this source's cursor to "
            "start again from start_time"
        )
    return stored["after_cursor"]


def _base_url(subdomain: str | None, base_url: str | None) -> str:
    if bool(subdomain) == bool(base_url):
        raise ValueError(
            "Zendesk needs exactly one of subdomain (e.g. 'nordpay' for nordpay.zendesk.com) "
            "or base_url"
        )
    if base_url:
        return base_url.rstrip("/")
    if not SUBDOMAIN.fullmatch(subdomain or ""):
        raise ValueError(
            f"Zendesk subdomain {subdomain!r} is not a plain name; give 'nordpay' for "
            "nordpay.zendesk.com, or use base_url for another host"
        )
    return f"https://{subdomain}.zendesk.com"


def recorded_zendesk(
    *, source: str = "zendesk", start_time: datetime | None = None, max_pages: int = 50
) -> ZendeskConnector:
    """The connector served from recorded export pages: the offline and demo fake.

    All pages share one path, so each follow-up page is mounted on the URL prefix
    of the request that asks for it (``requests`` picks the longest matching
    prefix): the first request gets page 1, ``cursor=`` page 2, and page 2's own
    ``after_cursor`` an empty "caught up" page, as the live export answers.
    """
    export = f"{RECORDED_BASE_URL}{EXPORT_PATH}"
    session = recorded_session(RECORDED_FOLDER, {EXPORT_ROUTE: "tickets_page_1.json"})
    follow_ups = {
        f"{export}?cursor=": "tickets_page_2.json",
        f"{export}?cursor={RECORDED_LAST_CURSOR}": "tickets_caught_up.json",
    }
    for prefix, name in follow_ups.items():
        session.mount(prefix, RecordedAdapter(RECORDED_FOLDER, {EXPORT_ROUTE: name}))
    return ZendeskConnector(
        base_url=RECORDED_BASE_URL,
        email="demo@nordpay.example",
        api_token="recorded-no-secret",
        source=source,
        start_time=start_time,
        max_pages=max_pages,
        http=HttpClient(session=session),
    )
