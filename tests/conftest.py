"""Shared fixtures: a fresh database per test on SQLite and, when available, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cxradar.db import get_engine, migrate

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "CXRADAR_TEST_POSTGRES_URL"


def _postgres_database(base_url: str):
    """Create a throwaway database on the test server; yields its URL, drops it afterwards."""
    name = f"cxradar_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """An empty, migrated database: an SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cxradar.db'}"
        migrate(url)
        yield url
        get_engine(url).dispose()
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL variant")
    generator = _postgres_database(base)
    url = next(generator)
    migrate(url)
    yield url
    generator.close()


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cxradar.db'}"
    migrate(url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def server():
    """A local HTTP server answering what a test queues (tests/connectors/conftest.py)."""
    from tests.connectors.conftest import LocalServer

    local = LocalServer().start()
    yield local
    local.stop()
