"""The issues asset: complaints grouped into issues, labelled isolated, emerging or systemic.

Grouping, verdicts and titles are plain Python in ``cxradar/intelligence/``; reading and
writing issues is ``cxradar/issues_store.py``. The hourly run places new complaints; a full
regroup runs on the first run, once a day and when asked (the asset's ``full_regroup``
config or ``CXRADAR_FULL_REGROUP=1``).
"""

import dagster as dg
from pydantic import Field
from sqlalchemy import func, select

from cxradar.issues_store import (
    RESHARE,
    Settings,
    complaint_filter,
    place_new_complaints,
    regroup_all,
)
from cxradar.schema import Enrichment, Issue, Mention
from cxradar.state import ISSUE_REGROUPED_AT, full_pass_reason
from pipelines.enrich import mention_enrichments, ticket_embeddings
from pipelines.resources import ConfigResource, DatabaseResource

INTEL_GROUP = "intelligence"


class IssuesConfig(dg.Config):
    full_regroup: bool = Field(
        default=False,
        description="Regroup every complaint from scratch instead of placing only the new ones.",
    )


@dg.asset(
    group_name=INTEL_GROUP,
    deps=[mention_enrichments, ticket_embeddings],
    description="Issues from complaints, labelled isolated, emerging or systemic, with tickets.",
    automation_condition=dg.AutomationCondition.eager(),
)
def issues(
    context: dg.AssetExecutionContext,
    config: IssuesConfig,
    db: DatabaseResource,
    cx_config: ConfigResource,
) -> dg.MaterializeResult:
    settings = Settings.of(cx_config.load())
    with db.session() as session:
        reason = full_regroup_reason(session, asked=config.full_regroup)
        if reason:
            context.log.info(f"regrouping every complaint: {reason}")
            metadata = regroup_all(session, settings)
        else:
            metadata = place_new_complaints(session, settings)
    return dg.MaterializeResult(metadata={**metadata, "full_regroup": reason or "no"})


def full_regroup_reason(session, asked: bool = False) -> str | None:
    """Why this run must regroup everything, or None when new complaints only need a home."""

    def missing_centroid() -> str | None:
        query = select(Issue.id).where(Issue.centroid.is_(None)).limit(1)
        return "issues without a stored centroid" if session.scalar(query) else None

    return full_pass_reason(
        session, asked, done_at=ISSUE_REGROUPED_AT, work="full regroup", also=missing_centroid
    )


@dg.asset_check(
    asset=issues, description="Every complaint (re-shares aside) belongs to exactly one issue."
)
def every_complaint_has_an_issue(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        orphans = session.scalar(
            select(func.count())
            .select_from(Mention)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(
                complaint_filter(),
                Mention.kind != RESHARE,
                Mention.duplicate_of.is_(None),
                Enrichment.issue_id.is_(None),
            )
        )
    return dg.AssetCheckResult(passed=orphans == 0, metadata={"complaints_without_issue": orphans})


defs = dg.Definitions(assets=[issues], asset_checks=[every_complaint_has_an_issue])
