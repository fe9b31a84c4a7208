"""The CLI as a user runs it: run, then read issues, alerts and exports as JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from cxradar.cli import main
from tests.conftest import REPO
from tests.pipelines.small_corpus import write_corpus

ISSUE_KEYS = {
    "id",
    "title",
    "title_de",
    "brands",
    "single",
    "history",
    "label",
    "keywords",
    "classification",
    "severity",
    "mentions",
    "authors",
    "sources",
    "tickets",
    "first_seen",
    "last_seen",
    "negative_share",
    "evidence",
}
ALERT_KEYS = {
    "id",
    "kind",
    "scope",
    "window_start",
    "window_end",
    "observed",
    "expected",
    "created_at",
    "delivered",
}
EXPORT_KEYS = {
    "source",
    "external_id",
    "created_at",
    "author",
    "text",
    "lang",
    "sentiment",
    "sentiment_score",
    "complaint",
    "prob_complaint",
    "topic_id",
    "issue_id",
    "duplicate_of",
}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{folder / 'cli.db'}"
    config = write_corpus(folder / "corpus")
    assert main(["--database", url, "run", "--config", str(config)]) == 0
    return url


@pytest.mark.slow
def test_issues_json_has_every_field_and_both_labels(ran, capsys):
    assert main(["--database", ran, "issues", "--json"]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert rows and all(row.keys() >= ISSUE_KEYS for row in rows)
    labels = [row["classification"] for row in rows]
    assert labels[0] == "systemic" and "isolated" in labels  # systemic first
    assert all(row["classification"] in {"systemic", "emerging", "isolated"} for row in rows)
    # Grouped issues come first, single complaints after them.
    singles = [row["single"] for row in rows]
    assert singles == sorted(singles)
    top = rows[0]
    assert "declined" in top["title"].casefold() or "abgelehnt" in top["title_de"].casefold()
    assert top["brands"][0]["brand"] == "Finora" and top["brands"][0]["customers"] >= 10


@pytest.mark.slow
def test_issues_table_lists_titles_and_filters_by_brand(ran, capsys):
    assert main(["--database", ran, "issues"]) == 0
    table = capsys.readouterr().out
    assert "systemic" in table and "Finora" in table
    assert main(["--database", ran, "issues", "--brand", "finora", "--json"]) == 0
    assert json_lines(capsys.readouterr().out)
    assert main(["--database", ran, "issues", "--brand", "Zentra", "--json"]) == 0
    assert json_lines(capsys.readouterr().out) == []


@pytest.mark.slow
def test_alerts_json_has_every_field(ran, capsys):
    assert main(["--database", ran, "alerts", "--json"]) == 0
    for row in json_lines(capsys.readouterr().out):
        assert row.keys() >= ALERT_KEYS
        assert isinstance(row["delivered"], bool)


@pytest.mark.slow
def test_export_mentions_jsonl_and_csv(ran, capsys, tmp_path):
    assert main(["--database", ran, "export", "mentions"]) == 0
    rows = json_lines(capsys.readouterr().out)
    assert len(rows) == 55 and all(set(row) == EXPORT_KEYS for row in rows)
    assert {row["sentiment"] for row in rows} <= {"negative", "neutral", "positive"}
    assert {row["complaint"] for row in rows} == {True, False}
    out = tmp_path / "mentions.csv"
    assert main(["--database", ran, "export", "mentions", "--format", "csv", "-o", str(out)]) == 0
    parsed = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(parsed) == 55 and set(parsed[0]) == EXPORT_KEYS


def test_classify_json_gives_language_sentiment_and_complaint(capsys):
    assert (
        main(
            [
                "classify",
                "--json",
                "Die App stürzt ständig ab, furchtbar",
                "I love this app, it works perfectly",
                "I was charged twice for the same card payment",
            ]
        )
        == 0
    )
    first, second, third = json_lines(capsys.readouterr().out)
    assert (first["lang"], first["label"], first["complaint"]) == ("de", "negative", True)
    assert (second["lang"], second["label"], second["complaint"]) == ("en", "positive", False)
    assert third["complaint"] is True  # a calm, factual problem report
    assert 0 < first["score"] <= 1 and 0 <= third["prob_complaint"] <= 1


def test_reading_before_any_run_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="cxradar run --demo"):
        main(["--database", f"sqlite:///{tmp_path / 'empty.db'}", "issues"])


def test_bad_config_exits_2_with_the_key(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  - name: x\n    type: file\n", encoding="utf-8")
    assert (
        main(["--database", f"sqlite:///{tmp_path / 'x.db'}", "run", "--config", str(config)]) == 2
    )
    assert "sources.0.path" in capsys.readouterr().err


def test_the_dashboard_refuses_to_start_beside_a_pages_folder(tmp_path, monkeypatch):
    """Streamlit would serve a pages/ folder's files by themselves, skipping the password."""
    from cxradar import cli

    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "mentions.py").write_text("import streamlit\n")
    monkeypatch.setattr(cli, "DASHBOARD_APP", tmp_path / "app.py")
    monkeypatch.setattr(cli.os, "execve", lambda *args: pytest.fail("the server was started"))
    with pytest.raises(SystemExit, match="Streamlit would serve without the password"):
        main(["--database", f"sqlite:///{tmp_path / 'x.db'}", "dashboard"])


