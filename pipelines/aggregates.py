"""The daily_aggregates asset: counts for fast dashboards (cxradar/aggregates.py)."""

import dagster as dg
from pydantic import Field

from cxradar.aggregates import full_rebuild_reason, refresh_aggregates
from pipelines.enrich import mention_enrichments
from pipelines.resources import DatabaseResource
from pipelines.topics import mention_topics

AGGREGATES_GROUP = "intelligence"


class AggregatesConfig(dg.Config):
    full_rebuild: bool = Field(
        default=False, description="Recount every day instead of only the days touched."
    )


@dg.asset(
    group_name=AGGREGATES_GROUP,
    deps=[mention_enrichments, mention_topics],
    description=(
        "Mentions per day, source, language, brand and sentiment (and per topic), "
        "for fast dashboards."
    ),
    automation_condition=dg.AutomationCondition.eager(),
)
def daily_aggregates(
    context: dg.AssetExecutionContext, config: AggregatesConfig, db: DatabaseResource
) -> dg.MaterializeResult:
    with db.session() as session:
        reason = full_rebuild_reason(session, asked=config.full_rebuild)
        if reason:
            context.log.info(f"recounting every day: {reason}")
        daily, topics, days = refresh_aggregates(session, full=bool(reason))
    return dg.MaterializeResult(
        metadata={
            "rows": daily,
            "topic_rows": topics,
            "days_recounted": days,
            "full_rebuild": reason or "no",
        }
    )


defs = dg.Definitions(assets=[daily_aggregates])
