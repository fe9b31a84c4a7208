"""Writing connector records into the database, idempotently, and erasing them on request.

``(source, external_id)`` is unique: storing the same record twice stores it
once. Identical texts seen again (cross-posts, re-shares) are kept but point
at the first copy through ``duplicate_of`` so they never inflate volumes.

Text from outside is made storable on every backend before it is written: NUL
characters (PostgreSQL refuses them) are dropped, lone surrogates become U+FFFD's
stand-in ``?``, and values longer than their column are cut (an over-long
external id keeps a hash so it stays unique). Texts, titles, URLs, subjects and
bodies are kept up to ``MAX_TEXT_CHARS`` and cut there with an ellipsis; a
mention's ``content_hash`` is taken of the whole text first, so two long posts
that differ only after the cut stay two texts. With ``redact_pii`` personal data
is replaced by placeholders first (``cxradar.privacy``). ``forget_author`` erases
one author's posts with everything derived from them and keeps them from being
stored again.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cxradar.intelligence.customers import known_author
from cxradar.privacy import contains_personal_data, redact
from cxradar.records import MentionRecord, RowError, TicketRecord
from cxradar.schema import (
    Alert,
    Embedding,
    Enrichment,
    IngestCursor,
    IngestError,
    Issue,
    IssueLink,
    Mention,
    PipelineState,
    SentimentCorrection,
    Source,
    SurveyResponse,
    Ticket,
)

_URL = re.compile(r"https?://\S+")
_NON_WORD = re.compile(r"[\W_]+")
# Parameters per INSERT stay under SQLite's limit of 32,766 bound variables.
_INSERT_CHUNK = 500
# The longest text kept of a post, title, URL or ticket: Reddit's own limit is 40,000
# characters, app-store reviews are a few thousand; the models read the first 2,000.
MAX_TEXT_CHARS = 50_000
MAX_TAGS = 100


@dataclass
class StoreResult:
    fetched: int = 0
    new: int = 0
    already_stored: int = 0

    def add(self, other: StoreResult) -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.already_stored += other.already_stored


RESHARE_KIND = "reshare"


def plain_text(value: str | None) -> str | None:
    """Entities such as ``&amp;`` turned into their characters (``&``): APIs such as Twitter's
    escape ``&``, ``<`` and ``>`` in plain text, and a CX lead should read ``&``, not ``&amp;``.
    Tags are kept: connectors of HTML sources (feeds, Mastodon, HN) turn HTML into text
    themselves, and what a customer typed is stored verbatim (rendered safely; SECURITY.md)."""
    if not value or "&" not in value:
        return value
    return html.unescape(value)


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
    session: Session,
    records: Sequence[MentionRecord],
    connector: str,
    *,
    redact_pii: bool = False,
) -> StoreResult:
    """Insert the records that are not stored yet; returns how many were new.

    Posts of authors erased with ``forget_author`` are not stored again (counted as
    already stored). ``redact_pii`` replaces personal data in text and title.
    """
    result = StoreResult(fetched=len(records))
    source_ids = {
        name: get_or_create_source(session, name, connector).id
        for name in sorted({record.source for record in records})
    }
    forgotten = _forgotten_keys(session)
    rows = [
        _storable(Mention, _mention_row(record, source_ids[record.source], redact_pii))
        for record in records
        if _forget_key(record.source, record.author) not in forgotten
    ]
    result.new = _insert_ignore(session, Mention, rows)
    result.already_stored = result.fetched - result.new
    return result


def _mention_row(record: MentionRecord, source_id: int, redact_pii: bool) -> dict:
    title, text = plain_text(record.title), plain_text(record.text) or ""
    if redact_pii:
        title, text = (redact(title) if title else title), redact(text)
    return {
        "source_id": source_id,
        "external_id": record.external_id,
        "kind": record.kind,
        "created_at": record.created_at,
        "author": record.author,
        "title": title,
        "text": text,
        "url": record.url,
        "rating": record.rating,
        "lang": record.lang,
        "brand": record.brand,
        "reach": record.reach,
        "extra": _storable_extra(record.extra),
        "content_hash": content_hash(f"{_storable_text(title or '')} {_storable_text(text)}"),
    }


def _storable_extra(extra: dict) -> dict | None:
    """The source's extra fields as plain JSON (no NUL, which PostgreSQL refuses); None if empty."""
    if not extra:
        return None
    return json.loads(json.dumps(extra, default=str).replace("\\u0000", ""))


