"""Times `cxradar run --demo` on a fresh database, twice: the first and an incremental run.

    python -m benchmarks.demo_run [--database URL]

Prints the wall time of each run, the time per asset, the rows stored and what the second
run added (it must add nothing).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select

from cxradar.config import DEMO_CONFIG
from cxradar.db import session_scope
from cxradar.schema import Alert, Embedding, Enrichment, Issue, IssueLink, Mention, Ticket, Topic
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource

TABLES = (Mention, Ticket, Embedding, Enrichment, Topic, Issue, IssueLink, Alert)


def counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES
        }


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    started, durations = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            durations[event.step_key] = entry.timestamp - started.get(event.step_key, 0.0)
    return durations


def timed_run(url: str) -> tuple[float, dict[str, float]]:
    defs = build_defs(
        {"db": DatabaseResource(url=url), "cx_config": ConfigResource(path=str(DEMO_CONFIG))}
    )
    started = time.monotonic()
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("cxradar_everything").execute_in_process(
        instance=instance,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    if not result.success:
        raise SystemExit("the demo run failed")
    return time.monotonic() - started, step_seconds(instance, result.run_id)


MODEL_STEPS = ("normalised_mentions", "mention_enrichments", "ticket_embeddings", "mention_topics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    for label in ("first run", "second run"):
        before = counts(url) if label == "second run" else None
        seconds, steps = timed_run(url)
        model = sum(v for k, v in steps.items() if k in MODEL_STEPS)
        print(f"{label}: {seconds:.1f}s wall, model steps {model:.1f}s ({model / seconds:.0%})")
        for step, duration in sorted(steps.items(), key=lambda kv: -kv[1]):
            print(f"    {step:28s} {duration:7.2f}s")
        after = counts(url)
        print(f"    rows: {after}")
        if before is not None:
            added = {k: after[k] - before[k] for k in after if after[k] != before[k]}
            print(f"    added by the second run: {added or 'nothing'}")


if __name__ == "__main__":
    main()
