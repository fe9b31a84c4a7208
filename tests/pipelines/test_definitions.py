"""What `dagster dev` loads: one code location with the job, schedule, assets and checks."""

import subprocess
import sys

import dagster as dg

from pipelines.definitions import defs
from tests.conftest import REPO

ASSETS = {
    "raw_mentions",
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
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"every_negative_mention_has_an_issue", "no_alert_storm"} <= checks


def test_dagster_validates_both_entry_points():
    dagster = [sys.executable, "-m", "dagster", "definitions", "validate"]
    for extra in ([], ["-w", "workspace.yaml"]):
        done = subprocess.run(
            dagster + extra, cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Validation successful for code location cxradar" in done.stderr + done.stdout
    assert isinstance(defs, dg.Definitions)
