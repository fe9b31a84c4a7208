"""The Reddit connector: new posts and comments of subreddits, and brand searches.

Reddit is read through PRAW with an app's client credentials (application-only
OAuth, read-only). HTTP policy lives in :class:`PatientRequestor`, the requestor
PRAW documents as its customisation point: 429 and 5xx are retried here with
``Retry-After`` and the injected ``sleep`` (so prawcore's own, randomly jittered
``time.sleep`` retries never start), and giving up raises :class:`SourceError`.
PRAW's rate limiter still paces requests from Reddit's ``X-Ratelimit-*`` headers.

The cursor is JSON: per listing (``r/<sub>/new``, ``r/<sub>/comments``,
``search:<query>``) the newest ``created_utc`` seen and the fullnames at that
second. Listings are newest first, so a listing is read until the first item
older than its cursor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import praw
import prawcore
import requests
from praw.exceptions import PRAWException
from prawcore.exceptions import (
    InvalidToken,
    OAuthException,
    PrawcoreException,
    RequestException,
    ResponseException,
    ServerError,
    TooManyRequests,
)
from prawcore.sessions import Session

from connectors.base import FetchResult, SourceError
from connectors.http import recorded_session, retry_after_seconds, safe_url
from connectors.listing import Watermark, dump_cursor, load_cursor
from cxradar.records import MentionRecord, RowError

PUBLIC_URL = "https://www.reddit.com"  # permalinks point at the public site, whatever the API host
TOKEN_PATH = "/api/v1/access_token"
RETRY_STATUSES = frozenset({429, *Session.RETRY_STATUSES})
CREDENTIALS_HINT = (
    "Reddit refused the app credentials; check REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET "
    "(https://www.reddit.com/prefs/apps: a 'script' or 'web app' with its secret)"
)
REMOVED = frozenset({"[removed]", "[deleted]"})
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "reddit"
RECORDED_ROUTES = {
    r"/api/v1/access_token$": "access_token.json",
    r"/r/nordpay/new/?$": "nordpay_new.json",
    r"/r/nordpay/comments/?$": "nordpay_comments.json",
    r"/r/all/search/?$": "search_nordpay.json",
}


@dataclass
class RequestCounter:
    requests: int = 0  # HTTP requests sent, retries included


MAX_RESPONSE_BYTES = 20 * 1024 * 1024


def _capped(response: requests.Response, where: str) -> requests.Response:
    """Refuse a huge answer before PRAW parses it (a listing is a few hundred kB)."""
    declared = response.headers.get("Content-Length", "")
    too_big = SourceError(
        f"{where}: response larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, not read"
    )
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        response.close()
        raise too_big
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise too_big
    return response


class PatientRequestor(prawcore.Requestor):
    """prawcore's requestor with bounded, ``Retry-After``-aware retries and a request count."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_retry_wait: float = 300.0,
        counter: RequestCounter | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sleep = sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.counter = counter or RequestCounter()

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> requests.Response:
        where = safe_url(str(args[1] if len(args) > 1 else kwargs.get("url", "")))
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            self.counter.requests += 1
            try:
                response = super().request(*args, timeout=timeout, **kwargs)
            except RequestException as exc:
                if not isinstance(exc.original_exception, Session.RETRY_EXCEPTIONS):
                    raise
                why = type(exc.original_exception).__name__
                if last:
                    raise SourceError(
                        f"{where}: no answer after {attempt + 1} tries ({why}); "
                        "check the network, the next run will try again"
                    ) from None
                self._wait(self.backoff * 2**attempt, where, why)
                continue
            if response.status_code not in RETRY_STATUSES:
                return _capped(response, where)
            if last:
                raise SourceError(_gave_up(response.status_code, where, attempt + 1))
            self._wait(self._delay(response, attempt), where, response.status_code)
        raise AssertionError("unreachable")

    def _delay(self, response: requests.Response, attempt: int) -> float:
        # Reddit may announce the wait as Retry-After or as the rate-limit window's reset.
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is None:
            asked = retry_after_seconds(response.headers.get("X-Ratelimit-Reset"))
        return asked if asked is not None else self.backoff * 2**attempt

    def _wait(self, delay: float, where: str, why: object) -> None:
        if delay > self.max_retry_wait:
            raise SourceError(
                f"{where}: rate limited, Reddit asks to wait {delay:.0f} s "
                f"(more than {self.max_retry_wait:.0f} s); the next scheduled run continues"
            )
        self.sleep(delay)


def _gave_up(status: int, where: str, tries: int) -> str:
    if status == 429:
        return f"{where}: HTTP 429 after {tries} tries: still rate limited; the next run continues"
    return f"{where}: HTTP {status} after {tries} tries: Reddit is failing; the next run retries"


@dataclass(frozen=True)
class ListingSpec:
    key: str  # cursor key and error location, e.g. "r/nordpay/new"
    open: Callable[[], Iterable[Any]]
    brand: str | None = None


