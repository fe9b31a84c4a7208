"""Growth: how each pipeline step scales from 10 k to 1 M mentions, and the hourly run.

    python -m benchmarks.growth --sizes 10000 100000 1000000
    python -m benchmarks.growth --sizes 10000 --sample 128      # a quick look

Per size, a fresh SQLite database (``--postgres URL``: a fresh ``cxradar_growth_<n>``
database on that server instead) is filled with a synthetic multilingual corpus (the
complaint and chatter phrasings of tests/intelligence/scenarios.py and demo/generate.py,
English and German, 6 channels, 120 days, tickets) and every step runs on it as the
pipeline runs it. Each phase runs in its own process, as Dagster's multiprocess executor
runs each step, so its peak RSS is its own.

What is measured and what is not:
- ingest: the file connector + store (``ingest_files``), measured.
- normalise: the ``normalised_mentions`` asset (language, cross-posts, noise), measured.
- enrichment: the real encoder on a fixed sample of ``--sample`` texts, measured. Encoding
  1 M texts at ~60/s takes hours on 2 cores, so the corpus's other vectors are SYNTHETIC:
  the real vector of the text's phrasing plus small noise (cosine ~0.94 to it), stored in
  bulk; each mention takes the sentiment the real model gives its phrasing. The output says so.
- topics: the ``mention_topics`` asset (BERTopic fit on FIT_SAMPLE + assignment), measured.
- issues: the ``issues`` asset (+ ``daily_aggregates``, ``negative_spike_alerts``), measured.
- dashboard: the page queries of benchmarks/dashboard_latency.py, p95 of ``--repeat`` runs.
- hourly: 1,000 new mentions and 10 tickets, then ``cxradar_everything`` on Dagster's
  multiprocess executor (each step its own process, as deployed): ingest, normalise, enrich
  with the REAL encoder, topic assignment, issues, alerts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from tests.intelligence.scenarios import PROBLEMS

RESULTS = Path(__file__).resolve().parent / "results"
DAYS = 120
END = datetime(2026, 11, 24, tzinfo=UTC)
START = END - timedelta(days=DAYS)
SOURCES = ("reddit", "appstore", "googleplay", "trustpilot", "mastodon", "news")
REVIEWS = {"appstore", "googleplay", "trustpilot"}
FILE_ROWS = 100_000
HOURLY_NEW = 1_000
HOURLY_FIRST = 10**8  # ids of the hourly runs' mentions and tickets
NOISE_NORM = 0.35  # synthetic vector = phrasing vector + noise of this norm: cosine ~0.94
PHASES = ("generate", "ingest", "normalise", "enrich", "topics", "issues", "dashboard", "hourly")


# --- the synthetic corpus -------------------------------------------------------------------


def phrasings() -> list[tuple[str, str, str]]:
    """(kind, lang, text): every complaint and chatter phrasing the generators know."""
    from demo.generate import CHATTER

    rows = [
        (f"problem:{name}", lang, text)
        for name, problem in sorted(PROBLEMS.items())
        for lang in ("en", "de")
        for text in problem[lang]
    ]
    rows += [
        (f"{mood}:{theme}", lang, text)
        for (mood, theme), by_lang in CHATTER.items()
        for lang, texts in by_lang.items()
        for text in texts
    ]
    return rows


def pick_phrasing(rng: random.Random, table: list, problems: list[int], chatter: list[int]):
    # About 30 % complaints: one problem is a long-running systemic one, the rest spread.
    if rng.random() < 0.3:
        return problems[0] if rng.random() < 0.2 else rng.choice(problems)
    return rng.choice(chatter)


def mention_row(rng: random.Random, index: int, phrase: tuple, when: datetime) -> dict:
    from demo.generate import CLOSERS, CLOSERS_DE, CONTEXT, OPENERS

    kind, lang, core = phrase
    mood = "negative" if kind.startswith(("problem", "negative")) else "neutral"
    closer = rng.choice((CLOSERS if lang == "en" else CLOSERS_DE)[mood])
    text = f"{rng.choice(OPENERS[lang])}{core}{rng.choice(CONTEXT[lang])}{closer}"
    source = rng.choice(SOURCES)
    row = {
        "source": source,
        "id": f"g{index}",
        "created_at": when.isoformat().replace("+00:00", "Z"),
        # A reference number keeps texts apart: real posts are rarely exact copies.
        "text": f"{text[0].upper()}{text[1:]} (#{rng.randrange(10**6)})",
        "author": f"user{rng.randrange(max(index // 3, 50))}",
        "brand": "Finora",
    }
    if source in REVIEWS:
        row["rating"] = rng.choice((1, 2)) if mood == "negative" else rng.choice((3, 4, 5))
    return row


def write_mentions(folder: Path, size: int, first: int = 0, hour: datetime | None = None):
    """JSONL files of ``size`` mentions; returns each row's phrasing index (for vectors)."""
    rng, table = random.Random(size + first), phrasings()
    problems = [i for i, row in enumerate(table) if row[0].startswith("problem")]
    chatter = [i for i, row in enumerate(table) if not row[0].startswith("problem")]
    picked = np.empty(size, dtype=np.int16)
    for start in range(0, size, FILE_ROWS):
        with (folder / f"mentions_{first + start:08d}.jsonl").open("w") as handle:
            for offset in range(start, min(size, start + FILE_ROWS)):
                picked[offset] = pick_phrasing(rng, table, problems, chatter)
                when = (
                    hour + timedelta(seconds=rng.randrange(3600))
                    if hour
                    else (START + timedelta(seconds=rng.randrange(DAYS * 86_400)))
                )
                row = mention_row(rng, first + offset, table[picked[offset]], when)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return picked


