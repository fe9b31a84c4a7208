"""The day-partitioned backfill: each partition processes its day only, and only once."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from pipelines.backfill import backfill_job, mention_backfill
from pipelines.definitions import build_defs
from pipelines.enrich import mention_enrichments, normalised_mentions
from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource
from tests.ops.corpus import enriched_days, load_corpus, row_counts

pytestmark = pytest.mark.slow


def materialise(assets, db_url: str, partition_key: str | None = None):
    result = dg.materialize(
        assets,
        partition_key=partition_key,
        resources={
            "db": DatabaseResource(url=db_url),
            "models": ModelsResource(),
            "cx_config": ConfigResource(),
        },
    )
    assert result.success
    return result


def metadata(result, asset) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == asset.key]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_partitions_process_their_day_once(db_url, tmp_path):
    per_day = load_corpus(db_url, tmp_path / "corpus")
    days = sorted(per_day, key=lambda day: -per_day[day])[:2]  # the two busiest days

    for number, day in enumerate(days, start=1):
        first = metadata(materialise([mention_backfill], db_url, day), mention_backfill)
        assert first == {"normalised": per_day[day], "enriched": per_day[day]}
        assert enriched_days(db_url) == {d: per_day[d] for d in days[:number]}

    counts = row_counts(db_url)
    assert counts["enrichments"] == counts["embeddings"] == sum(per_day[d] for d in days)
    again = metadata(materialise([mention_backfill], db_url, days[0]), mention_backfill)
    assert again == {"normalised": 0, "enriched": 0}
    assert row_counts(db_url) == counts


def test_hourly_assets_skip_what_the_backfill_did(sqlite_url, tmp_path):
    per_day = load_corpus(sqlite_url, tmp_path / "corpus")
    day = max(per_day, key=per_day.get)
    materialise([mention_backfill], sqlite_url, day)
    result = materialise([normalised_mentions, mention_enrichments], sqlite_url)
    rest = sum(per_day.values()) - per_day[day]
    assert metadata(result, mention_enrichments)["enriched"] == rest
    assert row_counts(sqlite_url)["enrichments"] == sum(per_day.values())


def test_backfill_is_registered_apart_from_the_hourly_job():
    defs = build_defs()
    assert defs.resolve_job_def("cxradar_backfill").partitions_def is not None
    everything = defs.resolve_job_def("cxradar_everything")
    assert everything.partitions_def is None
    assert mention_backfill.key not in everything.asset_layer.executable_asset_keys
    assert backfill_job.name == "cxradar_backfill"
    # end_offset=1: today (UTC), still filling, is a partition too.
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert mention_backfill.partitions_def.get_last_partition_key() == today
