"""Hostile and odd text: property-based runs of every fuzz target, and the edge cases by name.

The properties live in benchmarks/fuzz.py (``python -m benchmarks.fuzz --cases 10000``
runs them at scale); here each runs a few dozen generated cases.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from benchmarks import fuzz
from connectors.files import read_mentions
from cxradar.cli import main
from cxradar.db import session_scope
from cxradar.records import MentionRecord, TicketRecord
from cxradar.schema import Mention, Ticket
from cxradar.store import MAX_TEXT_CHARS, store_mentions, store_tickets
from pipelines.enrich import MODEL_TEXT_CHARS, model_text

CASES_PER_TARGET = 25
WHEN = datetime(2026, 10, 18, 9, tzinfo=UTC)
ODD_TEXTS = {
    "whitespace only": " \t\u00a0\u3000 ",
    "right-to-left and mixed": "التطبيق لا يعمل after update 5.2 — האפליקציה קורסת",
    "emoji and joiners": "👩‍👩‍👧‍👦 App 🏳️‍🌈 crasht 💥💥",
    "zero-width": "lo\u200bgin fa\u200dils\ufeff",
    "bidi override": "\u202eevil\u202c text",
    "html and script": '<script>alert("x")</script><b>bold</b><img src=x onerror=y()>',
    "markdown": "[click me](http://evil.example) ![x](http://evil.example/x.png) **b** `c`",
    "sql": "Robert'); DROP TABLE mentions;-- ' OR 1=1 --",
    "csv formula": '=HYPERLINK("http://evil.example","click")',
    "control characters": "bell\x07 escape\x1b[31m backspace\x08",
}


@pytest.mark.parametrize("target", sorted(fuzz.TARGETS))
def test_fuzz_target_holds_for_generated_inputs(target, sqlite_url):
    fuzz.use_database(sqlite_url)
    assert fuzz.run_target(target, CASES_PER_TARGET) >= CASES_PER_TARGET


@pytest.mark.postgres
def test_storage_round_trip_holds_on_postgresql(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the SQLite variant runs in test_fuzz_target_holds_for_generated_inputs")
    fuzz.use_database(db_url)
    assert fuzz.run_target("store.round_trip", CASES_PER_TARGET) >= CASES_PER_TARGET


def record(external_id: str, text: str, **fields) -> MentionRecord:
    return MentionRecord(
        source="web", external_id=external_id, created_at=WHEN, text=text, **fields
    )


def stored_text(url: str, external_id: str) -> str:
    with session_scope(url) as session:
        return session.scalar(select(Mention.text).where(Mention.external_id == external_id))


@pytest.mark.parametrize("name", ODD_TEXTS)
def test_odd_texts_are_stored_verbatim(db_url, name):
    with session_scope(db_url) as session:
        assert store_mentions(session, [record(name, ODD_TEXTS[name])], "file").new == 1
    assert stored_text(db_url, name) == ODD_TEXTS[name]


def test_a_1_mb_post_is_cut_at_storage_and_for_the_models(db_url):
    post = "Die App stürzt ab. " * 55_000  # ~1 MB
    with session_scope(db_url) as session:
        store_mentions(session, [record("big", post, title="Absturz")], "file")
    assert stored_text(db_url, "big") == post[: MAX_TEXT_CHARS - 1] + "…"
    assert len(model_text("Absturz", post)) == MODEL_TEXT_CHARS


def test_nul_bytes_and_lone_surrogates_are_made_storable_on_every_backend(db_url):
    hostile = record(
        "nul\x00id", "before\x00after \ud800 end", author="a\x00b", title="t\x00", lang="d\x00e"
    )
    with session_scope(db_url) as session:
        assert store_mentions(session, [hostile], "file").new == 1
        assert store_mentions(session, [hostile], "file").new == 0  # still idempotent
        stored = session.scalars(select(Mention)).one()
        assert (stored.text, stored.author, stored.external_id) == (
            "beforeafter ? end",
            "ab",
            "nulid",
        )
    ticket = TicketRecord(
        source="support", external_id="T\x001", created_at=WHEN, subject="s\x00", body="b\x00",
        tags=("x\x00y",),
    )  # fmt: skip
    with session_scope(db_url) as session:
        store_tickets(session, [ticket], "file")
        stored_ticket = session.scalars(select(Ticket)).one()
        assert (stored_ticket.subject, stored_ticket.body, stored_ticket.tags) == ("s", "b", ["xy"])


def test_values_longer_than_their_column_are_cut_and_long_ids_stay_unique(db_url):
    long_ids = ["https://forum.example/t/" + "a" * 400 + suffix for suffix in ("1", "2")]
    records = [record(i, "same start, other post", author="x" * 1000) for i in long_ids]
    with session_scope(db_url) as session:
        assert store_mentions(session, records, "file").new == 2
        assert store_mentions(session, records, "file").new == 0
        stored = session.scalars(select(Mention)).all()
    assert {len(m.external_id) for m in stored} == {300} and len(stored[0].author) == 300


def test_empty_and_whitespace_rows_are_reported_not_stored(tmp_path):
    path = tmp_path / "m.jsonl"
    rows = [
        {"source": "web", "id": "1", "created_at": "2026-10-18", "text": ""},
        {"source": "web", "id": "2", "created_at": "2026-10-18", "text": " \t "},
        {"source": "web", "id": "3", "created_at": "2026-10-18", "text": "ok"},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    batch = read_mentions(path)
    assert [r.external_id for r in batch.records] == ["3"]
    assert [e.line for e in batch.errors] == [1, 2]


def test_invalid_utf8_and_nul_bytes_in_a_file_cost_only_those_characters(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(
        b"source,id,created_at,text\nweb,1,2026-10-18,caf\xe9 \x00ok\nweb,2,2026-10-18,fine\n"
    )
    batch = read_mentions(path)
    assert [r.text for r in batch.records] == ["caf\ufffd ok", "fine"]


def test_a_csv_with_a_1_mb_post_is_read_whole(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(f"source,id,created_at,text\nweb,1,2026-10-18,{'x' * 1_000_000}\n")
    assert len(read_mentions(path).records[0].text) == 1_000_000


def test_an_empty_feed_answer_is_a_source_error():
    from connectors.base import SourceError

    with pytest.raises(SourceError):
        _fetch_empty_feed()


def _fetch_empty_feed():
    from connectors.feeds import FeedConnector
    from connectors.http import HttpResponse

    class Empty:
        requests_made = 0

        def get(self, url, **_):
            return HttpResponse(200, {"Content-Type": "application/rss+xml"}, b"", url)

    FeedConnector("https://feed.example/rss", source="news", http=Empty()).fetch(None)


def test_csv_export_neutralises_formulas_and_keeps_sql_looking_text_verbatim(sqlite_url, capsys):
    texts = {
        "f1": "=1+1",
        "f2": "+49 ist meine Vorwahl",
        "f3": "-5 stars",
        "f4": "@SUM(A1)",
        "sql": "'; DROP TABLE mentions; --",
    }
    with session_scope(sqlite_url) as session:
        records = [record(k, v, author="=cmd|'/C calc'!A0") for k, v in texts.items()]
        store_mentions(session, records, "file")
    assert main(["--database", sqlite_url, "export", "mentions", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_id = {row["external_id"]: row for row in rows}
    for key, text in texts.items():
        expected = text if key == "sql" else "'" + text
        assert by_id[key]["text"] == expected
        assert by_id[key]["author"] == "'=cmd|'/C calc'!A0"
    with session_scope(sqlite_url) as session:  # the database keeps what was posted
        assert (
            session.scalar(select(Mention.text).where(Mention.external_id == "sql")) == texts["sql"]
        )
