"""The App Store connector: customer reviews from Apple's public JSON feed.

``/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json``
serves up to 50 reviews a page, newest first, at most 10 pages. Because the
order is newest first, paging stops at the first review the cursor already
covers. Apple gives one review as an object rather than a list, and a page past
the end simply has no ``entry``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, recorded_session, safe_url
from cxradar.records import MentionRecord, RowError

RECORDED_FOLDER = Path(__file__).parent / "recorded" / "appstore"
APPLE_MAX_PAGES = 10  # the feed serves no more than 10 pages


class AppStoreConnector:
    """Reviews (kind "review", rating 1..5) of one app in one country's App Store."""

    kind = "appstore"

    def __init__(
        self,
        app_id: str | int,
        *,
        country: str = "us",
        source: str = "appstore",
        brand: str | None = None,
        max_pages: int = APPLE_MAX_PAGES,
        base_url: str = "https://itunes.apple.com",
        http: HttpClient | None = None,
    ) -> None:
        self.app_id = str(app_id)
        self.country = country.lower()
        self.source = source
        self.brand = brand
        self.max_pages = max(1, min(max_pages, APPLE_MAX_PAGES))
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient()

    def page_url(self, page: int) -> str:
        return (
            f"{self.base_url}/{self.country}/rss/customerreviews/page={page}"
            f"/id={self.app_id}/sortby=mostrecent/json"
        )

    def fetch(self, cursor: str | None) -> FetchResult:
        since = ReviewCursor.load(cursor)
        before = self.http.requests_made
        result = FetchResult()
        for page in range(1, self.max_pages + 1):
            entries = self._page_entries(page)
            if not entries or not self._collect(entries, page, since, result):
                break
        result.requests = self.http.requests_made - before
        result.cursor = since.advanced_by(result.records).dump()
        return result

    def _page_entries(self, page: int) -> list[dict]:
        url = self.page_url(page)
        # Apple labels this JSON "text/javascript".
        document = self.http.get(url, accept=("json", "javascript")).json()
        feed = document.get("feed") if isinstance(document, dict) else None
        if not isinstance(feed, dict):
            raise SourceError(
                f"{safe_url(url)}: no 'feed' in the answer; check the app id and country "
                "(the app may not be sold in that country)"
            )
        entries = feed.get("entry") or []
        return [entries] if isinstance(entries, dict) else list(entries)

    def _collect(self, entries: list, page: int, since: ReviewCursor, result) -> bool:
        """Map one page; False once a review the cursor covers is reached."""
        where = safe_url(self.page_url(page))
        for index, entry in enumerate(entries, start=1):
            if _is_app_metadata(entry):
                continue  # older feed versions open page 1 with the app itself
            try:
                record = self._map(entry)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                result.errors.append(RowError(where, index, f"review skipped: {exc}"))
                continue
            if since.covers(record):
                return False
            result.records.append(record)
        return True

    def _map(self, entry: dict) -> MentionRecord:
        review_id = _label(entry, "id")
        if not review_id:
            raise ValueError("no review id")
        rating_label = _label(entry, "im:rating")
        try:
            rating = int(rating_label)
        except (TypeError, ValueError):
            raise ValueError(f"rating {rating_label!r} is not a number") from None
        if not 1 <= rating <= 5:
            raise ValueError(f"rating {rating} is not between 1 and 5")
        return MentionRecord(
            source=self.source,
            external_id=review_id,
            created_at=_parse_time(_label(entry, "updated")),
            text=_label(entry, "content") or "",
            kind="review",
            author=_author(entry),
            title=_label(entry, "title") or None,
            url=_review_link(entry),
            rating=rating,
            lang=None,  # the feed does not say; language detection fills it in
            brand=self.brand,
            extra={"version": _label(entry, "im:version") or None, "country": self.country},
        )


@dataclass
class ReviewCursor:
    """The newest ``updated`` time returned so far and the review ids at that time."""

    newest: datetime | None = None
    ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, cursor: str | None) -> ReviewCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            return cls(datetime.fromisoformat(data["updated"]), set(data.get("ids") or ()))
        except (ValueError, KeyError, TypeError):
            return cls()  # unreadable: start over, external ids dedupe downstream

    def covers(self, record: MentionRecord) -> bool:
        if self.newest is None:
            return False
        if record.created_at == self.newest:
            return record.external_id in self.ids
        return record.created_at < self.newest

    def advanced_by(self, records: list[MentionRecord]) -> ReviewCursor:
        if not records:
            return self
        newest = max(r.created_at for r in records)
        ids = {r.external_id for r in records if r.created_at == newest}
        if newest == self.newest:
            ids |= self.ids
        return ReviewCursor(newest, ids)

    def dump(self) -> str | None:
        if self.newest is None:
            return None
        return json.dumps({"updated": self.newest.isoformat(), "ids": sorted(self.ids)})


def _label(entry: dict, key: str):
    value = entry.get(key)
    return value.get("label") if isinstance(value, dict) else None


def _author(entry: dict) -> str | None:
    author = entry.get("author")
    name = author.get("name") if isinstance(author, dict) else None
    return (name.get("label") if isinstance(name, dict) else None) or None


def _review_link(entry: dict) -> str | None:
    links = entry.get("link")
    for link in [links] if isinstance(links, dict) else links or []:
        href = (link.get("attributes") or {}).get("href") if isinstance(link, dict) else None
        if href:
            return href
    return None


def _is_app_metadata(entry) -> bool:
    return isinstance(entry, dict) and "im:name" in entry and "im:rating" not in entry


def _parse_time(value: str | None) -> datetime:
    if not value:
        raise ValueError("no 'updated' time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'updated' {value!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise ValueError(f"'updated' {value!r} has no time zone")
    return moment.astimezone(UTC)


def recorded_appstore() -> AppStoreConnector:
    """An offline App Store connector: two recorded pages of Nordpay reviews, then the end."""
    routes = {
        r"/page=1/id=\d+/": "page1.json",
        r"/page=2/id=\d+/": "page2.json",
        r"/page=\d+/id=\d+/": "end.json",
    }
    http = HttpClient(session=recorded_session(RECORDED_FOLDER, routes))
    return AppStoreConnector("1555000000", country="de", brand="Nordpay", http=http)
