"""The file connector: good rows kept, bad rows reported with file, line and reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.files import read_mentions, read_tickets
from cxradar.config import DEMO_CONFIG, load_config


def write(tmp_path: Path, name: str, body: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    return path


def test_csv_mentions_with_every_kind_of_bad_row(tmp_path):
    path = write(
        tmp_path,
        "m.csv",
        (
            "source,id,created_at,text,rating,author\n"
            'reddit,1,2026-10-01T10:00:00Z,"two\nlines",,anna\n'
            "reddit,2,yesterday,bad date,,ben\n"
            "appstore,3,1790000000,stars,7,cem\n"
            "reddit,4,2026-10-02,,,dora\n"
            "reddit,1,2026-10-03,again,,emil\n"
            "appstore,5,2026-10-04,Läuft super,5,fritz\n"
        ),
    )
    batch = read_mentions(path)
    assert [r.external_id for r in batch.records] == ["1", "5"]
    assert batch.records[0].text == "two\nlines"
    assert batch.records[1].kind == "review" and batch.records[1].rating == 5
    reasons = {error.line: error.reason for error in batch.errors}
    assert reasons[4].startswith("created_at 'yesterday' is not an ISO 8601 date")
    assert reasons[5] == "rating 7 is not between 1 and 5"
    assert reasons[6] == "missing required field 'text'"
    assert reasons[7] == "duplicate id '1', first seen on line 2"
    assert all(error.file == str(path) for error in batch.errors)


def test_jsonl_mentions_and_invalid_json(tmp_path):
    rows = [
        {
            "source": "mastodon",
            "id": "a",
            "created_at": "2026-10-01",
            "text": "Hallo 👋",
            "lang": "DE",
            "reach": "12",
            "url": "https://x.example/a",
        },
        "{not json",
        ["a", "list"],
        {"source": "reddit", "id": "b", "created_at": 1790000000, "text": "ok", "kind": "tweet"},
    ]
    body = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n\n"
    batch = read_mentions(write(tmp_path, "m.jsonl", body))
    assert len(batch.records) == 1
    record = batch.records[0]
    assert (record.lang, record.reach, record.url) == ("de", 12, "https://x.example/a")
    assert record.created_at == datetime(2026, 10, 1, tzinfo=UTC)
    reasons = {error.line: error.reason for error in batch.errors}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "a line must be a JSON object"
    assert reasons[4].startswith("kind 'tweet' is not one of")


def test_missing_columns_are_named(tmp_path):
    batch = read_mentions(write(tmp_path, "m.csv", "source,identifier,text\nreddit,1,x\n"))
    assert batch.records == []
    assert batch.errors[0].line == 1
    assert "missing column(s) id, created_at" in batch.errors[0].reason
    assert "found: source, identifier, text" in batch.errors[0].reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-10-01T12:00:00Z", datetime(2026, 10, 1, 12, tzinfo=UTC)),
        ("2026-10-01T14:00:00+02:00", datetime(2026, 10, 1, 12, tzinfo=UTC)),
        ("2026-10-01 12:00:00", datetime(2026, 10, 1, 12, tzinfo=UTC)),
        ("2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)),
        ("1790000000", datetime.fromtimestamp(1790000000, UTC)),
    ],
)
def test_dates_in_several_formats_become_utc(tmp_path, raw, expected):
    path = write(tmp_path, "m.csv", f"source,id,created_at,text\nreddit,1,{raw},x\n")
    assert read_mentions(path).records[0].created_at == expected


def test_bom_nul_bytes_and_invalid_utf8_do_not_lose_the_file(tmp_path):
    body = (
        b"\xef\xbb\xbfsource,id,created_at,text\n"
        b"reddit,1,2026-10-01,caf\xe9 \x00ok\n"
        b"reddit,2,2026-10-01,M\xc3\xbcnchen\n"
    )
    batch = read_mentions(write(tmp_path, "m.csv", body))
    assert [r.external_id for r in batch.records] == ["1", "2"]
    assert "\x00" not in batch.records[0].text and "ok" in batch.records[0].text
    assert batch.records[1].text == "München"


def test_tickets_from_csv_and_jsonl_with_tags(tmp_path):
    csv_batch = read_tickets(
        write(
            tmp_path,
            "t.csv",
            (
                "id,created_at,subject,body,tags,channel\n"
                "T1,2026-10-01,Kein Code,SMS fehlt,login;2fa|app,chat\n"
                "T2,2026-10-01,,no subject,,\n"
            ),
        ),
        source="support",
    )
    assert [t.external_id for t in csv_batch.records] == ["T1"]
    assert csv_batch.records[0].tags == ("login", "2fa", "app")
    assert csv_batch.records[0].source == "support"
    assert csv_batch.errors[0].reason == "missing required field 'subject'"
    jsonl = read_tickets(
        write(
            tmp_path,
            "t.jsonl",
            json.dumps(
                {
                    "id": 9,
                    "created_at": "2026-10-02",
                    "subject": "s",
                    "body": "b",
                    "tags": ["x", "y"],
                }
            ),
        ),
        source="zendesk",
    )
    assert jsonl.records[0].external_id == "9" and jsonl.records[0].tags == ("x", "y")


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="check the `path`"):
        read_mentions(tmp_path / "nope.csv")


def test_every_demo_file_parses_and_only_the_deliberate_bad_rows_fail():
    config = load_config(DEMO_CONFIG)
    errors, total = [], 0
    for source in config.sources:
        batch = read_mentions(config.resolve(source.path))
        total += len(batch.records)
        errors += batch.errors
    assert total >= 2000
    assert sorted((Path(e.file).name, e.line) for e in errors) == [
        ("mentions_extra.csv", 4),
        ("mentions_extra.csv", 6),
    ]
    tickets = read_tickets(config.resolve(config.ticket_sources[0].path), source="support")
    assert len(tickets.records) >= 300 and not tickets.errors


def test_the_sources_brand_fills_rows_that_name_none(tmp_path):
    body = (
        '{"source": "forum", "id": "1", "created_at": "2026-10-01T10:00:00Z", "text": "x"}\n'
        '{"source": "forum", "id": "2", "created_at": "2026-10-01T10:00:00Z", "text": "y",'
        ' "brand": "Zentra"}\n'
    )
    batch = read_mentions(write(tmp_path, "m.jsonl", body), brand="Finora")
    assert [record.brand for record in batch.records] == ["Finora", "Zentra"]


def test_a_reviews_app_version_is_kept(tmp_path):
    body = (
        "source,id,created_at,text,rating,version\n"
        "appstore,1,2026-10-18,Login broken,1,5.2\n"
        "appstore,2,2026-10-01,Fine,5,\n"
    )
    batch = read_mentions(write(tmp_path, "m.csv", body))
    assert [record.extra for record in batch.records] == [{"version": "5.2"}, {}]
