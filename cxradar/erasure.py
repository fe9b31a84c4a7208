"""Erasing one author's posts and everything derived from them (``cxradar forget``).

``forget_author`` removes the mentions, their embeddings, enrichments and corrections,
issues left without mentions, the author's tickets on that source, and rewrites issue
evidence, labels and stored alert messages that quote an erased post. The (source, author)
pair is remembered as a hash (``cxradar/state.py``'s ``FORGOTTEN_PREFIX`` family) so a later
fetch does not store the posts again (``forgotten_keys``/``forget_key``, read by
``cxradar.store.store_mentions``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cxradar.chunks import SQL_CHUNK, chunked
from cxradar.schema import (
    Alert,
    Embedding,
    Enrichment,
    Issue,
    IssueLink,
    Mention,
    SentimentCorrection,
    Source,
    SurveyResponse,
    Ticket,
)
from cxradar.state import FORGOTTEN_PREFIX, keys_under, write_state

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


def forget_key(source: str, author: str | None) -> str | None:
    """A hash naming an erased (source, author): the name itself is never kept."""
    if not author:
        return None
    digest = hashlib.sha256(f"{source}\x1f{author}".encode()).hexdigest()
    return FORGOTTEN_PREFIX + digest


def forgotten_keys(session: Session) -> set[str]:
    return keys_under(session, FORGOTTEN_PREFIX)


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
    write_state(session, forget_key(source, author), "forgotten")
    return erasure


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
    for chunk in chunked(ids, SQL_CHUNK):
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
    for chunk in chunked(ids, SQL_CHUNK):
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
    for chunk in chunked(ids, SQL_CHUNK):
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
    for chunk in chunked(ids, SQL_CHUNK):
        erasure.issue_links += session.execute(
            delete(IssueLink).where(IssueLink.ticket_id.in_(chunk))
        ).rowcount
        erasure.embeddings += session.execute(
            delete(Embedding).where(Embedding.owner_kind == "ticket", Embedding.owner_id.in_(chunk))
        ).rowcount
        session.execute(delete(Ticket).where(Ticket.id.in_(chunk)))
    return len(ids)
