"""Writing connector records into the database, idempotently.

``(source, external_id)`` is unique: storing the same record twice stores it
once. Identical texts seen again (cross-posts, re-shares) are kept but point
at the first copy through ``duplicate_of`` so they never inflate volumes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cxradar.records import MentionRecord, RowError, TicketRecord
from cxradar.schema import Embedding, IngestCursor, IngestError, Mention, Source, Ticket

_URL = re.compile(r"https?://\S+")
_NON_WORD = re.compile(r"[\W_]+")
# Parameters per INSERT stay under SQLite's limit of 32,766 bound variables.
_INSERT_CHUNK = 500


@dataclass
class StoreResult:
    fetched: int = 0
    new: int = 0
    already_stored: int = 0

    def add(self, other: StoreResult) -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.already_stored += other.already_stored


def content_hash(text: str) -> str:
    """Hash of the text with case, links, punctuation and spacing ignored (finds cross-posts)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _NON_WORD.sub(" ", _URL.sub(" ", folded)).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def get_or_create_source(session: Session, name: str, connector: str) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        _insert_ignore(session, Source, [{"name": name, "connector": connector}])
        source = session.scalar(select(Source).where(Source.name == name))
    return source


def store_mentions(
    session: Session, records: Sequence[MentionRecord], connector: str
) -> StoreResult:
    """Insert the records that are not stored yet; returns how many were new."""
    result = StoreResult(fetched=len(records))
    source_ids = {
        name: get_or_create_source(session, name, connector).id
        for name in sorted({record.source for record in records})
    }
    rows = [_mention_row(record, source_ids[record.source]) for record in records]
    result.new = _insert_ignore(session, Mention, rows)
    result.already_stored = result.fetched - result.new
    return result


def _mention_row(record: MentionRecord, source_id: int) -> dict:
    return {
        "source_id": source_id,
        "external_id": record.external_id,
        "kind": record.kind,
        "created_at": record.created_at,
        "author": record.author,
        "title": record.title,
        "text": record.text,
        "url": record.url,
        "rating": record.rating,
        "lang": record.lang,
        "brand": record.brand,
        "reach": record.reach,
        "content_hash": content_hash(f"{record.title or ''} {record.text}"),
    }


def store_tickets(session: Session, records: Sequence[TicketRecord], connector: str) -> StoreResult:
    result = StoreResult(fetched=len(records))
    source_ids = {
        name: get_or_create_source(session, name, connector).id
        for name in sorted({record.source for record in records})
    }
    rows = [
        {
            "source_id": source_ids[record.source],
            "external_id": record.external_id,
            "created_at": record.created_at,
            "subject": record.subject,
            "body": record.body,
            "status": record.status,
            "channel": record.channel,
            "customer": record.customer,
            "tags": list(record.tags),
        }
        for record in records
    ]
    result.new = _insert_ignore(session, Ticket, rows)
    result.already_stored = result.fetched - result.new
    return result


def store_errors(session: Session, source_name: str, errors: Iterable[RowError]) -> int:
    rows = [
        {"source_name": source_name, "location": f"{e.file}:{e.line}", "reason": e.reason}
        for e in errors
    ]
    return _insert_ignore(session, IngestError, rows)


def _insert_ignore(session: Session, table, rows: list[dict]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    inserted = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        statement = insert(table).values(rows[start : start + _INSERT_CHUNK])
        # RETURNING counts reliably on both drivers (rowcount is -1 on psycopg here).
        returned = session.execute(statement.on_conflict_do_nothing().returning(literal(1)))
        inserted += len(returned.all())
    return inserted


def link_duplicates(session: Session, mention_ids: Sequence[int]) -> int:
    """Point each given mention whose text was seen before at the first copy."""
    if not mention_ids:
        return 0
    hashes = session.execute(
        select(Mention.id, Mention.content_hash).where(Mention.id.in_(mention_ids))
    ).all()
    firsts = dict(
        session.execute(
            select(Mention.content_hash, func.min(Mention.id))
            .where(Mention.content_hash.in_({h for _, h in hashes}))
            .group_by(Mention.content_hash)
        ).all()
    )
    linked = 0
    for mention_id, digest in hashes:
        first = firsts[digest]
        if first != mention_id:
            session.get(Mention, mention_id).duplicate_of = first
            linked += 1
    return linked


def read_cursor(session: Session, source_id: int, key: str) -> str | None:
    return session.scalar(
        select(IngestCursor.value).where(
            IngestCursor.source_id == source_id, IngestCursor.key == key
        )
    )


def write_cursor(session: Session, source_id: int, key: str, value: str) -> None:
    cursor = session.scalar(
        select(IngestCursor).where(IngestCursor.source_id == source_id, IngestCursor.key == key)
    )
    if cursor is None:
        session.add(IngestCursor(source_id=source_id, key=key, value=value))
    else:
        cursor.value = value


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def vectors_from_bytes(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)


def load_embeddings(session: Session, owner_kind: str, owner_ids: Sequence[int]) -> np.ndarray:
    """Stored vectors for the given owners, in the order given."""
    dim = 0
    by_owner: dict[int, bytes] = {}
    for start in range(0, len(owner_ids), _INSERT_CHUNK):
        chunk = owner_ids[start : start + _INSERT_CHUNK]
        for owner_id, blob, size in session.execute(
            select(Embedding.owner_id, Embedding.vector, Embedding.dim).where(
                Embedding.owner_kind == owner_kind, Embedding.owner_id.in_(chunk)
            )
        ):
            by_owner[owner_id] = blob
            dim = size
    missing = [owner_id for owner_id in owner_ids if owner_id not in by_owner]
    if missing:
        raise LookupError(f"no stored embedding for {owner_kind}s {missing[:5]}")
    return vectors_from_bytes([by_owner[owner_id] for owner_id in owner_ids], dim)