def store_tickets(
    session: Session,
    records: Sequence[TicketRecord],
    connector: str,
    *,
    redact_pii: bool = False,
) -> StoreResult:
    """Insert the tickets not stored yet; ``redact_pii`` cleans subject, body and customer."""
    result = StoreResult(fetched=len(records))
    source_ids = {
        name: get_or_create_source(session, name, connector).id
        for name in sorted({record.source for record in records})
    }
    rows = [
        _storable(Ticket, _ticket_row(record, source_ids[record.source], redact_pii))
        for record in records
    ]
    result.new = _insert_ignore(session, Ticket, rows)
    result.already_stored = result.fetched - result.new
    if result.already_stored:
        _refresh_ticket_state(session, rows)
    return result


TICKET_STATE = ("status", "channel", "tags")


def _refresh_ticket_state(session: Session, rows: list[dict]) -> int:
    """A ticket fetched again (Zendesk exports updated tickets) takes its new status and tags.

    Subject and body stay as first stored: they were encoded and linked to issues.
    """
    latest = {(row["source_id"], row["external_id"]): row for row in rows}
    changed = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        keys = list(latest)[start : start + _INSERT_CHUNK]
        stored = session.scalars(
            select(Ticket).where(
                Ticket.source_id.in_({k[0] for k in keys}),
                Ticket.external_id.in_({k[1] for k in keys}),
            )
        )
        for ticket in stored:
            row = latest.get((ticket.source_id, ticket.external_id))
            if row and any(getattr(ticket, key) != row[key] for key in TICKET_STATE):
                for key in TICKET_STATE:
                    setattr(ticket, key, row[key])
                changed += 1
    return changed


def _ticket_row(record: TicketRecord, source_id: int, redact_pii: bool) -> dict:
    subject, body = plain_text(record.subject) or "", plain_text(record.body) or ""
    customer = record.customer
    if redact_pii:
        subject, body = redact(subject), redact(body)
        if contains_personal_data(customer):  # an e-mail as customer id: keep it distinct
            customer = "customer:" + hashlib.sha256(customer.encode("utf-8")).hexdigest()[:16]
    return {
        "source_id": source_id,
        "external_id": record.external_id,
        "created_at": record.created_at,
        "subject": subject,
        "body": body,
        "status": record.status,
        "channel": record.channel,
        "customer": customer,
        "tags": [_storable_text(str(tag))[:200] for tag in record.tags[:MAX_TAGS]],
    }


def _storable_text(value: str) -> str:
    """Text every backend accepts: no NUL (PostgreSQL refuses it), no lone surrogates."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _storable(table, row: dict) -> dict:
    """The row with every text storable and cut to its column's length."""
    for name, value in row.items():
        if not isinstance(value, str):
            continue
        value = _storable_text(value)
        limit = getattr(table.__table__.c[name].type, "length", None)
        if limit and len(value) > limit:
            value = _fit_id(value, limit) if name == "external_id" else value[:limit]
        elif not limit and len(value) > MAX_TEXT_CHARS:
            value = value[: MAX_TEXT_CHARS - 1] + "…"  # a text: the ellipsis shows it was cut
        row[name] = value
    return row


