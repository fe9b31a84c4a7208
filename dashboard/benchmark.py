"""Latency of every dashboard query on a large synthetic database (uncached, one call each).

    python -m dashboard.benchmark --rows 1000000            # a fresh SQLite file in a temp dir
    python -m dashboard.benchmark --database postgresql+psycopg://...   # an existing database

Rows are synthetic: 60 days, 6 sources, German and English, about 20% negative,
one issue per 2,000 negative mentions. The daily aggregates are rebuilt the way
the pipeline does (one row per day, source, language and sentiment).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, literal_column, select

from cxradar.db import get_engine, migrate
from cxradar.schema import DailyAggregate, Enrichment, Issue, Mention, Source
from dashboard import queries
from dashboard.queries import Filters

DAYS = 60
END = date(2026, 10, 30)
SOURCES = ("reddit", "appstore", "googleplay", "trustpilot", "mastodon", "news")
WORDS_EN = [
    "login",
    "sms",
    "code",
    "card",
    "transfer",
    "app",
    "fee",
    "update",
    "support",
    "slow",
    "great",
    "love",
]
WORDS_DE = [
    "Anmeldung",
    "SMS",
    "Code",
    "Karte",
    "Überweisung",
    "App",
    "Gebühr",
    "Update",
    "Support",
    "langsam",
    "super",
]
CHUNK = 20_000
AUTHORS = 200_000


def build(url: str, rows: int, seed: int = 7) -> None:
    """Fill an empty, migrated database with `rows` enriched mentions."""
    engine = get_engine(url)
    rng = random.Random(seed)
    start = datetime(END.year, END.month, END.day, tzinfo=UTC) - timedelta(days=DAYS - 1)
    with engine.begin() as connection:
        connection.execute(insert(Source), [{"name": s, "connector": "file"} for s in SOURCES])
        source_ids = list(connection.execute(select(Source.id).order_by(Source.id)).scalars())
        issue_count = max(1, rows // 10_000)
        connection.execute(insert(Issue), [_issue(n, start) for n in range(issue_count)])
        issue_ids = list(connection.execute(select(Issue.id)).scalars())
    for offset in range(0, rows, CHUNK):
        mentions, enrichments = [], []
        for n in range(offset, min(rows, offset + CHUNK)):
            mention, enrichment = _mention(n, rng, start, source_ids, issue_ids)
            mentions.append(mention)
            enrichments.append(enrichment)
        with engine.begin() as connection:
            connection.execute(insert(Mention), mentions)
            connection.execute(insert(Enrichment), enrichments)
    rebuild_aggregates(url)


def _mention(n: int, rng: random.Random, start, source_ids, issue_ids) -> tuple[dict, dict]:
    german = rng.random() < 0.5
    words = WORDS_DE if german else WORDS_EN
    sentiment = rng.choices(("negative", "neutral", "positive"), (0.2, 0.3, 0.5))[0]
    source_id = rng.choice(source_ids)
    created = start + timedelta(seconds=rng.randrange(DAYS * 86_400))
    mention = {
        "id": n + 1,
        "source_id": source_id,
        "external_id": str(n),
        "kind": "post",
        "created_at": created,
        "author": f"user{rng.randrange(AUTHORS)}",
        "text": " ".join(rng.choices(words, k=12)) + f" #{n}",
        "url": f"https://example.org/{n}",
        "rating": rng.randint(1, 5) if source_id == source_ids[1] else None,
        "lang": "de" if german else "en",
        "brand": "Finora" if rng.random() < 0.9 else "Zinsly",
        "content_hash": f"{n:064x}"[-64:],
    }
    enrichment = {
        "mention_id": n + 1,
        "lang": mention["lang"],
        "sentiment": sentiment,
        "sentiment_score": 0.0,
        "prob_negative": 0.2,
        "prob_neutral": 0.3,
        "prob_positive": 0.5,
        "issue_id": rng.choice(issue_ids) if sentiment == "negative" else None,
        "model_version": "benchmark",
    }
    return mention, enrichment


def _issue(n: int, start) -> dict:
    return {
        "key": f"topic:{n}",
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
        "first_seen": start,
        "last_seen": start + timedelta(days=DAYS - 1),
        "negative_share": 1.0,
        "reach": 0,
        "evidence": "benchmark",
    }


def rebuild_aggregates(url: str) -> None:
    """daily_aggregates from the mentions, grouped as the pipeline groups them."""
    day, lang = (
        func.date(Mention.created_at),
        func.coalesce(Enrichment.lang, literal_column("'und'")),
    )
    grouped = (
        select(
            day,
            Source.name,
            lang,
            Enrichment.sentiment,
            func.count(),
            func.coalesce(func.sum(Mention.rating), 0),
            func.count(Mention.rating),
        )
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.duplicate_of.is_(None))
        .group_by(day, Source.name, lang, Enrichment.sentiment)
    )
    with get_engine(url).begin() as connection:
        rows = connection.execute(grouped).all()
        connection.execute(delete(DailyAggregate))
        connection.execute(
            insert(DailyAggregate),
            [
                {
                    "day": datetime.fromisoformat(str(d)[:10]).replace(tzinfo=UTC),
                    "source": s,
                    "lang": lg,
                    "sentiment": sentiment,
                    "mentions": n,
                    "rating_sum": int(rating_sum),
                    "rating_count": rating_count,
                }
                for d, s, lg, sentiment, n, rating_sum, rating_count in rows
            ],
        )


def measure(url: str, repeat: int = 3) -> list[tuple[str, float]]:
    """Median milliseconds of each query the pages run."""
    engine = get_engine(url)
    period = queries.default_period(engine)
    everything = Filters(period)
    reddit_de = Filters(period, sources=("reddit",), langs=("de",))
    issue_ids = [int(i) for i in queries.issues(engine, period, limit=10)["id"]]
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "overview: KPIs + previous period",
            lambda: queries.kpis_with_previous(engine, everything),
        ),
        (
            "overview: KPIs, brand filter (raw rows)",
            lambda: queries.kpis_with_previous(engine, Filters(period, brands=("Finora",))),
        ),
        ("overview: sentiment by day", lambda: queries.sentiment_by_day(engine, everything)),
        ("overview: volume by source", lambda: queries.volume_by(engine, everything, "source")),
        ("overview: volume by language", lambda: queries.volume_by(engine, everything, "lang")),
        ("overview: top 10 issues", lambda: queries.issues(engine, period, limit=10)),
        (
            "overview: 10 issue sparklines",
            lambda: queries.issue_daily_counts(engine, issue_ids, period),
        ),
        (
            "issues: one issue's mentions (500)",
            lambda: queries.issue_mentions(engine, issue_ids[0]),
        ),
        ("mentions: page 1 of all", lambda: queries.search_mentions(engine, everything)),
        (
            "mentions: page 100 of all",
            lambda: queries.search_mentions(engine, everything, page=100),
        ),
        (
            "mentions: reddit + de, negative",
            lambda: queries.search_mentions(engine, reddit_de, sentiments=("negative",)),
        ),
        (
            "mentions: text contains 'überweisung'",
            lambda: queries.search_mentions(engine, everything, text="überweisung"),
        ),
        ("alerts: history", lambda: queries.alerts(engine)),
        ("sources: overview", lambda: queries.sources_overview(engine)),
    ]
    results = []
    for name, run in cases:
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            timings.append((time.perf_counter() - started) * 1000)
        results.append((name, sorted(timings)[len(timings) // 2]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="an existing database to measure (nothing is written)")
    args = parser.parse_args()
    url = args.database
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="cxradar-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
        migrate(url)
        started = time.perf_counter()
        build(url, args.rows)
        print(f"built {args.rows:,} mentions in {time.perf_counter() - started:.0f} s: {url}")
    for name, milliseconds in measure(url):
        print(f"{name:<42} {milliseconds:>9.1f} ms")


if __name__ == "__main__":
    main()
