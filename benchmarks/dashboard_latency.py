"""Dashboard latency: every page's queries on a large generated database, p50/p95 per page.

    python -m benchmarks.dashboard_latency                       # 1,000,000 mentions, SQLite
    python -m benchmarks.dashboard_latency --rows 100000 --repeat 5
    python -m benchmarks.dashboard_latency --postgres postgresql+psycopg://postgres@localhost/test

SQLite goes to a fresh file (``--sqlite PATH`` to choose it). With ``--postgres`` the
same data also goes into a separate database ``cxradar_bench`` on that server (dropped
and re-created; the database in the URL is only used to connect). ``--reuse`` measures
an existing benchmark database again without re-seeding.

Each page's queries run uncached, as a first visit would, ``--repeat`` times (20).
Rows are synthetic: 60 days, 6 sources, German and English, two brands, 50 topics,
about 20 % negative, 2 % cross-post duplicates. Mentions go in by executemany
(SQLite) or COPY (PostgreSQL); the aggregates are built by the pipeline's own code.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from cxradar.db import get_engine, migrate, session_scope
from cxradar.schema import (
    Alert,
    IngestError,
    Issue,
    Mention,
    SentimentCorrection,
    Source,
    Topic,
)
from dashboard.data import alerts as alert_data
from dashboard.data import filters as filter_data
from dashboard.data import issues as issue_data
from dashboard.data import mentions as mention_data
from dashboard.data import overview as overview_data
from dashboard.data import review as review_data
from dashboard.data import sources as source_data
from dashboard.data import topics as topic_data
from dashboard.data.filters import Filters

DAYS = 60
END = date(2026, 10, 30)
START = datetime(END.year, END.month, END.day, tzinfo=UTC) - timedelta(days=DAYS - 1)
SOURCES = ("reddit", "appstore", "googleplay", "trustpilot", "mastodon", "news")
WORDS = {
    "en": ["login", "sms", "code", "card", "transfer", "app", "fee", "update", "support", "slow"],
    "de": ["Anmeldung", "SMS", "Code", "Karte", "Überweisung", "App", "Gebühr", "Update"],
}
WORDS["en"] += ["great", "love"]
WORDS["de"] += ["Support", "langsam", "super"]
TOPICS = 50
TOPIC_GROUPS = 6
DIM = 384
CHUNK = 50_000
AUTHORS = 200_000
CORRECTIONS = 500
BENCH_DATABASE = "cxradar_bench"
MENTION_COLUMNS = (
    "id",
    "source_id",
    "external_id",
    "kind",
    "created_at",
    "author",
    "text",
    "url",
    "rating",
    "lang",
    "brand",
    "reach",
    "content_hash",
    "duplicate_of",
    "ingested_at",
)
ENRICHMENT_COLUMNS = (
    "mention_id",
    "lang",
    "sentiment",
    "sentiment_score",
    "prob_negative",
    "prob_neutral",
    "prob_positive",
    "topic_id",
    "issue_id",
    "model_version",
    "enriched_at",
)
LABELS = np.array(["negative", "neutral", "positive"])


# --- generated data ------------------------------------------------------------------------------


def generated_rows(rows: int, issue_ids: list[int], seed: int = 7) -> Iterator[tuple[list, list]]:
    """(mention rows, enrichment rows) in chunks, as tuples in *_COLUMNS order."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    for offset in range(0, rows, CHUNK):
        n = min(CHUNK, rows - offset)
        ids = np.arange(offset + 1, offset + n + 1)
        created = rng.integers(0, DAYS * 86_400, n)
        source = rng.integers(0, len(SOURCES), n)
        german = rng.random(n) < 0.5
        brand = np.where(rng.random(n) < 0.9, "Finora", "Zinsly")
        probs = rng.dirichlet((0.8, 1.0, 1.4), n)
        sentiment = probs.argmax(axis=1)
        topic = np.where(rng.random(n) < 0.8, rng.integers(0, TOPICS, n), -1)
        issue = rng.choice(issue_ids, n)
        duplicate = (rng.random(n) < 0.02) & (ids > 1)
        original = np.maximum(1, (ids * rng.random(n)).astype(int))
        rating = rng.integers(1, 6, n)
        reach = np.where(rng.random(n) < 0.3, rng.integers(0, 5_000, n), -1)
        words = rng.integers(0, 11, (n, 12))
        author = rng.integers(0, AUTHORS, n)
        mentions, enrichments = [], []
        for i in range(n):
            m_id, lang = int(ids[i]), "de" if german[i] else "en"
            vocabulary = WORDS[lang]
            mentions.append(
                (
                    m_id,
                    int(source[i]) + 1,
                    str(m_id),
                    "review" if source[i] == 1 else "post",
                    START + timedelta(seconds=int(created[i])),
                    f"user{author[i]}",
                    " ".join(vocabulary[w] for w in words[i]) + f" #{m_id}",
                    f"https://example.org/{m_id}",
                    int(rating[i]) if source[i] == 1 else None,
                    lang,
                    str(brand[i]),
                    int(reach[i]) if reach[i] >= 0 else None,
                    f"{m_id:064x}",
                    int(original[i]) if duplicate[i] else None,
                    now,
                )
            )
            p_neg, p_neu, p_pos = (float(value) for value in probs[i])
            label = str(LABELS[sentiment[i]])
            enrichments.append(
                (
                    m_id,
                    lang,
                    label,
                    p_pos - p_neg,
                    p_neg,
                    p_neu,
                    p_pos,
                    int(topic[i]),
                    int(issue[i]) if label == "negative" else None,
                    "benchmark",
                    now,
                )
            )
        yield mentions, enrichments


