"""Survey answers through the whole graph: comments enriched like posts, detractors' comments
join the issue they describe, and the issue's footprint and evidence name the survey."""

from __future__ import annotations

import csv
from datetime import timedelta

import dagster as dg
import pytest
import yaml
from sqlalchemy import select

from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention, SurveyResponse
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, OutboxNotifier
from tests.pipelines.small_corpus import START, write_corpus

pytestmark = pytest.mark.slow
DETRACTORS = [
    (2, "My card keeps getting declined at checkout since the update, I cannot pay anywhere", "en"),
    (0, "Payment declined at checkout every single time after updating the app", "en"),
    (4, "Seit dem Update wird meine Karte beim Bezahlen ständig abgelehnt", "de"),
    (3, "Zahlung an der Kasse abgelehnt, seit dem letzten Update geht nichts mehr", "de"),
    (1, "Checkout refuses my card, payment declined again and again since the update", "en"),
]
PROMOTERS = [
    (10, "Love the savings goals, the app is a joy to use", "en"),
    (9, "Sehr übersichtliche App, ich empfehle sie gerne weiter", "de"),
]


def write_survey(folder) -> None:
    with (folder / "nps.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "score", "comment", "respondent", "lang"])
        answers = DETRACTORS + PROMOTERS + [(8, "", "en"), (10, "", "de"), (5, "", "en")]
        for n, (score, comment, lang) in enumerate(answers):
            when = START + timedelta(days=4 + n % 4, hours=n)
            writer.writerow([f"r{n}", when.isoformat(), score, comment, f"resp-{n}", lang])


def test_detractors_comments_join_the_issue_and_its_footprint(sqlite_url, tmp_path):
    config_path = write_corpus(tmp_path / "corpus")
    write_survey(tmp_path / "corpus")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["survey_sources"] = [
        {"name": "nps", "type": "file", "path": "nps.csv", "survey": "September NPS"}
    ]
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    defs = build_defs(
        {
            "db": DatabaseResource(url=sqlite_url),
            "cx_config": ConfigResource(path=str(config_path)),
            "notifier": OutboxNotifier(path=str(tmp_path / "outbox.jsonl")),
        }
    )
    job = defs.resolve_job_def("cxradar_everything")
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success

    with session_scope(sqlite_url) as session:
        rows = session.execute(
            select(SurveyResponse.score, Enrichment.lang, Enrichment.sentiment, Enrichment.issue_id)
            .join(Mention, Mention.id == SurveyResponse.mention_id)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
        ).all()
        assert len(rows) == len(DETRACTORS) + len(PROMOTERS)  # answers without a comment: none
        assert {lang for score, lang, *_ in rows if score <= 6} == {"en", "de"}
        promoters_issues = {issue for score, *_, issue in rows if score >= 9}
        assert promoters_issues == {None}  # praise joins no issue
        detractor_issues = [issue for score, *_, issue in rows if score <= 6]
        assert None not in detractor_issues
        issue_id = max(set(detractor_issues), key=detractor_issues.count)
        issue = session.get(Issue, issue_id)
        assert issue.classification == "systemic"
        assert issue.channels["detractors"] >= 4 and issue.channels["surveys"] >= 4
        assert issue.channels["tickets"] == issue.tickets > 0
        assert issue.channels["social"] + issue.channels["reviews"] >= 10
        assert (
            f"{issue.channels['detractors']} detractors in the September NPS survey mention it"
            in issue.evidence
        )
        assert "Footprint: social" in issue.evidence
        before = dict(issue.channels)

    # The next hourly run: three more detractors answered; they join the issue in place.
    with (tmp_path / "corpus" / "nps.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for n, (score, comment, lang) in enumerate(DETRACTORS[:3], start=100):
            when = START + timedelta(days=8, hours=n % 24)
            writer.writerow([f"r{n}", when.isoformat(), score, f"{comment}!", f"resp-{n}", lang])
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    with session_scope(sqlite_url) as session:
        issue = session.get(Issue, issue_id)
        members = session.scalars(
            select(SurveyResponse.respondent)
            .join(Enrichment, Enrichment.mention_id == SurveyResponse.mention_id)
            .where(Enrichment.issue_id == issue_id, SurveyResponse.score <= 6)
        ).all()
        # The footprint is rewritten from the members; most new detractors joined in place
        # (the hourly placement is stricter than the full regroup).
        assert issue.channels["detractors"] == len(set(members)) >= before["detractors"] + 2
        assert issue.channels["surveys"] >= before["surveys"] + 2
        assert f"{issue.channels['detractors']} detractors in the September NPS" in issue.evidence
