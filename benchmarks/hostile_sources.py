"""Issue #14's "done when", full size: hostile sources beside a good one, through `cxradar run`.

``python -m benchmarks.hostile_sources`` starts two local feeds, one trickling a byte every
5 s and one good, writes a JSONL file nested 100,000 deep and a CSV whose header is 200 MB
(a million-odd columns), drops a 0.5 MB gzip bomb (500 MB unpacked) and a 100 MB post into
the inbox, and runs the whole pipeline once on a fresh SQLite database. It reports when the
good feed's posts were stored, how long the run took, the run's peak memory (RSS) and which
sources and inbox files failed, and checks them against the targets: the good feed stored
within two minutes, the three bad sources named, peak memory under 2 GB.

Options scale each part (``--header-mb 20`` for a quicker look); ``--keep DIR`` keeps the
files and database there.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOOD_FEED = REPO / "connectors" / "recorded" / "rss" / "news_de.xml"
MB = 1024 * 1024
TARGET_STORED_S = 120
TARGET_PEAK_MB = 2048


class TricklingFeed:
    """Answers every request with a feed sent one byte every ``every`` seconds."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/feed.xml"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
            for byte in GOOD_FEED.read_bytes():
                connection.sendall(bytes([byte]))
                time.sleep(self.every)
        except OSError:
            return


def good_feed() -> ThreadingHTTPServer:
    body = GOOD_FEED.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_files(folder: Path, header_mb: int, bomb_mb: int, post_mb: int) -> None:
    deep = folder / "deep.jsonl"
    depth = 100_000
    deep.write_text('{"source": "deep", "id": "1", "text": ' + "[" * depth + "]" * depth + "}\n")
    with (folder / "wide.csv").open("w") as out:  # the header alone is header_mb
        written, column = 0, 0
        while written < header_mb * MB:
            chunk = ",".join(f"column_{n:07d}" for n in range(column, column + 10_000)) + ","
            out.write(chunk)
            written += len(chunk)
            column += 10_000
        out.write("text\nsome,row\n")
    drop = folder / "inbox" / "mentions"
    drop.mkdir(parents=True)
    with gzip.open(drop / "bomb.jsonl.gz", "wb", compresslevel=9) as out:
        zeros = b"0" * MB
        for _ in range(bomb_mb):
            out.write(zeros)
    row = {"source": "inbox-big", "created_at": "2026-10-18T10:00:00Z"}
    with (drop / "big_post.jsonl").open("w") as out:
        out.write(json.dumps({**row, "id": "small", "text": "Die App stürzt ab"}) + "\n")
        out.write(json.dumps({**row, "id": "big"})[:-1] + ', "text": "')
        for _ in range(post_mb):
            out.write("x" * MB)
        out.write('"}\n')


def write_config(folder: Path, slow_url: str, good_url: str) -> Path:
    config = folder / "cxradar.yaml"
    config.write_text(
        "allow_private_network: true  # both feeds run on this machine\n"
        "sources:\n"
        f"  - {{name: slow, type: rss, url: '{slow_url}'}}\n"
        "  - {name: deep, type: file, path: deep.jsonl}\n"
        "  - {name: wide, type: file, path: wide.csv}\n"
        f"  - {{name: good, type: rss, url: '{good_url}'}}\n"
        "inbox: {path: inbox}\n",
        encoding="utf-8",
    )
    return config


def stored_from(database: Path, source: str) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute(
                "SELECT count(*) FROM mentions JOIN sources ON sources.id = mentions.source_id "
                "WHERE sources.name = ?",
                (source,),
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


def run(folder: Path, config: Path) -> dict:
    database = folder / "cxradar.db"
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CXRADAR_CONFIG")}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "cxradar.cli", "--database", f"sqlite:///{database}",
               "run", "--config", str(config)]  # fmt: skip
    log = (folder / "run.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    good_stored_s = None
    while True:  # wait4, not poll(): it also gives the run's peak memory
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if good_stored_s is None and stored_from(database, "good"):
            good_stored_s = time.monotonic() - started
        time.sleep(0.5)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    log.close()
    text = (folder / "run.log").read_text(errors="replace")
    return {
        "exit_code": process.returncode,
        "good_feed_stored_s": round(good_stored_s, 1) if good_stored_s else None,
        "good_feed_mentions": stored_from(database, "good"),
        "run_s": round(elapsed, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "failed_sources": sorted(set(re.findall(r"source (\S+) failed", text))),
        "failed_inbox_files": sorted(set(re.findall(r"inbox file (\S+): nothing stored", text))),
        "inbox_stored": stored_from(database, "inbox-big"),
        "log": str(folder / "run.log"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trickle-every", type=float, default=5.0, help="seconds per byte")
    parser.add_argument("--header-mb", type=int, default=200)
    parser.add_argument("--bomb-mb", type=int, default=500, help="the gzip bomb, unpacked")
    parser.add_argument("--post-mb", type=int, default=100)
    parser.add_argument("--keep", help="keep the files, database and log in this folder")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="cxradar-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    write_files(folder, args.header_mb, args.bomb_mb, args.post_mb)
    sizes = {p.name: round(p.stat().st_size / MB, 2) for p in folder.rglob("*") if p.is_file()}
    print(f"wrote the hostile files in {time.monotonic() - began:.0f}s (MB): {sizes}")
    trickle, good = TricklingFeed(args.trickle_every), good_feed()
    config = write_config(folder, trickle.url, f"http://127.0.0.1:{good.server_port}/feed.xml")
    result = run(folder, config)
    print(json.dumps(result, indent=2))
    checks = {
        f"good feed stored within {TARGET_STORED_S} s": (result["good_feed_stored_s"] or 1e9)
        < TARGET_STORED_S,
        "the three bad sources named": set(result["failed_sources"]) == {"slow", "deep", "wide"},
        f"peak memory under {TARGET_PEAK_MB} MB": result["peak_rss_mb"] < TARGET_PEAK_MB,
        "bomb and huge post refused, the small post kept": result["inbox_stored"] == 1,
    }
    for name, held in checks.items():
        print(f"{'ok  ' if held else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