def topic_rows(seed: int = 11) -> list[dict]:
    """Topics with centroids in a few loose families, so the map has some shape."""
    rng = np.random.default_rng(seed)
    families = rng.normal(size=(TOPIC_GROUPS, DIM))
    rows = []
    for topic_id in range(TOPICS):
        vector = families[topic_id % TOPIC_GROUPS] + 0.6 * rng.normal(size=DIM)
        vector /= np.linalg.norm(vector)
        words = [WORDS["en"][(topic_id + k) % 12] for k in range(4)]
        rows.append(
            {
                "id": topic_id,
                "label": " · ".join(words[:3]),
                "keywords": words,
                "size": 0,
                "centroid": vector.astype(np.float32).tobytes(),
                "active": True,
            }
        )
    return rows


def issue_rows(count: int) -> list[dict]:
    return [
        {
            "key": f"topic:{n}",
            "topic_id": n % TOPICS,
            "label": f"issue {n}",
            "keywords": [],
            "classification": "systemic" if n % 3 else "isolated",
            "score": 0.5,
            "severity": (n % 10) / 10,
            "mentions": 0,
            "authors": 0,
            "sources": 1,
            "source_names": [],
            "tickets": 0,
            "active_days": 1,
            "first_seen": START,
            "last_seen": START + timedelta(days=DAYS - 1),
            "negative_share": 1.0,
            "reach": 0,
            "evidence": "benchmark",
        }
        for n in range(count)
    ]


# --- seeding --------------------------------------------------------------------------------------


def seed(url: str, rows: int) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per step."""
    timings, started = {}, time.perf_counter()
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Source), [{"name": s, "connector": "file"} for s in SOURCES])
        connection.execute(insert(Topic), topic_rows())
        connection.execute(insert(Issue), issue_rows(max(1, rows // 10_000)))
        issue_ids = list(connection.execute(select(Issue.id)).scalars())
    load = _copy_rows if engine.dialect.name == "postgresql" else _executemany_rows
    load(engine, generated_rows(rows, issue_ids))
    timings["mentions + enrichments"] = time.perf_counter() - started
    started = time.perf_counter()
    _small_tables(url, rows)
    from cxradar.aggregates import rebuild_aggregates  # the asset's own code

    with session_scope(url) as session:
        rebuild_aggregates(session)
    timings["aggregates (daily_aggregates asset)"] = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # what autovacuum does soon after a load
    return timings


def _executemany_rows(engine, chunks) -> None:
    """SQLite: plain executemany on the driver, datetimes in SQLAlchemy's storage format."""
    mention_sql = _insert_sql("mentions", MENTION_COLUMNS)
    enrichment_sql = _insert_sql("enrichments", ENRICHMENT_COLUMNS)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for mentions, enrichments in chunks:
            cursor.executemany(mention_sql, [_sqlite_row(row, (4, 14)) for row in mentions])
            cursor.executemany(enrichment_sql, [_sqlite_row(row, (10,)) for row in enrichments])
            raw.commit()
    finally:
        raw.close()


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _sqlite_row(row: tuple, datetime_positions: tuple[int, ...]) -> tuple:
    values = list(row)
    for position in datetime_positions:
        values[position] = values[position].strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(values)