class RedditConnector:
    """Fetches what is new on Reddit since the cursor; see the module docstring."""

    kind = "reddit"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        user_agent: str,
        subreddits: Iterable[str] = (),
        searches: Iterable[tuple[str, str]] = (),
        source: str = "reddit",
        limit: int = 100,
        include_comments: bool = True,
        oauth_url: str = "https://oauth.reddit.com",
        reddit_url: str = "https://www.reddit.com",
        requestor_kwargs: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret  # never logged, never in a message
        self.user_agent = user_agent
        self.subreddits = [_subreddit_name(name) for name in subreddits]
        self.searches = [(brand, query) for brand, query in searches]
        self.source = source
        self.limit = limit
        self.include_comments = include_comments
        self.oauth_url = oauth_url
        self.reddit_url = reddit_url
        self.requestor_kwargs = dict(requestor_kwargs or {})
        self.sleep = sleep
        self.max_retries = max_retries
        self._reddit: praw.Reddit | None = None
        self._counter = RequestCounter()

    def __repr__(self) -> str:
        return f"RedditConnector(source={self.source!r}, subreddits={self.subreddits!r})"

    def fetch(self, cursor: str | None) -> FetchResult:
        reddit = self._client()
        before = self._counter.requests
        states, _, notes = load_cursor(cursor)
        result = FetchResult(notes=notes)
        found: dict[str, MentionRecord] = {}
        for listing in self._listings(reddit):
            state = states.setdefault(listing.key, Watermark())
            self._read_listing(listing, state, found, result)
        result.records = list(found.values())
        result.cursor = dump_cursor(states)
        result.requests = self._counter.requests - before
        return result

    def _client(self) -> praw.Reddit:
        if not (self.client_id and self._client_secret):
            raise SourceError(f"Reddit needs an app's credentials: {CREDENTIALS_HINT}")
        if self._reddit is None:
            self._reddit = self._build_client()
        return self._reddit

    def _build_client(self) -> praw.Reddit:
        try:
            return praw.Reddit(
                client_id=self.client_id,
                client_secret=self._client_secret,
                user_agent=self.user_agent,
                oauth_url=self.oauth_url,
                reddit_url=self.reddit_url,
                check_for_updates=False,
                check_for_async=False,
                requestor_class=PatientRequestor,
                requestor_kwargs={
                    **self.requestor_kwargs,
                    "sleep": self.sleep,
                    "max_retries": self.max_retries,
                    "counter": self._counter,
                },
            )
        except (PRAWException, PrawcoreException) as exc:
            # PRAW's setting checks; their messages name settings, never their values
            raise SourceError(
                f"Reddit client could not be set up ({exc}); check REDDIT_USER_AGENT"
            ) from None

    def _listings(self, reddit: praw.Reddit) -> Iterator[ListingSpec]:
        limit = self.limit
        for name in self.subreddits:
            subreddit = reddit.subreddit(name)
            yield ListingSpec(f"r/{name}/new", lambda s=subreddit: s.new(limit=limit))
            if self.include_comments:
                yield ListingSpec(f"r/{name}/comments", lambda s=subreddit: s.comments(limit=limit))
        everywhere = reddit.subreddit("all")
        for brand, query in self.searches:
            yield ListingSpec(
                f"search:{query}",
                lambda q=query: everywhere.search(q, sort="new", time_filter="week", limit=limit),
                brand=brand,
            )

    def _read_listing(
        self,
        listing: ListingSpec,
        state: Watermark,
        found: dict[str, MentionRecord],
        result: FetchResult,
    ) -> None:
        where = f"{self.source}:{listing.key}"
        progress = Watermark(state.newest, set(state.ids))
        new = 0
        try:
            for position, item in enumerate(listing.open(), start=1):
                try:
                    fullname, created = _identity(item)
                except ValueError as exc:
                    result.errors.append(RowError(where, position, str(exc)))
                    continue
                if created < state.newest:
                    break  # newest first: the rest was read before
                if state.covers(created, fullname):
                    continue
                progress.advance(created, fullname)
                try:
                    record = self._record(item, fullname, created, listing.brand)
                except ValueError as exc:
                    result.errors.append(RowError(where, position, str(exc)))
                    continue
                if record is not None:
                    _merge(found, record)
                    new += 1
        except (PrawcoreException, PRAWException, ValueError, KeyError, TypeError) as exc:
            _raise_if_whole_source(exc)
            result.errors.append(RowError(where, 0, _listing_failure(exc)))
            return  # keep the listing's old cursor: what was read will be read again
        state.newest, state.ids = progress.newest, progress.ids
        result.notes.append(f"{listing.key}: {new} new")

    def _record(
        self, item: Any, fullname: str, created: float, brand: str | None
    ) -> MentionRecord | None:
        data = vars(item)  # attribute access on a missing field would make PRAW fetch it
        if isinstance(item, praw.models.Submission):
            title = _text(data.get("title"))
            if not title:
                raise ValueError(f"{fullname}: post without a title")
            body = _text(data.get("selftext"))
            text = f"{title}\n\n{body}" if body and body not in REMOVED else title
            kind, extra = "post", {"num_comments": data.get("num_comments")}
        else:
            title, text = None, _text(data.get("body"))
            if not text or text in REMOVED:
                return None  # a removed comment says nothing
            kind, extra = "comment", {"link_id": data.get("link_id")}
        permalink = data.get("permalink")
        return MentionRecord(
            source=self.source,
            external_id=fullname,
            created_at=datetime.fromtimestamp(created, UTC),
            text=text,
            kind=kind,
            author=_author(data.get("author")),
            title=title,
            url=PUBLIC_URL + permalink if isinstance(permalink, str) and permalink else None,
            brand=brand,
            reach=_int_or_none(data.get("score")),
            extra={"subreddit": _subreddit_of(data.get("subreddit")), **extra},
        )


