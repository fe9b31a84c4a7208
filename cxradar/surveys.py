"""Survey answers (NPS, CSAT) in the database, and which of them are detractors.

``store_survey_responses`` keeps each answer once per ``(source, external_id)`` in
``survey_responses``; an answer with a comment also becomes a mention of kind "survey" of
the same source (``mention_id`` links the two), so the comment is normalised, enriched
(language, vector, sentiment, complaint) and grouped into issues like every other post.
The mention's author is the respondent id, so one respondent is one customer; an answer
without one counts as its own customer (``customers.py``). Running it twice stores nothing
twice; a respondent erased with ``forget_author`` is not stored again.

A *detractor* is an NPS answer of 0-6 or a CSAT answer of 1-2 (the two lowest of five, like
1-2 star reviews): their comments are complaint candidates whatever the sentiment model
says, and confirm an issue the way a support ticket does (``thresholds.systemic
.min_detractors``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import and_, or_, select

from cxradar.erasure import forget_key, forgotten_keys
from cxradar.privacy import contains_personal_data, redact
from cxradar.records import (
    DETRACTOR_MAX,
    SURVEY_KIND,
    SURVEY_SCALES,
    MentionRecord,
    SurveyResponseRecord,
)
from cxradar.schema import Mention, SurveyResponse
from cxradar.store import (
    StoreResult,
    _insert_ignore,
    _storable,
    get_or_create_source,
    store_mentions,
)

CHUNK = 500


def is_detractor(scale: str, score: float) -> bool:
    return scale in DETRACTOR_MAX and score <= DETRACTOR_MAX[scale]


def detractor_clause():
    """SQL: the survey answer is a detractor's (``is_detractor`` in the database)."""
    return or_(
        *(
            and_(SurveyResponse.scale == scale, SurveyResponse.score <= highest)
            for scale, highest in DETRACTOR_MAX.items()
        )
    )


def detractor_mentions():
    """SQL: ids of the mentions that are detractors' comments (for the complaint filter)."""
    return select(SurveyResponse.mention_id).where(
        SurveyResponse.mention_id.is_not(None), detractor_clause()
    )


def score_problem(record: SurveyResponseRecord) -> str | None:
    """Why the record's score cannot be stored, or None."""
    if record.scale not in SURVEY_SCALES:
        return f"scale {record.scale!r} is not one of {', '.join(SURVEY_SCALES)}"
    low, high = SURVEY_SCALES[record.scale]
    if not low <= record.score <= high:
        return f"score {record.score:g} is outside the {record.scale} scale ({low}-{high})"
    return None


def comment_mention(record: SurveyResponseRecord) -> MentionRecord:
    """The answer's comment as a mention of kind "survey" of the survey's own source."""
    return MentionRecord(
        source=record.source,
        external_id=record.external_id,
        created_at=record.created_at,
        text=record.comment or "",
        kind=SURVEY_KIND,
        author=record.respondent,
        lang=record.lang,
        brand=record.brand,
        extra={
            "score": record.score,
            "scale": record.scale,
            "survey": record.survey,
            "segment": record.segment,
            "touchpoint": record.touchpoint,
        },
    )


def store_survey_responses(
    session,
    records: Sequence[SurveyResponseRecord],
    connector: str,
    *,
    redact_pii: bool = False,
) -> StoreResult:
    """Insert the answers not stored yet (and their comments as mentions); returns how many
    answers were new. A score outside its scale is refused (connectors report such rows)."""
    for record in records:
        problem = score_problem(record)
        if problem:
            raise ValueError(f"{record.source} response {record.external_id}: {problem}")
    result = StoreResult(fetched=len(records))
    forgotten = forgotten_keys(session)
    kept = [r for r in records if forget_key(r.source, r.respondent) not in forgotten]
    if redact_pii:
        kept = [_redacted(record) for record in kept]
    store_mentions(session, [comment_mention(r) for r in kept if r.comment], connector)
    source_ids = {
        name: get_or_create_source(session, name, connector).id
        for name in sorted({record.source for record in kept})
    }
    rows = [_storable(SurveyResponse, _row(r, source_ids[r.source])) for r in kept]
    result.new = _insert_ignore(session, SurveyResponse, rows)
    result.already_stored = result.fetched - result.new
    _link_comments(session, rows)
    return result


def _redacted(record: SurveyResponseRecord) -> SurveyResponseRecord:
    """Personal data out of the comment; an e-mail as respondent id becomes a stable hash."""
    respondent = record.respondent
    if contains_personal_data(respondent):
        respondent = "respondent:" + hashlib.sha256(respondent.encode("utf-8")).hexdigest()[:16]
    comment = redact(record.comment) if record.comment else record.comment
    return SurveyResponseRecord(**{**record.__dict__, "comment": comment, "respondent": respondent})


def _row(record: SurveyResponseRecord, source_id: int) -> dict:
    return {
        "source_id": source_id,
        "external_id": record.external_id,
        "created_at": record.created_at,
        "scale": record.scale,
        "score": float(record.score),
        "comment": record.comment,
        "respondent": record.respondent,
        "lang": record.lang,
        "segment": record.segment,
        "touchpoint": record.touchpoint,
        "survey": record.survey,
        "brand": record.brand,
    }


def _link_comments(session, rows: list[dict]) -> int:
    """Point each stored answer with a comment at its mention (same source and id)."""
    linked = 0
    keys = [(row["source_id"], row["external_id"]) for row in rows if row["comment"]]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        sources = {key[0] for key in chunk}
        ids = {key[1] for key in chunk}
        mentions = {
            (source_id, external_id): mention_id
            for mention_id, source_id, external_id in session.execute(
                select(Mention.id, Mention.source_id, Mention.external_id).where(
                    Mention.source_id.in_(sources),
                    Mention.external_id.in_(ids),
                    Mention.kind == SURVEY_KIND,
                )
            )
        }
        for answer in session.scalars(
            select(SurveyResponse).where(
                SurveyResponse.source_id.in_(sources),
                SurveyResponse.external_id.in_(ids),
                SurveyResponse.mention_id.is_(None),
            )
        ):
            mention_id = mentions.get((answer.source_id, answer.external_id))
            if mention_id is not None:
                answer.mention_id = mention_id
                linked += 1
    return linked
