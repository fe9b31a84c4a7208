"""The CLI as a user runs it: run, then read issues, alerts and exports as JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cxradar.cli import main
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
