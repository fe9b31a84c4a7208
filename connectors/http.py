"""HTTP for connectors: bounded retries, ``Retry-After``, timeouts and a size cap.

Every connector fetches through :class:`HttpClient`, so 429s, 5xx, timeouts,
truncated bodies and huge responses are handled the same way everywhere, and
no error message ever carries a query string or credentials.
"""

from __future__ import annotations

import email.utils
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from connectors.base import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_USER_AGENT = "cxradar/0.1 (self-hosted social listening; +https://github.com/cxradar)"


def safe_url(url: str) -> str:
    """The URL without credentials or query string, fit for logs and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


RESET_HEADERS = ("ratelimit-reset", "x-ratelimit-reset")
EPOCH_FROM = 1_000_000_000  # a reset value this large is a unix time, not delta-seconds


def rate_limit_wait(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a rate-limited answer asks to wait: ``Retry-After``, else the window's reset.

    Services announce the reset differently: Reddit as delta-seconds, Bluesky as a
    unix time (``RateLimit-Reset``), Mastodon as an ISO 8601 time (``X-RateLimit-Reset``).
    """
    named = {key.lower(): value for key, value in headers.items()}  # HTTP/2 sends lower case
    asked = retry_after_seconds(named.get("retry-after"), now)
    if asked is not None:
        return asked
    now = now or datetime.now(UTC)
    for name in RESET_HEADERS:
        value = (named.get(name) or "").strip()
        if not value:
            continue
        if value.replace(".", "", 1).isdigit():
            number = float(value)
            return max(0.0, number - now.timestamp()) if number >= EPOCH_FROM else number
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise SourceError(
                f"{safe_url(self.url)} did not return valid JSON ({exc}); "
                "the service may be down or the URL wrong"
            ) from None


class HttpClient:
    """A small, strict HTTP GET client shared by the connectors."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_retry_wait: float = 300.0,
        max_bytes: int = 20 * 1024 * 1024,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.sleep = sleep
        self.requests_made = 0

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth=None,
        accept: Iterable[str] = (),
        ok_statuses: Iterable[int] = (200,),
        json_body: Mapping | None = None,
    ) -> HttpResponse:
        """GET ``url`` (POST ``json_body`` when given); retry what is worth retrying, raise
        :class:`SourceError` otherwise.

        ``accept`` lists content-type fragments (e.g. ``"json"``); a response of
        another type is an error (a login page instead of an API answer).
        """
        ok = set(ok_statuses)
        where = safe_url(url)
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._get_once(url, params, headers, auth, json_body)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if last:
                    raise SourceError(
                        f"{where}: no answer after {attempt + 1} tries ({type(exc).__name__}); "
                        "check the URL and the network, the next run will try again"
                    ) from None
                self._wait(attempt, None, where, type(exc).__name__)
                continue
            if response.status in ok:
                self._check_type(response, accept, where)
                return response
            if response.status in RETRY_STATUSES and not last:
                # Only a 429 waits for the rate-limit reset (Mastodon sends one on every answer)
                asked = (
                    rate_limit_wait(response.headers)
                    if response.status == 429
                    else retry_after_seconds(response.headers.get("Retry-After"))
                )
                self._wait(attempt, asked, where, response.status)
                continue
            raise SourceError(_describe_status(response.status, where, attempt + 1))
        raise AssertionError("unreachable")

    def post_json(self, url: str, body: Mapping, **kwargs) -> HttpResponse:
        """POST a JSON body (e.g. a login) with the same retries, caps and error messages."""
        return self.get(url, json_body=body, **kwargs)

    def _get_once(self, url, params, headers, auth, json_body=None) -> HttpResponse:
        self.requests_made += 1
        with self.session.request(
            "GET" if json_body is None else "POST",
            url,
            params=params,
            headers=headers,
            auth=auth,
            json=json_body,
            timeout=self.timeout,
            stream=True,
        ) as raw:
            declared = raw.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise SourceError(_too_big(safe_url(url), self.max_bytes))
            body = bytearray()
            try:
                for chunk in raw.iter_content(64 * 1024):
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise SourceError(_too_big(safe_url(url), self.max_bytes))
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                # A truncated body: retry like a dropped connection.
                raise requests.ConnectionError(str(exc)) from None
            return HttpResponse(raw.status_code, dict(raw.headers), bytes(body), raw.url or url)

    def _wait(self, attempt: int, asked: float | None, where: str, why) -> None:
        delay = asked if asked is not None else self.backoff * (2**attempt)
        if delay > self.max_retry_wait:
            raise SourceError(
                f"{where}: rate limited, the server asks to wait {delay:.0f} s "
                f"(more than {self.max_retry_wait:.0f} s); the next scheduled run continues"
            )
        log.info("%s: %s, retrying in %.1f s", where, why, delay)
        self.sleep(delay)

    @staticmethod
    def _check_type(response: HttpResponse, accept: Iterable[str], where: str) -> None:
        wanted = tuple(accept)
        if (
            wanted
            and response.status != 304
            and not any(w in response.content_type for w in wanted)
        ):
            raise SourceError(
                f"{where}: expected {' or '.join(wanted)}, got "
                f"'{response.content_type or 'no content type'}' "
                "(a login or error page?); check the URL"
            )


def _too_big(where: str, limit: int) -> str:
    return f"{where}: response larger than {limit // (1024 * 1024)} MiB, not read; check the URL"


def _describe_status(status: int, where: str, tries: int) -> str:
    hints = {
        400: "the request was rejected; check the source's settings in the config",
        401: "not authorised; check the credentials in the environment variables",
        403: "forbidden; check the credentials and the account's permissions",
        404: "not found; check the URL or id in the config",
        429: "still rate limited; the next scheduled run continues",
    }
    hint = hints.get(status, "the service failed; the next scheduled run will try again")
    return f"{where}: HTTP {status} after {tries} tries: {hint}"


class RecordedAdapter(requests.adapters.BaseAdapter):
    """Serves recorded-shaped documents instead of the network: the offline fake transport.

    ``routes`` maps a regular expression on the URL path to a file in ``folder``;
    mounted on a ``requests.Session`` it stands in for the live service, so the
    live mapping code runs unchanged in demos and offline setups.
    """

    TYPES = {
        ".json": "application/json",
        ".xml": "application/rss+xml",
        ".atom": "application/atom+xml",
    }

    def __init__(self, folder, routes: Mapping[str, str]) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.routes = [(re.compile(pattern), name) for pattern, name in routes.items()]

    def send(self, request, **kwargs):
        path = urlsplit(request.url).path
        response = requests.Response()
        response.url, response.request = request.url, request
        for pattern, name in self.routes:
            if pattern.search(path):
                file = self.folder / name
                response.status_code = 200
                response.headers["Content-Type"] = self.TYPES.get(file.suffix, "text/plain")
                response.raw = _BytesRaw(file.read_bytes())
                return response
        response.status_code = 404
        response.raw = _BytesRaw(b"")
        return response

    def close(self) -> None:
        pass


class _BytesRaw:
    """The minimal file-like ``requests`` streams a body from."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def read(self, amount=None, **_):
        return self._buffer.read(amount)

    def stream(self, amount=65536, decode_content=None):
        while chunk := self._buffer.read(amount):
            yield chunk

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def recorded_session(folder, routes: Mapping[str, str]) -> requests.Session:
    """A session answered from recorded documents (see :class:`RecordedAdapter`)."""
    session = requests.Session()
    adapter = RecordedAdapter(folder, routes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
