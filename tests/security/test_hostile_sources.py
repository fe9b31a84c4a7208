"""One hostile source can neither stall nor stop the others (issue #14's probes, each a test).

A feed that trickles a byte at a time, a redirect onto this machine or the private network,
JSON nested 100,000 deep, a CSV whose header is over every limit, a gzip bomb, a post far
over any real size, a symbolic link in the inbox, a linked ``processed/`` folder, a huge
config, and SIGTERM to ``cxradar run``. Sizes are scaled down (the limits with them) so the
suite stays fast; ``python -m benchmarks.hostile_sources`` runs the full-size case.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml
from sqlalchemy import func, select

from connectors import feeds as feeds_module
from connectors import files as files_module
from connectors import http as http_module
from connectors.feeds import FeedConnector
from connectors.files import FileProblem, read_mentions
from connectors.http import DeadlineError, HttpClient, NotPublicError, address_problem
from cxradar.config import ConfigError, load_config, parse_config
from cxradar.db import session_scope
from cxradar.records import MAX_REASON_CHARS, MentionRecord, RowError
from cxradar.schema import IngestError, Mention, Source
from cxradar.store import MAX_TEXT_CHARS, store_mentions
from pipelines.ingest import inbox, raw_mentions
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.sources import FeedsResource, source_resources
from tests.connectors.conftest import LocalServer, Reply

REPO = Path(__file__).resolve().parents[2]
RSS = (feeds_module.RECORDED_FOLDER / "news_de.xml").read_bytes()
ROW = {"source": "web", "created_at": "2026-10-18T10:00:00Z"}


class Trickler:
    """An HTTP server that answers one byte at a time: its headers, or only its body."""

    def __init__(self, part: str = "body", every: float = 0.2) -> None:
        self.part, self.every = part, every
        self.requested = threading.Event()
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/feed.xml"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        head = b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n"
        body = b"<rss version='2.0'><channel>" + b" " * 100_000
        try:
            connection.recv(65536)
            self.requested.set()
            if self.part == "body":
                connection.sendall(head)
            for byte in head + body if self.part == "headers" else body:
                connection.sendall(bytes([byte]))
                if self._stopped.wait(self.every):
                    return
        except OSError:
            return

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def trickler():
    started = Trickler()
    yield started
    started.stop()


@pytest.fixture
def server():
    local = LocalServer().start()
    yield local
    local.stop()


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_row(external_id: str, text: str = "Die App stürzt ab") -> str:
    return json.dumps({**ROW, "id": external_id, "text": text})


def nested(depth: int) -> str:
    return '{"source": "web", "id": "deep", "text": ' + "[" * depth + "]" * depth + "}"


# --- the network: deadlines, public hosts ------------------------------------------------------


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_feed_trickling_a_byte_at_a_time_ends_at_the_request_deadline(part):
    trickle = Trickler(part, every=0.1)
    http = HttpClient(timeout=5, deadline_s=1.0, max_retries=3, allow_private_network=True)
    started = time.monotonic()
    try:
        with pytest.raises(DeadlineError, match="no complete answer within 1 s"):
            FeedConnector(trickle.url, source="slow", http=http).fetch(None)
    finally:
        trickle.stop()
    assert time.monotonic() - started < 4  # each read came in time; the whole did not
    assert http.requests_made == 1  # a server this slow is not asked again this run


def test_a_source_ends_at_its_own_deadline_however_many_requests(server):
    server.route("/page", Reply(200, {"ok": True}, delay=0.4))
    http = HttpClient(deadline_s=5, source_deadline_s=1.0, allow_private_network=True)
    answered = 0
    with pytest.raises(DeadlineError, match="used up its 1 s for this run"):
        for _ in range(10):
            http.get(server.url + "/page")
            answered += 1
    assert 1 <= answered <= 3


def test_hosts_on_this_machine_are_refused_unless_the_config_allows_them(server):
    server.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    for url in (server.url + "/feed.xml", server.url.replace("127.0.0.1", "localhost")):
        with pytest.raises(NotPublicError) as refused:
            FeedConnector(url + "/feed.xml", source="news").fetch(None)
        assert "loopback" in str(refused.value) and "allow_private_network: true" in str(
            refused.value
        )
    assert not server.requests  # refused before connecting
    allowed = HttpClient(allow_private_network=True)
    fetched = FeedConnector(server.url + "/feed.xml", source="news", http=allowed).fetch(None)
    assert fetched.records


def test_a_redirect_to_the_private_network_is_refused_at_that_hop(monkeypatch):
    """A "public" feed (on 127.0.0.2, taken for public here) redirects onto this machine."""
    real = address_problem
    monkeypatch.setattr(
        http_module, "address_problem", lambda a: None if a == "127.0.0.2" else real(a)
    )
    private, public = LocalServer().start(), LocalServer("127.0.0.2").start()
    try:
        private.route("/secret", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
        for target in (private.url + "/secret", "http://169.254.169.254/latest/meta-data/"):
            public.route("/feed.xml", Reply(302, b"", {"Location": target}))
            with pytest.raises(NotPublicError, match="refused to connect to"):
                FeedConnector(public.url + "/feed.xml", source="news").fetch(None)
        public.route("/feed.xml", Reply(301, b"", {"Location": "file:///etc/passwd"}))
        with pytest.raises(NotPublicError, match="not http or https; not followed"):
            FeedConnector(public.url + "/feed.xml", source="news").fetch(None)
        assert len(public.hits("/feed.xml")) == 3 and not private.requests
    finally:
        private.stop()
        public.stop()


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
     "169.254.169.254", "fe80::1", "fd00::1", "100.64.0.1", "0.0.0.0", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address):
    assert address_problem(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "1.1.1.1"])
def test_internet_addresses_are_public(address):
    assert address_problem(address) is None


def test_private_networks_are_allowed_per_source_or_for_all():
    feed = {"name": "intranet", "type": "rss", "url": "http://wiki.intern/feed"}
    tickets = [{"name": "z", "type": "zendesk", "base_url": "http://10.0.0.5"}]
    one = parse_config(
        {"sources": [{**feed, "allow_private_network": True}, {**feed, "name": "b"}]}
    )
    assert [s.allow_private_network for s in one.sources] == [True, False]
    every = parse_config(
        {"allow_private_network": True, "sources": [feed], "ticket_sources": tickets}
    )
    assert every.sources[0].allow_private_network and every.ticket_sources[0].allow_private_network


# --- files: nesting, headers, bombs, long records ---------------------------------------------


def test_json_nested_100000_deep_costs_that_line_only(tmp_path):
    path = jsonl(tmp_path / "m.jsonl", good_row("1"), nested(100_000), good_row("2"))
    batch = read_mentions(path)
    assert [r.external_id for r in batch.records] == ["1", "2"]
    assert [(e.line, e.reason) for e in batch.errors] == [(2, "unreadable JSON: nested too deeply")]


def test_odd_values_cost_their_row_only(tmp_path):
    path = jsonl(
        tmp_path / "m.jsonl",
        '{"source": "web", "id": "big", "created_at": 1, "text": "x", "reach": ' + "9" * 5000 + "}",
        json.dumps({**ROW, "id": "far", "created_at": "1e20", "text": "x"}),
        json.dumps({**ROW, "source": "s" * 1000, "id": "name", "text": "x"}),
        good_row("ok"),
    )
    batch = read_mentions(path)
    assert [r.external_id for r in batch.records] == ["ok"]
    assert [e.line for e in batch.errors] == [1, 2, 3]


def test_a_csv_header_over_the_limit_fails_the_file_with_a_short_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "MAX_RECORD_BYTES", 64 * 1024)
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column{n}" for n in range(20_000)) + "\nweb,1\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="header line is longer than"):
        read_mentions(path)


def test_a_million_columns_give_a_readable_reason(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{n}" for n in range(200_000)) + "\n", encoding="utf-8")
    [error] = read_mentions(path).errors
    assert len(error.reason) <= MAX_REASON_CHARS and "missing column(s)" in error.reason
    assert "and 199980 more" in error.reason


def test_a_record_over_the_limit_is_skipped_unread_and_its_neighbours_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "MAX_RECORD_BYTES", 256 * 1024)
    post = "Die App stürzt ab. " * 50_000  # ~1 MB
    path = tmp_path / "m.csv"
    path.write_text(
        f"source,id,created_at,text\nweb,1,2026-10-18,kurz\nweb,2,2026-10-18,{post}\n"
        "web,3,2026-10-18,auch kurz\n",
        encoding="utf-8",
    )
    batch = read_mentions(path)
    assert [r.external_id for r in batch.records] == ["1", "3"]
    [error] = batch.errors
    assert error.line == 3 and "line 3 is longer than" in error.reason


def test_a_gzip_bomb_is_read_as_a_stream_and_stops_at_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "MAX_FILE_BYTES", 16 * 1024 * 1024)
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write((good_row("1") + "\n").encode())
        for _ in range(64):
            out.write(b"0" * (1024 * 1024))  # 64 MiB of one line, ~64 kB packed
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(FileProblem, match="unpacks to more than 16 MiB"):
            read_mentions(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * files_module.MAX_RECORD_BYTES  # a record at a time, never the file


def test_a_broken_gzip_file_is_a_file_problem(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress("".join(good_row(str(n)) + "\n" for n in range(2000)).encode())
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FileProblem, match="not a readable gzip file"):
        read_mentions(path)


# --- storage and reasons ---------------------------------------------------------------------


def test_a_huge_post_is_cut_at_storage_and_long_posts_stay_distinct(db_url):
    start = "Die App stürzt ab. " * 3_000
    posts = [start + "Ende A.", start + "Ende B."]
    records = [
        MentionRecord(source="web", external_id=str(n), created_at=_when(), text=text)
        for n, text in enumerate(posts)
    ]
    with session_scope(db_url) as session:
        store_mentions(session, records, "file")
    with session_scope(db_url) as session:
        stored = session.execute(select(Mention.text, Mention.content_hash)).all()
    assert {len(text) for text, _ in stored} == {MAX_TEXT_CHARS}
    assert all(text.endswith("…") for text, _ in stored)
    assert len({digest for _, digest in stored}) == 2  # the whole text's hash: not a copy


def test_error_reasons_are_one_readable_line():
    error = RowError("f.csv", 1, "missing column(s) x; found: " + ", ".join(["c"] * 10**6))
    assert len(error.reason) <= MAX_REASON_CHARS and error.reason.endswith("…")


def test_a_huge_config_is_refused_at_once(tmp_path):
    path = tmp_path / "cxradar.yaml"
    path.write_text("sources:\n" + "  - {name: x, type: file, path: x}\n" * 60_000)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="a config is at most 1 MiB"):
        load_config(path)
    assert time.monotonic() - started < 1


def _when():
    return datetime(2026, 10, 18, tzinfo=UTC)


# --- the ingest step: contained, not retried for bad files -----------------------------------


def write_config(folder: Path, sources: list[dict], **extra) -> str:
    path = folder / "cxradar.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, **extra}), encoding="utf-8")
    return str(path)


def materialize(assets, db_url: str, config: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        resources={
            **source_resources(recorded=False),
            "feeds": FeedsResource(retries=0, deadline_s=1.5),
            "db": DatabaseResource(url=db_url),
            "cx_config": ConfigResource(path=config),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def retries(result: dg.ExecuteInProcessResult) -> int:
    return sum(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)


def test_hostile_sources_fail_alone_and_the_good_feed_is_stored(
    sqlite_url, tmp_path, server, trickler, monkeypatch
):
    monkeypatch.setattr(files_module, "MAX_RECORD_BYTES", 64 * 1024)
    server.route("/good.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    jsonl(tmp_path / "deep.jsonl", nested(30_000))  # deeper than Python recurses, under 64 KiB
    (tmp_path / "wide.csv").write_text(",".join(f"c{n}" for n in range(20_000)) + "\n")
    config = write_config(
        tmp_path,
        [
            {"name": "slow", "type": "rss", "url": trickler.url},
            {"name": "deep", "type": "file", "path": "deep.jsonl"},
            {"name": "wide", "type": "file", "path": "wide.csv"},
            {"name": "good", "type": "rss", "url": server.url + "/good.xml"},
        ],
        allow_private_network=True,
    )
    result = materialize([raw_mentions], sqlite_url, config)
    assert result.success and retries(result) == 0
    [event] = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["failed_sources"] == "slow, deep, wide"
    per_source = metadata["per_source"]
    assert "no complete answer within 2 s" in per_source["slow"]["failure"]
    assert "header line is longer than" in per_source["wide"]["failure"]
    assert per_source["good"]["new"] >= 4
    with session_scope(sqlite_url) as session:
        stored = dict(
            session.execute(
                select(Source.name, func.count(Mention.id)).join(Mention).group_by(Source.name)
            ).all()
        )
        reasons = session.scalars(select(IngestError.reason)).all()
    assert set(stored) == {"good"}
    assert "unreadable JSON: nested too deeply" in reasons


def test_a_step_whose_every_source_is_a_bad_file_is_not_retried(sqlite_url, tmp_path):
    jsonl(tmp_path / "deep.jsonl", nested(100_000))
    config = write_config(tmp_path, [{"name": "deep", "type": "file", "path": "deep.jsonl"}])
    started = time.monotonic()
    result = materialize([raw_mentions], sqlite_url, config)
    assert not result.success and retries(result) == 0
    assert time.monotonic() - started < 15  # not 20 + 40 + 80 s of retries
    [failure] = result.get_step_failure_events()
    assert "every source failed: deep" in failure.step_failure_data.error.message


# --- the inbox ---------------------------------------------------------------------------------


def inbox_config(tmp_path: Path) -> tuple[str, Path]:
    root = tmp_path / "inbox"
    (root / "mentions").mkdir(parents=True)
    return write_config(tmp_path, [], inbox={"path": "inbox"}), root


def test_bad_inbox_files_go_to_failed_and_the_good_one_is_stored(sqlite_url, tmp_path):
    config, root = inbox_config(tmp_path)
    drop = root / "mentions"
    jsonl(drop / "a_deep.jsonl", nested(100_000))
    (drop / "b_cut.jsonl.gz").write_bytes(gzip.compress(good_row("x").encode() * 50)[:60])
    outside = tmp_path / "secret.csv"
    outside.write_text("source,id,created_at,text\nweb,s,2026-10-18,SECRET-LINE\n")
    (drop / "c_link.csv").symlink_to(outside)
    jsonl(drop / "d_good.jsonl", good_row("1"), good_row("2"))
    result = materialize([inbox], sqlite_url, config)
    assert result.success
    failed = sorted(p.name for p in (root / "failed").rglob("*") if p.is_file() or p.is_symlink())
    processed = sorted(p.name for p in (root / "processed").rglob("*") if p.is_file())
    assert failed == ["a_deep.jsonl", "b_cut.jsonl.gz", "c_link.csv"]
    assert processed == ["d_good.jsonl"] and not list(drop.iterdir())
    assert outside.read_text().endswith("SECRET-LINE\n")  # the link's target stays where it was
    with session_scope(sqlite_url) as session:
        texts = session.scalars(select(Mention.text)).all()
        reasons = " | ".join(session.scalars(select(IngestError.reason)).all())
    assert sorted(texts) == ["Die App stürzt ab", "Die App stürzt ab"]
    assert "SECRET-LINE" not in reasons and "symbolic link" in reasons
    assert "nested too deeply" in reasons and "not a readable gzip file" in reasons


@pytest.mark.parametrize("linked", ["processed", "failed", "processed/{today}"])
def test_a_linked_processed_or_failed_folder_is_refused(sqlite_url, tmp_path, linked):
    config, root = inbox_config(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    linked = linked.format(today=datetime.now(UTC).strftime("%Y-%m-%d"))
    (root / linked).parent.mkdir(exist_ok=True)
    (root / linked).symlink_to(elsewhere, target_is_directory=True)
    jsonl(root / "mentions" / "good.jsonl", good_row("1"))
    result = materialize([inbox], sqlite_url, config)
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert f"inbox/{linked} is a symbolic link" in failure.step_failure_data.error.message
    assert not list(elsewhere.rglob("*")) and (root / "mentions" / "good.jsonl").exists()


# --- SIGTERM -----------------------------------------------------------------------------------


def test_sigterm_stops_a_run_that_waits_on_a_trickling_feed(sqlite_url, tmp_path, trickler):
    config = write_config(
        tmp_path, [{"name": "slow", "type": "rss", "url": trickler.url}], allow_private_network=True
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CXRADAR_CONFIG")}
    env["PYTHONPATH"] = str(REPO)
    run = subprocess.Popen(
        [sys.executable, "-m", "cxradar.cli", "--database", sqlite_url, "run", "--config", config],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert trickler.requested.wait(60), "the run never asked the feed"
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=40)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 128 + signal.SIGTERM
    assert "cxradar: stopped by SIGTERM" in stderr
