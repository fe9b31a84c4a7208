from pathlib import Path

import pytest

from cxradar.config import DEMO_CONFIG, ConfigError, load_config, parse_config


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cxradar.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_demo_config_loads_and_resolves_paths_next_to_the_file():
    config = load_config(DEMO_CONFIG)
    assert config.brands and config.sources and config.ticket_sources
    for source in config.sources:
        assert config.resolve(source.path).exists(), source.path


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="--config FILE or set CXRADAR_CONFIG"):
        load_config(tmp_path / "nope.yaml")


def test_not_yaml_is_reported_with_the_file(tmp_path):
    path = write(tmp_path, "brands: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"brnds": []}, "brnds: unknown key"),
        ({"sources": [{"name": "x", "type": "ftp", "path": "a"}]}, "sources.0: unknown source"),
        ({"sources": [{"type": "file", "path": "a"}]}, "sources.0.name: Field required"),
        ({"thresholds": {"systemic": {"min_authors": 0}}}, "thresholds.systemic.min_authors"),
        ({"thresholds": {"ticket_link_similarity": 2}}, "thresholds.ticket_link_similarity"),
        (
            {"sources": [{"name": "a", "path": "x"}, {"name": "a", "path": "y"}]},
            "sources: duplicate name",
        ),
        ({"alerts": {"channels": [{"name": "slack"}]}}, "alerts.channels.0: give url_env"),
        ({"alerts": {"issue_trigger": {"window": "week"}}}, "alerts.issue_trigger.window"),
        ({"alerts": {"issue_trigger": {"min_new_customers": 1}}}, "min_new_customers"),
    ],
)
def test_errors_name_the_key_and_the_problem(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


def test_secrets_are_refused_in_the_file_and_read_from_the_environment(monkeypatch):
    with pytest.raises(ConfigError, match="url_env"):
        parse_config({"alerts": {"channels": [{"name": "s", "url": "slack://T1/B2/secret"}]}})
    config = parse_config({"alerts": {"channels": [{"name": "s", "url_env": "CX_TEST_SLACK"}]}})
    channel = config.alerts.channels[0]
    assert channel.resolve_url() is None
    monkeypatch.setenv("CX_TEST_SLACK", "slack://T1/B2/secret")
    assert channel.resolve_url() == "slack://T1/B2/secret"
    assert "secret" not in config.model_dump_json()


def test_plain_local_webhook_may_be_written_in_the_file():
    config = parse_config({"alerts": {"channels": [{"name": "h", "url": "json://127.0.0.1:9/x"}]}})
    assert config.alerts.channels[0].resolve_url() == "json://127.0.0.1:9/x"


CONNECTOR_CONFIG = """
brands:
  - {name: Finora, keywords: [finora]}
sources:
  - {name: news-de, type: rss, url: "https://news.example/rss?q=finora", keywords: [Finora]}
  - {name: appstore-de, type: appstore, app_id: "1234567", country: de}
  - {name: play, type: googleplay, app_id: com.finora.app, lang: de, country: de}
  - {name: reddit, type: reddit, subreddits: [finora], stale_after_hours: 6}
  - {name: exports, path: data/}
ticket_sources:
  - {name: zendesk, type: zendesk, subdomain: finora}
inbox: {path: inbox/}
"""


def test_every_source_type_has_its_own_settings(tmp_path):
    config = load_config(write(tmp_path, CONNECTOR_CONFIG))
    kinds = {source.name: source.type for source in config.sources}
    assert kinds == {
        "news-de": "rss",
        "appstore-de": "appstore",
        "play": "googleplay",
        "reddit": "reddit",
        "exports": "file",  # ``type`` may be left out for files
    }
    reddit = next(s for s in config.sources if s.type == "reddit")
    assert reddit.subreddits == ["finora"] and reddit.stale_after_hours == 6
    assert config.ticket_sources[0].subdomain == "finora"
    assert config.resolve(config.inbox.path) == tmp_path / "inbox"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"name": "x", "type": "twitter"}, "sources.0: unknown source type; use one of: file, rss"),
        ({"name": "x", "type": "rss", "url": "file:///etc/passwd"}, "sources.0.url"),
        ({"name": "x", "type": "appstore", "app_id": "id123"}, "sources.0.app_id"),
        ({"name": "x", "type": "reddit", "client_secret": "s"}, "client_secret: unknown key"),
    ],
)
def test_connector_source_errors_name_the_key(source, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"sources": [source]})


def test_zendesk_needs_exactly_one_address():
    with pytest.raises(ConfigError, match="either subdomain"):
        parse_config({"ticket_sources": [{"name": "z", "type": "zendesk"}]})


# --- every config field is read somewhere -----------------------------------------------------

READERS = ("cxradar", "pipelines", "connectors", "dashboard", "models", "deploy")


def _models_in(annotation):
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _config_fields():
    from cxradar.config import Config

    seen, fields, todo = set(), [], [Config]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            fields.append((model.__name__, name))
            todo.extend(_models_in(info.annotation))
    return fields


def test_every_config_field_is_read_somewhere():
    """A key a user sets and nothing reads is a setting that silently does nothing
    (alerts.retries and thresholds.duplicate_similarity were such keys)."""
    import re

    from tests.conftest import REPO

    config_py = REPO / "cxradar" / "config.py"
    others = "\n".join(
        path.read_text(encoding="utf-8")
        for root in READERS
        for path in (REPO / root).rglob("*.py")
        if path != config_py
    )
    own = config_py.read_text(encoding="utf-8")
    fields = _config_fields()
    assert len(fields) > 100  # the walk reaches every source type and every section
    unread = [
        f"{model}.{name}"
        for model, name in fields
        # Read as an attribute, or by name through getattr. `self.x` elsewhere is some other
        # class's own field (NotifierResource.retries is not alerts.retries); in config.py
        # it is the config model reading its own field.
        if not re.search(rf"(?<!self)\.{name}\b|getattr\([^)]*[\"']{name}[\"']", others)
        and not re.search(rf"\.{name}\b", own)
    ]
    assert unread == [], f"config fields nothing reads: {unread}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"brnds": []}, "brnds: unknown key (did you mean brands?)"),
        (
            {"alerts": {"z_treshold": 3}},
            "alerts.z_treshold: unknown key (did you mean z_threshold?)",
        ),
        (
            {"sources": [{"name": "n", "type": "rss", "url": "https://x", "keywrds": []}]},
            "sources.0.keywrds: unknown key (did you mean keywords?)",
        ),
        ({"zzzz": 1}, "zzzz: unknown key (check the spelling)"),
        (
            {"sources": [{"name": "n", "type": "rss", "url": "ftp://x"}]},
            "sources.0.url: must start with http:// or https://",
        ),
        (
            {"ticket_sources": [{"name": "z", "type": "zendesk", "base_url": "zendesk.com"}]},
            "ticket_sources.0.base_url: must start with http:// or https://",
        ),
    ],
)
def test_a_typo_gets_did_you_mean_and_patterns_are_said_in_words(raw, message):
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert message in str(error.value)
    assert "^https?" not in str(error.value)  # never the raw regular expression