def _copy_rows(engine, chunks) -> None:
    """PostgreSQL: COPY FROM STDIN, one transaction per chunk."""
    raw = engine.raw_connection()
    try:
        for mentions, enrichments in chunks:
            with raw.cursor() as cursor:
                for table, columns, rows in (
                    ("mentions", MENTION_COLUMNS, mentions),
                    ("enrichments", ENRICHMENT_COLUMNS, enrichments),
                ):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
        with raw.cursor() as cursor:  # COPY with explicit ids leaves the sequence behind
            cursor.execute("SELECT setval('mentions_id_seq', (SELECT max(id) FROM mentions))")
        raw.commit()
    finally:
        raw.close()


def _small_tables(url: str, rows: int) -> None:
    """A few alerts, ingest errors and review-queue verdicts, like a real deployment has."""
    step = max(1, rows // CORRECTIONS)
    with get_engine(url).begin() as connection:
        connection.execute(
            insert(SentimentCorrection),
            [
                {"mention_id": m, "label": "neutral", "predicted": "negative", "reviewer": "bench"}
                for m in range(1, rows + 1, step)
            ],
        )
        connection.execute(insert(Alert), [_alert(n) for n in range(30)])
        connection.execute(
            insert(IngestError),
            [
                {"source_name": SOURCES[n % 6], "location": f"file.csv:{n}", "reason": "bad row"}
                for n in range(200)
            ],
        )


def _alert(n: int) -> dict:
    start = START + timedelta(days=2 * n)
    return {
        "dedupe_key": f"spike:all:{n}",
        "kind": "negative_spike",
        "scope": "all",
        "window_start": start,
        "window_end": start + timedelta(days=1),
        "observed": 50.0,
        "expected": 10.0,
        "severity": 4.0,
        "status": "resolved",
        "title": f"spike {n}",
    }


# --- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    page: str
    run: Callable[[], object]


def page_cases(url: str) -> list[PageCase]:
    """What each page asks the database on a first, uncached visit (sidebar included)."""
    engine = get_engine(url)
    period = filter_data.default_period(engine)
    everything = Filters(period)
    zinsly = Filters(period, brands=("Zinsly",))
    reddit_de = Filters(period, sources=("reddit",), langs=("de",))
    top_issue = int(issue_data.issues(engine, period, limit=1)["id"].iloc[0])
    top_topic = int(topic_data.topic_summary(engine, everything)["id"].iloc[0])

    def sidebar():
        filter_data.default_period(engine)
        filter_data.filter_options(engine)

    def overview(filters: Filters):
        sidebar()
        overview_data.kpis_with_previous(engine, filters)
        overview_data.sentiment_by_day(engine, filters)
        alert_data.alerts(engine, filters.period)
        overview_data.volume_by(engine, filters, "source")
        overview_data.volume_by(engine, filters, "lang")
        top = issue_data.issues(engine, filters.period, limit=10)
        issue_data.issue_daily_counts(engine, [int(i) for i in top["id"]], filters.period)

    def issues():
        sidebar()
        issue_data.issues(engine, period)
        issue_data.issue_daily_counts(engine, [top_issue], period)
        issue_data.issue_mentions(engine, top_issue)
        issue_data.issue_tickets(engine, top_issue)

    def mentions(filters: Filters, **search):
        sidebar()
        issue_data.issues(engine, filters.period)
        mention_data.search_mentions(engine, filters, **search)

    def topics(filters: Filters):
        sidebar()
        topic_data.topic_summary(engine, filters)
        topic_data.topic_daily(engine, filters)
        topic_data.topic_mentions(engine, filters, top_topic)

    def review(filters: Filters):
        sidebar()
        review_data.review_queue(engine, filters)
        review_data.reviewed_mentions(engine)
        review_data.review_counts(engine)

    def alerts():
        sidebar()
        alert_data.alerts(engine)

    def sources():
        sidebar()
        source_data.sources_overview(engine)
        source_data.ingest_errors(engine)

    return [
        PageCase("overview", lambda: overview(everything)),
        PageCase("overview, brand filter", lambda: overview(zinsly)),
        PageCase("issues (with drill-down)", issues),
        PageCase("mentions, page 1", lambda: mentions(everything)),
        PageCase("mentions, page 100", lambda: mentions(everything, page=100)),
        PageCase("mentions, brand filter", lambda: mentions(zinsly)),
        PageCase(
            "mentions, reddit+de negative",
            lambda: mentions(reddit_de, sentiments=("negative",)),
        ),
        PageCase("mentions, text 'überweisung'", lambda: mentions(everything, text="überweisung")),
        PageCase("topics", lambda: topics(everything)),
        PageCase("topics, brand filter", lambda: topics(zinsly)),
        PageCase("review queue", lambda: review(everything)),
        PageCase("review queue, brand filter", lambda: review(zinsly)),
        PageCase("alerts", alerts),
        PageCase("sources", sources),
    ]


def measure(url: str, repeat: int) -> list[tuple[str, float, float]]:
    """(page, p50 ms, p95 ms) for every page case."""
    results = []
    for case in page_cases(url):
        case.run()  # warm the OS page cache and the connection pool, like any second visit
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            case.run()
            timings.append((time.perf_counter() - started) * 1000)
        results.append((case.page, *percentiles(timings)))
    return results


def percentiles(timings: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank: with 20 runs, p95 is the second slowest)."""
    ordered = sorted(timings)
    rank = max(0, int(np.ceil(0.95 * len(ordered))) - 1)
    return statistics.median(ordered), ordered[rank]


def table(title: str, results: list[tuple[str, float, float]]) -> str:
    lines = [f"### {title}", "", "| page | p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {page} | {p50:,.0f} | {p95:,.0f} |" for page, p50, p95 in results]
    return "\n".join(lines)


# --- databases -----------------------------------------------------------------------------------


def prepared(url: str, rows: int, reuse: bool) -> str:
    """`url` migrated and seeded (unless reusing data already there)."""
    migrate(url)
    with get_engine(url).connect() as connection:
        present = connection.execute(select(func.count()).select_from(Mention)).scalar_one()
    if reuse and present:
        print(f"reusing {present:,} mentions in {make_url(url).render_as_string()}")
        return url
    if present:
        raise SystemExit(f"{url} already holds mentions; use a fresh database or --reuse")
    started = time.perf_counter()
    for step, seconds in seed(url, rows).items():
        print(f"  {step}: {seconds:.1f} s")
    print(f"seeded {rows:,} mentions in {time.perf_counter() - started:.0f} s")
    return url


def bench_postgres_url(server_url: str, reuse: bool) -> str:
    """A separate database on the server of `server_url`, fresh unless reusing."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DATABASE}
        ).first()
        if exists and not reuse:
            connection.execute(text(f'DROP DATABASE "{BENCH_DATABASE}" WITH (FORCE)'))
        if not exists or not reuse:
            connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return make_url(server_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="mentions to generate")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per page")
    parser.add_argument("--sqlite", type=Path, help="SQLite file (default: a new temp file)")
    parser.add_argument("--postgres", help="also measure PostgreSQL (a server URL)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--reuse", action="store_true", help="measure existing data again")
    args = parser.parse_args(argv)
    targets = []
    if not args.no_sqlite:
        path = args.sqlite or Path(tempfile.mkdtemp(prefix="cxradar-bench-")) / "bench.db"
        targets.append(("SQLite", f"sqlite:///{path}"))
    if args.postgres:
        targets.append(("PostgreSQL", bench_postgres_url(args.postgres, args.reuse)))
    for name, url in targets:
        print(f"{name}: {make_url(url).render_as_string()}")
        prepared(url, args.rows, args.reuse)
        title = f"{name}, {args.rows:,} mentions, {args.repeat} runs"
        print(table(title, measure(url, args.repeat)))
        print()


if __name__ == "__main__":
    main()
