"""What `dagster dev` loads: one code location with the job, schedule, assets and checks."""

import subprocess
import sys

import dagster as dg

from pipelines.definitions import defs
from tests.conftest import REPO

ASSETS = {
    "raw_mentions",
    "reddit_mentions",
    "inbox",
    "support_tickets",
    "normalised_mentions",
    "mention_enrichments",
    "ticket_embeddings",
    "mention_topics",
    "issues",
    "daily_aggregates",
    "negative_spike_alerts",
}


def test_definitions_hold_the_whole_graph():
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys >= ASSETS
    assert defs.resolve_job_def("cxradar_everything")
    assert defs.resolve_schedule_def("cxradar_hourly").cron_schedule == "5 * * * *"
    assert defs.resolve_schedule_def("cxradar_tickets").cron_schedule == "*/15 * * * *"
    assert defs.resolve_sensor_def("inbox_sensor")
    assert defs.resolve_job_def("cxradar_inbox")
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"every_complaint_has_an_issue", "no_alert_storm"} <= checks
    assert {"raw_mentions_fresh", "reddit_mentions_fresh", "support_tickets_fresh"} <= checks


def test_reddit_runs_in_its_own_concurrency_pool_and_ingest_retries():
    graph = defs.resolve_asset_graph()
    reddit = graph.get(dg.AssetKey("reddit_mentions"))
    assert reddit.pools == {"reddit"}
    job = defs.resolve_job_def("cxradar_everything")
    policy = job.graph.node_named("raw_mentions").definition.retry_policy
    assert policy is not None and policy.max_retries == 3


def test_dagster_validates_both_entry_points():
    dagster = [sys.executable, "-m", "dagster", "definitions", "validate"]
    for extra in ([], ["-w", "workspace.yaml"]):
        done = subprocess.run(
            dagster + extra, cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Validation successful for code location cxradar" in done.stderr + done.stdout
    assert isinstance(defs, dg.Definitions)
