"""Ingest: mentions, reviews and support tickets from every configured source.

Each source keeps a cursor so a run fetches only what is new; records, bad
rows and the new cursor are stored in one transaction, and ``(source,
external_id)`` is unique, so a re-run (or a re-fetch after a crash) stores
nothing twice.

One source, one file, is contained: whatever it raises (a network fault, JSON
nested 100,000 deep, a broken CSV header, a bug a hostile input finds) fails
that source or that inbox file only, never the step or the sources after it.
The step itself fails only when every source failed, and is retried by Dagster
only when one of them failed in a way a retry can mend (a network fault); a bad
file is not retried. A lost database connection fails the step as before.
"""

import hashlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from connectors.base import Connector, SourceError
from connectors.files import (
    SUPPORTED_SUFFIXES,
    read_mentions,
    read_survey_responses,
    read_tickets,
)
from connectors.http import DeadlineError, NotPublicError
from cxradar.config import Config
from cxradar.intelligence.text_safety import shorten
from cxradar.records import MAX_REASON_CHARS, RowError
from cxradar.schema import Mention, Source, Ticket
from cxradar.store import (
    StoreResult,
    get_or_create_source,
    read_cursor,
    store_errors,
    store_mentions,
    store_tickets,
    write_cursor,
)
from cxradar.surveys import store_survey_responses
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.sources import (
    AppStoreResource,
    BlueskyResource,
    FeedsResource,
    GooglePlayResource,
    HackerNewsResource,
    MastodonResource,
    RedditResource,
    TrustpilotResource,
    YouTubeResource,
    ZendeskResource,
)

INGEST_GROUP = "ingest"
STREAM_CURSOR = "stream"  # the cursor key of API sources (file sources key by file path)
# Network hiccups and database restarts: a few tries, further apart each time.
INGEST_RETRIES = dg.RetryPolicy(max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL)
INBOX_KINDS = ("mentions", "tickets", "surveys")
INBOX_OUTCOMES = ("processed", "failed")
# The database going away is not the source's fault: the step fails and is retried.
DATABASE_FAULTS = (OperationalError, InterfaceError)
# Source errors a step retry a minute later cannot mend (the next scheduled run tries again).
NOT_TRANSIENT = (NotPublicError, DeadlineError)


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


def _stats(result: StoreResult, errors: int, **extra) -> dict:
    return {
        "fetched": result.fetched,
        "new": result.new,
        "duplicates": result.already_stored,
        "errors": errors,
        **extra,
    }


def ingest_file(db: DatabaseResource, feed_name: str, file: Path, read, store, log) -> dict | None:
    """Store one file's records and bad rows; None when it was stored unchanged before."""
    digest = _digest(file)
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
    return _stats(result, errors)


def ingest_files(db, feed_name: str, path: Path, read: Callable, store: Callable, log) -> dict:
    """Read every changed file of one configured feed and store its records and bad rows."""
    totals, errors, skipped = StoreResult(), 0, 0
    for file in _files_of(path):
        stats = ingest_file(db, feed_name, file, read, store, log)
        if stats is None:
            skipped += 1
            continue
        totals.add(StoreResult(stats["fetched"], stats["new"], stats["duplicates"]))
        errors += stats["errors"]
    return _stats(totals, errors, unchanged_files=skipped)