def test_config_shows_every_new_source_and_masks_their_credentials(tmp_path, capsys, monkeypatch):
    key = "AIza-a-youtube-key-1234"
    monkeypatch.setenv("YOUTUBE_API_KEY", key)
    config = tmp_path / "cxradar.yaml"
    config.write_text(
        "brands: [{name: Finora}]\n"
        "sources:\n"
        "  - {name: sky, type: bluesky}\n"
        "  - {name: fedi, type: mastodon, instance: 'https://x.social', hashtags: [finora]}\n"
        "  - {name: hn, type: hackernews}\n"
        f"  - {{name: yt, type: youtube, channel_ids: [UC{'a' * 22}], queries_note: x}}\n"
        "  - {name: tp, type: trustpilot, domain: finora.com}\n",
        encoding="utf-8",
    )
    assert main(["config", "--config", str(config)]) == 2  # a misspelt key fails at once
    assert "sources.3.queries_note: unknown key" in capsys.readouterr().err
    text = config.read_text(encoding="utf-8").replace(", queries_note: x", ", daily_quota: 500")
    config.write_text(text.replace("domain: finora.com", f"domain: finora.com, brand: '{key}'"))
    assert main(["config", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    for line in (
        "type: bluesky",
        "type: mastodon",
        "type: hackernews",
        "type: youtube",
        "daily_quota: 500",
        "type: trustpilot",
        "domain: finora.com",
    ):
        assert line in shown
    assert key not in shown  # a credential's value is masked wherever it appears


def test_no_config_is_an_error_that_says_how_to_start(tmp_path, capsys, monkeypatch):
    """Never the demo unasked: it would load 2,045 demo mentions into the user's database."""
    monkeypatch.delenv("CXRADAR_CONFIG", raising=False)
    database = tmp_path / "x.db"
    for command in (["run"], ["config"]):
        assert main(["--database", f"sqlite:///{database}", *command]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert "--config FILE" in err and "--demo" in err
    assert not database.exists()


def test_config_says_which_file_and_fails_on_a_missing_source_file(tmp_path, capsys):
    config = tmp_path / "cxradar.yaml"
    config.write_text(
        "sources: [{name: exports, path: here.csv}]\n"
        "ticket_sources: [{name: desk, path: tickets.csv}]\n",
        encoding="utf-8",
    )
    (tmp_path / "tickets.csv").write_text("id,subject,body,created_at\n", encoding="utf-8")
    assert main(["config", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"# cxradar config {config.resolve()}")
    assert "source exports:" in err and "here.csv does not exist" in err
    assert "desk" not in err
    (tmp_path / "here.csv").write_text("id,text,created_at\n", encoding="utf-8")
    assert main(["config", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["config", "--demo"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("demo/cxradar.yaml (secrets masked)")


# --- rough edges a new user hit (#18) ---------------------------------------------------------

UNREACHABLE = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/cxradar"


def test_classify_reads_any_bytes_like_the_file_connector(tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_bytes(
        b"\xef\xbb\xbfDie App st\xfcrzt st\xe4ndig ab\r\n\nI love this app\x00, it works\n"
    )
    assert main(["classify", "--json", "--file", str(texts)]) == 0
    first, second = json_lines(capsys.readouterr().out)  # one prediction per (non-empty) line
    assert first["text"] == "Die App st\ufffdrzt st\ufffdndig ab"
    assert second["text"] == "I love this app, it works"
    assert second["label"] == "positive"


def _stored_mentions(url: str, count: int) -> None:
    from cxradar.db import migrate, session_scope
    from cxradar.records import MentionRecord
    from cxradar.store import store_mentions

    migrate(url)
    records = [
        MentionRecord(
            source="exports",
            external_id=str(index),
            created_at=datetime(2026, 10, 1, tzinfo=UTC),
            text=f"post number {index} " + "about the card payment " * 10,
            author=f"a{index}",
        )
        for index in range(count)
    ]
    with session_scope(url) as session:
        store_mentions(session, records, "file")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_reader_that_stops_early_ends_the_export_quietly(tmp_path, fmt):
    """`cxradar export mentions --format csv | head -1`: no BrokenPipeError traceback."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    _stored_mentions(url, 3000)  # far more than a pipe buffer holds
    command = [sys.executable, "-m", "cxradar.cli", "--database", url, "export", "mentions"]
    reader = subprocess.Popen(
        [*command, "--format", fmt],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert reader.stdout.readline()
    reader.stdout.close()  # what `head -1` does after its line
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()[-2000:]


def test_database_errors_are_one_line_that_says_what_to_check(tmp_path, capsys, monkeypatch):
    from cxradar import cli

    monkeypatch.setattr(cli.os, "execve", lambda *args: pytest.fail("the server was started"))
    config = write_corpus(tmp_path / "corpus")
    for command in (
        ["issues"],
        ["alerts", "--json"],
        ["run", "--config", str(config)],
        ["dashboard"],
    ):
        assert main(["--database", UNREACHABLE, *command]) == 2, command
        lines = capsys.readouterr().err.strip().splitlines()
        # `run` names its config and database first; then the one line of the problem.
        assert all(line.startswith("cxradar: ") for line in lines), lines
        problem = [line for line in lines if "cannot use the database" in line]
        assert len(problem) == 1 and lines[-1] == problem[0], lines
        assert "postgresql+psycopg://nobody:***@127.0.0.1:1/cxradar" in problem[0]
        assert "s3cret" not in "".join(lines)
        assert "CXRADAR_DATABASE_URL" in problem[0] and "reachable" in problem[0]
    assert main(["--database", "not a url", "issues"]) == 2
    assert "cannot use the database" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["issues"],
        ["alerts", "--json"],
        ["export", "mentions"],
        ["forget", "--author", "a", "--source", "s"],
    ],
)
def test_read_only_commands_never_create_a_database(tmp_path, command):
    folder = tmp_path / "not" / "there"
    url = f"sqlite:///{folder / 'cxradar.db'}"
    with pytest.raises(SystemExit, match="no cxradar data in"):
        main(["--database", url, *command])
    assert not (tmp_path / "not").exists()


def test_help_has_no_markup_and_the_database_may_follow_the_command(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "``" not in shown and "cxradar run --demo" in shown and "Exit status" in shown
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    export_help = capsys.readouterr().out
    assert "one JSON object per line" in export_help and "what to export" in export_help
    url = f"sqlite:///{tmp_path / 'after.db'}"
    with pytest.raises(SystemExit, match=f"no cxradar data in {url}"):
        main(["issues", "--database", url])
    with pytest.raises(SystemExit, match=f"no cxradar data in {url}"):
        main(["--database", url, "issues"])  # before the command, as it always worked


@pytest.mark.slow
def test_run_exits_3_when_a_source_failed_beside_good_ones(tmp_path, capsys):
    """A missing file and a CSV without its text column fail their sources at once (no
    retry); the good source is stored; cron and CI see the non-zero status."""
    config = write_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "no_text.csv").write_text(
        "source,id,created_at\nexports,1,2026-10-01T10:00:00Z\n", encoding="utf-8"
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "ticket_sources:",
            "  - {name: missing-file, path: nope.csv}\n"
            "  - {name: no-text, path: no_text.csv}\n"
            "ticket_sources:",
        ),
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'x.db'}"
    started = time.monotonic()
    assert main(["--database", url, "run", "--config", str(config)]) == 3
    # Dagster's retry policy would wait 20 s, 40 s and 80 s before giving up.
    assert time.monotonic() - started < 140
    err = capsys.readouterr().err
    assert "source(s) failed: missing-file, no-text" in err
    assert "missing column(s) text" in err or "no-text failed" in err
    assert main(["--database", url, "issues", "--json"]) == 0
    assert json_lines(capsys.readouterr().out)  # the good source was stored and grouped
