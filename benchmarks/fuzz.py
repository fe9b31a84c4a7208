"""Property-based fuzzing of everything that reads untrusted text (hypothesis).

``python -m benchmarks.fuzz --cases 10000`` spreads the cases over the targets and
prints how many each ran; any failure stops with the (shrunk) input. The test suite
(tests/security/test_hostile_text.py) runs the same targets with a few cases each.

Targets: the file connector (CSV/JSONL with arbitrary unicode, NUL, invalid UTF-8,
huge fields; and hostile structure: deep nesting, huge numbers, over-long records,
broken gzip), the inbox (hostile names and contents, symbolic links), RSS/Atom
mapping, Reddit item mapping, the config loader, the alert formatter and text
sanitiser, the dashboard's display of names and labels (Markdown, plotly, bidi),
storage round trips, CSV export cells, model input truncation and the
personal-data redactor.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import itertools
import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE_SNIPPETS = (
    "\x00", "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad", "\r\n", "\t", "\x1b[31m",
    "👩‍👩‍👧‍👦", "🏳️‍🌈", "مرحبا بالعالم", "שלום עולם", "Grüße aus Köln", "日本語のテキスト",
    "@channel", "@here", "@everyone", "<!everyone>", "<!here>", "<@U123>", "＠here", "＜!here＞",
    "&lt;!here&gt;", "<script>alert(1)</script>", '<img src=x onerror="x()">', "javascript:x()",
    "[click](http://evil.example)", "![img](http://evil.example/a.png)", "`code`", "```",
    "**bold**", "# heading", "> quote", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0",
    "-2+3", "@SUM(1,2)", "'; DROP TABLE mentions; --", "Robert'); DROP TABLE students;--",
    "1 OR 1=1", "\\", '"', "'", ",", ";", "\n", " ", "",
)  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
AUTOLINK = re.compile(r"(?i)(https?://|www\.|mailto:)")
PINGS = ("@channel", "@here", "@everyone", "@all", "<!everyone>", "<!here>", "<!channel>", "<@")


def hostile_text(max_pieces: int = 8) -> st.SearchStrategy[str]:
    piece = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_SNIPPETS))
    return st.lists(piece, max_size=max_pieces).map("".join)


def sometimes_huge(text: st.SearchStrategy[str], size: int = 1_000_000) -> st.SearchStrategy[str]:
    """Mostly ``text``, now and then a post of about ``size`` characters (1 MB by default)."""
    huge = st.sampled_from(("x" * size, "ü " * (size // 2), "🙂" * (size // 4)))
    return st.one_of(*[text] * 9, huge)


# --- targets: each takes one generated value and raises on a broken promise -----------------


def check_file_mentions(case: tuple[str, list[dict], bytes]) -> None:
    """read_mentions on CSV/JSONL with anything inside: records or row errors, never a crash."""
    from connectors.files import read_mentions

    suffix, rows, junk = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"m{suffix}"
        path.write_bytes(_file_bytes(suffix, rows) + junk)
        batch = read_mentions(path)
    for record in batch.records:  # NUL written as a JSON escape survives; storage drops it
        assert record.text.strip() and record.external_id.strip()
        assert record.created_at.tzinfo is not None


def check_file_tickets(case: tuple[str, list[dict], bytes]) -> None:
    from connectors.files import read_tickets

    suffix, rows, junk = case
    tickets = [{"subject": r.get("text"), "body": r.get("title"), **r} for r in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"t{suffix}"
        path.write_bytes(_file_bytes(suffix, tickets) + junk)
        batch = read_tickets(path, source="support")
    for record in batch.records:
        assert record.subject.strip() and record.body.strip() and record.external_id.strip()


def _file_bytes(suffix: str, rows: list[dict]) -> bytes:
    if suffix == ".jsonl":
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    out = io.StringIO()
    columns = sorted({key for row in rows for key in row} | {"source", "id", "created_at", "text"})
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")  # lone surrogates: invalid UTF-8


@contextlib.contextmanager
def _small_file_limits():
    """The file connector's limits scaled down, so over-long records cost kilobytes here."""
    from connectors import files

    saved = files.MAX_RECORD_BYTES, files.MAX_FILE_BYTES
    files.MAX_RECORD_BYTES, files.MAX_FILE_BYTES = 4096, 256 * 1024
    try:
        yield
    finally:
        files.MAX_RECORD_BYTES, files.MAX_FILE_BYTES = saved


