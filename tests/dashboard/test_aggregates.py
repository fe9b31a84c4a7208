"""The aggregates the dashboard reads: the pipeline's rebuild, and migration 0002 on old data."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.config import Config
from sqlalchemy import select, text

from alembic import command
from cxradar.db import ALEMBIC_DIR, get_engine, migrate, session_scope
from cxradar.schema import DailyAggregate, TopicAggregate
from tests.dashboard.seed import seed

DAILY_KEY = ("day", "source", "lang", "sentiment", "brand")


def rows_of(url: str, model, columns: tuple[str, ...]) -> list[tuple]:
    with get_engine(url).connect() as connection:
        query = select(*[getattr(model, name) for name in columns])
        return sorted(tuple(row) for row in connection.execute(query))


def snapshot(url: str) -> tuple[list, list]:
    daily = rows_of(url, DailyAggregate, (*DAILY_KEY, "mentions", "rating_sum", "rating_count"))
    topics = rows_of(url, TopicAggregate, (*DAILY_KEY, "topic_id", "mentions"))
    return daily, topics


def test_the_daily_aggregates_asset_counts_like_the_seed(db_url):
    from cxradar.aggregates import rebuild_aggregates

    seed(db_url)
    expected = snapshot(db_url)
    with session_scope(db_url) as session:
        assert rebuild_aggregates(session) == (len(expected[0]), len(expected[1]))
    assert snapshot(db_url) == expected
    assert {row[4] for row in expected[0]} == {"Finora", "Zinsly"}


def alembic_to(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


OLD_ROWS = """
INSERT INTO sources (id, name, connector, created_at) VALUES (1, 'reddit', 'reddit', :now);
INSERT INTO mentions (id, source_id, external_id, kind, created_at, text, brand, content_hash,
                      ingested_at, lang)
VALUES (1, 1, 'a', 'post', :day, 'Zinsly app crashed', 'Zinsly', 'h1', :now, 'en'),
       (2, 1, 'b', 'post', :day, 'Finora is fine', NULL, 'h2', :now, 'en');
INSERT INTO enrichments (mention_id, lang, sentiment, sentiment_score, prob_negative,
                         prob_neutral, prob_positive, topic_id, model_version, enriched_at)
VALUES (1, 'en', 'negative', -0.8, 0.8, 0.1, 0.1, 3, 'v', :now),
       (2, 'en', 'positive', 0.8, 0.1, 0.1, 0.8, -1, 'v', :now);
INSERT INTO daily_aggregates (day, source, lang, sentiment, mentions, rating_sum, rating_count)
VALUES (:day, 'reddit', 'en', 'negative', 1, 0, 0), (:day, 'reddit', 'en', 'positive', 1, 0, 0);
"""


def test_migration_0002_rebuilds_the_aggregates_with_brands(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    alembic_to(url, "0001")
    day = datetime(2026, 10, 5, tzinfo=UTC)
    values = {"now": "2026-10-06 00:00:00.000000", "day": "2026-10-05 09:00:00.000000"}
    with get_engine(url).begin() as connection:
        for statement in filter(str.strip, OLD_ROWS.split(";")):
            connection.execute(text(statement), values)
    migrate(url)
    daily, topics = snapshot(url)
    assert daily == [
        (day, "reddit", "en", "negative", "Zinsly", 1, 0, 0),
        (day, "reddit", "en", "positive", "", 1, 0, 0),
    ]
    assert topics == [(day, "reddit", "en", "negative", "Zinsly", 3, 1)]
