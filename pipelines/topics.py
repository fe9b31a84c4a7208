"""Topics: BERTopic on the stored embeddings, with topic ids that stay stable.

New mentions are assigned to existing topics by centroid similarity. When the
corpus has grown by half since the last fit the model is refitted, and each
new topic that continues an old one keeps the old id, so issues keep theirs.
"""

import random

import dagster as dg
from sqlalchemy import func, select, update

from cxradar.chunks import chunked
from cxradar.schema import Enrichment, Mention, Topic, utcnow
from cxradar.state import TOPIC_FIT, read_state, write_state
from cxradar.store import load_embeddings, vector_to_bytes, vectors_from_bytes
from pipelines.enrich import mention_enrichments, model_text
from pipelines.resources import ConfigResource, DatabaseResource

TOPIC_GROUP = "topics"
REFIT_GROWTH = 1.5  # refit once the corpus is 1.5x what the last fit saw
FIT_SAMPLE = 20_000  # BERTopic fits on a sample; the rest is assigned by centroid
ASSIGN_CHUNK = 5_000


def load_topics(session):
    from models.topics import TopicInfo

    rows = session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.id)).all()
    if not rows:
        return []
    centroids = vectors_from_bytes([row.centroid for row in rows], len(rows[0].centroid) // 4)
    return [
        TopicInfo(
            topic_id=row.id,
            label=row.label,
            keywords=list(row.keywords),
            size=row.size,
            centroid=centroid,
        )
        for row, centroid in zip(rows, centroids, strict=True)
    ]


def _save_topics(session, topics) -> None:
    now = utcnow()
    session.execute(update(Topic).values(active=False))
    for info in topics:
        row = session.get(Topic, info.topic_id)
        if row is None:
            row = Topic(id=info.topic_id, created_at=now)
            session.add(row)
        row.label, row.keywords, row.size = info.label, list(info.keywords), int(info.size)
        row.centroid, row.active, row.updated_at = vector_to_bytes(info.centroid), True, now


def _modeler(config, brands: list[str]):
    from models.topics import TopicModeler

    return TopicModeler(
        extra_stop_words=brands,
        assign_min_similarity=config.thresholds.topic_assign_similarity,
    )


@dg.asset(
    group_name=TOPIC_GROUP,
    deps=[mention_enrichments],
    description="Topic per mention (BERTopic on the stored embeddings), ids stable across refits.",
    automation_condition=dg.AutomationCondition.eager(),
    pool="models",
)
def mention_topics(
    context: dg.AssetExecutionContext, db: DatabaseResource, cx_config: ConfigResource
) -> dg.MaterializeResult:
    config = cx_config.load()
    brand_words = [word for brand in config.brands for word in [brand.name, *brand.keywords]]
    with db.session() as session:
        corpus = session.scalar(select(func.count(Enrichment.mention_id))) or 0
        fitted_on = int(read_state(session, TOPIC_FIT) or 0)
        old_topics = load_topics(session)
    refit = not old_topics or corpus >= REFIT_GROWTH * max(fitted_on, 1)
    modeler = _modeler(config, brand_words)
    fitted = _refit(context, db, modeler, old_topics, corpus) if refit and corpus else 0
    assigned = _assign_new(db, modeler)
    with db.session() as session:
        topics = session.scalar(select(func.count(Topic.id)).where(Topic.active.is_(True)))
        outliers = session.scalar(select(func.count()).where(Enrichment.topic_id == -1))
    return dg.MaterializeResult(
        metadata={
            "refit": refit,
            "fitted_documents": fitted,
            "assigned_new": assigned,
            "topics": topics,
            "outliers": outliers,
        }
    )


def _refit(context, db, modeler, old_topics, corpus: int) -> int:
    with db.session() as session:
        ids = fit_sample(session)
        texts = _model_texts(session, ids)
        embeddings = load_embeddings(session, "mention", ids)
    context.log.info(f"fitting topics on {len(ids)} mentions (BERTopic)")
    fit = modeler.fit(texts, embeddings)
    if old_topics:
        next_id = max(topic.topic_id for topic in old_topics) + 1
        with db.session() as session:
            next_id = max(next_id, (session.scalar(select(func.max(Topic.id))) or -1) + 1)
        fit = modeler.stabilise(old_topics, fit, next_id)
    with db.session() as session:
        _save_topics(session, fit.topics)
        # Every mention is re-assigned against the new topics: fitted ones take their
        # fitted topic, the rest (sample remainder, duplicates) go through _assign_new.
        session.execute(update(Enrichment).values(topic_id=None))
        for mention_id, topic_id in zip(ids, fit.assignments, strict=True):
            session.execute(
                update(Enrichment)
                .where(Enrichment.mention_id == mention_id)
                .values(topic_id=int(topic_id))
            )
        write_state(session, TOPIC_FIT, str(corpus))
    context.log.info(f"{len(fit.topics)} topics")
    return len(ids)


def fit_sample(session) -> list[int]:
    """Ids of the originals the fit sees: all of them, or FIT_SAMPLE drawn at random.

    Only ids are read for the draw; texts and vectors are loaded for the sample alone,
    so the memory a refit needs does not grow with the corpus.
    """
    ids = list(
        session.scalars(
            select(Mention.id)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(Mention.duplicate_of.is_(None))
            .order_by(Mention.id)
        )
    )
    return ids if len(ids) <= FIT_SAMPLE else random.Random(42).sample(ids, FIT_SAMPLE)


def _model_texts(session, ids: list[int]) -> list[str]:
    """The model text of each mention, in the order given."""
    texts: dict[int, str] = {}
    for chunk in chunked(ids, ASSIGN_CHUNK):
        rows = session.execute(
            select(Mention.id, Mention.title, Mention.text).where(Mention.id.in_(chunk))
        )
        texts.update((row.id, model_text(row.title, row.text)) for row in rows)
    return [texts[mention_id] for mention_id in ids]


def _assign_new(db, modeler) -> int:
    """Give every mention without a topic the nearest existing topic (or -1), nearer than the
    modeler's ``assign_min_similarity`` (the config's ``thresholds.topic_assign_similarity``)."""
    assigned = 0
    while True:
        with db.session() as session:
            topics = load_topics(session)
            ids = list(
                session.scalars(
                    select(Enrichment.mention_id)
                    .where(Enrichment.topic_id.is_(None))
                    .order_by(Enrichment.mention_id)
                    .limit(ASSIGN_CHUNK)
                )
            )
            if not ids:
                return assigned
            if topics:
                labels = modeler.assign(load_embeddings(session, "mention", ids), topics)
            else:
                labels = [-1] * len(ids)
            for mention_id, topic_id in zip(ids, labels, strict=True):
                session.execute(
                    update(Enrichment)
                    .where(Enrichment.mention_id == mention_id)
                    .values(topic_id=int(topic_id))
                )
            assigned += len(ids)


defs = dg.Definitions(assets=[mention_topics])