def write_tickets(path: Path, count: int, first: int = 0, hour: datetime | None = None):
    import csv

    rng = random.Random(count + first)
    names = sorted(PROBLEMS)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "subject", "body", "channel"])
        for index in range(first, first + count):
            subject = rng.choice(PROBLEMS[rng.choice(names)]["ticket"])
            when = hour or START + timedelta(seconds=rng.randrange(DAYS * 86_400))
            writer.writerow([f"T{index}", when.isoformat(), subject, subject, "email"])


def write_config(work: Path) -> Path:
    config = work / "cxradar.yaml"
    config.write_text(
        "brands:\n  - name: Finora\n    keywords: [finora]\n"
        "sources:\n  - name: synthetic\n    type: file\n    path: mentions/\n"
        "ticket_sources:\n  - name: support\n    type: file\n    path: tickets/\n",
        encoding="utf-8",
    )
    return config


# --- phases (each in its own process) ---------------------------------------------------------


def phase_generate(work: Path, size: int, args) -> dict:
    (work / "mentions").mkdir(parents=True, exist_ok=True)
    (work / "tickets").mkdir(exist_ok=True)
    started = time.perf_counter()
    np.save(work / "phrasing.npy", write_mentions(work / "mentions", size))
    write_tickets(work / "tickets" / "tickets.csv", max(size // 100, 20))
    write_config(work)
    return {"generate_s": time.perf_counter() - started}


class _Log:
    """Dagster-log stand-in for the plain functions: warnings only, the rest is noise here."""

    def info(self, message):
        pass

    def warning(self, message):
        print(message, file=sys.stderr)


def phase_ingest(work: Path, size: int, args) -> dict:
    from connectors.files import read_mentions, read_tickets
    from cxradar.ingest import ingest_files
    from cxradar.store import store_mentions, store_tickets

    db = _db(args)
    started = time.perf_counter()
    stats = ingest_files(db, "synthetic", work / "mentions", read_mentions, store_mentions, _Log())
    seconds = time.perf_counter() - started
    read = lambda file: read_tickets(file, source="support")  # noqa: E731
    ingest_files(db, "support", work / "tickets", read, store_tickets, _Log())
    return {"ingest_rows_per_s": stats["new"] / seconds, "ingest_s": seconds}


def phase_normalise(work: Path, size: int, args) -> dict:
    from pipelines.enrich import normalised_mentions

    seconds = _materialise([normalised_mentions], args, work)
    return {"normalise_s": seconds, "normalise_rows_per_s": size / seconds}


def phase_enrich(work: Path, size: int, args) -> dict:
    from pipelines.resources import ModelsResource

    models = ModelsResource()
    encoder, sentiment = models.get_encoder(), models.get_sentiment()
    rate = measured_encoding_rate(encoder, args.sample)
    table = phrasings()
    # The real phrasing vectors, and the sentiment of each phrasing from the same pass.
    centres, features = encoder.encode_with_features([text for _, _, text in table])
    probs = sentiment.predict_proba([text for _, _, text in table], embeddings=features)
    started = time.perf_counter()
    store_synthetic_vectors(_db(args), np.load(work / "phrasing.npy"), centres, probs, encoder)
    tickets = store_ticket_vectors(_db(args), encoder)
    return {
        "encode_texts_per_s": rate,
        "encode_sample": args.sample,
        "synthetic_vectors": int(size) + tickets,
        "synthetic_store_s": time.perf_counter() - started,
        "encode_all_projected_h": (size + tickets) / rate / 3600,
    }


def measured_encoding_rate(encoder, sample: int) -> float:
    """Texts per second of the real encoder on the same ``sample`` texts at every size."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / "cxradar-growth-sample"
    folder.mkdir(exist_ok=True)
    write_mentions(folder, sample, first=10**9)
    texts = [json.loads(line)["text"] for f in folder.glob("*.jsonl") for line in f.open()]
    encoder.encode_with_features(texts[:8])  # load and warm up; not part of the rate
    started = time.perf_counter()
    encoder.encode_with_features(texts[:sample])  # vectors + sentiment features, as enrichment
    return sample / (time.perf_counter() - started)


def synthetic_vectors(centres: np.ndarray, picked: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, NOISE_NORM / np.sqrt(centres.shape[1]), (len(picked), centres.shape[1]))
    vectors = centres[picked] + noise.astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def store_synthetic_vectors(db, picked, centres, phrasing_probs, encoder, chunk: int = 20_000):
    """Embeddings + enrichments for every mention, in bulk (see the module docstring).

    A mention's sentiment is its phrasing's, as the real model reads that phrasing (and the
    star rating rule on top); its vector is the phrasing's plus noise.
    """
    from sqlalchemy import select

    from cxradar.schema import Mention
    from models.sentiment import to_results

    version = "synthetic (the phrasing's sentiment)"
    columns = (Mention.id, Mention.external_id, Mention.rating, Mention.lang)
    last, start = 0, 0
    while True:  # a chunk at a time (keyset), as the pipeline's steps read the corpus
        with db.session() as session:
            part = session.execute(
                select(*columns).where(Mention.id > last).order_by(Mention.id).limit(chunk)
            ).all()
        if not part:
            return
        indices = np.array([int(r.external_id[1:]) for r in part])
        vectors = synthetic_vectors(centres, picked[indices], seed=start)
        results = to_results(phrasing_probs[picked[indices]], [r.rating for r in part])
        _insert_enrichments(db, part, vectors, results, encoder.name, version)
        last, start = part[-1].id, start + len(part)


def _insert_enrichments(db, part, vectors, results, model: str, version: str) -> None:
    from sqlalchemy import insert

    from cxradar.schema import Embedding, Enrichment, utcnow

    now = utcnow()
    embeddings = [
        {
            "id": r.id,
            "owner_kind": "mention",
            "owner_id": r.id,
            "model": model,
            "dim": 384,
            "vector": v.tobytes(),
        }
        for r, v in zip(part, vectors, strict=True)
    ]
    enrichments = [
        {
            "mention_id": r.id,
            "lang": r.lang,
            "sentiment": res.label,
            "sentiment_score": float(res.score),
            "prob_negative": float(res.probs[0]),
            "prob_neutral": float(res.probs[1]),
            "prob_positive": float(res.probs[2]),
            "embedding_id": r.id,
            "model_version": version,
            "enriched_at": now,
        }
        for r, res in zip(part, results, strict=True)
    ]
    with db.session() as session:
        session.execute(insert(Embedding), embeddings)
        session.execute(insert(Enrichment), enrichments)


def store_ticket_vectors(db, encoder) -> int:
    """Tickets have few distinct subjects: their real vectors, encoded once each."""
    from sqlalchemy import func, insert, select, update

    from cxradar.schema import Embedding, Ticket, utcnow
    from models.language import LanguageDetector

    with db.session() as session:
        tickets = session.execute(select(Ticket.id, Ticket.subject)).all()
        subjects = sorted({t.subject for t in tickets})
        by_subject = dict(zip(subjects, encoder.encode(subjects), strict=True))
        first_id = (session.scalar(select(func.max(Embedding.id))) or 0) + 1
        session.execute(
            insert(Embedding),
            [
                {
                    "id": first_id + i,
                    "owner_kind": "ticket",
                    "owner_id": t.id,
                    "model": encoder.name,
                    "dim": 384,
                    "vector": by_subject[t.subject].astype(np.float32).tobytes(),
                }
                for i, t in enumerate(tickets)
            ],
        )
        langs = dict(zip(subjects, LanguageDetector().detect(subjects), strict=True))
        for subject, lang in langs.items():
            session.execute(
                update(Ticket)
                .where(Ticket.subject == subject)
                .values(encoded_at=utcnow(), lang=lang)
            )
    return len(tickets)


def phase_topics(work: Path, size: int, args) -> dict:
    from pipelines.topics import mention_topics

    return {"topics_s": _materialise([mention_topics], args, work)}


def phase_issues(work: Path, size: int, args) -> dict:
    from pipelines.aggregates import daily_aggregates
    from pipelines.alerts import negative_spike_alerts
    from pipelines.intelligence import issues

    return {
        "issues_s": _materialise([issues], args, work),
        "aggregates_s": _materialise([daily_aggregates], args, work),
        "alerts_s": _materialise([negative_spike_alerts], args, work),
    }


def phase_dashboard(work: Path, size: int, args) -> dict:
    from benchmarks.dashboard_latency import measure

    results = measure(_db(args).resolved_url, args.repeat)
    worst = max(results, key=lambda row: row[2])
    overview = next(row for row in results if row[0] == "overview")
    return {
        "dashboard_p95_ms": worst[2],
        "dashboard_worst_page": worst[0],
        "overview_p95_ms": overview[2],
        "dashboard_pages": results,
    }


def phase_hourly(work: Path, size: int, args) -> dict:
    """1,000 new mentions and 10 tickets an hour after the corpus; the whole graph once.

    The job runs as the deployment runs it: Dagster's multiprocess executor, each step in
    its own process (so the phase's peak RSS is the largest step's), model steps one at a
    time (the ``models`` pool). Each call adds the next hour, so the phase can be
    re-measured on the same corpus.
    """
    import dagster as dg

    from benchmarks.demo_run import step_seconds

    files = (work / "mentions").glob("mentions_*.jsonl")
    hours = sum(int(f.stem.removeprefix("mentions_")) >= HOURLY_FIRST for f in files)
    first = HOURLY_FIRST + hours * HOURLY_NEW
    hour = END + timedelta(hours=hours + 1)
    write_mentions(work / "mentions", HOURLY_NEW, first=first, hour=hour)
    write_tickets(work / "tickets" / f"hour_{hours}.csv", 10, first=first, hour=hour)
    os.environ.update({"CXRADAR_GROWTH_URL": args.url, "CXRADAR_GROWTH_WORK": str(work)})
    (work / "dagster").mkdir(exist_ok=True)
    instance = dg.DagsterInstance.local_temp(tempdir=str(work / "dagster"), overrides=POOLS)
    started = time.perf_counter()
    result = dg.execute_job(dg.reconstructable(hourly_job), instance=instance, run_config=QUIET)
    seconds = time.perf_counter() - started
    assert result.success, "the hourly run failed"
    steps = step_seconds(instance, result.run_id)
    return {"hourly_s": seconds, "hourly_steps": steps, "hourly_executor": "multiprocess"}


def hourly_job():
    """``cxradar_everything`` on the growth corpus (rebuilt in each step's process)."""
    from pipelines.definitions import build_defs
    from pipelines.resources import ConfigResource, DatabaseResource, OutboxNotifier

    work = Path(os.environ["CXRADAR_GROWTH_WORK"])
    defs = build_defs(
        {
            "db": DatabaseResource(url=os.environ["CXRADAR_GROWTH_URL"]),
            "cx_config": ConfigResource(path=str(work / "cxradar.yaml")),
            "notifier": OutboxNotifier(path=str(work / "outbox.jsonl")),
        }
    )
    return defs.resolve_job_def("cxradar_everything")


# deploy/dagster.yaml's pools: one model step at a time (two would share the cores and
# each hold the encoder).
POOLS = {"concurrency": {"pools": {"default_limit": 1, "granularity": "op"}}}
CHILDREN = resource.RUSAGE_CHILDREN  # the hourly run's step processes
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _db(args):
    from pipelines.resources import DatabaseResource

    return DatabaseResource(url=args.url)


def _materialise(assets, args, work: Path) -> float:
    import dagster as dg

    from pipelines.resources import ConfigResource, ModelsResource, OutboxNotifier

    started = time.perf_counter()
    result = dg.materialize(
        assets,
        resources={
            "db": _db(args),
            "models": ModelsResource(),
            "cx_config": ConfigResource(path=str(work / "cxradar.yaml")),
            "notifier": OutboxNotifier(path=str(work / "outbox.jsonl")),
        },
        run_config=QUIET,
    )
    assert result.success
    return time.perf_counter() - started


# --- report --------------------------------------------------------------------------------


COLUMNS = (
    ("mentions", "size", "{:,}"),
    ("ingest rows/s", "ingest_rows_per_s", "{:,.0f}"),
    ("normalise rows/s", "normalise_rows_per_s", "{:,.0f}"),
    ("encoder texts/s (real, sample)", "encode_texts_per_s", "{:,.0f}"),
    ("topic refit s", "topics_s", "{:,.1f}"),
    ("issues s", "issues_s", "{:,.1f}"),
    ("aggregates + alerts s", "aggregates_alerts_s", "{:,.1f}"),
    ("dashboard p95 ms (worst page)", "dashboard_p95_ms", "{:,.0f}"),
    ("overview p95 ms", "overview_p95_ms", "{:,.0f}"),
    ("peak RSS MB", "peak_rss_mb", "{:,.0f}"),
    ("database MB", "database_mb", "{:,.0f}"),
    ("hourly run s (1,000 new)", "hourly_s", "{:,.1f}"),
)
HOURLY_STEPS = (
    "raw_mentions",
    "normalised_mentions",
    "mention_enrichments",
    "mention_topics",
    "issues",
    "daily_aggregates",
    "negative_spike_alerts",
)


def markdown(rows: list[dict], backend: str) -> str:
    for row in rows:
        row["aggregates_alerts_s"] = row.get("aggregates_s", 0) + row.get("alerts_s", 0)
    lines = [
        f"### Growth ({backend}, 2 cores)",
        "",
        "| " + " | ".join(c[0] for c in COLUMNS) + " |",
        "|" + "---:|" * len(COLUMNS),
    ]
    for row in rows:
        cells = [fmt.format(row[key]) if key in row else "–" for _, key, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Hourly run by step (s):",
        "",
        "| mentions | " + " | ".join(HOURLY_STEPS) + " |",
        "|" + "---:|" * 8,
    ]
    for row in rows:
        steps = row.get("hourly_steps", {})
        lines.append(
            f"| {row['size']:,} | "
            + " | ".join(f"{steps.get(s, 0):.1f}" for s in HOURLY_STEPS)
            + " |"
        )
    lines += [
        "",
        "Peak RSS by phase (MB, each phase its own process; hourly: its largest step, the "
        "steps run on Dagster's multiprocess executor, model steps one at a time as deployed):",
        "",
        "| mentions | " + " | ".join(PHASES) + " |",
        "|" + "---:|" * (len(PHASES) + 1),
    ]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | "
            + " | ".join(f"{row.get(p + '_peak_rss_mb', 0):,.0f}" for p in PHASES)
            + " |"
        )
    loads = [v for row in rows for k, v in row.items() if k.endswith("_load_avg")]
    if loads:
        lines += [
            "",
            f"1-minute load average during the phases: {min(loads):.1f}–{max(loads):.1f}"
            f" on {os.cpu_count()} cores (a shared machine: higher load, slower steps).",
        ]
    lines += ["", SYNTHETIC_NOTE]
    return "\n".join(lines) + "\n"


SYNTHETIC_NOTE = (
    "Encoder throughput is measured with the real encoder on a fixed sample; the corpus's "
    "other vectors are SYNTHETIC (the real vector of the text's phrasing plus noise), stored "
    "in bulk, because encoding 1 M texts at that rate takes hours on 2 cores. Everything else, "
    "including the hourly run's encoding of its 1,000 new mentions, is measured."
)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    sizes = [row["size"] for row in rows]
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.5))
    bottom = np.zeros(len(rows))
    for step in HOURLY_STEPS:
        values = np.array([row.get("hourly_steps", {}).get(step, 0) for row in rows])
        left.bar([str(s) for s in sizes], values, bottom=bottom, label=step)
        bottom += values
    left.set(title="hourly run (1,000 new mentions)", xlabel="corpus (mentions)", ylabel="s")
    left.legend(fontsize=7)
    for key, label in (
        ("topics_s", "topic refit"),
        ("issues_s", "issues"),
        ("normalise_s", "normalise"),
        ("ingest_s", "ingest"),
    ):
        middle.plot(sizes, [row.get(key, np.nan) for row in rows], "o-", label=label)
    middle.set(xscale="log", yscale="log", title="bulk steps", xlabel="mentions", ylabel="s")
    middle.legend(fontsize=7)
    for phase in PHASES[1:]:
        right.plot(
            sizes, [row.get(f"{phase}_peak_rss_mb", np.nan) for row in rows], "o-", label=phase
        )
    right.axhline(2048, color="red", linestyle="--", label="2 GB")
    right.set(xscale="log", title="peak RSS per phase", xlabel="mentions", ylabel="MB")
    right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_report(rows: list[dict], folder: Path, backend: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"growth_{backend}.md").write_text(markdown(rows, backend), encoding="utf-8")
    (folder / f"growth_{backend}.json").write_text(json.dumps(rows, indent=1, default=str))
    plot(rows, folder / f"growth_{backend}.png")
    print(markdown(rows, backend))


