"""Ingest: mentions, reviews and support tickets from every configured source.

How one source is read and stored (cursors, one transaction per file or fetch, nothing
stored twice) is ``cxradar.ingest``; the inbox's files, ``cxradar.inbox``. This module
runs them per configured source.

One source, one file, is contained: whatever it raises (a network fault, JSON
nested 100,000 deep, a broken CSV header, a bug a hostile input finds) fails
that source or that inbox file only, never the step or the sources after it.
The step itself fails only when every source failed, and is retried by Dagster
only when one of them failed in a way a retry can mend (a network fault); a bad
file is not retried. A lost database connection fails the step as before.
"""

from collections.abc import Callable, Sequence
from functools import partial

import dagster as dg
from sqlalchemy import func, select

from connectors.base import SourceError
from connectors.files import read_mentions, read_survey_responses, read_tickets
from cxradar.inbox import (
    INBOX_OUTCOMES,
    InboxLinkError,
    inbox_files,
    inbox_run_key,
    ingest_inbox_file,
    linked,
    move_aside,
)
from cxradar.ingest import (
    DATABASE_FAULTS,
    NOT_TRANSIENT,
    failed_stats,
    failure_reason,
    hours_since_new,
    ingest_files,
    ingest_stream,
    storers,
)
from cxradar.schema import Mention, Ticket
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
# Network hiccups and database restarts: a few tries, further apart each time.
INGEST_RETRIES = dg.RetryPolicy(max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL)


def ingest_each(context, sources: Sequence, ingest_one: Callable[[object], dict]) -> tuple:
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
            stats = failed_stats(reason)
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


def every_source_failed(per_source: dict, failed: list[str]) -> dg.Failure:
    """The step's failure; Dagster retries it only if a retry can mend one of the sources."""
    transient = any(per_source[name].get("retry_may_help") for name in failed)
    return dg.Failure(
        f"every source failed: {', '.join(failed)}; see the log above",
        allow_retries=transient,
    )


def ingest_result(per_source: dict, failed: list[str], stored: int) -> dg.MaterializeResult:
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


def stored_count(db: DatabaseResource, table) -> int:
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
    per_source, failed = ingest_each(context, sources, ingest_one)
    if sources and len(failed) == len(sources):
        raise every_source_failed(per_source, failed)
    return ingest_result(per_source, failed, stored_count(db, Mention))


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
    per_source, failed = ingest_each(
        context,
        sources,
        lambda source: ingest_stream(
            db, source.name, reddit.connector(source, config.brands), store, context.log
        ),
    )
    return ingest_result(per_source, failed, stored_count(db, Mention))


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

    per_source, failed = ingest_each(context, config.ticket_sources, ingest_one)
    return ingest_result(per_source, failed, stored_count(db, Ticket))


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
            raise dg.Failure(linked(root / outcome), allow_retries=False)
    per_file, failed = {}, []
    for kind, files in inbox_files(config).items():
        read, store = readers[kind]
        for file in files:
            stats = ingest_inbox_file(db, name, file, read, store, context.log)
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


def _move_aside(file, root, outcome: str) -> None:
    try:
        move_aside(file, root, outcome)
    except InboxLinkError as exc:  # a linked folder is the setup's fault: not retried
        raise dg.Failure(str(exc), allow_retries=False) from None


def freshness_check(db: DatabaseResource, table, sources: Sequence) -> dg.AssetCheckResult:
    hours = hours_since_new(db, table, sources)
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
    return freshness_check(db, Mention, sources)


@dg.asset_check(asset=reddit_mentions, description="Warns when Reddit brought nothing new.")
def reddit_mentions_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    sources = [s for s in cx_config.load().sources if s.type == "reddit"]
    return freshness_check(db, Mention, sources)


@dg.asset_check(asset=support_tickets, description="Warns when a ticket source went quiet.")
def support_tickets_fresh(db: DatabaseResource, cx_config: ConfigResource) -> dg.AssetCheckResult:
    return freshness_check(db, Ticket, cx_config.load().ticket_sources)


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
    return dg.RunRequest(run_key=inbox_run_key(files), tags={"cxradar/inbox_files": str(count)})


defs = dg.Definitions(
    assets=[raw_mentions, reddit_mentions, support_tickets, inbox],
    asset_checks=[raw_mentions_fresh, reddit_mentions_fresh, support_tickets_fresh],
    jobs=[inbox_job],
    sensors=[inbox_sensor],
)
