"""Survey sources in the config: each type validated, names distinct, tokens never shown."""

from __future__ import annotations

import pytest

from cxradar.config import ConfigError, dump_redacted, parse_config


def test_survey_sources_are_validated_by_type():
    config = parse_config(
        {
            "allow_private_network": True,
            "survey_sources": [
                {"name": "nps", "path": "nps.csv", "survey": "October NPS"},
                {"name": "tf", "type": "typeform", "form_id": "Fn0rAnps", "scale": "csat"},
                {"name": "sm", "type": "surveymonkey", "survey_id": "408123456"},
            ],
        }
    )
    file, typeform, monkey = config.survey_sources
    assert (file.type, file.scale, file.survey) == ("file", "nps", "October NPS")
    assert (typeform.scale, typeform.lookback_days) == ("csat", 30)
    assert monkey.base_url == "https://api.surveymonkey.com"
    assert all(source.allow_private_network for source in config.survey_sources)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"name": "x", "type": "medallia"}, "unknown survey source type; use one of: file"),
        ({"name": "x", "type": "qualtrics", "survey_id": "SV_a1"}, "survey_sources.0.base_url"),
        ({"name": "x", "path": "a.csv", "scale": "ces"}, "survey_sources.0.scale"),
        ({"name": "x", "type": "typeform", "form_id": "a/b"}, "survey_sources.0.form_id"),
        ({"name": "x", "type": "surveymonkey"}, "survey_sources.0.survey_id: Field required"),
    ],
)
def test_a_bad_survey_source_fails_at_once_naming_the_key(source, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"survey_sources": [source]})


def test_survey_source_names_are_unique_and_not_those_of_mention_sources():
    with pytest.raises(ConfigError, match="survey_sources: duplicate name"):
        parse_config({"survey_sources": [{"name": "a", "path": "a"}, {"name": "a", "path": "b"}]})
    with pytest.raises(ConfigError, match="reddit is also the name of a source"):
        parse_config(
            {
                "sources": [{"name": "reddit", "path": "m.jsonl"}],
                "survey_sources": [{"name": "reddit", "path": "s.csv"}],
            }
        )


def test_survey_tokens_are_masked_when_the_config_is_shown(monkeypatch):
    monkeypatch.setenv("TYPEFORM_TOKEN", "tfp_very-secret-token")
    config = parse_config(
        {
            "survey_sources": [
                {
                    "name": "tf",
                    "type": "typeform",
                    "form_id": "abc",
                    "survey": "NPS tfp_very-secret-token",
                }
            ]
        }
    )
    assert "tfp_very-secret-token" not in repr(dump_redacted(config))