def ingest_stream(
    db: DatabaseResource, name: str, connector: Connector, store: Callable, log
) -> dict:
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
    return _stats(result, errors, requests=fetched.requests)


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in one readable line (a hostile source can make a message huge)."""
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    message = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, (SourceError, OSError, ValueError)):
        message = f"{type(exc).__name__}: {message}"  # unexpected: name what it was
    return shorten(message, MAX_REASON_CHARS)


def _failed_stats(reason: str) -> dict:
    return {"fetched": 0, "new": 0, "duplicates": 0, "errors": 1, "failure": reason}


def _ingest_each(context, sources: Sequence, ingest_one: Callable[[object], dict]) -> tuple:
    """Run each source on its own: one that fails is logged and reported, the rest go on.

    Returns the stats per source and the names of the sources that failed: those that
    raised, and those that brought nothing usable but bad rows (a file with only a
    broken header, a JSONL file whose one line is nested too deeply).
    """
    per_source, failed = {}, []
    for source in sources:
        try:
            stats = ingest_one(source)
        except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
            # Dagster retries an interrupted step that has a RetryPolicy; a stop is a stop.
            raise dg.Failure(
                f"interrupted while reading {source.name}; not retried", allow_retries=False
            ) from None
        except DATABASE_FAULTS:
            raise
        except Exception as exc:  # noqa: BLE001 - one source, whatever it raised, fails alone
            reason = failure_reason(exc)
            failed.append(source.name)
            context.log.error(f"source {source.name} failed: {reason}")
            stats = _failed_stats(reason)
            stats["retry_may_help"] = isinstance(exc, SourceError) and not isinstance(
                exc, NOT_TRANSIENT
            )
        else:
            if stats["fetched"] == 0 and stats["errors"]:
                failed.append(source.name)
                context.log.error(
                    f"source {source.name} failed: nothing usable, {stats['errors']} bad "
                    "row(s); see the warnings above and the Sources page"
                )
        per_source[source.name] = stats
    return per_source, failed


def _every_source_failed(per_source: dict, failed: list[str]) -> dg.Failure:
    """The step's failure; Dagster retries it only if a retry can mend one of the sources."""
    transient = any(per_source[name].get("retry_may_help") for name in failed)
    return dg.Failure(
        f"every source failed: {', '.join(failed)}; see the log above",
        allow_retries=transient,
    )


def _result(per_source: dict, failed: list[str], stored: int) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "new": sum(s["new"] for s in per_source.values()),
            "fetched": sum(s["fetched"] for s in per_source.values()),
            "duplicates": sum(s["duplicates"] for s in per_source.values()),
            "bad_rows": sum(s["errors"] for s in per_source.values()),
            "failed_sources": ", ".join(failed) or "none",
            "stored_total": stored,
            "per_source": dg.MetadataValue.json(per_source),
        }
    )


def storers(config: Config) -> tuple[Callable, Callable]:
    """store_mentions and store_tickets with the config's personal-data redaction applied."""
    redact = config.privacy.redact_pii
    return partial(store_mentions, redact_pii=redact), partial(store_tickets, redact_pii=redact)


def _count(db: DatabaseResource, table) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(table.id)))


@dg.asset(
    group_name=INGEST_GROUP,
    description="Mentions and reviews from files, RSS/Atom feeds, the App Store, Google Play, "
    "Bluesky, Mastodon, Hacker News, YouTube and Trustpilot, stored once per (source, "
    "external_id).",
    automation_condition=dg.AutomationCondition.on_cron("0 * * * *"),
    retry_policy=INGEST_RETRIES,
)
def raw_mentions(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    cx_config: ConfigResource,
    feeds: FeedsResource,
    appstore: AppStoreResource,
    googleplay: GooglePlayResource,
    bluesky: BlueskyResource,
    mastodon: MastodonResource,
    hackernews: HackerNewsResource,
    youtube: YouTubeResource,
    trustpilot: TrustpilotResource,
) -> dg.MaterializeResult:
    config = cx_config.load()
    clients = {"rss": feeds, "appstore": appstore, "googleplay": googleplay}
    # These search for the brands' names and keywords unless the source lists its own.
    social = {
        "bluesky": bluesky,
        "mastodon": mastodon,
        "hackernews": hackernews,
        "youtube": youtube,
        "trustpilot": trustpilot,
    }
    store, _ = storers(config)

    def ingest_one(source) -> dict:
        if source.type == "file":
            path = config.resolve(source.path)
            read = partial(read_mentions, brand=source.brand)
            return ingest_files(db, source.name, path, read, store, context.log)
        if source.type in social:
            connector = social[source.type].connector(source, config.brands)
        else:
            connector = clients[source.type].connector(source)
        return ingest_stream(db, source.name, connector, store, context.log)

    sources = [s for s in config.sources if s.type != "reddit"]
    per_source, failed = _ingest_each(context, sources, ingest_one)
    if sources and len(failed) == len(sources):
        raise _every_source_failed(per_source, failed)
    return _result(per_source, failed, _count(db, Mention))


