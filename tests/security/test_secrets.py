"""Secrets never leak: not into logs, errors, run metadata, the database, exports or config dumps.

Ingest runs against local servers that refuse (401) or fail (500) with real-looking
credentials set in the environment, and an alert delivery to a chat URL with a token
fails. Then everything a user or an attacker with read access could see is searched.
"""

from __future__ import annotations

import base64
import json
import logging

import dagster as dg
import pytest
from sqlalchemy import create_engine, select

from cxradar.cli import main
from cxradar.config import dump_redacted, load_config
from cxradar.schema import Alert
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, NotifierResource
from pipelines.sources import FeedsResource, RedditResource, ZendeskResource
from tests.connectors.conftest import LocalServer, Reply
from tests.security.harness import SMALL, database_text, write_corpus

pytestmark = pytest.mark.slow

REDDIT_ID, REDDIT_SECRET = "reddit-client-id-4411", "reddit-SECRET-value-7f3a"
ZENDESK_EMAIL, ZENDESK_TOKEN = "admin@finora.example", "zendesk-TOKEN-value-91bc"
HOOK_TOKEN = "HOOK-TOKEN-value-5e2d"
ZENDESK_PATH = "/api/v2/incremental/tickets/cursor.json"


def secrets() -> list[str]:
    """The secrets and the forms they travel in (Basic auth headers)."""
    basic = [f"{REDDIT_ID}:{REDDIT_SECRET}", f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}"]
    return [
        REDDIT_SECRET,
        ZENDESK_TOKEN,
        HOOK_TOKEN,
        *(base64.b64encode(pair.encode()).decode() for pair in basic),
    ]


@pytest.fixture
def hostile_services():
    server = LocalServer().start()
    server.route("/feed", Reply(401, "denied"))
    server.route(ZENDESK_PATH, Reply(500, "boom"), Reply(401, {"error": "Couldn't authenticate"}))
    server.route("/api/v1/access_token", Reply(401, {"error": "invalid_grant"}))
    server.route("/hook", Reply(500, "chat service down"))
    yield server
    server.stop()


def write_config(tmp_path, server: LocalServer) -> str:
    folder = tmp_path / "corpus"
    write_corpus(folder, f"{server.url}/feed", "json://unused", SMALL, files=2)
    config = folder / "cxradar.yaml"
    config.write_text(
        "brands: [{name: Finora, keywords: [finora]}]\n"
        "allow_private_network: true\n"  # the failing services answer on this machine
        "sources:\n"
        "  - {name: files, type: file, path: mentions}\n"
        f"  - {{name: news, type: rss, url: '{server.url}/feed'}}\n"
        "  - {name: reddit, type: reddit, subreddits: [finora]}\n"
        f"ticket_sources:\n  - {{name: zendesk, type: zendesk, base_url: '{server.url}'}}\n"
        "alerts:\n  channels:\n    - {name: hook, url_env: CXRADAR_TEST_HOOK_URL}\n",
        encoding="utf-8",
    )
    return str(config)


