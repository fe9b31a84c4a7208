"""Backfill: normalise and enrich history one day at a time, as Dagster partitions.

The incremental assets (pipelines/enrich.py) process everything that is new in one run,
which is right every hour but wrong for a first import of months of history: one run of
days of encoding that restarts from scratch on failure and cannot be spread over workers.
``mention_backfill`` does the same work for the mentions *created* on one day, so a
backfill is a set of small runs Dagster can retry, queue and hand to Celery workers.

It reuses ``normalise_pending`` and ``enrich_pending``, so a backfilled mention is exactly
what the hourly run would have made of it. A mention is picked only while it is not
normalised / not enriched, so running a partition twice stores nothing the second time,
and the hourly run and a backfill never process a mention twice.

Topics and issues are not partitioned: they read the whole corpus. After a backfill run
the job ``cxradar_everything`` (or materialise ``mention_topics`` and ``issues``).
"""

import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from cxradar.schema import Mention
from pipelines.enrich import brand_matcher, enrich_pending, normalise_pending, unenriched_ids
from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource

BACKFILL_START_ENV = "CXRADAR_BACKFILL_START"
DEFAULT_BACKFILL_START = "2026-01-01"
BACKFILL_GROUP = "backfill"


def backfill_partitions() -> dg.DailyPartitionsDefinition:
    """UTC days from CXRADAR_BACKFILL_START (YYYY-MM-DD) up to and including today."""
    return dg.DailyPartitionsDefinition(
        start_date=os.environ.get(BACKFILL_START_ENV, DEFAULT_BACKFILL_START),
        # Dagster's last daily partition is yesterday; offset 1 adds today, still filling,
        # so a backfill can catch up to now (a second run later picks up what came since).
        end_offset=1,
        timezone="UTC",
    )


def day_window(partition_key: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(partition_key, "%Y-%m-%d").replace(tzinfo=UTC)
    return start, start + timedelta(days=1)


def _of_day(window: tuple[datetime, datetime]):
    return Mention.created_at >= window[0], Mention.created_at < window[1]


@dg.asset(
    group_name=BACKFILL_GROUP,
    partitions_def=backfill_partitions(),
    description="Normalises and enriches the mentions created on the partition's day (UTC) "
    "that are not processed yet; for loading history. Run cxradar_everything afterwards "
    "for topics, issues and alerts.",
    pool="models",  # shares the encoder's one-at-a-time pool with mention_enrichments
    op_tags={
        # Celery: queued behind the hourly run's steps (default priority 5).
        "dagster-celery/priority": 3,
        # Kubernetes (k8s_job_executor): the encoder needs ~1.5 GB and all the CPU it gets.
        "dagster-k8s/config": {
            "container_config": {
                "resources": {
                    "requests": {"cpu": "2", "memory": "2Gi"},
                    "limits": {"cpu": "4", "memory": "3Gi"},
                }
            }
        },
    },
)
def mention_backfill(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    models: ModelsResource,
    cx_config: ConfigResource,
) -> dg.MaterializeResult:
    day = _of_day(day_window(context.partition_key))
    config = cx_config.load()
    brands = brand_matcher(config)
    normalised, _, _ = normalise_pending(db, models.get_language_detector(), brands, *day)
    with db.session() as session:
        pending = unenriched_ids(session, *day)
    if pending:
        enrich_pending(
            db,
            models,
            pending,
            context.log,
            what="the day's mentions",
            duplicate_similarity=config.thresholds.duplicate_similarity,
        )
    enriched = len(pending)
    context.log.info(f"{context.partition_key}: normalised {normalised}, enriched {enriched}")
    return dg.MaterializeResult(metadata={"normalised": normalised, "enriched": enriched})


backfill_job = dg.define_asset_job(
    "cxradar_backfill",
    selection=dg.AssetSelection.assets(mention_backfill),
    partitions_def=mention_backfill.partitions_def,
    description="One day of history per run: normalise and enrich. Launch it as a backfill "
    "over a range of days, then run cxradar_everything.",
)

defs = dg.Definitions(assets=[mention_backfill], jobs=[backfill_job])
