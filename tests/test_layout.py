"""The layout that shows the architecture (#18): pure logic in cxradar/ without Dagster,
asset modules small enough to read."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

MAX_LINES = 500  # house style: no module in pipelines/ or dashboard/ over ~500 lines
ORCHESTRATION = re.compile(
    r"^\s*(import dagster|from dagster|from pipelines|import pipelines)", re.M
)


SMALL = sorted([*(REPO / "pipelines").glob("*.py"), *(REPO / "dashboard").rglob("*.py")])


@pytest.mark.parametrize("path", SMALL, ids=lambda p: str(p.relative_to(REPO)))
def test_asset_and_page_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)} has {lines} lines: split it by concern"


def test_the_logic_layers_import_no_dagster():
    """cxradar/, models/ and connectors/ run without Dagster (the CLI starts runs, so it may)."""
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("cxradar", "models", "connectors")
        for path in (REPO / folder).rglob("*.py")
        if path != REPO / "cxradar" / "cli.py"
        and ORCHESTRATION.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
