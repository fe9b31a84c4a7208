"""The Bluesky connector: posts found by the AT Protocol search ``app.bsky.feed.searchPosts``.

One search per query (the brand's name and keywords), ``sort=latest``, 100
posts a page, followed by ``cursor`` until the watermark of the last run (see
:mod:`connectors.listing`) or ``max_pages``. The first run reaches back
``lookback_days`` (``since=``).

Authentication: with a handle and an app password (Settings > Privacy and
security > App passwords), one ``com.atproto.server.createSession`` per run on
the account's PDS (``https://bsky.social`` for accounts hosted by Bluesky), and
the search goes through that PDS with the session's access token. Without
credentials the search asks the public AppView (``https://public.api.bsky.app``),
which Bluesky may refuse for search; a 401/403 there says to set the credentials.

Limits worth knowing: ``createSession`` allows 30 logins per 5 minutes and 300
a day per account (an hourly run uses 24); a PDS allows 3,000 requests per 5
minutes per IP. A 429 carries ``RateLimit-Reset`` (a unix time), which
:class:`~connectors.http.HttpClient` waits for when it is near, or gives up on.

Mapping: author = handle, reach = likes + reposts + quotes; a reply is a
"comment"; a quote post (``embed`` of type ``app.bsky.embed.record`` or
``recordWithMedia``) is a "reshare" with the quoted post's URI and URL in
``extra`` (it never counts as another customer). Plain reposts carry no text and
are never returned by the search.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import SourceError
from connectors.http import HttpClient, HttpResponse, recorded_session, safe_url
from connectors.listing import (
    CredentialsError,
    ListingConnector,
    count,
    error_reason,
    json_answer,
    language_code,
    parse_time,
)
from cxradar.records import MentionRecord

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
LOGIN = "/xrpc/com.atproto.server.createSession"
PDS_URL = "https://bsky.social"
PUBLIC_APPVIEW = "https://public.api.bsky.app"
WEB_URL = "https://bsky.app"
MAX_LIMIT = 100
QUOTE_EMBEDS = frozenset({"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"})
CREDENTIALS_HINT = (
    "set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password: bsky.app > Settings > "
    "Privacy and security > App passwords)"
)
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "bluesky"
RECORDED_ROUTES = {r"createSession$": "session.json", r"searchPosts$": "search_nordpay.json"}


class BlueskyConnector(ListingConnector):
    """Posts matching each query, newest first, since the cursor; see the module docstring."""

    kind = "bluesky"
    overlap_s = 600  # posts are searchable seconds to minutes after they are made

    def __init__(
        self,
        *,
        queries: Iterable[tuple[str | None, str]],
        handle: str = "",
        app_password: str = "",
        source: str = "bluesky",
        lang: str | None = None,
        service_url: str = PDS_URL,
        appview_url: str = PUBLIC_APPVIEW,
        max_pages: int = 10,
        lookback_days: int = 7,
        http: HttpClient | None = None,
    ) -> None:
        self.queries = [(brand, query) for brand, query in queries if query.strip()]
        if not self.queries:
            raise ValueError("Bluesky needs at least one search query (or a brand with keywords)")
        if bool(handle) != bool(app_password):
            raise ValueError(f"Bluesky needs the handle and the app password: {CREDENTIALS_HINT}")
        self.handle = handle
        self._app_password = app_password  # never logged, never in a message
        self.source = source
        self.lang = lang
        self.service_url = service_url.rstrip("/")
        self.appview_url = appview_url.rstrip("/")
        self.max_pages = max_pages
        self.lookback = timedelta(days=lookback_days)
        self.http = http or HttpClient()
        self._base, self._headers = self.appview_url, {}

    def __repr__(self) -> str:
        return f"BlueskyConnector(source={self.source!r}, handle={self.handle!r})"

    def start(self, state: dict[str, Any]) -> None:
        """Log in once per run: the PDS with a fresh token, or the public AppView."""
        if not self.handle:
            self._base, self._headers = self.appview_url, {}
            return
        response = self.http.post_json(
            self.service_url + LOGIN,
            {"identifier": self.handle, "password": self._app_password},
            accept=("json",),
            ok_statuses=(200, 400, 401),
        )
        if response.status != 200:
            reason, _ = error_reason(response)
            raise CredentialsError(
                f"{safe_url(response.url)}: Bluesky refused the login "
                f"(HTTP {response.status} {reason}); {CREDENTIALS_HINT}"
            )
        document = response.json()
        token = document.get("accessJwt") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{safe_url(response.url)}: the login answer has no access token")
        self._base, self._headers = self.service_url, {"Authorization": f"Bearer {token}"}

    def listings(self):
        for brand, query in self.queries:
            yield f"search:{query}", (brand, query)

    def read_listing(self, key, spec, reader, found, result) -> None:
        brand, query = spec
        since = reader.stop_below
        params = {"q": query, "sort": "latest", "limit": str(MAX_LIMIT)}
        if since:
            params["since"] = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.lang:
            params["lang"] = self.lang
        where = f"{self.source}:{key}"
        for page in range(self.max_pages):
            document = self._search_page(params)
            posts = document["posts"]
            mapped = reader.collect(
                posts,
                lambda post: self._record(post, brand),
                found,
                result.errors,
                where,
                first_line=page * MAX_LIMIT + 1,
            )
            next_cursor = document.get("cursor")
            if not mapped or not posts or not isinstance(next_cursor, str) or not next_cursor:
                return
            params["cursor"] = next_cursor
        result.notes.append(f"{key}: stopped after {self.max_pages} pages; older posts are left")

    def _search_page(self, params: dict) -> dict:
        response = self.http.get(
            self._base + SEARCH,
            params=params,
            headers=self._headers,
            accept=("json",),
            ok_statuses=(200, 400, 401, 403),
        )
        if response.status in (401, 403) or _expired(response):
            raise CredentialsError(_search_refused(response, bool(self._headers)))
        if response.status == 400:
            reason, _ = error_reason(response)
            raise SourceError(
                f"{safe_url(response.url)}: Bluesky rejected the search ({reason or 'HTTP 400'}); "
                "check the source's queries and lang in the config"
            )
        document = json_answer(response, "posts", "is service_url a Bluesky PDS or AppView?")
        if not isinstance(document["posts"], list):
            raise SourceError(f"{safe_url(response.url)}: 'posts' is not a list")
        return document

    def _record(self, post: Any, brand: str | None) -> MentionRecord:
        if not isinstance(post, dict):
            raise ValueError("a post must be a JSON object")
        uri = post.get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise ValueError("post without an at:// uri")
        record = post.get("record") if isinstance(post.get("record"), dict) else {}
        author = post.get("author") if isinstance(post.get("author"), dict) else {}
        handle = author.get("handle") or author.get("did")
        # The search sorts by the earlier of the two times (a backdated post sorts old; a
        # clock set ahead is not believed): that time keeps the watermark in the search's order.
        times = [
            parse_time(value, f"{uri} {name}")
            for name, value in (
                ("createdAt", record.get("createdAt")),
                ("indexedAt", post.get("indexedAt")),
            )
            if value
        ]
        if not times:
            raise ValueError(f"{uri}: post without createdAt")
        created = min(times)
        text = str(record.get("text") or "").strip()
        if not text:
            raise ValueError(f"{uri}: post without text")
        kind, extra = "post", {"did": author.get("did"), "cid": post.get("cid")}
        if isinstance(record.get("reply"), dict):
            kind = "comment"
            extra["reply_to"] = (record["reply"].get("parent") or {}).get("uri")
        quoted = _quoted_uri(record.get("embed"))
        if quoted:
            kind = "reshare"
            extra["reshare_of"] = quoted
            extra["reshare_url"] = post_url(quoted)
        langs = record.get("langs")
        return MentionRecord(
            source=self.source,
            external_id=uri,
            created_at=created,
            text=text,
            kind=kind,
            author=str(handle) if handle else None,
            url=post_url(uri, handle),
            lang=language_code(langs[0]) if isinstance(langs, list) and langs else None,
            brand=brand,
            reach=sum(count(post.get(k)) or 0 for k in ("likeCount", "repostCount", "quoteCount")),
            extra=extra,
        )


def post_url(uri: str, handle: str | None = None) -> str | None:
    """The bsky.app address of ``at://<did>/app.bsky.feed.post/<rkey>``."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"{WEB_URL}/profile/{handle or parts[0]}/post/{parts[2]}"


