"""HTTP for connectors: bounded retries, ``Retry-After``, deadlines, a size cap, public hosts.

Every connector fetches through :class:`HttpClient` (Reddit's PRAW through a
:func:`guarded_session`), so 429s, 5xx, timeouts, truncated bodies and huge
responses are handled the same way everywhere, and no error message ever carries
a query string or credentials. Three guards hold for every request that reaches
the network, redirects included:

* **Deadlines.** A request (all its redirect hops, headers and body) must be
  complete within ``deadline_s`` (60 s), and all requests of one source within
  ``source_deadline_s`` (10 min). ``timeout`` alone bounds each read, so a server
  sending one byte every few seconds would never trip it; a watchdog shuts the
  request's sockets at its deadline instead, wherever the request is blocked
  (connect, TLS, headers, body).
* **Size.** A body larger than ``max_bytes`` (after decompression) is refused, an
  announced one before it is read.
* **Public hosts only.** Each hop's host is resolved and refused when any of its
  addresses is loopback, private, link-local (cloud metadata) or otherwise not a
  public internet address, and the address actually connected to is checked
  again (so a DNS answer that changes between the two cannot slip through). A
  source on your own network needs ``allow_private_network: true`` in the config.
  Only ``http`` and ``https`` are followed.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.base import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_USER_AGENT = "cxradar/0.1 (self-hosted social listening; +https://github.com/cxradar)"
REQUEST_DEADLINE_S = 60.0  # a feed document or an API page, however slow the server
SOURCE_DEADLINE_S = 600.0  # every request and wait of one source in one run
MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
PRIVATE_NETWORK_HINT = (
    "if this source is meant to be on your own network, set `allow_private_network: true` "
    "on the source in the config (or at the config's top level for every source)"
)


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


class NotPublicError(SourceError):
    """A request would reach a non-public address (SSRF); not retried."""


class DeadlineError(SourceError):
    """A request or a source ran out of time; not retried within this run."""


# --- which addresses a source may reach -------------------------------------------------------


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a public internet host, or None when it is one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_private:
        return "a private-network address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public internet address"
    return None


def check_public(url: str, allow_private: bool) -> None:
    """Refuse a scheme other than http(s), and (unless allowed) a host that is not public."""
    parts = urlsplit(url)
    where = safe_url(url)
    if parts.scheme not in ("http", "https"):
        raise NotPublicError(f"{where}: only http and https URLs are fetched; check the URL")
    if allow_private or not parts.hostname:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return  # the connection attempt reports a name that does not resolve
    for *_, sockaddr in found:
        _refuse_if_not_public(where, parts.hostname, sockaddr[0])


def _refuse_if_not_public(where: str, host: str, address: str) -> None:
    problem = address_problem(address)
    if problem:
        shown = host if host == address else f"{host} ({address})"
        raise NotPublicError(
            f"{where}: refused to connect to {shown}, {problem}; {PRIVATE_NETWORK_HINT}"
        )


# --- the guarded transport --------------------------------------------------------------------

_scope = threading.local()  # the guarded request running in this thread, if any


class _Watchdog:
    """Shuts a request's sockets at its deadline, wherever the request is blocked."""

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.fired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv; close() alone would not


@dataclass
class _Scope:
    allow_private: bool
    watchdog: _Watchdog


