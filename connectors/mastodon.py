"""The Mastodon connector: hashtag timelines and, with a token, full-text search of one server.

``GET /api/v1/timelines/tag/:hashtag`` (public on most servers) and
``GET /api/v2/search?type=statuses`` (needs an access token with the ``read``
scope; finds only posts the server has indexed and whose authors allow
search). Both answer newest first, 40 statuses a page; pages are followed with
``max_id`` until the watermark of the last run (see :mod:`connectors.listing`),
the first run's ``lookback_days`` or ``max_pages``.

Limits: each server sets its own; Mastodon's default is 300 requests per 5
minutes per account or IP, announced in ``X-RateLimit-Limit``, ``-Remaining``
and ``-Reset`` (an ISO 8601 time). A 429 waits for that reset when it is near
(:class:`~connectors.http.HttpClient`), otherwise the next run continues.

Mapping: author = the account's ``acct`` (``user@server``), reach = favourites +
boosts; a reply is a "comment"; a boost (``reblog``) and a quote (``quote``,
Mastodon 4.5) are a "reshare" (never another customer) with the original
post's URI and URL in ``extra``; the boost keeps the booster as author and the
boosted text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.base import SourceError
from connectors.feeds import html_to_text
from connectors.http import HttpClient, HttpResponse, recorded_session, safe_url
from connectors.listing import CredentialsError, ListingConnector, count, language_code, parse_time
from cxradar.records import MentionRecord

TAG_TIMELINE = "/api/v1/timelines/tag/{tag}"
SEARCH = "/api/v2/search"
MAX_LIMIT = 40
TOKEN_HINT = "set MASTODON_ACCESS_TOKEN (Preferences > Development > New application, scope read)"
HASHTAG = re.compile(r"^#?([\w]+)$")
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "mastodon"
RECORDED_ROUTES = {
    r"/timelines/tag/nordpay$": "tag_nordpay.json",
    r"/api/v2/search$": "search.json",
}


class MastodonConnector(ListingConnector):
    """Statuses of hashtags and searches on one server since the cursor (module docstring)."""

    kind = "mastodon"
    overlap_s = 3600  # remote posts arrive late when their servers federate slowly

    def __init__(
        self,
        *,
        instance: str,
        hashtags: Iterable[str] = (),
        searches: Iterable[tuple[str | None, str]] = (),
        access_token: str = "",
        source: str = "mastodon",
        brand: str | None = None,
        local: bool = False,
        max_pages: int = 5,
        lookback_days: int = 7,
        http: HttpClient | None = None,
    ) -> None:
        if not instance.startswith(("https://", "http://")):
            raise ValueError("instance must be the server's URL, e.g. https://mastodon.social")
        self.instance = instance.rstrip("/")
        self.hashtags = [hashtag_name(tag) for tag in hashtags]
        self.searches = [(b, q) for b, q in searches if q.strip()]
        if not self.hashtags and not self.searches:
            raise ValueError("Mastodon needs hashtags or searches (search_brands) to read")
        if self.searches and not access_token:
            raise ValueError(f"Mastodon's full-text search needs a token: {TOKEN_HINT}")
        self._token = access_token  # never logged, never in a message
        self.source = source
        self.brand = brand
        self.local = local
        self.max_pages = max_pages
        self.lookback = timedelta(days=lookback_days)
        self.http = http or HttpClient()

    def __repr__(self) -> str:
        return f"MastodonConnector(instance={self.instance!r}, source={self.source!r})"

    def listings(self):
        """Per listing: its URL, parameters, brand and the answer's list (None: the answer)."""
        for tag in self.hashtags:
            params = {"limit": str(MAX_LIMIT), **({"local": "true"} if self.local else {})}
            url = self.instance + TAG_TIMELINE.format(tag=quote(tag))
            yield f"tag:{tag}", (url, params, self.brand, None)
        for brand, query in self.searches:
            params = {"q": query, "type": "statuses", "resolve": "false", "limit": str(MAX_LIMIT)}
            yield f"search:{query}", (self.instance + SEARCH, params, brand, "statuses")

    def read_listing(self, key, spec, reader, found, result) -> None:
        url, params, brand, field = spec
        params = dict(params)
        where = f"{self.source}:{key}"
        for page in range(self.max_pages):
            statuses = self._page(url, params, field)
            mapped = reader.collect(
                statuses,
                lambda status: self._record(status, brand or self.brand),
                found,
                result.errors,
                where,
                first_line=page * MAX_LIMIT + 1,
            )
            oldest = statuses[-1].get("id") if statuses and isinstance(statuses[-1], dict) else None
            if not mapped or not oldest or str(oldest) == params.get("max_id"):
                return
            params["max_id"] = str(oldest)
        result.notes.append(f"{key}: stopped after {self.max_pages} pages; older posts are left")

    def _page(self, url: str, params: dict, field: str | None) -> list:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        response = self.http.get(
            url, params=params, headers=headers, accept=("json",), ok_statuses=(200, 401, 403)
        )
        if response.status != 200:
            raise CredentialsError(_refused(response, bool(self._token)))
        document = response.json()
        statuses = document.get(field) if field and isinstance(document, dict) else document
        if not isinstance(statuses, list):
            raise SourceError(
                f"{safe_url(response.url)}: the answer is not a list of statuses; "
                "is instance a Mastodon server's URL?"
            )
        return statuses

    def _record(self, status: Any, brand: str | None) -> MentionRecord:
        if not isinstance(status, dict) or not status.get("id"):
            raise ValueError("a status must be a JSON object with an id")
        status_id = str(status["id"])
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        author = account.get("acct") or account.get("username")
        created = parse_time(status.get("created_at"), f"status {status_id} created_at")
        reblog = status.get("reblog") if isinstance(status.get("reblog"), dict) else None
        shown = reblog or status  # a boost shows the boosted post's words
        text = _status_text(shown)
        if not text:
            raise ValueError(f"status {status_id} has no text")
        kind, extra = "post", {"uri": status.get("uri"), "account_url": account.get("url")}
        if status.get("in_reply_to_id"):
            kind, extra["reply_to"] = "comment", str(status["in_reply_to_id"])
        original = reblog or _quoted(status.get("quote"))
        if original is not None:
            kind = "reshare"
            extra["reshare_of"] = original.get("uri") or str(original.get("id") or "")
            extra["reshare_url"] = original.get("url") or original.get("uri")
            extra["reshare_type"] = "boost" if reblog else "quote"
        return MentionRecord(
            source=self.source,
            external_id=status_id,
            created_at=created,
            text=text,
            kind=kind,
            author=str(author) if author else None,
            url=status.get("url") or (reblog or {}).get("url") or status.get("uri"),
            lang=language_code(shown.get("language")),
            brand=brand,
            reach=sum(count(status.get(k)) or 0 for k in ("favourites_count", "reblogs_count")),
            extra=extra,
        )


