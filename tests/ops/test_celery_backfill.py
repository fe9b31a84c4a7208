"""A backfill through Celery: two real workers, RabbitMQ, Dagster storage in PostgreSQL.

Each daily partition is a run of ``cxradar_backfill`` from deploy/celery_location.py whose
step executes on one of two ``dagster-celery`` workers; the cxradar rows must equal those
of a single-process run of the same partitions.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipelines.backfill import mention_backfill
from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource
from tests.conftest import POSTGRES_ENV, REPO, _postgres_database
from tests.ops.corpus import load_corpus, row_counts

pytest.importorskip("dagster_celery", reason="dagster-celery is not installed (the ops extra)")
pytest.importorskip("dagster_postgres", reason="dagster-postgres is not installed (the ops extra)")
pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BROKER = os.environ.get("CXRADAR_TEST_BROKER_URL", "pyamqp://guest:guest@127.0.0.1:5672//")
PARTITIONS = 5
RUN_TIMEOUT_S = 600


def _answers(url: str, default_port: int) -> bool:
    parsed = make_url(url.replace("pyamqp://", "amqp://"))
    try:
        socket.create_connection((parsed.host or "127.0.0.1", parsed.port or default_port), 3)
    except OSError:
        return False
    return True


@pytest.fixture
def server_url():
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run the Celery backfill on PostgreSQL")
    if not _answers(base, 5432):
        pytest.skip(f"PostgreSQL at {make_url(base).host} does not answer")
    if not _answers(BROKER, 5672):
        pytest.skip(f"RabbitMQ does not answer at {make_url(BROKER.replace('py', '')).host}")
    return base


@pytest.fixture
def data_url(server_url):
    generator = _postgres_database(server_url)
    url = next(generator)
    from cxradar.db import migrate

    migrate(url)
    yield url
    generator.close()


@pytest.fixture
def dagster_home(server_url, tmp_path, monkeypatch):
    """DAGSTER_HOME with deploy/dagster.yaml's storage in a fresh PostgreSQL database."""
    name = f"cxradar_dagster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    # dagster-postgres needs psycopg2; SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3.
    url = make_url(server_url).set(drivername="postgresql+psycopg2", database=name)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", url.render_as_string(hide_password=False))
    # Create Dagster's tables once, before workers and runs race to (`dagster instance migrate`).
    dg.DagsterInstance.from_config(str(home)).dispose()
    yield home
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def worker_env(home: Path) -> dict:
    env = dict(os.environ, DAGSTER_HOME=str(home), DAGSTER_CELERY_BROKER_URL=BROKER)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(REPO)
    return env


def start_workers(home: Path, names: list[str], logs: Path) -> list:
    config = logs / "celery.yaml"
    config.write_text(f'execution:\n  config:\n    broker: "{BROKER}"\n    backend: "rpc://"\n')
    workers = []
    for name in names:
        log = (logs / f"{name}.log").open("w")
        command = [
            str(Path(sys.executable).parent / "dagster-celery"),
            "worker",
            "start",
            "-A",
            "dagster_celery.app",
            "-y",
            str(config),
            "-n",
            name,
            "--",
            "--concurrency=1",
        ]
        # A session of its own: the CLI starts `celery worker` as a child, and the group
        # is what gets the shutdown signal.
        workers.append(
            subprocess.Popen(
                command,
                cwd=REPO,
                env=worker_env(home),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def wait_ready(names: list[str], logs: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(" ready." in (logs / f"{n}.log").read_text() for n in names):
            return
        time.sleep(1)
    pytest.fail("Celery workers did not start: " + (logs / f"{names[0]}.log").read_text()[-2000:])


def stop_workers(workers: list) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)  # Celery's warm shutdown
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def celery_backfill_job():
    """cxradar_backfill as deploy/celery_location.py defines it, loadable by the workers."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repository = ReconstructableRepository.for_file(
        str(REPO / "deploy" / "celery_location.py"), "defs", working_directory=str(REPO)
    )
    job = repository.get_reconstructable_job("cxradar_backfill")
    assert job.get_definition().executor_def.name == "celery"
    return job


def run_partition(home: Path, job, key: str, data_url: str) -> tuple[str, bool]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.execute_job(
            job,
            instance=instance,
            run_config={"resources": {"db": {"config": {"url": data_url}}}},
            tags={"dagster/partition": key},
        )
        return result.run_id, result.success


def celery_hosts(home: Path, run_ids: list[str]) -> set[str]:
    """Worker names from the 'Executing steps ... in celery worker' engine events."""
    hosts = set()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run_id in run_ids:
            for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
                metadata = entry.dagster_event.engine_event_data.metadata or {}
                if "Celery worker" in metadata:
                    hosts.add(metadata["Celery worker"].value)
    return hosts


def test_backfill_on_two_celery_workers(dagster_home, data_url, tmp_path, monkeypatch):
    per_day = load_corpus(data_url, tmp_path / "corpus")
    days = sorted(per_day, key=lambda day: (-per_day[day], day))[:PARTITIONS]
    names = ["cxradar-w1", "cxradar-w2"]  # the CLI appends @<hostname>
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", BROKER)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    workers = start_workers(dagster_home, names, tmp_path)
    try:
        wait_ready(names, tmp_path)
        job = celery_backfill_job()
        # One run after the other (execute_job is not thread-safe): with prefetch 1 the
        # broker hands each step to the next idle worker, so both get work.
        results = [run_partition(dagster_home, job, day, data_url) for day in days]
    finally:
        stop_workers(workers)
    assert all(success for _, success in results), results
    assert all(worker.returncode is not None for worker in workers)

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="cxradar_backfill"))
    assert sorted(run.tags["dagster/partition"] for run in runs) == sorted(days)
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
    hosts = celery_hosts(dagster_home, [run_id for run_id, _ in results])
    assert {host.split("@")[0] for host in hosts} == set(names)

    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    from cxradar.db import migrate

    migrate(reference)
    load_corpus(reference, tmp_path / "reference")
    for day in days:
        assert dg.materialize(
            [mention_backfill],
            partition_key=day,
            resources={
                "db": DatabaseResource(url=reference),
                "models": ModelsResource(),
                "cx_config": ConfigResource(),
            },
        ).success
    assert row_counts(data_url) == row_counts(reference)
    assert row_counts(data_url)["enrichments"] == sum(per_day[d] for d in days)
