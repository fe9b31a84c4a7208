"""The single Dagster entry point: merges the per-domain Definitions.

``dagster dev`` finds it through ``[tool.dagster]`` in pyproject.toml or
through workspace.yaml.
"""

import dagster as dg

from cxradar.schedules import hourly_cron, tickets_cron
from pipelines import (
    aggregates,
    alerts,
    backfill,
    enrich,
    ingest,
    intelligence,
    surveys,
    topics,
)
from pipelines.resources import (
    ConfigResource,
    DatabaseResource,
    ModelsResource,
    NotifierResource,
)
from pipelines.sources import source_resources
from pipelines.survey_sources import survey_resources

everything_job = dg.define_asset_job(
    "cxradar_everything",
    # The day-partitioned backfill has its own job: an unpartitioned run cannot include it.
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(backfill.BACKFILL_GROUP),
    description="Ingest, enrich, topics, issues and alerts: the whole graph once.",
)

tickets_job = dg.define_asset_job(
    "cxradar_tickets",
    selection=dg.AssetSelection.assets(ingest.support_tickets, enrich.ticket_embeddings),
    description="Support tickets and their embeddings, more often than the social sources.",
)

hourly_schedule = dg.ScheduleDefinition(
    name="cxradar_hourly",
    job=everything_job,
    cron_schedule=hourly_cron(),
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every source and the whole graph every hour (turn it on in the Dagster UI "
    "or with the daemon).",
)

tickets_schedule = dg.ScheduleDefinition(
    name="cxradar_tickets",
    job=tickets_job,
    cron_schedule=tickets_cron(),
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Support tickets every 15 minutes; the hourly run links them to issues.",
)


def default_resources() -> dict:
    return {
        # Empty settings fall back to CXRADAR_DATABASE_URL / CXRADAR_CONFIG at run time.
        "db": DatabaseResource(),
        "cx_config": ConfigResource(),
        "models": ModelsResource(),
        "notifier": NotifierResource(),
        **source_resources(),
        **survey_resources(),
    }


def build_defs(resources: dict | None = None) -> dg.Definitions:
    """All of cxradar's definitions, with the given resources (the CLI and tests swap them)."""
    return dg.Definitions.merge(
        ingest.defs,
        surveys.defs,
        enrich.defs,
        topics.defs,
        intelligence.defs,
        aggregates.defs,
        alerts.defs,
        backfill.defs,
        dg.Definitions(
            jobs=[everything_job, tickets_job],
            schedules=[hourly_schedule, tickets_schedule],
            resources={**default_resources(), **(resources or {})},
        ),
    )


defs = build_defs()
