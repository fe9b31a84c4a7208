"""Enrichment: language, cross-post links, one embedding per text, sentiment, complaint.

Only what is new is processed: a mention is normalised once, encoded once and
classified once; each batch is committed on its own so a crash loses at most
the batch in flight and a re-run picks up where it stopped.
"""

import time
from collections.abc import Sequence

import dagster as dg
import numpy as np
from sqlalchemy import func, select, update

from cxradar.chunks import chunked
from cxradar.intelligence.noise import (
    BOT_BURST,
    LINK_ONLY,
    NEAR_DUPLICATE_SIMILARITY,
    NEAR_DUPLICATE_WINDOW,
    Copy,
    Posted,
    bot_bursts,
    is_link_only,
    near_duplicates,
)
from cxradar.keywords import BrandMatcher
from cxradar.records import SURVEY_KIND
from cxradar.schema import Embedding, Enrichment, Mention, Ticket, utcnow
from cxradar.store import link_duplicates, load_embeddings, vector_to_bytes
from models.text import MODEL_TEXT_CHARS, model_text  # noqa: F401 (re-exported)
from pipelines.ingest import inbox, raw_mentions, reddit_mentions, support_tickets
from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource
from pipelines.surveys import survey_responses

ENRICH_GROUP = "enrich"
BATCH = 256


class ProgressLog:
    """Progress lines with counts, rate and time left, for long steps."""

    def __init__(self, log, what: str, total: int):
        self.log, self.what, self.total = log, what, total
        self.done, self.started = 0, time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        self.log.info(
            f"{self.what}: {self.done}/{self.total} ({100 * self.done // max(self.total, 1)}%), "
            f"{rate:.0f}/s, about {left:.0f}s left"
        )


@dg.asset(
    group_name=ENRICH_GROUP,
    deps=[raw_mentions, reddit_mentions, inbox, survey_responses],
    description="Mentions with their language detected and cross-posts linked to the first copy.",
    automation_condition=dg.AutomationCondition.eager(),
)
def normalised_mentions(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    models: ModelsResource,
    cx_config: ConfigResource,
) -> dg.MaterializeResult:
    brands = brand_matcher(cx_config.load())
    processed, duplicates, noise = normalise_pending(db, models.get_language_detector(), brands)
    context.log.info(
        f"normalised {processed} mentions, {duplicates} cross-posts linked, "
        f"{noise} marked as noise (link-only or bot burst)"
    )
    return dg.MaterializeResult(
        metadata={"normalised": processed, "cross_posts": duplicates, "noise": noise}
    )


def brand_matcher(config) -> BrandMatcher:
    return BrandMatcher([(brand.name, brand.keywords) for brand in config.brands])


def normalise_pending(
    db: DatabaseResource, detector, brands: BrandMatcher, *where
) -> tuple[int, int, int]:
    """Normalise every mention not normalised yet (and matching ``where``), batch by batch.

    Returns (normalised, cross-posts linked, marked as noise). The hourly asset calls it
    for everything new, the backfill for one day.
    """
    processed = duplicates = noise = 0
    while True:
        with db.session() as session:  # one transaction per batch
            batch = session.scalars(
                select(Mention)
                .where(Mention.normalised_at.is_(None), *where)
                .order_by(Mention.id)
                .limit(BATCH * 4)
            ).all()
            if not batch:
                return processed, duplicates, noise
            linked, marked = normalise_batch(session, batch, detector, brands)
            duplicates, noise = duplicates + linked, noise + marked
            processed += len(batch)


def normalise_batch(
    session, batch: Sequence[Mention], detector, brands: BrandMatcher
) -> tuple[int, int]:
    """Language, brand, cross-post links and noise for mentions not normalised yet.

    A post whose source names no brand is about the configured brand it names (the
    earliest, when it names several).

    Returns (cross-posts linked, marked as noise). Shared by the incremental asset and
    the partitioned backfill.
    """
    missing = [m for m in batch if not m.lang]
    detected = detector.detect([model_text(m.title, m.text) for m in missing])
    for mention, lang in zip(missing, detected, strict=True):
        mention.lang = lang
    for mention in batch:
        if not mention.brand:
            mention.brand = brands.brand_of(f"{mention.title or ''} {mention.text}")
    linked = link_duplicates(session, [m.id for m in batch])
    marked = mark_noise(session, batch)
    now = utcnow()
    for mention in batch:
        mention.normalised_at = now
    return linked, marked


