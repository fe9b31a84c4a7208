"""PostgreSQL only: the dashboard's read-only role (SQL from SECURITY.md), and a run that loses
its database connections fails cleanly, without partial rows, and a re-run completes."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from cxradar.schema import Enrichment
from tests.security.harness import (
    SMALL,
    LocalEndpoints,
    count,
    expected_mention_ids,
    finish_run,
    half_written_rows,
    issue_problems,
    snapshot,
    start_run,
    write_corpus,
)

pytestmark = pytest.mark.postgres
SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    return db_url


def dashboard_role_sql() -> list[str]:
    block = re.search(r"```sql\n(.*?)```", SECURITY_MD.read_text(encoding="utf-8"), re.S)
    return [s.strip() for s in block.group(1).split(";") if s.strip() and "--" not in s[:3]]


def test_the_dashboard_role_can_read_and_cannot_write(pg_url):
    role = f"cxradar_dashboard_{uuid.uuid4().hex[:8]}"
    database = make_url(pg_url).database
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    owner = None
    with engine.connect() as connection:
        owner = connection.execute(text("SELECT current_user")).scalar_one()
        for statement in dashboard_role_sql():
            connection.execute(text(
                statement.replace("cxradar_dashboard", role)
                .replace("DATABASE cxradar", f'DATABASE "{database}"')
                .replace("ROLE cxradar ", f'ROLE "{owner}" ')
            ))  # fmt: skip
        try:
            connection.execute(text(f"SET ROLE {role}"))
            assert connection.execute(text("SELECT count(*) FROM mentions")).scalar_one() == 0
            for write in (
                "INSERT INTO sources (name, connector, created_at) VALUES ('x', 'file', now())",
                "DELETE FROM mentions",
                "UPDATE alerts SET delivered = true",
                "CREATE TABLE sneaky (id int)",
            ):
                with pytest.raises(ProgrammingError, match="permission denied"):
                    connection.execute(text(write))
        finally:
            connection.execute(text("RESET ROLE"))
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
    engine.dispose()


def terminate_backends(url: str, stop: threading.Event) -> int:
    """Kill every other connection to the run's database until told to stop."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    killed = 0
    with admin.connect() as connection:
        while not stop.is_set():
            killed += connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalar_one()  # fmt: skip
            time.sleep(0.05)
    admin.dispose()
    return killed


@pytest.mark.slow
def test_losing_the_database_mid_run_fails_cleanly_and_a_rerun_completes(pg_url, tmp_path):
    endpoints = LocalEndpoints().start()
    try:
        folder = tmp_path / "corpus"
        config = write_corpus(folder, endpoints.feed_url, endpoints.webhook_url, SMALL, files=4)
        run = start_run(pg_url, config)
        deadline = time.monotonic() + 300
        # Once enrichment is committed: later steps have no retry policy (ingest retries with
        # a 20-80 s backoff), so the run fails at once.
        while count(pg_url, Enrichment) == 0 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        stop = threading.Event()
        killer = threading.Thread(target=terminate_backends, args=(pg_url, stop))
        killer.start()
        _, stderr = run.communicate(timeout=300)
        stop.set()
        killer.join()
        assert run.returncode == 1, stderr[-3000:]
        assert "cxradar: run failed" in stderr and "Traceback" not in stderr.split("run failed")[1]
        assert half_written_rows(pg_url) == []

        finish_run(pg_url, config)
        state = snapshot(pg_url)
        assert state.mention_ids == expected_mention_ids(folder)
        assert state.enrichments == state.mention_embeddings == len(state.mention_ids)
        assert issue_problems(pg_url) == []
        assert endpoints.duplicated_titles() == {}
    finally:
        endpoints.stop()
