"""Ingest: raw mentions and support tickets from the configured sources.

A file is read again only when its content changed (its digest is the cursor),
and ``(source, external_id)`` is unique, so a re-run stores nothing twice.
"""

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select

from connectors.files import SUPPORTED_SUFFIXES, read_mentions, read_tickets
from cxradar.schema import Mention
from cxradar.store import (
    StoreResult,
    get_or_create_source,
    read_cursor,
    store_errors,
    store_mentions,
    store_tickets,
    write_cursor,
)
from pipelines.resources import ConfigResource, DatabaseResource

INGEST_GROUP = "ingest"


def _files_of(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(
            p for p in path.iterdir() if p.is_file() and p.name.endswith(SUPPORTED_SUFFIXES)
        )
    elif path.exists():
        yield path
    else:
        raise FileNotFoundError(
            f"{path} does not exist: fix the source's `path` in the config or create the file"
        )


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def ingest_files(
    db: DatabaseResource,
    feed_name: str,
    path: Path,
    read: Callable,
    store: Callable,
    log,
) -> dict:
    """Read every changed file of one configured feed and store its records and bad rows."""
    totals, errors, skipped = StoreResult(), 0, 0
    for file in _files_of(path):
        digest = _digest(file)
        with db.session() as session:
            feed = get_or_create_source(session, feed_name, "file")
            if read_cursor(session, feed.id, str(file.resolve())) == digest:
                skipped += 1
                continue
        batch = read(file)
        with db.session() as session:  # one transaction: records, bad rows and cursor together
            result = store(session, batch.records, "file")
            errors += store_errors(session, feed_name, batch.errors)
            feed = get_or_create_source(session, feed_name, "file")
            write_cursor(session, feed.id, str(file.resolve()), digest)
        totals.add(result)
        for error in batch.errors:
            log.warning(f"bad row skipped: {error}")
        log.info(
            f"{feed_name}: {file.name}: {result.fetched} rows, {result.new} new, "
            f"{result.already_stored} already stored, {len(batch.errors)} bad rows"
        )
    return {
        "fetched": totals.fetched,
        "new": totals.new,
        "duplicates": totals.already_stored,
        "errors": errors,
        "unchanged_files": skipped,
    }


@dg.asset(
    group_name=INGEST_GROUP,
    description="Mentions and reviews from every configured source, stored once per "
    "(source, external_id).",
    automation_condition=dg.AutomationCondition.on_cron("0 * * * *"),
)
def raw_mentions(
    context: dg.AssetExecutionContext, db: DatabaseResource, cx_config: ConfigResource
) -> dg.MaterializeResult:
    config = cx_config.load()
    per_source, failed = {}, []
    for source in config.sources:
        try:
            per_source[source.name] = ingest_files(
                db,
                source.name,
                config.resolve(source.path),
                read_mentions,
                store_mentions,
                context.log,
            )
        except (OSError, ValueError) as exc:  # one broken source never blocks the others
            failed.append(source.name)
            context.log.error(f"source {source.name} failed: {exc}")
            per_source[source.name] = {"fetched": 0, "new": 0, "duplicates": 0, "errors": 1}
    with db.session() as session:
        stored = session.scalar(select(func.count(Mention.id)))
    if failed and len(failed) == len(config.sources):
        raise dg.Failure(f"every source failed: {', '.join(failed)}; see the log above")
    return dg.MaterializeResult(
        metadata={
            "new": sum(s["new"] for s in per_source.values()),
            "fetched": sum(s["fetched"] for s in per_source.values()),
            "bad_rows": sum(s["errors"] for s in per_source.values()),
            "failed_sources": ", ".join(failed) or "none",
            "stored_total": stored,
            "per_source": dg.MetadataValue.json(per_source),
        }
    )


@dg.asset(
    group_name=INGEST_GROUP,
    description="Support tickets from the configured helpdesk exports.",
    automation_condition=dg.AutomationCondition.on_cron("*/15 * * * *"),
)
def support_tickets(
    context: dg.AssetExecutionContext, db: DatabaseResource, cx_config: ConfigResource
) -> dg.MaterializeResult:
    config = cx_config.load()
    per_source = {}
    for source in config.ticket_sources:
        per_source[source.name] = ingest_files(
            db,
            source.name,
            config.resolve(source.path),
            lambda file, name=source.name: read_tickets(file, source=name),
            store_tickets,
            context.log,
        )
    return dg.MaterializeResult(
        metadata={
            "new": sum(s["new"] for s in per_source.values()),
            "fetched": sum(s["fetched"] for s in per_source.values()),
            "bad_rows": sum(s["errors"] for s in per_source.values()),
            "per_source": dg.MetadataValue.json(per_source),
        }
    )


@dg.asset_check(asset=raw_mentions, description="Warns when no new mention arrived for 2 days.")
def raw_mentions_fresh(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        newest = session.scalar(select(func.max(Mention.ingested_at)))
    age = datetime.now(UTC) - newest if newest else None
    return dg.AssetCheckResult(
        passed=age is not None and age < timedelta(days=2),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "hours_since_last_new_mention": round(age.total_seconds() / 3600, 1) if age else -1
        },
    )


defs = dg.Definitions(assets=[raw_mentions, support_tickets], asset_checks=[raw_mentions_fresh])