def mark_noise(session, batch: Sequence[Mention]) -> int:
    """Link-only posts, and texts several accounts posted within an hour (bots, campaigns)."""
    marked = 0
    for mention in batch:
        if mention.noise is None and is_link_only(mention.title, mention.text):
            mention.noise, marked = LINK_ONLY, marked + 1
    hashes = {mention.content_hash for mention in batch}
    copies = [
        Copy(*row)
        for row in session.execute(
            select(
                Mention.id, Mention.content_hash, Mention.author, Mention.created_at, Mention.text
            ).where(
                Mention.content_hash.in_(hashes),
                Mention.noise.is_(None),
                Mention.kind != "reshare",  # boosts repeat a text by design; they are no bots
                Mention.kind != SURVEY_KIND,  # answers to a survey were asked for; no campaign
            )
        )
    ]
    burst = bot_bursts(copies)
    if burst:
        session.execute(update(Mention).where(Mention.id.in_(burst)).values(noise=BOT_BURST))
    return marked + len(burst)


def link_near_duplicates(
    session,
    batch: Sequence[Mention],
    vectors: np.ndarray,
    min_similarity: float = NEAR_DUPLICATE_SIMILARITY,
) -> int:
    """A post an author edited and posted again (another channel, a day later) counts once."""
    authored = [
        (m, v) for m, v in zip(batch, vectors, strict=True) if m.author and not m.duplicate_of
    ]
    if not authored:
        return 0
    new = [Posted(m.id, m.author, m.created_at) for m, _ in authored]
    times = [m.created_at for m, _ in authored]
    earlier_rows = session.execute(
        select(Mention.id, Mention.author, Mention.created_at, Mention.duplicate_of)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(
            Mention.author.in_({m.author for m, _ in authored}),
            Mention.created_at >= min(times) - NEAR_DUPLICATE_WINDOW,
            Mention.created_at <= max(times) + NEAR_DUPLICATE_WINDOW,
        )
    ).all()
    # A repeat of a post that is itself a copy points at the first copy, like the copy does.
    root = {row[0]: row[3] or row[0] for row in earlier_rows}
    earlier = [Posted(*row[:3]) for row in earlier_rows] + new
    new_vectors = np.stack([v for _, v in authored])
    stored = load_embeddings(session, "mention", list(root)) if root else new_vectors[:0]
    earlier_vectors = np.concatenate([stored, new_vectors])
    links = near_duplicates(new, new_vectors, earlier, earlier_vectors, min_similarity)
    by_id = {m.id: m for m, _ in authored}
    for mention_id, original in links.items():
        by_id[mention_id].duplicate_of = root.get(original, original)
    return len(links)


@dg.asset(
    group_name=ENRICH_GROUP,
    deps=[normalised_mentions],
    description="Sentiment (3 classes, calibrated) and one stored embedding per new mention.",
    automation_condition=dg.AutomationCondition.eager(),
    pool="models",
)
def mention_enrichments(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    models: ModelsResource,
    cx_config: ConfigResource,
) -> dg.MaterializeResult:
    # Rows enriched before the complaint head existed get it from their stored vectors.
    backfilled = classify_stored_complaints(db, models.get_stored_complaint(), Enrichment)
    with db.session() as session:
        pending = unenriched_ids(session)
    if not pending:
        return dg.MaterializeResult(metadata={"enriched": 0, "complaints_backfilled": backfilled})
    twins = cx_config.load().thresholds.duplicate_similarity
    counts, near_duplicates = enrich_pending(
        db, models, pending, context.log, duplicate_similarity=twins
    )
    return dg.MaterializeResult(
        metadata={
            "enriched": len(pending),
            **counts,
            "near_duplicates": near_duplicates,
            "encoder": models.get_encoder().name,
            "complaint_model": models.get_complaint().version,
        }
    )


