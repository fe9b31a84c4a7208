"""Ingesting one source: a file (or folder of files) or a connector's stream.

Each source keeps a cursor so a run fetches only what is new; records, bad rows and the
new cursor are stored in one transaction, and ``(source, external_id)`` is unique, so a
re-run (or a re-fetch after a crash) stores nothing twice. ``db`` is anything with a
``session()`` context (``pipelines.resources.DatabaseResource``). The Dagster assets
that run these per configured source are in ``pipelines/ingest.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from connectors.base import Connector, SourceError
from connectors.files import SUPPORTED_SUFFIXES
from connectors.http import DeadlineError, NotPublicError
from cxradar.config import Config
from cxradar.intelligence.text_safety import shorten
from cxradar.records import MAX_REASON_CHARS
from cxradar.schema import Source
from cxradar.store import (
    StoreResult,
    get_or_create_source,
    read_cursor,
    store_errors,
    store_mentions,
    store_tickets,
    write_cursor,
)

STREAM_CURSOR = "stream"  # the cursor key of API sources (file sources key by file path)
# The database going away is not the source's fault: the step fails and is retried.
DATABASE_FAULTS = (OperationalError, InterfaceError)
# Source errors a step retry a minute later cannot mend (the next scheduled run tries again).
NOT_TRANSIENT = (NotPublicError, DeadlineError)


def files_of(path: Path) -> Iterator[Path]:
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


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def stats_of(result: StoreResult, errors: int, **extra) -> dict:
    return {
        "fetched": result.fetched,
        "new": result.new,
        "duplicates": result.already_stored,
        "errors": errors,
        **extra,
    }


def ingest_file(db, feed_name: str, file: Path, read, store, log) -> dict | None:
    """Store one file's records and bad rows; None when it was stored unchanged before."""
    digest = file_digest(file)
    with db.session() as session:
        feed = get_or_create_source(session, feed_name, "file")
        if read_cursor(session, feed.id, str(file.resolve())) == digest:
            return None
    batch = read(file)
    with db.session() as session:  # one transaction: records, bad rows and cursor together
        result = store(session, batch.records, "file")
        errors = store_errors(session, feed_name, batch.errors)
        feed = get_or_create_source(session, feed_name, "file")
        write_cursor(session, feed.id, str(file.resolve()), digest)
    for error in batch.errors:
        log.warning(f"bad row skipped: {error}")
    log.info(
        f"{feed_name}: {file.name}: {result.fetched} rows, {result.new} new, "
        f"{result.already_stored} already stored, {len(batch.errors)} bad rows"
    )
    return stats_of(result, errors)


def ingest_files(db, feed_name: str, path: Path, read: Callable, store: Callable, log) -> dict:
    """Read every changed file of one configured feed and store its records and bad rows."""
    totals, errors, skipped = StoreResult(), 0, 0
    for file in files_of(path):
        stats = ingest_file(db, feed_name, file, read, store, log)
        if stats is None:
            skipped += 1
            continue
        totals.add(StoreResult(stats["fetched"], stats["new"], stats["duplicates"]))
        errors += stats["errors"]
    return stats_of(totals, errors, unchanged_files=skipped)


def ingest_stream(db, name: str, connector: Connector, store: Callable, log) -> dict:
    """Fetch what is new since the source's cursor; store records, bad items and cursor at once."""
    with db.session() as session:
        cursor = read_cursor(
            session, get_or_create_source(session, name, connector.kind).id, STREAM_CURSOR
        )
    fetched = connector.fetch(cursor)
    records = [record for record in fetched.records if record.source == name]
    with db.session() as session:
        result = store(session, records, connector.kind)
        errors = store_errors(session, name, fetched.errors)
        if fetched.cursor is not None:
            source_id = get_or_create_source(session, name, connector.kind).id
            write_cursor(session, source_id, STREAM_CURSOR, fetched.cursor)
    for error in fetched.errors:
        log.warning(f"{name}: item skipped: {error}")
    for note in fetched.notes:
        log.info(f"{name}: {note}")
    log.info(
        f"{name} ({connector.kind}): {result.fetched} fetched, {result.new} new, "
        f"{result.already_stored} already stored, {len(fetched.errors)} bad items, "
        f"{fetched.requests} requests"
    )
    return stats_of(result, errors, requests=fetched.requests)


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in one readable line (a hostile source can make a message huge)."""
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    message = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, (SourceError, OSError, ValueError)):
        message = f"{type(exc).__name__}: {message}"  # unexpected: name what it was
    return shorten(message, MAX_REASON_CHARS)


def failed_stats(reason: str) -> dict:
    return {"fetched": 0, "new": 0, "duplicates": 0, "errors": 1, "failure": reason}


def storers(config: Config) -> tuple[Callable, Callable]:
    """store_mentions and store_tickets with the config's personal-data redaction applied."""
    redact = config.privacy.redact_pii
    return partial(store_mentions, redact_pii=redact), partial(store_tickets, redact_pii=redact)


def hours_since_new(db, table, sources: Sequence) -> dict[str, float | None]:
    """Hours since each source last brought something new (None: never)."""
    names = [source.name for source in sources]
    with db.session() as session:
        newest = dict(
            session.execute(
                select(Source.name, func.max(table.ingested_at))
                .join(table, table.source_id == Source.id)
                .where(Source.name.in_(names))
                .group_by(Source.name)
            ).all()
        )
    now = datetime.now(UTC)
    return {
        name: round((now - newest[name]).total_seconds() / 3600, 1) if newest.get(name) else None
        for name in names
    }
