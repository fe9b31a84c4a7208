"""What the filters offer and default to, and when there is nothing to show."""

from __future__ import annotations

from datetime import date

from dashboard.data import filters
from dashboard.data.filters import Period

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_default_period_is_the_30_days_ending_at_the_newest_mention(engine):
    assert filters.default_period(engine) == OCTOBER
    assert OCTOBER.previous() == Period(date(2026, 9, 1), date(2026, 9, 30))


def test_filter_options(engine):
    options = filters.filter_options(engine)
    assert options == {
        "sources": ["appstore", "reddit", "support"],
        "langs": ["de", "en"],
        "brands": ["Finora", "Zinsly"],
    }


def test_empty_and_unmigrated_databases(sqlite_url, tmp_path):
    from cxradar.db import get_engine

    assert filters.is_migrated(get_engine(sqlite_url)) and not filters.has_data(
        get_engine(sqlite_url)
    )
    bare = get_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    assert not filters.is_migrated(bare) and not filters.has_data(bare)