def enrich_pending(
    db: DatabaseResource,
    models: ModelsResource,
    pending: list[int],
    log,
    what="mentions",
    duplicate_similarity: float = NEAR_DUPLICATE_SIMILARITY,
) -> tuple[dict[str, int], int]:
    """Encode, classify and store the given mentions, one committed batch at a time.

    Returns the count per sentiment (and of complaints) and how many edited re-posts
    were linked.
    """
    encoder, sentiment = models.get_encoder(), models.get_sentiment()
    complaint = models.get_complaint()
    progress = ProgressLog(log, f"enriching {what}", len(pending))
    counts = {"negative": 0, "neutral": 0, "positive": 0, "complaints": 0}
    near_duplicates = 0
    for chunk in chunked(pending, BATCH):
        with db.session() as session:
            batch = session.scalars(
                select(Mention).where(Mention.id.in_(chunk)).order_by(Mention.id)
            ).all()
            labels, linked = enrich_batch(
                session,
                batch,
                encoder,
                sentiment,
                models.batch_size,
                complaint,
                duplicate_similarity,
            )
            near_duplicates += linked
            for label, is_complaint in labels:
                counts[label] += 1
                counts["complaints"] += is_complaint
        progress.advance(len(batch))
    return counts, near_duplicates


def enrich_batch(
    session,
    batch: Sequence[Mention],
    encoder,
    sentiment,
    batch_size: int,
    complaint,
    duplicate_similarity: float = NEAR_DUPLICATE_SIMILARITY,
) -> tuple[list[tuple[str, bool]], int]:
    """Encode each mention once, classify sentiment and complaint from that pass, store.

    Returns (sentiment label, complaint) per mention and how many edited re-posts were
    linked.
    """
    texts = [model_text(m.title, m.text) for m in batch]
    # One pass: the vector (topics, duplicates, tickets, complaint) and the sentiment
    # branch's features.
    vectors, features = encoder.encode_with_features(texts, batch_size=batch_size)
    results = sentiment.predict(texts, embeddings=features, ratings=[m.rating for m in batch])
    complaints = complaint.predict(vectors, features, texts)
    linked = link_near_duplicates(session, batch, vectors, duplicate_similarity)
    version = getattr(sentiment, "version", type(sentiment).__name__)
    for mention, vector, result, verdict in zip(batch, vectors, results, complaints, strict=True):
        embedding = Embedding(
            owner_kind="mention",
            owner_id=mention.id,
            model=encoder.name,
            dim=len(vector),
            vector=vector_to_bytes(vector),
        )
        session.add(embedding)
        session.flush()
        session.add(
            Enrichment(
                mention_id=mention.id,
                lang=mention.lang,
                sentiment=result.label,
                sentiment_score=float(result.score),
                prob_negative=float(result.probs[0]),
                prob_neutral=float(result.probs[1]),
                prob_positive=float(result.probs[2]),
                complaint=verdict.complaint,
                prob_complaint=verdict.probability,
                embedding_id=embedding.id,
                model_version=version,
            )
        )
    return [(r.label, v.complaint) for r, v in zip(results, complaints, strict=True)], linked