def _quoted_uri(embed: Any) -> str | None:
    if not isinstance(embed, dict) or embed.get("$type") not in QUOTE_EMBEDS:
        return None
    inner = embed.get("record")
    if isinstance(inner, dict) and "record" in inner:  # recordWithMedia nests the record
        inner = inner["record"]
    uri = inner.get("uri") if isinstance(inner, dict) else None
    return uri if isinstance(uri, str) else None


def _expired(response: HttpResponse) -> bool:
    return response.status == 400 and error_reason(response)[0] in ("ExpiredToken", "InvalidToken")


def _search_refused(response: HttpResponse, logged_in: bool) -> str:
    what = "the session token" if logged_in else "the search without a login"
    return f"{safe_url(response.url)}: Bluesky refused {what} (HTTP {response.status}); " + (
        CREDENTIALS_HINT
    )


def recorded_bluesky(source: str = "bluesky") -> BlueskyConnector:
    """Bluesky answered from recorded documents: a login and one page of a Nordpay search."""
    return BlueskyConnector(
        queries=[("Nordpay", "nordpay")],
        handle="nordpay-demo.bsky.social",
        app_password="recorded-no-secret",
        source=source,
        lookback_days=3650,  # the recorded posts are from 2026; read them all
        http=HttpClient(session=recorded_session(RECORDED_FOLDER, RECORDED_ROUTES)),
    )