@dg.asset(
    group_name=INGEST_GROUP,
    description="Reddit posts, comments and brand searches (PRAW), one run at a time "
    "so Reddit's rate limit is shared.",
    automation_condition=dg.AutomationCondition.on_cron("0 * * * *"),
    retry_policy=INGEST_RETRIES,
    pool="reddit",  # Dagster's concurrency pool: at most the pool's limit of runs at once
)
def reddit_mentions(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    cx_config: ConfigResource,
    reddit: RedditResource,
) -> dg.MaterializeResult:
    config = cx_config.load()
    store, _ = storers(config)
    sources = [s for s in config.sources if s.type == "reddit"]
    per_source, failed = _ingest_each(
        context,
        sources,
        lambda source: ingest_stream(
            db, source.name, reddit.connector(source, config.brands), store, context.log
        ),
    )
    return _result(per_source, failed, _count(db, Mention))


@dg.asset(
    group_name=INGEST_GROUP,
    description="Support tickets from helpdesk exports (files) and Zendesk.",
    automation_condition=dg.AutomationCondition.on_cron("*/15 * * * *"),
    retry_policy=INGEST_RETRIES,
)
def support_tickets(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    cx_config: ConfigResource,
    zendesk: ZendeskResource,
) -> dg.MaterializeResult:
    config = cx_config.load()
    _, store = storers(config)

    def ingest_one(source) -> dict:
        if source.type == "zendesk":
            connector = zendesk.connector(source)
            return ingest_stream(db, source.name, connector, store, context.log)
        return ingest_files(
            db,
            source.name,
            config.resolve(source.path),
            lambda file: read_tickets(file, source=source.name),
            store,
            context.log,
        )

    per_source, failed = _ingest_each(context, config.ticket_sources, ingest_one)
    return _result(per_source, failed, _count(db, Ticket))


def inbox_files(config: Config) -> dict[str, list[Path]]:
    """CSV/JSONL files (and symbolic links, to be refused) waiting in ``mentions/``,
    ``tickets/`` and ``surveys/``; a kind folder that is itself a link is left alone."""
    if config.inbox is None:
        return {}
    root = config.resolve(config.inbox.path)
    found = {}
    for kind in INBOX_KINDS:
        folder = root / kind
        if folder.is_dir() and not folder.is_symlink():
            found[kind] = sorted(
                p
                for p in folder.iterdir()
                if p.name.endswith(SUPPORTED_SUFFIXES) and (p.is_symlink() or p.is_file())
            )
    return found


def _inbox_folder(root: Path, *parts: str) -> Path:
    """``root/parts...``, created as needed, refused if any part is a symbolic link.

    A linked ``processed/`` (or a linked day folder below it) would move dropped
    files out of the inbox to wherever the link points.
    """
    folder = root
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            raise dg.Failure(_linked(folder), allow_retries=False)
        folder.mkdir(exist_ok=True)
    return folder


def _linked(folder: Path) -> str:
    return (
        f"{folder} is a symbolic link; cxradar moves inbox files only within the inbox: "
        "replace it with a plain folder"
    )


def _move_aside(file: Path, root: Path, outcome: str) -> Path:
    """Processed files go to ``processed/<date>/`` (``failed/<date>/``), never overwritten."""
    target_dir = _inbox_folder(root, outcome, datetime.now(UTC).strftime("%Y-%m-%d"))
    target = target_dir / file.name
    counter = 1
    while target.exists() or target.is_symlink():
        target = target_dir / f"{file.stem}.{counter}{file.suffix}"
        counter += 1
    shutil.move(str(file), target)
    return target


@dg.asset(
    group_name=INGEST_GROUP,
    description="CSV/JSONL files dropped into the inbox folder; moved to processed/ when stored.",
)
def inbox(
    context: dg.AssetExecutionContext, db: DatabaseResource, cx_config: ConfigResource
) -> dg.MaterializeResult:
    config = cx_config.load()
    if config.inbox is None:
        return dg.MaterializeResult(metadata={"files": 0, "note": "no inbox configured"})
    root, name = config.resolve(config.inbox.path), config.inbox.source_name
    store_mentions_, store_tickets_ = storers(config)
    readers = {
        "mentions": (read_mentions, store_mentions_),  # rows name their own source
        "tickets": (lambda file: read_tickets(file, source=name), store_tickets_),
        # Survey rows name their scale (nps|csat); a row's `source` column names its source.
        "surveys": (
            partial(read_survey_responses, source=name, scale=None, own_source=True),
            partial(store_survey_responses, redact_pii=config.privacy.redact_pii),
        ),
    }
    for outcome in INBOX_OUTCOMES:  # before any file is read or moved
        if (root / outcome).is_symlink():
            raise dg.Failure(_linked(root / outcome), allow_retries=False)
    per_file, failed = {}, []
    for kind, files in inbox_files(config).items():
        read, store = readers[kind]
        for file in files:
            stats = _ingest_inbox_file(db, name, file, read, store, context.log)
            per_file[f"{kind}/{file.name}"] = stats
            if stats and stats["fetched"] == 0 and stats["errors"]:
                # Nothing usable (wrong columns, not CSV): kept apart for a person to look at.
                failed.append(file.name)
                reason = stats.get("failure") or f"{stats['errors']} bad row(s)"
                context.log.error(
                    f"inbox file {file.name}: nothing stored ({reason}); moved to failed/"
                )
                _move_aside(file, root, "failed")
            else:
                _move_aside(file, root, "processed")
    stored = [s for s in per_file.values() if s]
    return dg.MaterializeResult(
        metadata={
            "files": len(per_file),
            "new": sum(s["new"] for s in stored),
            "bad_rows": sum(s["errors"] for s in stored),
            "failed_files": ", ".join(failed) or "none",
        }
    )


