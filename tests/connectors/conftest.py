"""A scriptable local HTTP server that speaks whatever shapes a test queues.

``server.route("/path", Reply(...), Reply(...))`` queues replies for a path
(the last one repeats); a callable instead of a Reply answers from the request
(an API whose answer depends on the query); ``server.requests`` records what
clients sent, so a test can assert on conditional-GET headers, cursors and auth.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)
    truncate: bool = False  # announce a longer body than is sent

    def encoded(self) -> tuple[bytes, dict]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        return body, headers


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


class LocalServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, list[Reply]] = defaultdict(list)
        self.requests: list[SeenRequest] = []
        self.host = host
        self._httpd = ThreadingHTTPServer((host, 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    def _next_reply(self, path: str) -> Reply:
        queue = self.routes.get(path)
        if not queue:
            return Reply(404, {"error": f"no route for {path}"})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(self.requests[-1]) if callable(reply) else reply

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    SeenRequest(
                        self.command,
                        parts.path,
                        {k: v[-1] for k, v in parse_qs(parts.query).items()},
                        dict(self.headers),
                        self.rfile.read(length) if length else b"",
                    )
                )
                reply = server._next_reply(parts.path)
                if reply.delay:
                    time.sleep(reply.delay)
                body, headers = reply.encoded()
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body) * (2 if reply.truncate else 1)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)
                if reply.truncate:
                    self.close_connection = True

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        return Handler

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