# --- orchestration ----------------------------------------------------------------------------


def run_phase(args) -> None:
    work = Path(args.work)
    started = time.perf_counter()
    result = globals()[f"phase_{args.phase}"](work, args.size, args)
    result[f"{args.phase}_wall_s"] = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: this process's peak, or its largest child's (the
    # hourly run's steps), i.e. this phase's.
    peaks = [resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, CHILDREN)]
    result[f"{args.phase}_peak_rss_mb"] = max(peaks) / 1024
    # The machine is shared: the 1-minute load average says how contended a phase was.
    result[f"{args.phase}_load_avg"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result, default=str))


def measure_size(size: int, args, url: str, work: Path) -> dict:
    results: dict = {"size": size}
    for phase in args.phases:
        command = [
            sys.executable,
            "-m",
            "benchmarks.growth",
            "--phase",
            phase,
            "--size",
            str(size),
            "--work",
            str(work),
            "--url",
            url,
            "--sample",
            str(args.sample),
            "--repeat",
            str(args.repeat),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
            results["failed_phase"] = phase
            break
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        results.update(json.loads(line.removeprefix("RESULT ")))
        print(f"  {size:>9,}: {phase} {time.perf_counter() - started:,.0f}s", flush=True)
        _save(args, results)
    results["database_mb"] = database_mb(url)
    results["peak_rss_mb"] = peak_rss(results)
    return results


def peak_rss(results: dict) -> float:
    return max((v for k, v in results.items() if k.endswith("_peak_rss_mb")), default=0.0)


def database_mb(url: str) -> float:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    from sqlalchemy import text

    from cxradar.db import get_engine

    with get_engine(url).connect() as connection:
        return (
            connection.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20
        )


def _save(args, current: dict) -> None:
    path = RESULTS / f"growth_{current['size']}.json"
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(current, indent=1, default=str))