def _ingest_inbox_file(db, name: str, file: Path, read, store, log) -> dict | None:
    """One dropped file; whatever it holds or raises fails that file only (it is recorded)."""
    if file.is_symlink():
        reason = "a symbolic link; cxradar reads only files dropped into the inbox itself"
    else:
        try:
            return ingest_file(db, name, file, read, store, log)
        except DATABASE_FAULTS:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad file must not block the files after it
            reason = failure_reason(exc)
    with db.session() as session:  # so the Sources page shows why the file went to failed/
        store_errors(session, name, [RowError(str(file), 0, reason)])
    return _failed_stats(reason)


def _staleness(db: DatabaseResource, table, sources: Sequence) -> dict[str, float | None]:
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


def _freshness(db: DatabaseResource, table, sources: Sequence) -> dg.AssetCheckResult:
    hours = _staleness(db, table, sources)
    limits = {source.name: source.stale_after_hours for source in sources}
    stale = sorted(n for n, h in hours.items() if h is None or h > limits[n])
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"nothing new for longer than expected from: {', '.join(stale)}"
            if stale
            else "every source brought something new within its expected cadence"
        ),
        metadata={
            "stale_sources": ", ".join(stale) or "none",
            "hours_since_new": dg.MetadataValue.json(hours),
        },
    )


@dg.asset_check(
    asset=raw_mentions,
    description="Warns when a source brought nothing new for longer than its stale_after_hours.",
)
def raw_mentions_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    sources = [s for s in cx_config.load().sources if s.type != "reddit"]
    return _freshness(db, Mention, sources)


@dg.asset_check(asset=reddit_mentions, description="Warns when Reddit brought nothing new.")
def reddit_mentions_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    sources = [s for s in cx_config.load().sources if s.type == "reddit"]
    return _freshness(db, Mention, sources)


@dg.asset_check(asset=support_tickets, description="Warns when a ticket source went quiet.")
def support_tickets_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    return _freshness(db, Ticket, cx_config.load().ticket_sources)


def _inbox_run_key(files: dict[str, list[Path]]) -> str:
    stamp = sorted(
        (str(f), f.lstat().st_size, f.lstat().st_mtime_ns)  # lstat: a link is not followed
        for group in files.values()
        for f in group
    )
    return "inbox-" + hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]


inbox_job = dg.define_asset_job(
    "cxradar_inbox",
    selection=dg.AssetSelection.assets(inbox).downstream(),
    description="Files dropped into the inbox, and everything computed from them.",
)


@dg.sensor(
    job=inbox_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a run when CSV/JSONL files appear in the inbox's mentions/, tickets/ "
    "or surveys/.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, cx_config: ConfigResource):
    files = inbox_files(cx_config.load())
    if not any(files.values()):
        return dg.SkipReason("the inbox is empty")
    count = sum(len(group) for group in files.values())
    return dg.RunRequest(run_key=_inbox_run_key(files), tags={"cxradar/inbox_files": str(count)})


defs = dg.Definitions(
    assets=[raw_mentions, reddit_mentions, support_tickets, inbox],
    asset_checks=[raw_mentions_fresh, reddit_mentions_fresh, support_tickets_fresh],
    jobs=[inbox_job],
    sensors=[inbox_sensor],
)