class _GuardedConnectionMixin:
    """urllib3 connections that check the address they reached and obey the watchdog."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        scope: _Scope | None = getattr(_scope, "current", None)
        if scope is None:
            return sock
        proxied = getattr(self, "proxy", None) or getattr(self, "_tunnel_host", None)
        if not scope.allow_private and not proxied:
            try:
                _refuse_if_not_public(f"http://{self.host}", self.host, sock.getpeername()[0])
            except NotPublicError:
                sock.close()
                raise
        scope.watchdog.watch(sock)
        return sock

    def request(self, *args, **kwargs):
        scope: _Scope | None = getattr(_scope, "current", None)
        if scope is not None and self.sock is not None:  # a kept-alive connection, reused
            scope.watchdog.watch(self.sock)
        return super().request(*args, **kwargs)


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_GUARDED_POOLS = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    """A requests adapter that enforces the module's three guards on every hop.

    The body is always read here (so the deadline and the cap cover it); a
    response comes back with its content loaded.
    """

    def __init__(
        self,
        *,
        allow_private_network: bool = False,
        deadline_s: float = REQUEST_DEADLINE_S,
        source_deadline_s: float | None = SOURCE_DEADLINE_S,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        super().__init__()
        self.allow_private_network = allow_private_network
        self.deadline_s = deadline_s
        self.source_deadline_s = source_deadline_s
        self.max_bytes = max_bytes
        self.request_ends: float | None = None  # set by HttpClient for all hops of a request
        self._source_ends: float | None = None  # starts with the first request

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _GUARDED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _GUARDED_POOLS
        return manager

    def source_time_left(self) -> float:
        if self.source_deadline_s is None:
            return float("inf")
        if self._source_ends is None:
            self._source_ends = time.monotonic() + self.source_deadline_s
        return self._source_ends - time.monotonic()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        where = safe_url(request.url)
        check_public(request.url, self.allow_private_network)
        now = time.monotonic()
        ends = min(
            now + self.deadline_s,
            self.request_ends if self.request_ends is not None else float("inf"),
            now + self.source_time_left(),
        )
        if ends <= now:
            raise DeadlineError(self._late(where))
        with _Watchdog(ends) as watchdog:
            _scope.current = _Scope(self.allow_private_network, watchdog)
            try:
                response = super().send(
                    request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies
                )
                self._load(response, where)
            except (requests.RequestException, OSError):
                if watchdog.fired:
                    raise DeadlineError(self._late(where)) from None
                raise
            finally:
                _scope.current = None
            if watchdog.fired:  # a body without a length ends when the socket is shut
                raise DeadlineError(self._late(where))
        return response

    def _load(self, response: requests.Response, where: str) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise SourceError(_too_big(where, self.max_bytes))
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body.extend(chunk)
            if len(body) > self.max_bytes:
                response.close()
                raise SourceError(_too_big(where, self.max_bytes))
        response._content = bytes(body)
        response._content_consumed = True

    def _late(self, where: str) -> str:
        if self.source_time_left() <= 0:
            return (
                f"{where}: this source used up its {self.source_deadline_s:.0f} s for this run; "
                "what was fetched before is kept, the next run continues"
            )
        return (
            f"{where}: no complete answer within {self.deadline_s:.0f} s (the server answers "
            "too slowly or never finishes); the next run tries again"
        )


def guarded_session(**guards) -> requests.Session:
    """A requests session whose every request goes through a :class:`GuardedAdapter`."""
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = GuardedAdapter(**guards)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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
        except (ValueError, RecursionError) as exc:
            raise SourceError(
                f"{safe_url(self.url)} did not return valid JSON ({_first_line(exc)}); "
                "the service may be down or the URL wrong"
            ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class HttpClient:
    """A small, strict HTTP GET client shared by the connectors (see the module docstring)."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_retry_wait: float = 300.0,
        max_bytes: int = MAX_BYTES,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        allow_private_network: bool = False,
        deadline_s: float = REQUEST_DEADLINE_S,
        source_deadline_s: float | None = SOURCE_DEADLINE_S,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.max_bytes = max_bytes
        if session is None:  # a given session (e.g. recorded documents) brings its own transport
            session = guarded_session(
                allow_private_network=allow_private_network,
                deadline_s=deadline_s,
                source_deadline_s=source_deadline_s,
                max_bytes=max_bytes,
            )
        self.session = session
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
            except requests.exceptions.InvalidSchema:
                raise NotPublicError(
                    f"{where}: redirected to a URL that is not http or https; not followed"
                ) from None
            except requests.RequestException as exc:  # a redirect loop, a malformed URL
                raise SourceError(f"{where}: {type(exc).__name__}: {_first_line(exc)}") from None
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
        adapter = self._guard(url)
        if adapter is not None:
            adapter.request_ends = time.monotonic() + adapter.deadline_s  # all redirect hops
        try:
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
                for chunk in raw.iter_content(64 * 1024):
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise SourceError(_too_big(safe_url(url), self.max_bytes))
                return HttpResponse(raw.status_code, dict(raw.headers), bytes(body), raw.url or url)
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            # A truncated body: retry like a dropped connection.
            raise requests.ConnectionError(str(exc)) from None
        finally:
            if adapter is not None:
                adapter.request_ends = None

    def _guard(self, url: str) -> GuardedAdapter | None:
        adapter = self.session.get_adapter(url) if url.startswith(("http:", "https:")) else None
        return adapter if isinstance(adapter, GuardedAdapter) else None

    def _wait(self, attempt: int, asked: float | None, where: str, why) -> None:
        delay = asked if asked is not None else self.backoff * (2**attempt)
        if delay > self.max_retry_wait:
            raise SourceError(
                f"{where}: rate limited, the server asks to wait {delay:.0f} s "
                f"(more than {self.max_retry_wait:.0f} s); the next scheduled run continues"
            )
        adapter = self._guard(where)
        if adapter is not None and delay >= adapter.source_time_left():
            raise DeadlineError(
                f"{where}: {why}, and waiting {delay:.0f} s more would pass this source's "
                f"{adapter.source_deadline_s:.0f} s for this run; the next run continues"
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
