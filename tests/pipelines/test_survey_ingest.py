"""The survey_responses asset and the inbox's surveys/ folder, on SQLite and PostgreSQL.

Typeform and SurveyMonkey are local servers speaking their APIs' shapes; the live resources
reach them through the config's base_url, with tokens as the environment would give them.
"""

from __future__ import annotations

import dagster as dg
import yaml
from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.schema import IngestError, Mention, Source, SurveyResponse
from pipelines.definitions import defs
from pipelines.enrich import normalised_mentions
from pipelines.ingest import inbox
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.survey_sources import (
    QualtricsResource,
    SurveyMonkeyResource,
    TypeformResource,
    survey_resources,
)
from pipelines.surveys import survey_responses
from tests.connectors.test_surveymonkey import PATH as MONKEY_PATH
from tests.connectors.test_surveymonkey import FakeSurveyMonkey
from tests.connectors.test_surveymonkey import answer as monkey_answer
from tests.connectors.test_typeform import PATH as TYPEFORM_PATH
from tests.connectors.test_typeform import FakeTypeform
from tests.connectors.test_typeform import response as typeform_response

SECRET = "survey-token-do-not-print"
SURVEY_CSV = (
    "id,created_at,score,comment,respondent,lang\n"
    "n1,2026-10-20T09:00:00Z,2,The SMS code never arrives since 5.2,c1,en\n"
    "n2,2026-10-20T10:00:00Z,12,impossible score,c2,en\n"
    "n3,2026-10-21T08:00:00Z,10,,c3,en\n"
)


