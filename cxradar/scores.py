"""Scores in the database: KPI rows, issues' score impact and app versions.

Reads rows with SQLAlchemy and hands them to the pure functions of ``cxradar/kpis.py`` and
``cxradar/intelligence/impact.py``; ``refresh_issue_scores`` is called whenever issues are
written (``cxradar/issues_store.py``), the dashboard's Channels compared page reads the
KPI rows, and the alerts ask ``version_first_seen`` whether a spike began with an update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from cxradar.intelligence.impact import (
    ScoredAnswer,
    VersionedReview,
    first_versions,
    nps_impact,
    rating_impact,
)
from cxradar.kpis import Response, Review, SocialPost
from cxradar.schema import Enrichment, Issue, Mention, Source, SurveyResponse, Ticket

NOT_SOCIAL = ("review", "survey")  # reviews and survey comments have their own KPIs


def review_version():
    """A review's app version (``extra["version"]``), as text on SQLite and PostgreSQL."""
    return Mention.extra["version"].as_string()


def _window(query, column, start: datetime | None, end: datetime | None):
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def _originals():
    return Mention.duplicate_of.is_(None)


def survey_responses(session, start=None, end=None, brands=()) -> list[Response]:
    query = select(SurveyResponse.created_at, SurveyResponse.scale, SurveyResponse.score)
    if brands:
        query = query.where(SurveyResponse.brand.in_(brands))
    query = _window(query, SurveyResponse.created_at, start, end)
    return [Response(*row) for row in session.execute(query)]


def reviews(session, start=None, end=None, brands=()) -> list[Review]:
    """Every original review with a star rating (copies of a review are the same rating)."""
    query = (
        select(Mention.created_at, Mention.rating, Source.name, review_version())
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.rating.is_not(None), _originals())
    )
    if brands:
        query = query.where(Mention.brand.in_(brands))
    query = _window(query, Mention.created_at, start, end)
    return [Review(*row) for row in session.execute(query)]


def ticket_times(session, start=None, end=None) -> list[datetime]:
    return list(session.scalars(_window(select(Ticket.created_at), Ticket.created_at, start, end)))


def social_posts(session, start=None, end=None, brands=()) -> list[SocialPost]:
    """Enriched social mentions: no reviews, no survey comments, no copies or re-shares,
    no noise (bots, bare links)."""
    query = (
        select(Mention.created_at, Enrichment.sentiment == "negative")
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(
            Mention.kind.not_in((*NOT_SOCIAL, "reshare")),
            Mention.rating.is_(None),
            _originals(),
            Mention.noise.is_(None),
        )
    )
    if brands:
        query = query.where(Mention.brand.in_(brands))
    query = _window(query, Mention.created_at, start, end)
    return [SocialPost(created, bool(negative)) for created, negative in session.execute(query)]


def versioned_reviews(session, low_only: bool = False) -> list[VersionedReview]:
    """Original reviews with their rating, version and issue (None when in none)."""
    query = (
        select(Mention.created_at, Mention.rating, review_version(), Enrichment.issue_id)
        .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
        .where(Mention.rating.is_not(None), _originals())
    )
    if low_only:
        query = query.where(Mention.rating <= 2)
    return [VersionedReview(*row) for row in session.execute(query)]


def version_first_seen(session) -> dict[str, datetime]:
    """Each app version and its first review: when it reached the customers."""
    version = review_version()
    rows = session.execute(
        select(version, func.min(Mention.created_at))
        .where(Mention.rating.is_not(None), version.is_not(None))
        .group_by(version)
    )
    return {name: first for name, first in rows if name}


def refresh_issue_scores(session) -> int:
    """Set every issue's NPS impact, rating impact and first version; returns how many
    issues changed. Every issue, not only those just written: a new answer moves the
    score all issues are measured against."""
    answers = [
        ScoredAnswer(score, issue_id)
        for score, issue_id in session.execute(
            select(SurveyResponse.score, Enrichment.issue_id)
            .outerjoin(Enrichment, Enrichment.mention_id == SurveyResponse.mention_id)
            .where(SurveyResponse.scale == "nps")
        )
    ]
    rated = versioned_reviews(session)
    nps = nps_impact(answers)
    stars = rating_impact([ScoredAnswer(r.rating, r.issue_id) for r in rated])
    versions = first_versions(rated)
    changed = 0
    columns = load_only(Issue.id, Issue.nps_impact, Issue.rating_impact, Issue.first_version)
    for issue in session.scalars(select(Issue).options(columns)):
        new = (_rounded(nps.get(issue.id)), _rounded(stars.get(issue.id), 3))
        new += (versions.get(issue.id),)
        if (issue.nps_impact, issue.rating_impact, issue.first_version) != new:
            issue.nps_impact, issue.rating_impact, issue.first_version = new
            changed += 1
    session.flush()
    return changed


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
