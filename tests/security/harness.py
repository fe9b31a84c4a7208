"""Helpers for the fault tests: a corpus with a fresh spike, local servers, the CLI as a process.

The corpus has ~400 mentions in 20 files plus an RSS feed served locally, a few
tickets, and a burst of 1-star reviews yesterday on two sources, so a run has a
visible ingest phase (the feed is fetched after the files), an enrichment phase of
two batches, and several alerts to deliver to a local JSON webhook.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import JSON, String, Text, create_engine, func, select, text

from cxradar.schema import Alert, Base, Embedding, Enrichment, Issue, Mention, Ticket

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("appstore", "playstore")
CHATTER = [
    "Love the new savings goals, really well done",
    "Does the app support Apple Pay yet?",
    "Die neue Sparfunktion ist super, danke!",
    "Kann man das Limit in der App selbst ändern?",
    "Support answered within minutes, great service",
    "Habe heute mein Konto eröffnet, ging schnell",
]
COMPLAINTS = [
    "Login broken after the update, the SMS code never arrives",
    "Seit dem Update kommt der SMS-Code nicht mehr an, Login unmöglich",
    "Cannot log in since yesterday, no verification code",
]
FEED_ENTRIES = 5


def _today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class CorpusSize:
    quiet_days: int = 13
    per_day: int = 18  # two of them negative
    burst: int = 40  # 1-star reviews yesterday, half on each source

    @property
    def mentions(self) -> int:
        return self.quiet_days * self.per_day + self.burst + 1 + FEED_ENTRIES


LARGE = CorpusSize()  # 280 mentions: enrichment commits a batch of 256, then the rest
SMALL = CorpusSize(quiet_days=8, per_day=4, burst=24)


def _mention_rows(size: CorpusSize) -> list[dict]:
    today, rows = _today(), []
    for days_ago in range(size.quiet_days + 1, 1, -1):
        for index in range(size.per_day):
            negative = index < 2
            rows.append(
                {
                    "source": SOURCES[index % 2],
                    "id": f"d{days_ago}-{index}",
                    "created_at": (today - timedelta(days=days_ago, hours=-(index % 20))),
                    "text": f"{(COMPLAINTS if negative else CHATTER)[index % 3]} "
                    f"({days_ago}/{index})",
                    "rating": 1 if negative else 5,
                    "author": f"user-{days_ago}-{index}",
                }
            )
    for index in range(size.burst):  # yesterday's burst on both sources
        rows.append(
            {
                "source": SOURCES[index % 2],
                "id": f"burst-{index}",
                "created_at": today - timedelta(days=1, hours=-(index % 20)),
                "text": f"{COMPLAINTS[index % 3]} #{index}",
                "rating": 1,
                "author": f"angry-{index}",
            }
        )
    rows.append(
        {"source": "appstore", "id": "today", "created_at": today + timedelta(minutes=5),
         "text": "Works again for me", "rating": 4, "author": "calm"}
    )  # fmt: skip
    return rows


def write_corpus(
    folder: Path, feed_url: str, webhook_url: str, size: CorpusSize = LARGE, files: int = 20
) -> Path:
    """Mentions in ``files`` JSONL files, tickets, and a config; returns the config path."""
    (folder / "mentions").mkdir(parents=True, exist_ok=True)
    rows = _mention_rows(size)
    for part in range(files):
        with (folder / "mentions" / f"part-{part:02d}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows[part::files]:
                out.write(json.dumps({**row, "created_at": row["created_at"].isoformat()}) + "\n")
    with (folder / "tickets.csv").open("w", encoding="utf-8") as out:
        out.write("id,created_at,subject,body\n")
        for index in range(6):
            when = (_today() - timedelta(days=1 + index)).isoformat()
            out.write(f"T{index},{when},SMS code missing,No login code since the update {index}\n")
    config = folder / "cxradar.yaml"
    config.write_text(
        "allow_private_network: true  # the feed is served on this machine\n"
        "sources:\n"
        "  - {name: files, type: file, path: mentions}\n"
        f"  - {{name: news, type: rss, url: '{feed_url}'}}\n"
        "ticket_sources:\n  - {name: support, type: file, path: tickets.csv}\n"
        f"alerts:\n  retries: 0\n  channels:\n    - {{name: hook, url: '{webhook_url}'}}\n",
        encoding="utf-8",
    )
    return config


def expected_mention_ids(folder: Path) -> list[str]:
    ids = [f"news-{index}" for index in range(FEED_ENTRIES)]
    for file in sorted((folder / "mentions").glob("*.jsonl")):
        ids += [json.loads(line)["id"] for line in file.read_text(encoding="utf-8").splitlines()]
    return sorted(ids)


def rss_document() -> bytes:
    items = "".join(
        f"<item><guid>news-{index}</guid><title>Finora news {index}</title>"
        f"<description>Finora opens a new office in city {index}</description>"
        f"<pubDate>{format_datetime(_today() - timedelta(days=3 + index))}</pubDate></item>"
        for index in range(FEED_ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>news</title><link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


@dataclass
class LocalEndpoints:
    """An RSS feed and a JSON webhook on 127.0.0.1; either can be told to hang."""

    hang_feed: bool = False
    hang_on_delivery: int | None = None  # the n-th delivery (1-based) hangs after being counted
    deliveries: list[str] = field(default_factory=list)  # titles, in arrival order
    feed_requested: threading.Event = field(default_factory=threading.Event)
    delivery_hung: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def start(self) -> LocalEndpoints:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/feed.rss"

    @property
    def webhook_url(self) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/hook"

    def duplicated_titles(self) -> dict[str, int]:
        return {title: n for title, n in Counter(self.deliveries).items() if n > 1}

    def _handler(self):
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                endpoints.feed_requested.set()
                if endpoints.hang_feed:
                    endpoints.release.wait(60)
                    return
                self._answer(200, rss_document(), "application/rss+xml")

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                message = json.loads(self.rfile.read(length) or b"{}")
                endpoints.deliveries.append(message.get("title", ""))
                if len(endpoints.deliveries) == endpoints.hang_on_delivery:
                    endpoints.delivery_hung.set()
                    endpoints.release.wait(60)
                    return
                self._answer(200, b"{}", "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def start_run(database_url: str, config: Path) -> subprocess.Popen:
    """``cxradar run`` in its own process (no Dagster home: an ephemeral instance)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CXRADAR_CONFIG")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen(
        [sys.executable, "-m", "cxradar.cli", "--database", database_url, "run",
         "--config", str(config)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish_run(database_url: str, config: Path, timeout: float = 600) -> str:
    process = start_run(database_url, config)
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"run failed:\n{stderr[-4000:]}"
    return stderr


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300) -> None:
    """SIGKILL the run as soon as ``ready()`` is true; fails if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended before the fault: {process.stderr.read()[-3000:]}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the phase to interrupt was never observed")


def count(database_url: str, table) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()
    except Exception:  # noqa: BLE001 - the schema may not exist yet while the run starts
        return 0
    finally:
        engine.dispose()


@dataclass
class Snapshot:
    mention_ids: list[str]
    ticket_ids: list[str]
    enrichments: int
    mention_embeddings: int
    alert_keys: list[str]
    message_keys: list[str]  # the alerts that send a message (the others join one)


def snapshot(database_url: str) -> Snapshot:
    engine = create_engine(database_url)
    with engine.connect() as c:
        mention_ids = c.execute(select(Mention.external_id).order_by(Mention.external_id))
        ticket_ids = c.execute(select(Ticket.external_id).order_by(Ticket.external_id))
        result = Snapshot(
            mention_ids=list(mention_ids.scalars()),
            ticket_ids=list(ticket_ids.scalars()),
            enrichments=c.execute(select(func.count()).select_from(Enrichment)).scalar_one(),
            mention_embeddings=c.execute(
                select(func.count()).select_from(Embedding).where(Embedding.owner_kind == "mention")
            ).scalar_one(),
            alert_keys=sorted(c.execute(select(Alert.dedupe_key)).scalars()),
            message_keys=sorted(
                c.execute(select(Alert.dedupe_key).where(Alert.covered_by.is_(None))).scalars()
            ),
        )
    engine.dispose()
    return result


def half_written_rows(database_url: str) -> list[str]:
    """Rows a crash must never leave: vectors without enrichment (or the reverse), empty issues."""
    engine = create_engine(database_url)
    with engine.connect() as c:
        issue_ids = set(c.execute(select(Issue.id)).scalars())
        members = Counter(
            c.execute(select(Enrichment.issue_id).where(Enrichment.issue_id.is_not(None))).scalars()
        )
        problems = [f"issue {i} has no mention" for i in issue_ids if not members[i]]
        problems += [f"mentions in missing issue {i}" for i in members if i not in issue_ids]
        for what, query in _ORPHANS.items():
            if orphans := c.execute(text(query)).scalar_one():
                problems.append(f"{orphans} {what}")
    engine.dispose()
    return problems


_ORPHANS = {
    "mention vectors without an enrichment": (
        "SELECT count(*) FROM embeddings b LEFT JOIN enrichments e ON e.mention_id = b.owner_id "
        "WHERE b.owner_kind = 'mention' AND e.mention_id IS NULL"
    ),
    "enrichments without their vector": (
        "SELECT count(*) FROM enrichments e LEFT JOIN embeddings b ON b.id = e.embedding_id "
        "WHERE b.id IS NULL"
    ),
}


def issue_problems(database_url: str) -> list[str]:
    """After a complete run: every negative mention is in exactly one existing issue, too."""
    engine = create_engine(database_url)
    with engine.connect() as c:
        issue_ids = set(c.execute(select(Issue.id)).scalars())
        negative = c.execute(
            text(
                "SELECT e.mention_id, e.issue_id FROM enrichments e JOIN mentions m "
                "ON m.id = e.mention_id WHERE e.sentiment = 'negative' OR m.rating <= 2"
            )
        ).all()
    engine.dispose()
    lonely = [f"negative mention {m} has no issue" for m, i in negative if i not in issue_ids]
    return lonely + half_written_rows(database_url)


def database_text(url: str) -> str:
    """Every text and JSON value of every table, one per line (to search for what must go)."""
    engine = create_engine(url)
    values = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in connection.execute(select(*columns)) if columns else ():
                values += [json.dumps(value, ensure_ascii=False, default=str) for value in row]
    engine.dispose()
    return "\n".join(values)
