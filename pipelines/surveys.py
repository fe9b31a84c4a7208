"""Surveys: NPS and CSAT answers from files and survey APIs, before the comments are enriched.

Each configured survey source is read like the other sources (``pipelines/ingest.py``): a
file source stores every changed file once, an API source what is new since its cursor;
answers, bad rows and cursor go in one transaction, ``(source, external_id)`` is unique. A
comment becomes a mention of kind "survey" (``cxradar/surveys.py``), so ``normalised_mentions``
and ``mention_enrichments`` (downstream of this asset) give it language, vector, sentiment
and complaint, and the issues asset groups it with the other channels.
"""

from functools import partial

import dagster as dg

from connectors.files import read_survey_responses
from cxradar.config import Config
from cxradar.schema import SurveyResponse
from cxradar.surveys import store_survey_responses
from pipelines.ingest import (
    INGEST_GROUP,
    INGEST_RETRIES,
    every_source_failed,
    freshness_check,
    ingest_each,
    ingest_files,
    ingest_result,
    ingest_stream,
    stored_count,
)
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.survey_sources import QualtricsResource, SurveyMonkeyResource, TypeformResource


def survey_storer(config: Config):
    """store_survey_responses with the config's personal-data redaction applied."""
    return partial(store_survey_responses, redact_pii=config.privacy.redact_pii)


@dg.asset(
    group_name=INGEST_GROUP,
    description="NPS and CSAT answers from survey files, Typeform, SurveyMonkey and Qualtrics; "
    "their comments become mentions of kind 'survey', enriched and grouped like the others.",
    automation_condition=dg.AutomationCondition.on_cron("0 * * * *"),
    retry_policy=INGEST_RETRIES,
)
def survey_responses(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    cx_config: ConfigResource,
    typeform: TypeformResource,
    surveymonkey: SurveyMonkeyResource,
    qualtrics: QualtricsResource,
) -> dg.MaterializeResult:
    config = cx_config.load()
    store = survey_storer(config)
    clients = {"typeform": typeform, "surveymonkey": surveymonkey, "qualtrics": qualtrics}

    def ingest_one(source) -> dict:
        if source.type == "file":
            read = partial(
                read_survey_responses,
                source=source.name,
                scale=source.scale,
                survey=source.survey,
                brand=source.brand,
            )
            path = config.resolve(source.path)
            return ingest_files(db, source.name, path, read, store, context.log)
        connector = clients[source.type].connector(source)
        return ingest_stream(db, source.name, connector, store, context.log)

    sources = config.survey_sources
    per_source, failed = ingest_each(context, sources, ingest_one)
    if sources and len(failed) == len(sources):
        raise every_source_failed(per_source, failed)
    return ingest_result(per_source, failed, stored_count(db, SurveyResponse))


@dg.asset_check(
    asset=survey_responses,
    description="Warns when a survey source brought nothing new for longer than expected.",
)
def survey_responses_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    return freshness_check(db, SurveyResponse, cx_config.load().survey_sources)


defs = dg.Definitions(assets=[survey_responses], asset_checks=[survey_responses_fresh])