def check_file_structure(case: tuple[str, list[bytes], bool]) -> None:
    """Any lines in any file (gzipped, cut short): a batch or a FileProblem, short reasons."""
    from connectors.files import FileProblem, read_mentions
    from cxradar.records import MAX_REASON_CHARS

    suffix, lines, cut = case
    data = b"source,id,created_at,text\n" if suffix.startswith(".csv") else b""
    data += b"\n".join(lines)
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
        data = data[: len(data) // 2] if cut else data
    with tempfile.TemporaryDirectory() as folder, _small_file_limits():
        path = Path(folder) / f"m{suffix}"
        path.write_bytes(data)
        try:
            batch = read_mentions(path)
        except FileProblem as problem:
            assert str(problem) and len(str(problem)) < 1000
            return
    assert all(len(error.reason) <= MAX_REASON_CHARS for error in batch.errors)
    assert all(record.text.strip() and record.external_id for record in batch.records)


def check_inbox(case: tuple[list[tuple[str, bytes]], bool]) -> None:
    """Files with any names and contents (and a link to a file outside) dropped in the inbox:
    every one ends in processed/ or failed/, the link in failed/, nothing outside changes."""
    import dagster as dg

    from pipelines.ingest import inbox
    from pipelines.resources import ConfigResource, DatabaseResource

    drops, with_link = case
    with tempfile.TemporaryDirectory() as folder, _small_file_limits():
        base = Path(folder)
        (base / "inbox" / "mentions").mkdir(parents=True)
        (base / "cxradar.yaml").write_text("inbox: {path: inbox}\n", encoding="utf-8")
        outside = base / "outside.csv"
        outside.write_bytes(b"source,id,created_at,text\nweb,1,2026-10-18,OUTSIDE\n")
        names = set()
        for name, content in drops:
            (base / "inbox" / "mentions" / name).write_bytes(content)
            names.add(name)
        if with_link:
            (base / "inbox" / "mentions" / "link.csv").symlink_to(outside)
        logging.disable(logging.ERROR)  # the asset logs every bad file; the checks say enough
        try:
            inbox(
                dg.build_asset_context(),
                db=DatabaseResource(url=_fuzz_database()),
                cx_config=ConfigResource(path=str(base / "cxradar.yaml")),
            )
        finally:
            logging.disable(logging.NOTSET)
        assert not list((base / "inbox" / "mentions").iterdir())
        moved = [
            path.name
            for outcome in ("processed", "failed")
            for path in (base / "inbox" / outcome).rglob("*")
            if path.is_symlink() or path.is_file()
        ]
        assert sorted(moved) == sorted(names | ({"link.csv"} if with_link else set()))
        if with_link:
            assert list((base / "inbox" / "failed").rglob("link.csv"))
        assert outside.read_bytes().endswith(b"OUTSIDE\n")


def check_dashboard_label(label: str) -> None:
    """A name or label from outside: inert Markdown, no tags in charts, no bidi anywhere."""
    from markdown_it import MarkdownIt

    from cxradar.intelligence.text_safety import BIDI_CONTROLS
    from dashboard import charts, safe

    for shown in (safe.markdown(label), safe.plain(label), safe.chart(label)):
        assert not BIDI_CONTROLS.search(shown), shown
    markdown = safe.markdown(label)
    assert "\n" not in markdown and not AUTOLINK.search(markdown)  # GFM would link these
    rendered = MarkdownIt("commonmark").render(markdown)
    for tag in ("<a ", "<img", "<script", "<code", "<strong", "<em", "<h1", "<blockquote"):
        assert tag not in rendered, (label, rendered)
    assert "<" not in safe.chart(label) and ">" not in safe.chart(label)
    import pandas as pd

    figure = charts.volume_bars(pd.DataFrame({"source": [label], "mentions": [3]}), "source")
    assert "<" not in "".join(figure.data[0].y)


def check_feed(case: tuple[str, bytes]) -> None:
    """An RSS/Atom document with any content: mentions, or a SourceError, never a crash."""
    from connectors.base import SourceError
    from connectors.feeds import FeedConnector
    from connectors.http import HttpResponse

    content_type, body = case

    class OneDocument:
        requests_made = 0

        def get(self, url, **_):
            self.requests_made += 1
            return HttpResponse(200, {"Content-Type": content_type}, body, url)

    connector = FeedConnector("https://feed.example/rss", source="news", http=OneDocument())
    try:
        result = connector.fetch(None)
    except SourceError:
        return
    for record in result.records:
        assert record.external_id and (record.text or record.title)
        assert record.created_at.tzinfo is not None


def check_reddit_item(data: dict) -> None:
    """Any listing item: a mention, None (removed), or a ValueError the listing reports."""
    import praw

    from connectors.reddit import RedditConnector, _identity

    kind = data.pop("_kind")
    model = praw.models.Submission if kind == "t3" else praw.models.Comment
    try:
        item = model(_reddit(), _data=data)
    except (ValueError, TypeError):
        return  # PRAW refuses it while reading the listing; _read_listing reports that
    connector = RedditConnector(client_id="x", client_secret="y", user_agent="z")
    try:
        fullname, created = _identity(item)
        record = connector._record(item, fullname, created, brand=None)
    except ValueError:
        return
    if record is not None:
        assert record.text and record.external_id == fullname
        assert record.author is None or isinstance(record.author, str)
        assert record.url is None or record.url.startswith("https://www.reddit.com")


@cache
def _reddit():
    import praw

    return praw.Reddit(
        client_id="x",
        client_secret="y",
        user_agent="cxradar-fuzz",
        check_for_async=False,
        check_for_updates=False,
    )


def check_config(document: str) -> None:
    """Any YAML: a Config or a ConfigError, never another exception."""
    from cxradar.config import Config, ConfigError, load_config

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cxradar.yaml"
        path.write_bytes(document.encode("utf-8", "surrogatepass"))
        with contextlib.suppress(ConfigError):
            assert isinstance(load_config(path), Config)


def check_alert(case: dict) -> None:
    """Whatever posts, issue titles and labels say, the message pings no one, has no markup."""
    from cxradar.intelligence.alerts import AlertContent, IssueSummary, format_alert

    when = datetime(2026, 10, 18, tzinfo=UTC)
    content = AlertContent(
        kind="negative_spike",
        scope=case["scope"],
        window_start=when,
        window_end=when.replace(day=19),
        observed=12,
        expected=2,
        severity=0.5,
        issue=IssueSummary(7, case["label"], case["classification"], 3),
        customers=9,
        channels=(case["scope"], case["classification"]),
        since=when,
        app_version=case["label"],
        samples=case["samples"],
        dashboard_url=case["url"],
    )
    title, body = format_alert(content)
    lines = body.splitlines()
    if lines and lines[-1].startswith("[Open the issue in the dashboard]("):
        lines = lines[:-2]  # the one link the formatter itself writes
    for text in (title, *lines):
        _assert_inert(text)
    assert len(lines) <= 7 + 2 + 3  # header lines + "Sample posts" + three one-line samples


def check_sanitizer(case: tuple[str, int]) -> None:
    from cxradar.intelligence.text_safety import sanitize_untrusted

    text, max_len = case
    result = sanitize_untrusted(text, max_len)
    assert len(result) <= max_len and "\n" not in result and "\r" not in result
    _assert_inert(result)


def _assert_inert(text: str) -> None:
    lowered = text.casefold()
    assert not any(ping in lowered for ping in PINGS), text
    assert "<" not in text and "`" not in text and "](" not in text, text


def check_store(record_fields: dict) -> None:
    """Storing anything works on the backend, keeps the text (less NUL, cut when huge), once."""
    from sqlalchemy import select

    from cxradar.db import session_scope
    from cxradar.records import MentionRecord
    from cxradar.schema import Mention
    from cxradar.store import store_mentions

    url = _fuzz_database()
    unique = f"{next(_CASE_NUMBERS)}-"  # hypothesis replays inputs; each call stores anew
    record = MentionRecord(
        created_at=datetime(2026, 10, 18, tzinfo=UTC),
        **{**record_fields, "external_id": unique + record_fields["external_id"],
           "author": unique + record_fields["author"]},
    )  # fmt: skip
    for expected_new in (1, 0):
        with session_scope(url) as session:
            assert store_mentions(session, [record], "file").new == expected_new
    with session_scope(url) as session:
        stored = session.scalars(
            select(Mention).where(Mention.author == _stored(record.author)[:300])
        ).one()
        assert stored.text == _stored(record.text)
        assert len(stored.external_id) <= 300


def _stored(text: str) -> str:
    """What storage keeps of a text: no NUL, valid UTF-8, at most MAX_TEXT_CHARS."""
    from cxradar.store import MAX_TEXT_CHARS

    kept = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return kept if len(kept) <= MAX_TEXT_CHARS else kept[: MAX_TEXT_CHARS - 1] + "…"


_DATABASE: dict[str, str] = {}
_CASE_NUMBERS = itertools.count()


def _fuzz_database() -> str:
    """One SQLite database per process (or FUZZ_DATABASE_URL for tests on PostgreSQL)."""
    if "url" not in _DATABASE:
        from cxradar.db import migrate

        folder = tempfile.mkdtemp(prefix="cxradar-fuzz-")
        _DATABASE["url"] = f"sqlite:///{folder}/fuzz.db"
        migrate(_DATABASE["url"])
    return _DATABASE["url"]


def use_database(url: str) -> None:
    _DATABASE["url"] = url


def check_export_cell(value: str) -> None:
    """A CSV cell never starts a spreadsheet formula, and reads back as written."""
    from cxradar.reports import spreadsheet_safe

    safe = spreadsheet_safe(value)
    assert not safe.startswith(FORMULA_PREFIXES)
    out = io.StringIO()
    csv.writer(out).writerow([safe])
    (cell,) = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert cell == safe and (safe == value or safe == "'" + value)


def check_model_text(case: tuple[str | None, str]) -> None:
    """Models see at most MODEL_TEXT_CHARS; storage keeps up to MAX_TEXT_CHARS (check_store)."""
    from models.text import normalise_tweet
    from pipelines.enrich import MODEL_TEXT_CHARS, model_text

    title, text = case
    shown = model_text(title, text)
    assert len(shown) <= MODEL_TEXT_CHARS
    joined = f"{title}. {text}" if title and title not in text else text
    assert shown == normalise_tweet(joined)[:MODEL_TEXT_CHARS]


def check_redact(text: str) -> None:
    """Redaction never fails, is stable, and leaves no e-mail address behind."""
    from cxradar.privacy import redact

    once = redact(text)
    assert redact(once) == once
    assert "@example.com" not in once


# --- strategies --------------------------------------------------------------------------------


def _mention_rows() -> st.SearchStrategy[list[dict]]:
    row = st.fixed_dictionaries(
        {
            "source": st.one_of(st.just("reddit"), hostile_text(2)),
            "id": st.one_of(st.integers(0, 10**6).map(str), hostile_text(3)),
            "created_at": st.one_of(
                st.just("2026-10-18T10:00:00Z"), st.integers(-(10**12), 10**12), hostile_text(2)
            ),
            "text": sometimes_huge(hostile_text()),
        },
        optional={
            "author": hostile_text(3),
            "title": hostile_text(3),
            "rating": st.one_of(st.integers(-3, 9), hostile_text(1)),
            "reach": st.one_of(st.integers(), hostile_text(1)),
            "lang": hostile_text(1),
            "kind": st.sampled_from(["post", "review", "bogus", ""]),
        },
    )
    return st.lists(row, max_size=6)


FILE_CASES = st.tuples(
    st.sampled_from([".csv", ".jsonl"]),
    _mention_rows(),
    st.one_of(st.just(b""), st.binary(max_size=64), st.just(b"\xff\xfe\x00bad\xc3\x28")),
)


def _feed_documents() -> st.SearchStrategy[tuple[str, bytes]]:
    entry = st.tuples(hostile_text(4), hostile_text(), st.booleans(), st.text(max_size=30))

    def render(case) -> tuple[str, bytes]:
        atom, entries, content_type = case
        parts = []
        for title, text, cdata, guid in entries:
            body = f"<![CDATA[{text.replace(']]>', '')}]]>" if cdata else _xml_escape(text)
            if atom:
                parts.append(
                    f"<entry><id>{_xml_escape(guid)}</id><title>{_xml_escape(title)}</title>"
                    f"<content type='html'>{body}</content></entry>"
                )
            else:
                parts.append(
                    f"<item><guid>{_xml_escape(guid)}</guid><title>{_xml_escape(title)}</title>"
                    f"<description>{body}</description></item>"
                )
        wrapper = (
            "<feed xmlns='http://www.w3.org/2005/Atom'>{}</feed>"
            if atom
            else "<rss version='2.0'><channel><title>x</title>{}</channel></rss>"
        )
        document = wrapper.format("".join(parts)).encode("utf-8", "surrogatepass")
        return content_type, document

    structured = st.tuples(
        st.booleans(),
        st.lists(entry, max_size=5),
        st.sampled_from(["application/rss+xml", "text/html", "", "application/json"]),
    ).map(render)
    garbage = st.tuples(st.just("application/rss+xml"), st.binary(max_size=300))
    return st.one_of(structured, structured, structured, garbage)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reddit_items() -> st.SearchStrategy[dict]:
    anything = st.one_of(st.none(), st.integers(), st.floats(), hostile_text(3), st.booleans())
    return st.fixed_dictionaries(
        {"_kind": st.sampled_from(["t3", "t1"]), "id": hostile_text(2).filter(bool)},
        optional={
            "name": anything,
            "title": st.one_of(anything, sometimes_huge(hostile_text())),
            "selftext": anything,
            "body": st.one_of(anything, st.sampled_from(["[removed]", "[deleted]"])),
            "author": anything,
            "created_utc": st.one_of(anything, st.floats(-1e20, 1e20), st.just("1795549330")),
            "permalink": anything,
            "score": anything,
            "subreddit": anything,
        },
    )


def _yaml_documents() -> st.SearchStrategy[str]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text(2))
    keys = st.sampled_from(
        ["brands", "sources", "ticket_sources", "alerts", "thresholds", "models", "privacy",
         "inbox", "name", "type", "path", "url", "url_env", "channels", "systemic",
         "min_authors", "redact_pii", "keywords", "subdomain", "base_url", "app_id"]
    ) | hostile_text(1)  # fmt: skip
    trees = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=20,
    )
    dumped = trees.map(lambda tree: yaml.safe_dump(tree, allow_unicode=True))
    return st.one_of(dumped, dumped, dumped, hostile_text(), st.sampled_from(YAML_ODDITIES))


