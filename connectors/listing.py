"""Newest-first listings: the cursor, time parsing and answer checks of the social connectors.

Bluesky searches, Mastodon timelines, YouTube comment threads and Trustpilot
reviews all answer newest first. A listing is read down to the newest item the
last run stored; its :class:`Watermark` is that item's time and the ids at that
exact time (several items can share a second), so nothing is stored twice and
nothing posted between two runs is skipped. A watermark advances only when its
listing was read to the end or to the watermark: a listing that failed half-way
is read again from the top next time (the store ignores what it already has).

A connector may read ``overlap_s`` below the watermark, for items that show up
late with an older time (a post federated late, a review published after
moderation); the ids it saw there are kept (``recent``), so only the late ones
come back. The cursor is JSON: ``{"v": 1, "listings": {key: {"newest": unix,
"ids": [...], "recent": {id: unix}}}}`` plus whatever else a connector keeps
beside it (YouTube's quota count).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, HttpResponse, safe_url
from cxradar.records import MentionRecord, RowError

CURSOR_VERSION = 1
UNREADABLE = "stored cursor unreadable; reading the listings from the newest again"


@dataclass
class Watermark:
    """The newest item time (unix seconds) stored from one listing and the ids at that time.

    ``recent`` keeps the ids (and times) of the items just below ``newest`` that a
    listing with an overlap reads again, so they are recognised, not returned twice.
    """

    newest: float = 0.0
    ids: set[str] = field(default_factory=set)
    recent: dict[str, float] = field(default_factory=dict)

    def covers(self, created: float, item_id: str) -> bool:
        if item_id in self.recent:
            return True
        return created < self.newest or (created == self.newest and item_id in self.ids)

    def advance(self, created: float, item_id: str) -> None:
        if created > self.newest:
            self.newest, self.ids = created, {item_id}
        elif created == self.newest:
            self.ids.add(item_id)


class NewestFirst:
    """One pass over a newest-first listing against its watermark.

    ``take`` says what to do with each item: True (map it), False (stored
    before: skip it) or None (older than the watermark or the first run's floor:
    stop reading). ``finish`` moves the watermark once the pass is complete.

    ``overlap`` (seconds) reads that far below the watermark: an item that shows
    up late with an older time (a post federated late, a review published after
    moderation) is still found; the store ignores what it already has.
    """

    def __init__(self, mark: Watermark, floor: float = 0.0, overlap: float = 0.0) -> None:
        self.mark = mark
        self.overlap = overlap
        self.progress = Watermark(mark.newest, set(mark.ids))
        self.floor = floor if not mark.newest else 0.0  # the floor bounds the first run only
        self.stop_below = mark.newest - overlap if mark.newest else self.floor
        self.taken: dict[str, float] = {}  # a page can repeat an item of the page before
        self.new = 0

    def take(self, created: float, item_id: str) -> bool | None:
        if created < self.stop_below:
            return None
        late = created < self.mark.newest  # inside the overlap: new only if never seen
        if item_id in self.taken or (
            item_id in self.mark.recent if late else self.mark.covers(created, item_id)
        ):
            return False
        self.taken[item_id] = created
        self.progress.advance(created, item_id)
        self.new += 1
        return True

    def finish(self) -> None:
        edge = self.progress.newest - self.overlap
        remembered = {**self.mark.recent, **self.taken} if self.overlap else {}
        self.mark.newest, self.mark.ids = self.progress.newest, self.progress.ids
        self.mark.recent = {i: t for i, t in remembered.items() if t >= edge}

    def collect(
        self,
        items: Iterable[Any],
        to_record: Callable[[Any], MentionRecord],
        found: dict[str, MentionRecord],
        errors: list[RowError],
        where: str,
        first_line: int = 1,
    ) -> bool:
        """Map one page in order into ``found``; False once the watermark is reached.

        An item that cannot be mapped becomes a :class:`RowError` and its
        neighbours are still read.
        """
        for line, item in enumerate(items, start=first_line):
            try:
                record = to_record(item)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                errors.append(RowError(where, line, str(exc)))
                continue
            step = self.take(record.created_at.timestamp(), record.external_id)
            if step is None:
                return False
            if step:
                found.setdefault(record.external_id, record)
        return True


class CredentialsError(SourceError):
    """Credentials missing or refused: a person must act, so the whole source fails."""


class StopReading(SourceError):
    """Stop this run without an error (e.g. the daily quota is used); the message is a note."""


class ListingConnector:
    """The ``fetch`` of a connector made of newest-first listings.

    A subclass sets ``kind``, ``source``, ``http`` and ``lookback`` and implements
    ``listings`` (cursor key and what to read, per listing) and ``read_listing``
    (page through one listing with ``reader.collect``). A listing that fails is
    recorded as a bad item and keeps its watermark; a :class:`CredentialsError`
    fails the whole source; a :class:`StopReading` ends the run with a note.
    ``start`` and ``cursor_state`` keep state beside the watermarks (YouTube's quota).
    """

    kind: str
    source: str
    http: HttpClient
    lookback: timedelta
    overlap_s: float = 0.0  # how far below the watermark to look for late items

    def fetch(self, cursor: str | None) -> FetchResult:
        before = self.http.requests_made
        marks, state, notes = load_cursor(cursor)
        result = FetchResult(notes=notes)
        self.start(state)
        floor = (datetime.now(UTC) - self.lookback).timestamp()
        found: dict[str, MentionRecord] = {}
        for key, spec in self.listings():
            reader = NewestFirst(marks.setdefault(key, Watermark()), floor, self.overlap_s)
            try:
                self.read_listing(key, spec, reader, found, result)
            except CredentialsError:
                raise
            except StopReading as exc:
                result.notes.append(str(exc))
                break
            except SourceError as exc:
                result.errors.append(RowError(f"{self.source}:{key}", 0, str(exc)))
                continue  # this listing's watermark stays: it is read again next run
            reader.finish()
            result.notes.append(f"{key}: {reader.new} new")
        result.records = list(found.values())
        result.cursor = dump_cursor(marks, **self.cursor_state())
        result.requests = self.http.requests_made - before
        return result

    def start(self, state: dict[str, Any]) -> None:
        """Called once per fetch with the cursor's non-watermark fields (e.g. log in)."""

    def cursor_state(self) -> dict[str, Any]:
        return {}

    def listings(self) -> Iterator[tuple[str, Any]]:
        raise NotImplementedError

    def read_listing(
        self,
        key: str,
        spec: Any,
        reader: NewestFirst,
        found: dict[str, MentionRecord],
        result: FetchResult,
    ) -> None:
        raise NotImplementedError


def load_cursor(cursor: str | None) -> tuple[dict[str, Watermark], dict[str, Any], list[str]]:
    """The watermarks by listing key, the connector's other cursor fields, and notes."""
    if not cursor:
        return {}, {}, []
    try:
        document = json.loads(cursor)
        marks = {
            str(key): Watermark(
                float(value["newest"]),
                {str(i) for i in value["ids"]},
                {str(i): float(t) for i, t in (value.get("recent") or {}).items()},
            )
            for key, value in document["listings"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}, {}, [UNREADABLE]
    extra = {k: v for k, v in document.items() if k not in ("v", "listings")}
    return marks, extra, []


def dump_cursor(marks: dict[str, Watermark], **extra: Any) -> str:
    listings = {
        key: {"newest": mark.newest, "ids": sorted(mark.ids)}
        | ({"recent": dict(sorted(mark.recent.items()))} if mark.recent else {})
        for key, mark in sorted(marks.items())
        if mark.newest
    }
    document = {"v": CURSOR_VERSION, "listings": listings, **extra}
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def parse_time(value: Any, what: str = "time") -> datetime:
    """An ISO 8601 time from an API answer ('Z' or an offset) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"no {what}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {value[:40]!r} is not an ISO 8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def json_answer(response: HttpResponse, key: str, hint: str) -> Any:
    """The answer as a JSON object, checked to hold ``key`` (a list or an object).

    A missing key means the URL points at something else (a login page, another
    API): a :class:`SourceError` that names the URL without its query and ``hint``.
    """
    document = response.json()
    value = document.get(key) if isinstance(document, dict) else None
    if not isinstance(value, list | dict):
        raise SourceError(f"{safe_url(response.url)}: the answer has no '{key}'; {hint}")
    return document


def error_reason(response: HttpResponse) -> tuple[str, str]:
    """(reason, message) of a JSON error answer (Google's ``error.errors[0].reason``, AT
    Protocol's ``error``); empty strings when the body says nothing readable."""
    try:
        document = json.loads(response.body)
    except ValueError:
        return "", ""
    if not isinstance(document, dict):
        return "", ""
    error = document.get("error")
    if isinstance(error, dict):  # Google APIs
        details = error.get("errors") or [{}]
        first = details[0] if isinstance(details[0], dict) else {}
        return str(first.get("reason") or error.get("status") or ""), str(
            error.get("message") or ""
        )
    return str(error or ""), str(document.get("message") or "")


def language_code(value: Any) -> str | None:
    """ISO 639-1 from a language tag ('de', 'en-US'); None for anything else."""
    code = str(value or "").split("-")[0].lower()
    return code if len(code) == 2 and code.isalpha() else None


def count(value: Any) -> int | None:
    """A positive count from an API answer (likes, points); None when absent or zero."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