def run_pipeline(url: str, config: str, server: LocalServer) -> dg.ExecuteInProcessResult:
    resources = {
        "db": DatabaseResource(url=url),
        "cx_config": ConfigResource(path=config),
        "notifier": NotifierResource(retries=1, backoff_seconds=0.01),
        "feeds": FeedsResource(retries=1, backoff_s=0.01),
        "reddit": RedditResource(
            client_id=dg.EnvVar("REDDIT_CLIENT_ID"),
            client_secret=dg.EnvVar("REDDIT_CLIENT_SECRET"),
            user_agent="python:cxradar-tests:0.1 (by tests)",
            oauth_url=server.url,
            reddit_url=server.url,
            retries=1,
        ),
        "zendesk": ZendeskResource(
            email=dg.EnvVar("ZENDESK_EMAIL"),
            api_token=dg.EnvVar("ZENDESK_API_TOKEN"),
            retries=1,
            backoff_s=0.01,
        ),
    }
    instance = dg.DagsterInstance.ephemeral()
    result = (
        build_defs(resources)
        .resolve_job_def("cxradar_everything")
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    result.instance_logs = [repr(entry) for entry in instance.all_logs(result.run_id)]
    return result


def cli_output(args: list[str], capsys) -> str:
    capsys.readouterr()
    main(args)
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_no_secret_appears_anywhere_after_failing_sources_and_a_failed_alert(
    tmp_path, monkeypatch, caplog, capfd, hostile_services
):
    server = hostile_services
    hook = f"json://hookuser:{HOOK_TOKEN}@127.0.0.1:{server.url.rsplit(':', 1)[1]}/hook"
    for name, value in {
        "REDDIT_CLIENT_ID": REDDIT_ID,
        "REDDIT_CLIENT_SECRET": REDDIT_SECRET,
        "ZENDESK_EMAIL": ZENDESK_EMAIL,
        "ZENDESK_API_TOKEN": ZENDESK_TOKEN,
        "CXRADAR_TEST_HOOK_URL": f"{hook}?token={HOOK_TOKEN}",
    }.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'cxradar.db'}"
    config = write_config(tmp_path, server)

    result = run_pipeline(url, config, server)

    failures = [e.step_failure_data.error.to_string() for e in result.get_step_failure_events()]
    metadata = [
        f"{key}={value.value}"
        for event in result.get_asset_materialization_events()
        for key, value in event.materialization.metadata.items()
    ]
    searched = {
        "logs": caplog.text,
        "stdout/stderr": "".join(capfd.readouterr()),
        "run events": "\n".join([*map(repr, result.all_events), *result.instance_logs]),
        "step failures": "\n".join(failures),
        "run metadata": "\n".join(metadata),
        "database": database_text(url),
        "export jsonl": cli_output(["--database", url, "export", "mentions"], capfd),
        "export csv": cli_output(["--database", url, "export", "mentions", "--format", "csv"],
                                 capfd),
        "alerts": cli_output(["--database", url, "alerts", "--json"], capfd),
        "config dump": cli_output(["config", "--config", config], capfd),
    }  # fmt: skip
    assert server.hits("/hook") and server.hits(ZENDESK_PATH), "the faults were not exercised"
    for source in ("news", "reddit", "zendesk"):  # every credentialed source did fail
        assert f"failed_sources={source}" in searched["run metadata"]
    leaks = {where: s for where, text in searched.items() for s in secrets() if s in text}
    assert leaks == {}
    engine = create_engine(url)
    with engine.connect() as connection:
        errors = list(
            connection.execute(  # the alerts that send a message (others join one)
                select(Alert.last_error).where(Alert.covered_by.is_(None))
            ).scalars()
        )
    assert errors and all("hook" in (error or "") for error in errors)  # failed, named safely


def test_config_dump_masks_env_values_and_url_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("CXRADAR_TEST_HOOK_URL", f"slack://T000/B000/{HOOK_TOKEN}")
    monkeypatch.setenv("ZENDESK_API_TOKEN", ZENDESK_TOKEN)
    config = tmp_path / "cxradar.yaml"
    config.write_text(
        "sources:\n"
        f"  - {{name: news, type: rss, url: 'https://me:{ZENDESK_TOKEN}@news.example/rss"
        f"?q=finora&api_key={HOOK_TOKEN}'}}\n"
        "alerts:\n  channels:\n    - {name: hook, url_env: CXRADAR_TEST_HOOK_URL}\n"
        f"brands: [{{name: '{ZENDESK_TOKEN}'}}]\n",
        encoding="utf-8",
    )
    dumped = json.dumps(dump_redacted(load_config(config)))
    assert HOOK_TOKEN not in dumped and ZENDESK_TOKEN not in dumped
    assert "$CXRADAR_TEST_HOOK_URL, set" in dumped and "news.example/rss?q=finora" in dumped