YAML_ODDITIES = (
    "a: &a [*a]", "!!python/object/apply:os.system ['echo pwned']", "key: !!binary AAAA",
    "- - - -", "{", "sources: [{type: rss, url: 'javascript:alert(1)'}]", "alerts: {channels: 3}",
    "brands: [{name: ''}]", "? [complex, key]\n: value", "%YAML 9.9\n---\na: 1", "\t- tab",
    "sources:\n  - path: /etc/passwd\n", "thresholds: {systemic: {min_authors: .inf}}",
)  # fmt: skip

ALERT_CASES = st.fixed_dictionaries(
    {
        "scope": hostile_text(3),
        "label": hostile_text(4),
        "classification": hostile_text(1),
        "samples": st.lists(sometimes_huge(hostile_text(), 20_000), max_size=5),
        "url": st.one_of(st.none(), hostile_text(2), st.just("http://localhost:8501")),
    }
)
STORE_CASES = st.fixed_dictionaries(
    {
        "source": st.just("fuzz"),
        "external_id": st.one_of(hostile_text(3), st.just("i" * 5000)),
        "text": sometimes_huge(hostile_text().filter(bool)),
        "author": hostile_text(2),
        "title": st.none() | hostile_text(3),
        "lang": st.none() | hostile_text(1),
        "brand": st.none() | hostile_text(1),
    }
)