def write_config(tmp_path, server) -> str:
    (tmp_path / "nps.csv").write_text(SURVEY_CSV, encoding="utf-8")
    config = {
        "allow_private_network": True,
        "survey_sources": [
            {"name": "nps-file", "path": "nps.csv", "survey": "October NPS"},
            {
                "name": "nps-typeform",
                "type": "typeform",
                "form_id": "Fn0rAnps",
                "base_url": server.url,
            },
            {
                "name": "csat-monkey",
                "type": "surveymonkey",
                "survey_id": "408123456",
                "scale": "csat",
                "base_url": server.url,
            },
        ],
    }
    path = tmp_path / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def run(db_url: str, config: str, assets=(survey_responses,)) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(assets),
        resources={
            "db": DatabaseResource(url=db_url),
            "cx_config": ConfigResource(path=config),
            "typeform": TypeformResource(token=SECRET, retries=0),
            "surveymonkey": SurveyMonkeyResource(token=SECRET, retries=0),
            "qualtrics": QualtricsResource(token=SECRET, retries=0, poll_every_s=0),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def per_source(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as session:
        return dict(
            session.execute(
                select(Source.name, func.count(SurveyResponse.id))
                .join(SurveyResponse, SurveyResponse.source_id == Source.id)
                .group_by(Source.name)
            ).all()
        )


def test_files_and_both_apis_are_ingested_incrementally_and_idempotently(db_url, tmp_path, server):
    typeform = FakeTypeform([typeform_response(n) for n in range(1, 4)])
    monkey = FakeSurveyMonkey([monkey_answer(n, score=1 + n % 5) for n in range(1, 4)])
    server.route(TYPEFORM_PATH, typeform)
    server.route(MONKEY_PATH, monkey)
    config = write_config(tmp_path, server)

    first = run(db_url, config)
    assert first.success
    assert per_source(db_url) == {"nps-file": 2, "nps-typeform": 3, "csat-monkey": 3}
    with session_scope(db_url) as session:
        errors = session.scalars(select(IngestError.reason)).all()
        assert errors == ["score 12 is outside the nps scale (0-10)"]
        survey_mentions = session.scalar(
            select(func.count(Mention.id)).where(Mention.kind == "survey")
        )
        assert survey_mentions == 1 + 3 + 3  # n3 has no comment

    typeform.responses.append(typeform_response(4))
    monkey.responses.append(monkey_answer(4, score=5))
    second = run(db_url, config)
    assert second.success
    assert per_source(db_url) == {"nps-file": 2, "nps-typeform": 4, "csat-monkey": 4}
    assert [h.query.get("after") for h in server.hits(TYPEFORM_PATH)[1:]] == ["t003"]
    assert "start_modified_at" in server.hits(MONKEY_PATH)[-1].query
    for event in second.get_asset_materialization_events():
        new = event.materialization.metadata["new"].value
        assert new == 2  # one per API; the unchanged file is not read again


def test_a_failing_api_fails_alone_and_the_token_never_shows(db_url, tmp_path, server):
    from tests.connectors.conftest import Reply

    server.route(TYPEFORM_PATH, Reply(401, {"code": "AUTHENTICATION_FAILED"}))
    server.route(MONKEY_PATH, FakeSurveyMonkey([monkey_answer(1, score=4)]))
    result = run(db_url, write_config(tmp_path, server))
    assert result.success
    assert per_source(db_url) == {"nps-file": 2, "csat-monkey": 1}
    [event] = result.get_asset_materialization_events()
    stats = event.materialization.metadata["per_source"].value
    assert "TYPEFORM_TOKEN" in stats["nps-typeform"]["failure"]
    assert SECRET not in repr(stats)


def test_survey_files_dropped_into_the_inbox_name_their_scale(db_url, tmp_path):
    root = tmp_path / "inbox"
    (root / "surveys").mkdir(parents=True)
    (root / "surveys" / "weekly.csv").write_text(
        "source,id,time,score,scale,comment\n"
        "csat-weekly,w1,2026-11-02,1,csat,Card blocked twice\n"
        "csat-weekly,w2,2026-11-02,4,,no scale given\n",
        encoding="utf-8",
    )
    config = tmp_path / "cxradar.yaml"
    config.write_text(yaml.safe_dump({"inbox": {"path": "inbox"}}), encoding="utf-8")
    assert run(db_url, str(config), assets=(inbox,)).success
    assert per_source(db_url) == {"csat-weekly": 1}
    with session_scope(db_url) as session:
        reasons = session.scalars(select(IngestError.reason)).all()
        assert reasons == ["missing 'scale': add a scale column (nps or csat)"]
    assert [p.name for p in (root / "processed").rglob("*.csv")] == ["weekly.csv"]


def test_comments_are_read_before_mentions_are_normalised():
    graph = defs.resolve_asset_graph()
    upstream = graph.get(normalised_mentions.key).parent_keys
    assert survey_responses.key in upstream
    checks = {key.name for key in graph.asset_check_keys}
    assert "survey_responses_fresh" in checks


def test_recorded_survey_apis_run_offline_and_twice_store_nothing_new(db_url, tmp_path):
    config = tmp_path / "cxradar.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "survey_sources": [
                    {"name": "nps-typeform", "type": "typeform", "form_id": "Fn0rAnps"},
                    {"name": "nps-monkey", "type": "surveymonkey", "survey_id": "408123456"},
                    {
                        "name": "nps-qualtrics",
                        "type": "qualtrics",
                        "survey_id": "SV_0NnPsFinora",
                        "base_url": "https://fra1.qualtrics.com",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    resources = {
        "db": DatabaseResource(url=db_url),
        "cx_config": ConfigResource(path=str(config)),
        **survey_resources(recorded=True),
    }
    for expected_new in (12, 0):
        result = dg.materialize(
            [survey_responses], resources=resources, instance=dg.DagsterInstance.ephemeral()
        )
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["new"].value == expected_new
    assert per_source(db_url) == {"nps-typeform": 4, "nps-monkey": 4, "nps-qualtrics": 4}


def test_qualtrics_exports_are_continued_run_after_run(db_url, tmp_path, server):
    from tests.connectors.test_qualtrics import FakeQualtrics
    from tests.connectors.test_qualtrics import response as qualtrics_response

    fake = FakeQualtrics(server, [qualtrics_response(n) for n in range(1, 4)])
    config = tmp_path / "cxradar.yaml"
    source = {
        "name": "nps-qualtrics",
        "type": "qualtrics",
        "survey_id": "SV_0NnPsFinora",
        "base_url": server.url,
        "allow_private_network": True,
    }
    config.write_text(yaml.safe_dump({"survey_sources": [source]}), encoding="utf-8")
    assert run(db_url, str(config)).success
    fake.responses.append(qualtrics_response(4))
    assert run(db_url, str(config)).success
    assert per_source(db_url) == {"nps-qualtrics": 4}
    assert [body.get("continuationToken") for body, _ in fake.jobs] == [None, "3"]
