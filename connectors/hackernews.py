"""The Hacker News connector: stories and comments through the Algolia HN Search API.

``GET https://hn.algolia.com/api/v1/search_by_date?query=…&tags=(story,comment)
&numericFilters=created_at_i>=LO,created_at_i<HI&hitsPerPage=…&page=…`` — no
key, newest first. Algolia returns at most 1,000 hits of one query however
many pages are asked for, so a time window whose ``nbHits`` exceeds what its
pages can return is split in two, again and again, until every part fits:
nothing is cut at the hit limit.

The cursor keeps, per query, the end of the last window read completely and
the ids of the hits in its last ``INDEX_LAG`` seconds: the next run starts that
much earlier (a hit indexed late is still found) and skips those ids. The first
run reaches back ``lookback_days``. ``max_requests`` bounds one run; windows are
read oldest first, so a run stopped there continues where it stopped.

Limits: 10,000 requests per hour per IP; a 429 is retried after ``Retry-After``.
Mapping: a story is a "post" (title, text or URL, points as reach), a comment a
"comment" (the story's title, story id and parent id in ``extra``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import FetchResult, SourceError
from connectors.feeds import html_to_text
from connectors.http import HttpClient, recorded_session
from connectors.listing import (
    StopReading,
    Watermark,
    count,
    dump_cursor,
    json_answer,
    load_cursor,
)
from cxradar.records import MentionRecord, RowError

SEARCH = "/api/v1/search_by_date"
ITEM_URL = "https://news.ycombinator.com/item?id={id}"
INDEX_LAG = 600  # seconds: hits can appear in the index a few minutes after they were posted
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "hackernews"
RECORDED_ROUTES = {r"/search_by_date$": "search_nordpay.json"}


@dataclass
class Window:
    """Hits created in ``[start, end)`` (unix seconds)."""

    start: int
    end: int


class HackerNewsConnector:
    """Stories and comments matching each query since the cursor; see the module docstring."""

    kind = "hackernews"

    def __init__(
        self,
        *,
        queries: Iterable[tuple[str | None, str]],
        source: str = "hackernews",
        tags: str = "(story,comment)",
        hits_per_page: int = 100,
        lookback_days: int = 7,
        max_requests: int = 100,
        base_url: str = "https://hn.algolia.com",
        http: HttpClient | None = None,
        now=None,
    ) -> None:
        self.queries = [(brand, query.strip()) for brand, query in queries if query.strip()]
        if not self.queries:
            raise ValueError("Hacker News needs at least one query (or a brand with keywords)")
        if not 1 <= hits_per_page <= 1000:
            raise ValueError(f"hits_per_page must be between 1 and 1000, got {hits_per_page}")
        self.source = source
        self.tags = tags
        self.hits_per_page = hits_per_page
        self.lookback_s = timedelta(days=lookback_days).total_seconds()
        self.max_requests = max_requests
        self.endpoint = base_url.rstrip("/") + SEARCH
        self.http = http or HttpClient()
        self._now = now or (lambda: datetime.now(UTC))
        self._budget_end = max_requests

    def fetch(self, cursor: str | None) -> FetchResult:
        before = self.http.requests_made
        marks, _, notes = load_cursor(cursor)
        result = FetchResult(notes=notes)
        found: dict[str, MentionRecord] = {}
        now = int(self._now().timestamp())
        self._budget_end = before + self.max_requests
        for brand, query in self.queries:
            key = f"search:{query}"
            mark = marks.setdefault(key, Watermark())
            start = int(mark.newest) - INDEX_LAG if mark.newest else now - int(self.lookback_s)
            reader = _QueryRead(self, brand, query, mark, found, result)
            try:
                reader.read(Window(start, now + 1))
            except StopReading as exc:
                result.notes.append(f"{key}: {exc}")
                reader.keep_progress()
                break
            except SourceError as exc:
                result.errors.append(RowError(f"{self.source}:{key}", 0, str(exc)))
                reader.keep_progress()
                continue
            reader.keep_progress()
            result.notes.append(f"{key}: {reader.new} new")
        result.records = list(found.values())
        result.cursor = dump_cursor(marks)
        result.requests = self.http.requests_made - before
        return result

    def search(self, query: str, window: Window, page: int) -> dict[str, Any]:
        if self.http.requests_made >= self._budget_end:
            raise StopReading(f"stopped after {self.max_requests} requests; the next run continues")
        response = self.http.get(
            self.endpoint,
            params={
                "query": query,
                "tags": self.tags,
                "numericFilters": f"created_at_i>={window.start},created_at_i<{window.end}",
                "hitsPerPage": str(self.hits_per_page),
                "page": str(page),
            },
            accept=("json",),
        )
        document = json_answer(response, "hits", "is base_url the HN Search API?")
        if not isinstance(document["hits"], list) or not isinstance(document.get("nbHits"), int):
            raise SourceError(f"{self.endpoint}: the answer has no 'hits' list or 'nbHits'")
        return document

    def record(self, hit: Any, brand: str | None) -> MentionRecord:
        if not isinstance(hit, dict) or not hit.get("objectID"):
            raise ValueError("a hit must be a JSON object with an objectID")
        item_id = str(hit["objectID"])
        created = hit.get("created_at_i")
        if not isinstance(created, int):
            raise ValueError(f"item {item_id} has no created_at_i")
        tags = hit.get("_tags") or []
        is_comment = "comment" in tags or hit.get("comment_text") is not None
        extra = {"hn_url": ITEM_URL.format(id=item_id), "story_id": hit.get("story_id")}
        if is_comment:
            text = html_to_text(str(hit.get("comment_text") or ""))
            title, kind = hit.get("story_title"), "comment"
            extra["parent_id"] = hit.get("parent_id")
            url = ITEM_URL.format(id=item_id)
        else:
            title, kind = hit.get("title"), "post"
            body = html_to_text(str(hit.get("story_text") or ""))
            text = f"{title}\n\n{body}" if title and body else (body or title or "")
            url = hit.get("url") or ITEM_URL.format(id=item_id)
        if not text:
            raise ValueError(f"item {item_id} has no text")
        return MentionRecord(
            source=self.source,
            external_id=item_id,
            created_at=datetime.fromtimestamp(created, UTC),
            text=text,
            kind=kind,
            author=hit.get("author") or None,
            title=title or None,
            url=url,
            brand=brand,
            reach=count(hit.get("points")),
            extra=extra,
        )


class _QueryRead:
    """One query's windows, oldest first, split until each fits Algolia's hit limit."""

    def __init__(self, connector, brand, query, mark: Watermark, found, result) -> None:
        self.connector, self.brand, self.query = connector, brand, query
        self.mark, self.found, self.result = mark, found, result
        self.recent = set(mark.ids)  # ids near the old end, stored already
        self.done_until: int | None = None  # end of the last window read completely
        self.seen: dict[str, int] = {}  # id -> created_at_i of the hits read this run
        self.new = 0

    def read(self, window: Window) -> None:
        first = self.connector.search(self.query, window, 0)
        reachable = max(first.get("nbPages", 1), 1) * first.get("hitsPerPage", 0)
        if first["nbHits"] > reachable and window.end - window.start > 1:
            middle = (window.start + window.end) // 2
            self.read(Window(window.start, middle))
            self.read(Window(middle, window.end))
            return
        self._collect(first["hits"], 0)
        for page in range(1, int(first.get("nbPages") or 1)):
            self._collect(self.connector.search(self.query, window, page)["hits"], page)
        self.done_until = window.end

    def _collect(self, hits: list, page: int) -> None:
        where = f"{self.connector.source}:search:{self.query}"
        for line, hit in enumerate(hits, start=page * self.connector.hits_per_page + 1):
            try:
                record = self.connector.record(hit, self.brand)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self.result.errors.append(RowError(where, line, str(exc)))
                continue
            created = int(record.created_at.timestamp())
            self.seen[record.external_id] = created
            if record.external_id in self.recent or record.external_id in self.found:
                continue
            self.found[record.external_id] = record
            self.new += 1

    def keep_progress(self) -> None:
        """Move the query's watermark to the end of the last complete window."""
        if self.done_until is None:
            return
        edge = self.done_until - INDEX_LAG
        near_end = {i for i, created in self.seen.items() if created >= edge}
        if self.mark.newest and self.mark.newest >= edge:
            near_end |= self.recent  # the old edge is still inside the overlap
        self.mark.newest, self.mark.ids = float(self.done_until), near_end


def recorded_hackernews(source: str = "hackernews") -> HackerNewsConnector:
    """Hacker News answered from one recorded page of a 'nordpay' search."""
    return HackerNewsConnector(
        queries=[("Nordpay", "nordpay")],
        source=source,
        lookback_days=3650,
        http=HttpClient(session=recorded_session(RECORDED_FOLDER, RECORDED_ROUTES)),
    )