def _hostile_lines() -> st.SearchStrategy[bytes]:
    good = json.dumps({"source": "web", "id": "1", "created_at": 1, "text": "ok"}).encode()
    deep = st.integers(1, 50_000).map(lambda n: b'{"text": ' + b"[" * n + b"]" * n + b"}")
    unclosed = st.integers(1, 50_000).map(lambda n: b"[" * n)
    digits = st.integers(1, 20_000).map(lambda n: b'{"id": 1, "reach": ' + b"9" * n + b"}")
    long_line = st.integers(4000, 20_000).map(lambda n: b"web,1,2026-10-18," + b"x" * n)
    columns = st.integers(1, 20_000).map(lambda n: b",".join(b"c%d" % i for i in range(n)))
    odd = st.sampled_from([b'{"created_at": 1e300}', b'{"created_at": "1e20"}', b"\x00" * 10,
                           b'"a","b', b"\r", b"\xff\xfe", good])  # fmt: skip
    return st.one_of(deep, unclosed, digits, long_line, columns, odd, st.binary(max_size=200))


STRUCTURE_CASES = st.tuples(
    st.sampled_from([".jsonl", ".csv", ".jsonl.gz", ".csv.gz"]),
    st.lists(_hostile_lines(), min_size=1, max_size=4),
    st.booleans(),
)
FILE_NAMES = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=20,
).filter(lambda name: name not in (".", "..") and len(name.encode()) < 200)
INBOX_CASES = st.tuples(
    st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(["; rm -rf ~.csv", "$(id).jsonl", "-n.csv", "a b|c&.jsonl"]),
                st.tuples(FILE_NAMES, st.sampled_from([".csv", ".jsonl", ".jsonl.gz"])).map(
                    "".join
                ),
            ),
            st.one_of(_hostile_lines(), st.binary(max_size=300)),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda drop: drop[0],
    ),
    st.booleans(),
)
LABELS = st.one_of(
    hostile_text(),
    st.sampled_from(
        ["B[md](https://evil.example/md)![px](http://evil.example/px.png)",
         '<a href="https://evil.example">x</a>', "www.evil.example", "\u202eevil\u202c",
         ":red[alarm] :material/warning:", "$x^2$", "<https://evil.example>", "[x]: http://e"]
    ),
)  # fmt: skip

