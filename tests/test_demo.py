"""The bundled demo end to end, as `make demo` runs it, checked against its ground truth."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cxradar.cli import main
from cxradar.config import DEMO_CONFIG
from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention, SurveyResponse

pytestmark = pytest.mark.slow
TRUTH = json.loads((DEMO_CONFIG.parent / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    assert main(["--database", url, "run", "--demo"]) == 0
    return url


def counts(url: str) -> tuple[int, int]:
    with session_scope(url) as session:
        return (
            session.scalar(select(func.count(Mention.id))),
            session.scalar(select(func.count(Issue.id))),
        )


def test_systemic_problem_is_found_first_and_confirmed_by_tickets(demo_db, capsys):
    assert main(["--database", demo_db, "issues", "--json"]) == 0
    issues = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    top = issues[0]
    assert top["classification"] == "systemic"
    assert {"sms", "code"} <= set(top["keywords"])
    assert top["authors"] >= 60 and top["sources"] >= 4 and top["tickets"] >= 30
    assert top["first_seen"] >= TRUTH["systemic"]["since"]
    # It began with update 5.2, and its 1-2 star reviews pull the average rating down.
    assert top["first_version"] == TRUTH["systemic"]["first_version"]
    assert top["rating_impact"] < -0.1


def test_the_sms_issue_shows_its_survey_footprint(demo_db, capsys):
    survey = TRUTH["survey"]
    assert main(["--database", demo_db, "issues", "--json"]) == 0
    top = json.loads(capsys.readouterr().out.splitlines()[0])
    footprint = top["channels"]
    # Most detractors who name the login problem join it (grouping is by meaning, not words).
    assert footprint["detractors"] >= 0.8 * survey["login_detractors"]
    assert footprint["surveys"] >= footprint["detractors"]
    assert footprint["tickets"] == top["tickets"] and footprint["social"] >= 30
    assert (
        f"{footprint['detractors']} detractors in the October NPS survey mention it"
        in (top["evidence"])
    )
    with session_scope(demo_db) as session:
        answers = session.scalar(select(func.count(SurveyResponse.id)))
    assert answers == survey["responses"]


def test_the_one_off_complaints_are_isolated(demo_db):
    isolated_authors = {case["author"] for case in TRUTH["isolated"]}
    with session_scope(demo_db) as session:
        rows = session.execute(
            select(Mention.author, Issue.classification, Issue.authors)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .join(Issue, Issue.id == Enrichment.issue_id)
            .where(Mention.author.in_(isolated_authors))
        ).all()
    found = {author for author, label, authors in rows if label == "isolated" and authors == 1}
    assert len(found) >= 3, rows


def test_the_spike_is_detected_and_a_second_run_adds_nothing(demo_db, capsys):
    assert main(["--database", demo_db, "alerts", "--json"]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    overall = [a for a in alerts if a["scope"] == "all"]
    assert overall and overall[0]["window_start"].startswith(TRUTH["spike"]["from"])
    assert overall[0]["observed"] > 3 * overall[0]["expected"]
    before = counts(demo_db)
    assert main(["--database", demo_db, "run", "--demo"]) == 0
    assert counts(demo_db) == before


def test_backtest_lists_the_spike_alert_without_storing_or_sending(demo_db, capsys):
    assert main(["--database", demo_db, "alerts", "--json"]) == 0
    stored_before = capsys.readouterr().out
    args = [
        "--database",
        demo_db,
        "backtest",
        "--demo",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
    ]
    assert main([*args, "--json"]) == 0
    replayed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with session_scope(demo_db) as session:  # the planted problem: the top systemic issue
        systemic = session.scalar(
            select(Issue.id)
            .where(Issue.classification == "systemic")
            .order_by(Issue.score.desc(), Issue.severity.desc())
        )
    # One message for the spike, about the planted problem, on the day it began; the
    # volume spikes of the brand and of all channels join it instead of sending their own.
    opened = [a for a in replayed if a["action"] == "open" and a["issue_id"] == systemic]
    assert opened and opened[0]["window_start"].startswith(TRUTH["spike"]["from"])
    assert opened[0]["at"].startswith(TRUTH["spike"]["from"])
    assert 0 < opened[0]["minutes_after_first_post"] < 24 * 60
    resolved = [a for a in replayed if a["action"] == "resolve" and a["issue_id"] == systemic]
    assert resolved and {"brand:Finora", "all"} <= set(resolved[0]["covers"])
    assert all(a["scope"] != "all" for a in replayed)  # never a message of its own
    # A window before the spike replays nothing for it, and the stored alerts are untouched.
    assert main([*args[:5], "2026-10-01", "--to", "2026-10-10", "--json"]) == 0
    early = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert not [a for a in early if a["issue_id"] == systemic]
    assert main(["--database", demo_db, "alerts", "--json"]) == 0
    assert capsys.readouterr().out == stored_before
