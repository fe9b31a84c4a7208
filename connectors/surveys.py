"""What the survey API connectors (Typeform, SurveyMonkey) share: one answer into a record.

A survey tool knows answers to questions; cxradar needs the score (NPS 0-10 or CSAT 1-5),
the free-text comment and a few facts about the respondent. Each connector finds those in
its API's shapes and hands them here, where the score is checked against the scale: a score
outside it is a bad item (one line naming it), never a wrong number in the NPS.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from connectors.base import SourceError
from connectors.files import RowProblem, survey_score
from cxradar.records import SURVEY_SCALES, SurveyResponseRecord

MAX_TEXT_FIELD = 300  # respondent, segment, touchpoint: names and ids, not texts


class AnswerProblem(ValueError):
    """Why one survey response cannot be used."""


def survey_record(
    *,
    source: str,
    external_id: Any,
    created_at: datetime,
    score: Any,
    scale: str,
    comment: Any = None,
    respondent: Any = None,
    lang: Any = None,
    segment: Any = None,
    touchpoint: Any = None,
    survey: str | None = None,
    brand: str | None = None,
    extra: dict | None = None,
) -> SurveyResponseRecord:
    """The record, or :class:`AnswerProblem` when the response has no id or no valid score."""
    if external_id in (None, ""):
        raise AnswerProblem("response has no id")
    if score is None or (isinstance(score, str) and not score.strip()):
        raise AnswerProblem(f"response {external_id}: no {scale} score answered")
    try:
        number = survey_score(score, scale)
    except RowProblem as problem:
        raise AnswerProblem(f"response {external_id}: {problem}") from None
    text = str(comment).strip() if comment is not None else ""
    code = str(lang).strip().lower()[:8] if lang else None
    return SurveyResponseRecord(
        source=source,
        external_id=str(external_id),
        created_at=created_at,
        score=number,
        scale=scale,
        comment=text or None,
        respondent=_short(respondent),
        lang=code or None,
        segment=_short(segment),
        touchpoint=_short(touchpoint),
        survey=survey,
        brand=brand,
        extra=extra or {},
    )


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:MAX_TEXT_FIELD] or None


def check_scale(scale: str) -> str:
    if scale not in SURVEY_SCALES:
        raise ValueError(f"scale must be one of {', '.join(SURVEY_SCALES)}, not {scale!r}")
    return scale


def load_json_cursor(cursor: str | None, key: str, what: str) -> str | None:
    """``{key: value}`` as stored by the connector; an unreadable cursor says how to reset it."""
    if not cursor:
        return None
    try:
        stored = json.loads(cursor)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get(key), str):
        raise SourceError(
            f"the stored {what} cursor is unreadable; reset this source's cursor to read "
            "again from lookback_days"
        )
    return stored[key]