TARGETS: dict[str, tuple[Callable, st.SearchStrategy]] = {
    "files.read_mentions": (check_file_mentions, FILE_CASES),
    "files.read_tickets": (check_file_tickets, FILE_CASES),
    "files.structure": (check_file_structure, STRUCTURE_CASES),
    "inbox.drop": (check_inbox, INBOX_CASES),
    "dashboard.labels": (check_dashboard_label, LABELS),
    "feeds.fetch": (check_feed, _feed_documents()),
    "reddit.item": (check_reddit_item, _reddit_items()),
    "config.load": (check_config, _yaml_documents()),
    "alerts.format_alert": (check_alert, ALERT_CASES),
    "text_safety.sanitize": (check_sanitizer, st.tuples(hostile_text(), st.integers(1, 400))),
    "store.round_trip": (check_store, STORE_CASES),
    "reports.csv_cell": (check_export_cell, hostile_text()),
    "enrich.model_text": (
        check_model_text,
        st.tuples(st.none() | hostile_text(), sometimes_huge(hostile_text())),
    ),  # noqa: E501
    "privacy.redact": (check_redact, hostile_text(12)),
}


def run_target(name: str, cases: int, seed: int | None = None) -> int:
    """Run one target for ``cases`` generated inputs; returns how many ran."""
    check, strategy = TARGETS[name]
    ran = [0]

    @settings(
        max_examples=cases,
        database=None,
        deadline=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def target(value) -> None:
        ran[0] += 1
        check(value)

    target()
    return ran[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="total cases over all targets")
    parser.add_argument("--target", choices=sorted(TARGETS), action="append")
    args = parser.parse_args(argv)
    names = args.target or list(TARGETS)
    per_target = -(-args.cases // len(names))
    total, started = 0, time.monotonic()
    for name in names:
        began = time.monotonic()
        ran = run_target(name, per_target)
        total += ran
        print(f"{name:24} {ran:7d} cases, 0 crashes  ({time.monotonic() - began:.1f}s)")
    print(f"{'total':24} {total:7d} cases, 0 crashes  ({time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
