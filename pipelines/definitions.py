"""The single Dagster entry point: merges the per-domain Definitions.

``dagster dev`` finds it through ``[tool.dagster]`` in pyproject.toml or
through workspace.yaml.
"""

import dagster as dg

from pipelines import alerts, enrich, ingest, intelligence, topics
from pipelines.resources import (
    ConfigResource,
    DatabaseResource,
    ModelsResource,
    NotifierResource,
)
from pipelines.sources import source_resources

everything_job = dg.define_asset_job(
    "cxradar_everything",
    selection=dg.AssetSelection.all(),
    description="Ingest, enrich, topics, issues and alerts: the whole graph once.",
)

hourly_schedule = dg.ScheduleDefinition(
    name="cxradar_hourly",
    job=everything_job,
    cron_schedule="5 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="The whole graph every hour (turn it on in the Dagster UI or with the daemon).",
)


def default_resources() -> dict:
    return {
        # Empty settings fall back to CXRADAR_DATABASE_URL / CXRADAR_CONFIG at run time.
        "db": DatabaseResource(),
        "cx_config": ConfigResource(),
        "models": ModelsResource(),
        "notifier": NotifierResource(),
        **source_resources(),
    }


def build_defs(resources: dict | None = None) -> dg.Definitions:
    """All of cxradar's definitions, with the given resources (the CLI and tests swap them)."""
    return dg.Definitions.merge(
        ingest.defs,
        enrich.defs,
        topics.defs,
        intelligence.defs,
        alerts.defs,
        dg.Definitions(
            jobs=[everything_job],
            schedules=[hourly_schedule],
            resources={**default_resources(), **(resources or {})},
        ),
    )


defs = build_defs()