def recorded_reddit(folder: str | Path = RECORDED_FOLDER) -> RedditConnector:
    """The Reddit connector answered from recorded documents about r/nordpay and a search."""
    return RedditConnector(
        client_id="recorded-client",
        client_secret="recorded-secret",
        user_agent="python:cxradar-recorded:0.1 (offline demo)",
        subreddits=["nordpay"],
        searches=[("Nordpay", '"Nordpay" OR "Nordpay app"')],
        requestor_kwargs={"session": recorded_session(folder, RECORDED_ROUTES)},
    )


def _subreddit_name(name: str) -> str:
    cleaned = name.strip().removeprefix("/").removeprefix("r/").strip("/").lower()
    if not cleaned:
        raise ValueError(f"{name!r} is not a subreddit name")
    return cleaned


def _identity(item: Any) -> tuple[str, float]:
    if isinstance(item, praw.models.Submission):
        prefix = "t3_"
    elif isinstance(item, praw.models.Comment):
        prefix = "t1_"
    else:
        raise ValueError(f"not a post or comment ({type(item).__name__})")
    data = vars(item)
    fullname = data.get("name") or (prefix + str(data.get("id") or ""))
    if fullname == prefix:
        raise ValueError("item without id")
    try:
        created = float(data["created_utc"])
        datetime.fromtimestamp(created, UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        raise ValueError(f"{fullname}: missing or invalid created_utc") from None
    return str(fullname), created


def _merge(found: dict[str, MentionRecord], record: MentionRecord) -> None:
    # A post can come from its subreddit and from a brand search: store it once, with the brand.
    known = found.get(record.external_id)
    if known is None:
        found[record.external_id] = record
    elif known.brand is None and record.brand is not None:
        found[record.external_id] = replace(known, brand=record.brand)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _author(value: Any) -> str | None:
    if value is None:
        return None  # PRAW turns "[deleted]" into None
    name = vars(value).get("name") if hasattr(value, "__dict__") else value
    return name if isinstance(name, str) and name and name != "[deleted]" else None


def _subreddit_of(value: Any) -> str | None:
    if value is None:
        return None
    name = vars(value).get("display_name") if hasattr(value, "__dict__") else value
    return name if isinstance(name, str) else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _raise_if_whole_source(exc: Exception) -> None:
    """Credentials and exhausted retries stop the whole source; other failures one listing."""
    if isinstance(exc, OAuthException | InvalidToken):
        raise SourceError(CREDENTIALS_HINT) from None
    if isinstance(exc, ResponseException):
        url = getattr(exc.response, "url", "") or ""
        if safe_url(url).endswith(TOKEN_PATH):
            status = exc.response.status_code
            if status in (400, 401, 403):
                raise SourceError(f"{CREDENTIALS_HINT} (HTTP {status})") from None
            raise SourceError(
                f"Reddit's token endpoint answered HTTP {status}; the next run will try again"
            ) from None
    if isinstance(exc, TooManyRequests | ServerError):
        # Normally PatientRequestor gives up first; this covers prawcore raising on its own.
        status = exc.response.status_code
        raise SourceError(_gave_up(status, safe_url(exc.response.url or "Reddit"), 1)) from None


def _listing_failure(exc: Exception) -> str:
    if isinstance(exc, ResponseException):
        status = exc.response.status_code
        hints = {
            403: "forbidden: the subreddit is private, quarantined or banned",
            404: "not found: check the subreddit name in the config",
            302: "no such subreddit: check the name in the config",
            451: "unavailable for legal reasons in this region",
        }
        if isinstance(exc, prawcore.exceptions.BadJSON):
            return "Reddit did not answer with JSON (a maintenance or error page?)"
        return f"HTTP {status}: {hints.get(status, 'Reddit refused this listing')}"
    if isinstance(exc, PrawcoreException):
        return f"request failed ({type(exc).__name__})"
    return f"unexpected listing document ({type(exc).__name__})"