def _fit_id(value: str, limit: int) -> str:
    """An over-long id, cut but still unique: its start and a hash of the whole."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{value[: limit - len(digest) - 1]}#{digest}"


def store_errors(session: Session, source_name: str, errors: Iterable[RowError]) -> int:
    rows = [
        _storable(
            IngestError,
            {"source_name": source_name, "location": f"{e.file}:{e.line}", "reason": e.reason},
        )
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
    """Point each given mention that repeats a post at that post's first copy.

    A copy is a duplicate only when the same customer posts it again (on another channel, an
    edit, a re-post) or when it is an explicit re-share of another post (kind "reshare": a
    retweet, boost, repost or quote, where the source marks it). The same words from
    different customers are different customers ("app down?", "Paket kam beschädigt an");
    the same text from many accounts within an hour is a bot burst (noise), not a copy.
    """
    if not mention_ids:
        return 0
    given = session.execute(
        select(Mention.id, Mention.content_hash, Mention.author, Mention.kind, Mention.extra).where(
            Mention.id.in_(mention_ids)
        )
    ).all()
    first_post: dict[str, int] = {}  # hash -> first post that is no re-share
    first_share: dict[str, int] = {}  # hash -> first re-share (for shares of unseen posts)
    first_by_author: dict[tuple[str, str], int] = {}
    for mention_id, digest, author, kind in session.execute(
        select(Mention.id, Mention.content_hash, Mention.author, Mention.kind)
        .where(Mention.content_hash.in_({row[1] for row in given}))
        .order_by(Mention.id)
    ):
        if kind == RESHARE_KIND:
            first_share.setdefault(digest, mention_id)
            continue
        first_post.setdefault(digest, mention_id)
        if known_author(author):
            first_by_author.setdefault((digest, author), mention_id)
    shared = _shared_posts(session, [row[4] for row in given if row[3] == RESHARE_KIND])
    linked = 0
    for mention_id, digest, author, kind, extra in given:
        if kind == RESHARE_KIND:
            # The post the source says was shared (a quote adds words of its own), else
            # the first post with the same words.
            first = _reference(extra, shared) or first_post.get(digest, first_share.get(digest))
        elif known_author(author):
            first = first_by_author.get((digest, author))
        else:
            first = None  # no author: every such post is its own customer
        mention = session.get(Mention, mention_id)
        target = first if first is not None and first != mention_id else None
        if target is not None:
            target = session.get(Mention, target).duplicate_of or target  # the first copy
        if mention.duplicate_of != target:
            mention.duplicate_of = target
            linked += target is not None
    return linked


_REFERENCES = ("reshare_of", "reshare_url")  # where connectors name the shared post


def _shared_posts(session: Session, extras: list) -> dict[str, int]:
    """External id or URL -> id of the stored post that re-shares name."""
    refs = {str(e[k]) for e in extras if isinstance(e, dict) for k in _REFERENCES if e.get(k)}
    if not refs:
        return {}
    found: dict[str, int] = {}
    for mention_id, external_id, url in session.execute(
        select(Mention.id, Mention.external_id, Mention.url)
        .where(Mention.kind != RESHARE_KIND)
        .where((Mention.external_id.in_(refs)) | (Mention.url.in_(refs)))
        .order_by(Mention.id)
    ):
        found.setdefault(external_id, mention_id)
        if url:
            found.setdefault(url, mention_id)
    return found


def _reference(extra, shared: dict[str, int]) -> int | None:
    if not isinstance(extra, dict):
        return None
    for key in _REFERENCES:
        if extra.get(key) and str(extra[key]) in shared:
            return shared[str(extra[key])]
    return None


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


# --- erasure (right to be forgotten) ---------------------------------------------------------

FORGOTTEN_PREFIX = "privacy.forgotten:"
ERASED = "[erased]"
ERASED_EVIDENCE = (
    "Evidence withheld: posts quoted here were erased on request; "
    "the next pipeline run writes it anew."
)


@dataclass
class Erasure:
    """What ``forget_author`` removed (or, with ``dry_run``, would remove)."""

    mentions: int = 0
    embeddings: int = 0
    enrichments: int = 0
    corrections: int = 0
    duplicates_repointed: int = 0
    issues_removed: int = 0
    issues_rewritten: int = 0
    issue_links: int = 0
    alerts_rewritten: int = 0
    tickets: int = 0
    survey_responses: int = 0

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {count}" for name, count in vars(self).items()]


def _forget_key(source: str, author: str | None) -> str | None:
    """A hash naming an erased (source, author): the name itself is never kept."""
    if not author:
        return None
    digest = hashlib.sha256(f"{source}\x1f{author}".encode()).hexdigest()
    return FORGOTTEN_PREFIX + digest


def _forgotten_keys(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(PipelineState.key).where(PipelineState.key.startswith(FORGOTTEN_PREFIX))
        )
    )


def forget_author(session: Session, author: str, source: str, dry_run: bool = False) -> Erasure:
    """Erase an author's mentions on one source and everything derived from them.

    Removed: the mentions, their embeddings, enrichments (issue membership) and
    sentiment corrections; issues left without mentions with their ticket links;
    tickets of that customer on that source with their embeddings and links; the
    respondent's survey answers on that (survey) source.
    Copies of an erased post by others now point at the earliest remaining copy.
    Issue evidence, issue labels and stored alert messages quoting an erased post
    are rewritten. The (source, author) pair is remembered as a hash so that the
    posts are not stored again by a later fetch.
    """
    erasure = Erasure()
    source_row = session.scalar(select(Source).where(Source.name == source))
    if source_row is None or not author:
        return erasure
    mentions = session.execute(
        select(Mention.id, Mention.title, Mention.text).where(
            Mention.source_id == source_row.id, Mention.author == author
        )
    ).all()
    ids = [row.id for row in mentions]
    texts = [text for row in mentions for text in (row.title, row.text) if text]
    if dry_run:
        return _count_erasure(session, ids, source_row.id, author)
    issue_ids = _issues_of(session, ids)
    erasure.survey_responses = session.execute(  # before the mentions they point at
        delete(SurveyResponse).where(
            SurveyResponse.source_id == source_row.id, SurveyResponse.respondent == author
        )
    ).rowcount
    erasure.duplicates_repointed = _repoint_duplicates(session, ids)
    _delete_mentions(session, ids, erasure)
    _drop_or_rewrite_issues(session, issue_ids, texts, erasure)
    erasure.alerts_rewritten = _rewrite_alerts(session, texts)
    erasure.tickets = _delete_tickets(session, source_row.id, author, erasure)
    if not session.get(PipelineState, _forget_key(source, author)):
        session.add(PipelineState(key=_forget_key(source, author), value="forgotten"))
    return erasure


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _INSERT_CHUNK):
        yield ids[start : start + _INSERT_CHUNK]


def _count_erasure(session: Session, ids: list[int], source_id: int, author: str) -> Erasure:
    tickets = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.source_id == source_id, Ticket.customer == author
        )
    )
    answers = session.scalar(
        select(func.count(SurveyResponse.id)).where(
            SurveyResponse.source_id == source_id, SurveyResponse.respondent == author
        )
    )
    return Erasure(mentions=len(ids), tickets=tickets, survey_responses=answers)


def _issues_of(session: Session, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found |= set(
            session.scalars(
                select(Enrichment.issue_id).where(
                    Enrichment.mention_id.in_(chunk), Enrichment.issue_id.is_not(None)
                )
            )
        )
    return found


def _repoint_duplicates(session: Session, ids: list[int]) -> int:
    """Copies of an erased post: the earliest remaining one becomes the original."""
    erased = set(ids)
    copies: dict[str, list[int]] = {}
    for chunk in _chunks(ids):
        for mention_id, digest in session.execute(
            select(Mention.id, Mention.content_hash).where(Mention.duplicate_of.in_(chunk))
        ):
            if mention_id not in erased:
                copies.setdefault(digest, []).append(mention_id)
    for members in copies.values():
        first, *rest = sorted(members)
        session.execute(update(Mention).where(Mention.id == first).values(duplicate_of=None))
        if rest:
            session.execute(update(Mention).where(Mention.id.in_(rest)).values(duplicate_of=first))
    return sum(len(members) for members in copies.values())


def _delete_mentions(session: Session, ids: list[int], erasure: Erasure) -> None:
    """Corrections and enrichments first (they point at mentions and vectors), then the rest."""
    for chunk in _chunks(ids):
        erasure.corrections += session.execute(
            delete(SentimentCorrection).where(SentimentCorrection.mention_id.in_(chunk))
        ).rowcount
        erasure.enrichments += session.execute(
            delete(Enrichment).where(Enrichment.mention_id.in_(chunk))
        ).rowcount
        erasure.embeddings += session.execute(
            delete(Embedding).where(
                Embedding.owner_kind == "mention", Embedding.owner_id.in_(chunk)
            )
        ).rowcount
        erasure.mentions += session.execute(delete(Mention).where(Mention.id.in_(chunk))).rowcount


def _quotes_any(haystack: str | None, texts: list[str]) -> bool:
    """Whether ``haystack`` quotes the start of one of the texts (as evidence or alerts do)."""
    from cxradar.intelligence.text_safety import clean_text, sanitize_untrusted

    if not haystack:
        return False
    for text in texts:
        for form in (clean_text(text), sanitize_untrusted(text, 10_000), " ".join(text.split())):
            needle = form[:30]
            distinctive = len(needle) >= 12 or f"“{needle}" in haystack
            if needle and distinctive and needle in haystack:
                return True
    return False


def _drop_or_rewrite_issues(
    session: Session, issue_ids: set[int], texts: list[str], erasure: Erasure
) -> None:
    for issue in session.scalars(select(Issue).where(Issue.id.in_(issue_ids))).all():
        remaining = session.scalar(
            select(func.count(Enrichment.mention_id)).where(Enrichment.issue_id == issue.id)
        )
        if not remaining:
            erasure.issue_links += session.execute(
                delete(IssueLink).where(IssueLink.issue_id == issue.id)
            ).rowcount
            session.delete(issue)
            erasure.issues_removed += 1
            continue
        issue.mentions = remaining
        if _quotes_any(issue.label, texts):
            issue.label = ERASED
        if _quotes_any(issue.evidence, texts):
            issue.evidence = ERASED_EVIDENCE
        erasure.issues_rewritten += 1
    session.flush()


def _rewrite_alerts(session: Session, texts: list[str]) -> int:
    """Stored alert messages keep no sample post (or issue title) quoting an erased post."""
    rewritten = 0
    for alert in session.scalars(select(Alert)):
        lines = alert.body.splitlines()
        kept = [_erased_line(line) if _quotes_any(line, texts) else line for line in lines]
        title = ERASED if _quotes_any(alert.title, texts) else alert.title
        if kept != lines or title != alert.title:
            alert.body, alert.title = "\n".join(kept), title
            rewritten += 1
    return rewritten


def _erased_line(line: str) -> str:
    return f"> “{ERASED}”" if line.startswith(">") else f"- {ERASED}"


def _delete_tickets(session: Session, source_id: int, customer: str, erasure: Erasure) -> int:
    ids = list(
        session.scalars(
            select(Ticket.id).where(Ticket.source_id == source_id, Ticket.customer == customer)
        )
    )
    for chunk in _chunks(ids):
        erasure.issue_links += session.execute(
            delete(IssueLink).where(IssueLink.ticket_id.in_(chunk))
        ).rowcount
        erasure.embeddings += session.execute(
            delete(Embedding).where(Embedding.owner_kind == "ticket", Embedding.owner_id.in_(chunk))
        ).rowcount
        session.execute(delete(Ticket).where(Ticket.id.in_(chunk)))
    return len(ids)
