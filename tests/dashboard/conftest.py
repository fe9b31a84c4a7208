"""A seeded SQLite database for the dashboard tests (see seed.py for what it holds)."""

from __future__ import annotations

import pytest

from cxradar.db import get_engine
from tests.dashboard.seed import seed


@pytest.fixture
def issue_ids(sqlite_url, monkeypatch) -> dict[str, int]:
    """Seeds the database (also set as CXRADAR_DATABASE_URL); the systemic and isolated ids."""
    ids = seed(sqlite_url)
    monkeypatch.setenv("CXRADAR_DATABASE_URL", sqlite_url)
    return ids


@pytest.fixture
def seeded(sqlite_url, issue_ids) -> str:
    return sqlite_url


@pytest.fixture
def engine(seeded):
    return get_engine(seeded)