def fresh_database(size: int, args, work: Path) -> str:
    from cxradar.db import migrate

    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    url = database_for(size, args, work)
    migrate(url)
    return url


def _sqlite_url(work: Path) -> str:
    return f"sqlite:///{work / 'cxradar.db'}"


def database_for(size: int, args, work: Path) -> str:
    if not args.postgres:
        return _sqlite_url(work)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(_postgres_url(args.postgres, size)).database
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return _postgres_url(args.postgres, size)


def _postgres_url(server: str, size: int) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=f"cxradar_growth_{size}").render_as_string(False)


def main(argv=None) -> None:
    args = parse(argv)
    if args.phase:
        return run_phase(args)
    rows = []
    for size in args.sizes:
        work = Path(args.workdir) / f"growth_{size}"
        started = time.perf_counter()
        if "generate" in args.phases:
            url = fresh_database(size, args, work)
            rows.append(measure_size(size, args, url, work) | {"total_s": 0.0})
        else:  # re-measure some phases on the corpus an earlier call left in --workdir
            url = _postgres_url(args.postgres, size) if args.postgres else _sqlite_url(work)
            previous = json.loads((RESULTS / f"growth_{size}.json").read_text())
            previous.pop("failed_phase", None)
            rows.append(previous | measure_size(size, args, url, work))
            rows[-1]["peak_rss_mb"] = peak_rss(rows[-1])
        rows[-1]["total_s"] += time.perf_counter() - started
        backend = "postgres" if args.postgres else "sqlite"
        _save(args, rows[-1] | {"backend": backend})
        write_report(finished_rows(backend), RESULTS, backend)


def finished_rows(backend: str) -> list[dict]:
    """Every size measured so far (sizes can be run one at a time), smallest first."""
    rows = [json.loads(p.read_text()) for p in RESULTS.glob("growth_[0-9]*.json")]
    rows = [r for r in rows if "total_s" in r and r.get("backend") == backend]
    return sorted(rows, key=lambda row: row["size"])


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sample", type=int, default=512, help="texts the real encoder times")
    parser.add_argument("--repeat", type=int, default=5, help="runs per dashboard page")
    parser.add_argument("--workdir", default="/tmp/cxradar-growth")
    parser.add_argument("--postgres", help="server URL: measure on PostgreSQL instead of SQLite")
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
