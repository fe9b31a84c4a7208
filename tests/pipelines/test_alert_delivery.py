"""A fresh negative spike reaches a chat webhook once, escaped, and is never sent twice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from sqlalchemy import select

from cxradar.db import session_scope
from cxradar.schema import Alert
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, NotifierResource

pytestmark = pytest.mark.slow


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def write_spiking_corpus(folder, webhook_url: str):
    """Two quiet weeks, then yesterday a burst of 1-star reviews; one post today."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for day in range(15, 1, -1):
        for index in range(2):
            rows.append(
                {
                    "id": f"q{day}-{index}",
                    "days_ago": day,
                    "rating": 1,
                    "text": f"Transfers are a bit slow lately ({day}/{index})",
                }
            )
    for index in range(24):
        rows.append(
            {
                "id": f"s{index}",
                "days_ago": 1,
                "rating": 1,
                "text": f"@channel <!here> app broken after update, cannot log in #{index}",
            }
        )
    rows.append({"id": "today", "days_ago": 0, "rating": 4, "text": "Works again for me"})
    folder.mkdir()
    with (folder / "m.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            when = today - timedelta(days=row["days_ago"]) + timedelta(hours=10)
            handle.write(
                json.dumps(
                    {
                        "source": "appstore",
                        "id": row["id"],
                        "created_at": when.isoformat(),
                        "text": row["text"],
                        "rating": row["rating"],
                        "author": f"a-{row['id']}",
                    }
                )
                + "\n"
            )
    config = folder / "cxradar.yaml"
    config.write_text(
        "sources:\n  - {name: feed, type: file, path: m.jsonl}\n"
        f"alerts:\n  channels:\n    - {{name: hook, url: '{webhook_url}'}}\n",
        encoding="utf-8",
    )
    return config


def run(url: str, config) -> None:
    defs = build_defs(
        {
            "db": DatabaseResource(url=url),
            "cx_config": ConfigResource(path=str(config)),
            "notifier": NotifierResource(retries=1, backoff_seconds=0.1),
        }
    )
    result = defs.resolve_job_def("cxradar_everything").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success


def test_spike_alert_is_sent_once_and_escaped(sqlite_url, tmp_path, webhook):
    hook_url, received = webhook
    config = write_spiking_corpus(tmp_path / "corpus", hook_url)
    run(sqlite_url, config)
    assert received, "no alert reached the webhook"
    message = received[0]
    assert "Negative spike" in message["title"]
    assert "@channel" not in message["message"] and "<!here>" not in message["message"]
    with session_scope(sqlite_url) as session:
        alerts = session.scalars(select(Alert)).all()
        assert alerts and all(a.delivered for a in alerts if a.attempts)
    sent_before = len(received)
    run(sqlite_url, config)
    assert len(received) == sent_before  # a re-run never re-sends
