"""The feed connector: any RSS 2.0 or Atom feed as mentions.

News searches, blogs, forums, Mastodon tag or account feeds and Google Alerts
all publish feeds. Each fetch is a conditional GET (ETag / Last-Modified from
the cursor), so an unchanged feed costs one small request and stores nothing.
The cursor also remembers which entries were already returned, because a feed
document is a sliding window that repeats most of its entries on every fetch.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import feedparser

from connectors.base import FetchResult, SourceError
from connectors.http import HttpClient, recorded_session, safe_url
from cxradar.keywords import KeywordFilter
from cxradar.records import MentionRecord, RowError

MAX_REMEMBERED_IDS = 500  # a few feed windows; older entries rarely come back
BENIGN_FEED_PROBLEMS = (feedparser.ThingsNobodyCaresAboutButMe,)  # e.g. charset overrides
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "rss"


class FeedConnector:
    """Mentions (kind "article") from one RSS or Atom feed."""

    kind = "rss"

    def __init__(
        self,
        url: str,
        *,
        source: str,
        keywords: Iterable[str] = (),
        brand: str | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self.url = url
        self.source = source
        self.brand = brand
        self.keywords = KeywordFilter(keywords)
        self.http = http or HttpClient()

    def fetch(self, cursor: str | None) -> FetchResult:
        state = FeedCursor.load(cursor)
        before = self.http.requests_made
        response = self.http.get(
            self.url, headers=state.conditional_headers(), ok_statuses=(200, 304)
        )
        result = FetchResult(requests=self.http.requests_made - before)
        if response.status == 304:
            result.notes.append("not modified")
            result.cursor = cursor
            return result
        parsed = self._parse(response.body, result)
        fetched_at = datetime.now(UTC)
        current_ids: list[str] = []
        for index, entry in enumerate(parsed.entries, start=1):
            try:
                record = self._map(entry, parsed.feed, fetched_at)
            except ValueError as exc:
                result.errors.append(RowError(safe_url(self.url), index, str(exc)))
                continue
            current_ids.append(record.external_id)
            if state.has_seen(record.external_id) or not self.keywords.matches(
                f"{record.title or ''}\n{record.text}"
            ):
                continue
            result.records.append(record)
        state.remember(current_ids, response.headers)
        result.cursor = state.dump()
        return result

    def _parse(self, body: bytes, result: FetchResult) -> feedparser.FeedParserDict:
        # A stream, not bytes: feedparser treats a bytes document that looks like a
        # path as a file name to open, and a server must not make us read local files.
        parsed = feedparser.parse(io.BytesIO(body))
        where = safe_url(self.url)
        problem = parsed.get("bozo_exception") if parsed.bozo else None
        benign = isinstance(problem, BENIGN_FEED_PROBLEMS)
        if not parsed.entries and (not parsed.get("version") or (problem and not benign)):
            raise SourceError(
                f"{where}: not a readable RSS or Atom feed ({_describe_problem(problem)}); "
                "open the URL in a browser and check it is the feed, not a web page"
            )
        if problem and not benign:
            result.notes.append(
                f"feed is malformed, kept the {len(parsed.entries)} readable entries"
            )
            result.errors.append(
                RowError(where, 0, f"malformed feed: {_describe_problem(problem)}")
            )
        return parsed

    def _map(self, entry, feed, fetched_at: datetime) -> MentionRecord:
        title = _entry_title(entry)
        text = _entry_text(entry)
        if not text and not title:
            raise ValueError("entry has neither a title nor any text")
        return MentionRecord(
            source=self.source,
            external_id=_external_id(entry),
            created_at=_entry_time(entry) or fetched_at,
            text=text or title or "",
            kind="article",
            author=_clean(entry.get("author")) or None,
            title=title,
            url=entry.get("link") or None,
            lang=_language(feed, entry),
            brand=self.brand,
        )


class FeedCursor:
    """ETag, Last-Modified and the (hashed) ids already returned, as JSON."""

    def __init__(self, etag=None, last_modified=None, seen: Iterable[str] = ()) -> None:
        self.etag: str | None = etag
        self.last_modified: str | None = last_modified
        self.seen: list[str] = list(seen)
        self._seen_set = set(self.seen)

    @classmethod
    def load(cls, cursor: str | None) -> FeedCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            return cls(data.get("etag"), data.get("last_modified"), data.get("seen") or ())
        except (ValueError, AttributeError, TypeError):
            return cls()  # an unreadable cursor: start over, external ids dedupe downstream

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def has_seen(self, external_id: str) -> bool:
        return _short_hash(external_id) in self._seen_set

    def remember(self, external_ids: list[str], response_headers) -> None:
        # HTTP/2 servers send lower-case names, and the response headers are a plain dict.
        headers = {key.lower(): value for key, value in response_headers.items()}
        self.etag = headers.get("etag") or None
        self.last_modified = headers.get("last-modified") or None
        hashed = dict.fromkeys(map(_short_hash, external_ids))
        fresh = [h for h in hashed if h not in self._seen_set]
        self.seen = (fresh + self.seen)[:MAX_REMEMBERED_IDS]
        self._seen_set = set(self.seen)

    def dump(self) -> str:
        return json.dumps(
            {"etag": self.etag, "last_modified": self.last_modified, "seen": self.seen},
            separators=(",", ":"),
        )


class _TextExtractor(HTMLParser):
    """HTML to plain text: drops scripts and styles, keeps block breaks as newlines."""

    SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
    BLOCKS = frozenset(
        {
            "p",
            "br",
            "div",
            "li",
            "ul",
            "ol",
            "tr",
            "table",
            "blockquote",
            "pre",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "section",
            "article",
            "header",
            "footer",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.in_pre = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.in_pre += tag == "pre"
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        self.in_pre = max(0, self.in_pre - (tag == "pre"))
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if self.skipping:
            return
        # In HTML a line break in the source is just a space; only block tags break lines.
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: entities decoded, paragraphs on their own lines."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return _clean("".join(extractor.parts))


def _clean(text: str | None) -> str:
    """Collapse runs of spaces within lines and blank lines between them."""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines())
    return "\n".join(line for line in lines if line)


def _as_text(value: str, content_type: str | None) -> str:
    if (content_type and "html" in content_type) or "<" in value:
        return html_to_text(value)
    return _clean(value)


def _entry_title(entry) -> str | None:
    title = entry.get("title")
    if not title:
        return None
    detail = entry.get("title_detail") or {}
    return _as_text(title, detail.get("type")) or None


def _entry_text(entry) -> str:
    # Full content (content:encoded, Atom content) beats the summary when a feed has both.
    for content in entry.get("content") or ():
        text = _as_text(content.get("value") or "", content.get("type"))
        if text:
            return text
    summary = entry.get("summary") or ""
    detail = entry.get("summary_detail") or {}
    return _as_text(summary, detail.get("type"))


def _entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)  # feedparser normalises to UTC
    return None


def _external_id(entry) -> str:
    stable = entry.get("id") or entry.get("link")
    if stable:
        return stable
    basis = f"{entry.get('title') or ''}\n{entry.get('published') or entry.get('updated') or ''}"
    return "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _language(feed, entry) -> str | None:
    for detail in (entry.get("summary_detail"), entry.get("title_detail")):
        if detail and detail.get("language"):
            return _iso_639_1(detail["language"])
    return _iso_639_1(feed.get("language"))


def _iso_639_1(tag: str | None) -> str | None:
    code = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return code if len(code) == 2 and code.isalpha() else None


def _short_hash(external_id: str) -> str:
    return hashlib.sha1(external_id.encode("utf-8")).hexdigest()[:16]


def _describe_problem(exc: BaseException | None) -> str:
    if exc is None:
        return "no feed found in the document"
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


RECORDED_FEEDS = (
    # (URL, recorded file, source, keywords, brand)
    ("https://news.example.de/suche/rss?q=nordpay", "news_de.xml", "news", ("Nordpay",), "Nordpay"),
    ("https://social.example/tags/nordpay.atom", "mastodon_en.atom", "mastodon", (), "Nordpay"),
)


def recorded_feeds() -> list[FeedConnector]:
    """Two offline feeds about the fictional brand Nordpay: German news RSS, English Atom."""
    connectors = []
    for url, file, source, keywords, brand in RECORDED_FEEDS:
        routes = {re.escape(urlsplit(url).path) + "$": file}
        http = HttpClient(session=recorded_session(RECORDED_FOLDER, routes))
        connectors.append(
            FeedConnector(url, source=source, keywords=keywords, brand=brand, http=http)
        )
    return connectors