def classify_stored_complaints(db: DatabaseResource, complaint, table) -> int:
    """Complaint and its probability for stored rows of ``table`` (Enrichment or Ticket)
    that have a vector but no complaint yet (stored before migration 0009), from that vector
    by the head on vectors alone: nothing is re-encoded."""
    from models.sentiment import E5_SMALL_NAMES

    kind, key, ready = (
        ("mention", Enrichment.mention_id, Enrichment.embedding_id.is_not(None))
        if table is Enrichment
        else ("ticket", Ticket.id, Ticket.encoded_at.is_not(None))
    )
    # Only vectors of the space the head reads (e5-small, any runtime); others stay NULL.
    readable = select(Embedding.owner_id).where(
        Embedding.owner_kind == kind, Embedding.model.in_(E5_SMALL_NAMES)
    )
    done = 0
    while True:
        with db.session() as session:
            ids = list(
                session.scalars(
                    select(key)
                    .where(table.complaint.is_(None), ready, key.in_(readable))
                    .order_by(key)
                    .limit(BATCH * 4)
                )
            )
            if not ids:
                return done
            verdicts = complaint.predict(load_embeddings(session, kind, ids))
            session.execute(  # ORM bulk UPDATE by primary key: one statement per chunk
                update(table),
                [
                    {key.key: row_id, "complaint": v.complaint, "prob_complaint": v.probability}
                    for row_id, v in zip(ids, verdicts, strict=True)
                ],
            )
            done += len(ids)


def unenriched_ids(session, *where) -> list[int]:
    """Normalised mentions (matching ``where``) without sentiment and vector yet."""
    return list(
        session.scalars(
            select(Mention.id)
            .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
            .where(Enrichment.mention_id.is_(None), Mention.normalised_at.is_not(None), *where)
            .order_by(Mention.id)
        )
    )


@dg.asset(
    group_name=ENRICH_GROUP,
    deps=[support_tickets, inbox],
    description="Language and one stored embedding per new support ticket (for issue links).",
    automation_condition=dg.AutomationCondition.eager(),
    pool="models",
)
def ticket_embeddings(
    context: dg.AssetExecutionContext, db: DatabaseResource, models: ModelsResource
) -> dg.MaterializeResult:
    with db.session() as session:
        pending = list(
            session.scalars(
                select(Ticket.id).where(Ticket.encoded_at.is_(None)).order_by(Ticket.id)
            )
        )
    # Tickets encoded before the complaint head existed get it from their stored vectors.
    backfilled = classify_stored_complaints(db, models.get_stored_complaint(), Ticket)
    if not pending:
        return dg.MaterializeResult(metadata={"encoded": 0, "complaints_backfilled": backfilled})
    encoder, detector = models.get_encoder(), models.get_language_detector()
    complaint = models.get_complaint()
    progress = ProgressLog(context.log, "encoding tickets", len(pending))
    complaints = 0
    for chunk in chunked(pending, BATCH):
        with db.session() as session:
            batch = session.scalars(select(Ticket).where(Ticket.id.in_(chunk))).all()
            texts = [model_text(t.subject, t.body) for t in batch]
            vectors, features = encoder.encode_with_features(texts, batch_size=models.batch_size)
            verdicts = complaint.predict(vectors, features, texts)
            _store_ticket_vectors(session, batch, encoder, vectors, verdicts, detector, texts)
            complaints += sum(verdict.complaint for verdict in verdicts)
        progress.advance(len(batch))
    return dg.MaterializeResult(metadata={"encoded": len(pending), "complaints": complaints})


def _store_ticket_vectors(
    session, tickets: Sequence[Ticket], encoder, vectors, verdicts, detector, texts
):
    now = utcnow()
    rows = zip(tickets, vectors, verdicts, detector.detect(texts), strict=True)
    for ticket, vector, verdict, lang in rows:
        session.add(
            Embedding(
                owner_kind="ticket",
                owner_id=ticket.id,
                model=encoder.name,
                dim=len(vector),
                vector=vector_to_bytes(vector),
            )
        )
        ticket.lang = ticket.lang or lang
        ticket.complaint, ticket.prob_complaint = verdict.complaint, verdict.probability
        ticket.encoded_at = now


@dg.asset_check(
    asset=mention_enrichments,
    description="Every normalised mention has a sentiment and an embedding.",
)
def every_mention_enriched(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        missing = len(unenriched_ids(session))
        total = session.scalar(select(func.count(Enrichment.mention_id)))
    return dg.AssetCheckResult(
        passed=missing == 0, metadata={"missing": missing, "enriched": total}
    )


defs = dg.Definitions(
    assets=[normalised_mentions, mention_enrichments, ticket_embeddings],
    asset_checks=[every_mention_enriched],
)
