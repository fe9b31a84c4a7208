"""The small end-to-end corpus, stored without the pipeline, for the backfill tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from connectors.files import read_mentions
from cxradar.db import session_scope
from cxradar.schema import Embedding, Enrichment, Mention
from cxradar.store import store_mentions
from tests.pipelines.small_corpus import write_corpus


def load_corpus(db_url: str, folder: Path) -> Counter:
    """Store the small corpus's mentions as ingest would; returns mentions per UTC day."""
    write_corpus(folder)
    batch = read_mentions(folder / "mentions.jsonl")
    assert not batch.errors
    with session_scope(db_url) as session:
        store_mentions(session, batch.records, "file")
    return Counter(record.created_at.strftime("%Y-%m-%d") for record in batch.records)


def row_counts(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as session:
        return {
            "mentions": session.scalar(select(func.count(Mention.id))),
            "normalised": session.scalar(
                select(func.count(Mention.id)).where(Mention.normalised_at.is_not(None))
            ),
            "enrichments": session.scalar(select(func.count(Enrichment.mention_id))),
            "embeddings": session.scalar(select(func.count(Embedding.id))),
        }


def enriched_days(db_url: str) -> Counter:
    """Enriched mentions per UTC day of creation."""
    with session_scope(db_url) as session:
        times = session.scalars(
            select(Mention.created_at).join(Enrichment, Enrichment.mention_id == Mention.id)
        )
        return Counter(created.strftime("%Y-%m-%d") for created in times)
