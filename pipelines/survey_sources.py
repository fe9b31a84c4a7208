"""The survey APIs as Dagster resources, each live or recorded (offline), like ``sources.py``.

The live resources build the clients in ``connectors/`` with the tokens Dagster resolves
from the environment (``TYPEFORM_TOKEN``, ``SURVEYMONKEY_TOKEN``, ``QUALTRICS_API_TOKEN``);
the recorded ones answer from documents bundled in ``connectors/recorded/``.
"""

import os

from connectors.base import Connector, SourceError
from cxradar.config import QualtricsSurveySource, SurveyMonkeySurveySource, TypeformSurveySource
from pipelines.sources import RECORDED_ENV, HttpSourceResource, _env


class TypeformResource(HttpSourceResource):
    """Typeform's Responses API with a personal access token (TYPEFORM_TOKEN)."""

    token: str = ""

    def connector(self, source: TypeformSurveySource) -> Connector:
        from connectors.typeform import TypeformConnector

        if not self.token:
            raise SourceError(
                "Typeform needs TYPEFORM_TOKEN: a personal access token with the "
                "responses:read scope (Typeform > Settings > Personal tokens; README: Surveys)"
            )
        return TypeformConnector(
            token=self.token,
            form_id=source.form_id,
            source=source.name,
            scale=source.scale,
            survey=source.survey,
            brand=source.brand,
            score_field=source.score_field,
            comment_field=source.comment_field,
            hidden_fields=dict(source.hidden_fields),
            lookback_days=source.lookback_days,
            max_pages=source.max_pages,
            base_url=source.base_url,
            http=self.http(source),
        )


class RecordedTypeformResource(TypeformResource):
    def connector(self, source: TypeformSurveySource) -> Connector:
        from connectors.typeform import recorded_typeform

        return recorded_typeform(source=source.name, survey=source.survey)


class SurveyMonkeyResource(HttpSourceResource):
    """SurveyMonkey's bulk responses API with an access token (SURVEYMONKEY_TOKEN)."""

    token: str = ""

    def connector(self, source: SurveyMonkeySurveySource) -> Connector:
        from connectors.surveymonkey import SurveyMonkeyConnector

        if not self.token:
            raise SourceError(
                "SurveyMonkey needs SURVEYMONKEY_TOKEN: an app's access token with the "
                "responses_read_detail scope (developer.surveymonkey.com; README: Surveys)"
            )
        return SurveyMonkeyConnector(
            token=self.token,
            survey_id=source.survey_id,
            source=source.name,
            scale=source.scale,
            survey=source.survey,
            brand=source.brand,
            score_question=source.score_question,
            comment_question=source.comment_question,
            custom_variables=dict(source.custom_variables),
            lookback_days=source.lookback_days,
            max_pages=source.max_pages,
            base_url=source.base_url,
            http=self.http(source),
        )


class RecordedSurveyMonkeyResource(SurveyMonkeyResource):
    def connector(self, source: SurveyMonkeySurveySource) -> Connector:
        from connectors.surveymonkey import recorded_surveymonkey

        return recorded_surveymonkey(source=source.name, survey=source.survey)


class QualtricsResource(HttpSourceResource):
    """Qualtrics' response export API with an API token (QUALTRICS_API_TOKEN)."""

    token: str = ""
    poll_every_s: float = 2.0

    def connector(self, source: QualtricsSurveySource) -> Connector:
        from connectors.qualtrics import QualtricsConnector

        if not self.token:
            raise SourceError(
                "Qualtrics needs QUALTRICS_API_TOKEN: the API token of a user who may export "
                "the survey's responses (Account settings > Qualtrics IDs; README: Surveys)"
            )
        return QualtricsConnector(
            token=self.token,
            base_url=source.base_url,
            survey_id=source.survey_id,
            source=source.name,
            scale=source.scale,
            survey=source.survey,
            brand=source.brand,
            score_question=source.score_question,
            comment_question=source.comment_question,
            embedded_fields=dict(source.embedded_fields),
            lookback_days=source.lookback_days,
            poll_every_s=self.poll_every_s,
            max_wait_s=source.max_wait_s,
            http=self.http(source),
        )


class RecordedQualtricsResource(QualtricsResource):
    def connector(self, source: QualtricsSurveySource) -> Connector:
        from connectors.qualtrics import recorded_qualtrics

        return recorded_qualtrics(source=source.name, survey=source.survey)


def survey_resources(recorded: bool | None = None) -> dict:
    """The survey API resources: live, or recorded when asked or ``CXRADAR_RECORDED_SOURCES=1``."""
    if recorded is None:
        recorded = os.environ.get(RECORDED_ENV, "") == "1"
    if recorded:
        return {
            "typeform": RecordedTypeformResource(),
            "surveymonkey": RecordedSurveyMonkeyResource(),
            "qualtrics": RecordedQualtricsResource(),
        }
    return {
        "typeform": TypeformResource(token=_env("TYPEFORM_TOKEN")),
        "surveymonkey": SurveyMonkeyResource(token=_env("SURVEYMONKEY_TOKEN")),
        "qualtrics": QualtricsResource(token=_env("QUALTRICS_API_TOKEN")),
    }
