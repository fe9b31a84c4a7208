"""The whole graph, materialised by Dagster on a small corpus, on SQLite and PostgreSQL."""

from __future__ import annotations

import dagster as dg
import pytest
from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.schema import (
    Alert,
    Embedding,
    Enrichment,
    Issue,
    IssueLink,
    Mention,
    Ticket,
    Topic,
)
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, OutboxNotifier
from tests.pipelines.small_corpus import write_corpus

pytestmark = pytest.mark.slow


def run_everything(db_url: str, config_path, outbox=None) -> dg.ExecuteInProcessResult:
    defs = build_defs(
        {
            "db": DatabaseResource(url=db_url),
            "cx_config": ConfigResource(path=str(config_path)),
            "notifier": OutboxNotifier(path=str(outbox or config_path.parent / "outbox.jsonl")),
        }
    )
    assets = list(defs.resolve_all_asset_specs())
    assert assets, "no assets defined"
    return defs.resolve_job_def("cxradar_everything").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )


def row_counts(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (Mention, Ticket, Embedding, Enrichment, Topic, Issue, IssueLink, Alert)
        }


def test_full_graph_end_to_end_and_idempotent(db_url, tmp_path):
    config = write_corpus(tmp_path / "corpus")
    first = run_everything(db_url, config)
    assert first.success
    counts = row_counts(db_url)
    assert counts["mentions"] == 55 and counts["tickets"] == 11
    assert counts["enrichments"] == 55 and counts["embeddings"] == 66

    with session_scope(db_url) as session:
        issues = {issue.key: issue for issue in session.scalars(select(Issue))}
        by_mention = dict(
            session.execute(
                select(Mention.external_id, Enrichment.issue_id).join(
                    Enrichment, Enrichment.mention_id == Mention.id
                )
            ).all()
        )
        systemic_issue = session.get(Issue, by_mention["sys-0"])
        isolated_issue = session.get(Issue, by_mention["iso-1"])
    assert systemic_issue is not None and systemic_issue.classification == "systemic"
    assert systemic_issue.authors >= 10 and systemic_issue.sources == 3
    assert systemic_issue.tickets >= 4
    assert isolated_issue is not None and isolated_issue.classification == "isolated"
    assert isolated_issue.id != systemic_issue.id
    assert all(i.evidence for i in issues.values())

    checks = {e.check_name: e.passed for e in first.get_asset_check_evaluations()}
    assert checks["every_complaint_has_an_issue"] and checks["every_mention_enriched"]

    second = run_everything(db_url, config)
    assert second.success
    assert row_counts(db_url) == counts
    with session_scope(db_url) as session:
        assert session.get(Issue, systemic_issue.id).key == systemic_issue.key


def test_new_rows_are_processed_incrementally(sqlite_url, tmp_path):
    config = write_corpus(tmp_path / "corpus")
    assert run_everything(sqlite_url, config).success
    feed = tmp_path / "corpus" / "mentions.jsonl"
    with feed.open("a", encoding="utf-8") as handle:
        handle.write(
            '{"source": "reddit", "id": "late-1", "created_at": "2026-09-09T10:00:00Z", '
            '"text": "Checkout still declines my card, unbelievable", "author": "late"}\n'
        )
    result = run_everything(sqlite_url, config)
    assert result.success
    enriched = [
        event.materialization.metadata["enriched"].value
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("mention_enrichments")
    ]
    assert enriched == [1]
    assert row_counts(sqlite_url)["mentions"] == 56
