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
from pipelines.resources import resources_from_config
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


CONFIGURED = ("db", "cx_config", "models", "notifier")


def default_resources() -> dict:
    """The resources of ``$CXRADAR_CONFIG`` (the bundled demo when unset), through the same
    function as the CLI and the Celery location; the database: ``$CXRADAR_DATABASE_URL``."""
    return {**resources_from_config(), **_source_resources()}


def _source_resources() -> dict:
    return {**source_resources(), **survey_resources()}


def _complete(resources: dict) -> dict:
    # The config is read only when the caller left a configured resource out: a CLI run
    # with --config FILE does not also read $CXRADAR_CONFIG.
    configured = set(CONFIGURED) <= set(resources)
    base = default_resources() if not configured else _source_resources()
    return {**base, **resources}


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
            resources=_complete(resources or {}),
        ),
    )


defs = build_defs()