def hashtag_name(tag: str) -> str:
    match = HASHTAG.match(tag.strip())
    if not match:
        raise ValueError(f"{tag!r} is not a hashtag (letters, digits and _ only, e.g. finora)")
    return match.group(1).lower()


def _status_text(status: dict) -> str:
    warning = html_to_text(str(status.get("spoiler_text") or ""))
    body = html_to_text(str(status.get("content") or ""))
    return f"{warning}\n\n{body}".strip() if warning else body


def _quoted(quote_field: Any) -> dict | None:
    """The quoted status of an accepted quote (Quote), or its id (ShallowQuote)."""
    if not isinstance(quote_field, dict) or quote_field.get("state") not in (None, "accepted"):
        return None
    quoted = quote_field.get("quoted_status")
    if isinstance(quoted, dict):
        return quoted
    quoted_id = quote_field.get("quoted_status_id")
    return {"id": quoted_id} if quoted_id else None


def _refused(response: HttpResponse, with_token: bool) -> str:
    why = "refused the token" if with_token else "shows this only to logged-in users"
    return f"{safe_url(response.url)}: HTTP {response.status}: the server {why}; {TOKEN_HINT}"


def recorded_mastodon(source: str = "mastodon") -> MastodonConnector:
    """Mastodon answered from recorded documents: #nordpay and a search on a demo server."""
    return MastodonConnector(
        instance="https://social.nordpay.example",
        hashtags=["nordpay"],
        searches=[("Nordpay", "nordpay")],
        access_token="recorded-no-secret",
        source=source,
        brand="Nordpay",
        lookback_days=3650,
        http=HttpClient(session=recorded_session(RECORDED_FOLDER, RECORDED_ROUTES)),
    )
