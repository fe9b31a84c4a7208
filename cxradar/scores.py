"""Scores in the database: KPI rows, issues' score impact and app versions.

Reads rows with SQLAlchemy and hands them to the pure functions of ``cxradar/kpis.py`` and
``cxradar/intelligence/impact.py``; ``refresh_issue_scores`` is called whenever issues are
written (``cxradar/issues_store.py``), the dashboard's Channels compared page reads the
KPI rows, and the alerts ask ``version_first_seen`` whether a spike began with an update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import load_only

from cxradar.intelligence.impact import (
    LOW_RATING,
    ScoredAnswer,
    VersionedReview,
    first_versions,
    nps_impact,
    rating_impact,
)
from cxradar.kpis import Response, Review, SocialPost, TicketCount
from cxradar.schema import (
    DailyAggregate,
    Enrichment,
    Issue,
    Mention,
    Source,
    SurveyResponse,
    Ticket,
)


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


def _day(session, column):
    """The UTC calendar day of ``column``, computed by the database (one expression object:
    PostgreSQL must see the same expression in GROUP BY)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(literal_column("'UTC'"), column))
    return func.date(column)


def _midnight(value) -> datetime:
    """A day from the database (a date, or text on SQLite) as UTC midnight."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        value = date.fromisoformat(str(value)[:10])
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def survey_responses(session, start=None, end=None, brands=()) -> list[Response]:
    """Survey answers, counted per day, scale and score (an NPS survey has 11 scores a day)."""
    day = _day(session, SurveyResponse.created_at)
    query = select(day, SurveyResponse.scale, SurveyResponse.score, func.count()).group_by(
        day, SurveyResponse.scale, SurveyResponse.score
    )
    if brands:
        query = query.where(SurveyResponse.brand.in_(brands))
    query = _window(query, SurveyResponse.created_at, start, end)
    return [
        Response(_midnight(on), scale, score, count)
        for on, scale, score, count in session.execute(query)
    ]


def reviews(session, start=None, end=None, brands=()) -> list[Review]:
    """Original reviews with a star rating (copies of a review are the same rating), counted
    per day, rating, store and app version."""
    day, version = _day(session, Mention.created_at), review_version()
    query = (
        select(day, Mention.rating, Source.name, version, func.count())
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.rating.is_not(None), _originals())
        .group_by(day, Mention.rating, Source.name, version)
    )
    if brands:
        query = query.where(Mention.brand.in_(brands))
    query = _window(query, Mention.created_at, start, end)
    return [
        Review(_midnight(on), rating, source, name, count)
        for on, rating, source, name, count in session.execute(query)
    ]


def ticket_times(session, start=None, end=None) -> list[TicketCount]:
    """Support tickets created, counted per day."""
    day = _day(session, Ticket.created_at)
    query = _window(select(day, func.count()).group_by(day), Ticket.created_at, start, end)
    return [TicketCount(_midnight(on), count) for on, count in session.execute(query)]


def _survey_sources(session) -> list[str]:
    """Sources of survey answers: their comments are no social posts."""
    return list(
        session.scalars(
            select(Source.name).where(Source.id.in_(select(SurveyResponse.source_id).distinct()))
        )
    )


def _aggregates(session, start, end, brands):
    query = select(DailyAggregate)
    if brands:
        query = query.where(DailyAggregate.brand.in_(brands))
    return _window(query, DailyAggregate.day, start, end)


def daily_ratings(session, start=None, end=None, brands=()) -> list[Review]:
    """Star ratings per day and store from the daily aggregates the pipeline keeps (fast at
    any size; no app version: ``reviews`` has it). ``rating`` is the day's mean, ``count``
    its reviews."""
    query = _aggregates(session, start, end, brands).where(DailyAggregate.rating_count > 0)
    query = query.with_only_columns(
        DailyAggregate.day,
        DailyAggregate.source,
        func.sum(DailyAggregate.rating_sum),
        func.sum(DailyAggregate.rating_count),
    ).group_by(DailyAggregate.day, DailyAggregate.source)
    return [
        Review(_midnight(on), total / count, source, None, count)
        for on, source, total, count in session.execute(query)
    ]


def daily_social(session, start=None, end=None, brands=()) -> list[SocialPost]:
    """Social posts per day and sentiment from the daily aggregates, as the Overview counts
    them (originals), less reviews (posts with a star rating) and survey sources."""
    surveys = _survey_sources(session)
    query = _aggregates(session, start, end, brands)
    if surveys:
        query = query.where(DailyAggregate.source.not_in(surveys))
    query = query.with_only_columns(
        DailyAggregate.day,
        DailyAggregate.sentiment,
        func.sum(DailyAggregate.mentions - DailyAggregate.rating_count),
    ).group_by(DailyAggregate.day, DailyAggregate.sentiment)
    return [
        SocialPost(_midnight(on), sentiment == "negative", int(count))
        for on, sentiment, count in session.execute(query)
        if count
    ]


def low_reviews_on(session, versions: Sequence[str]) -> list[VersionedReview]:
    """The original 1-2 star reviews on these versions, counted per version and issue."""
    version = review_version()
    query = (
        select(version, Enrichment.issue_id, func.count())
        .select_from(Mention)
        .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
        .where(Mention.rating <= LOW_RATING, _originals(), version.in_(list(versions)))
        .group_by(version, Enrichment.issue_id)
    )
    return [
        VersionedReview(None, LOW_RATING, name, issue_id, count)
        for name, issue_id, count in session.execute(query)
    ]


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
    # Counted per score and issue, per rating and issue: a few rows whatever the size.
    answers = [
        ScoredAnswer(score, issue_id, count)
        for score, issue_id, count in session.execute(
            select(SurveyResponse.score, Enrichment.issue_id, func.count())
            .outerjoin(Enrichment, Enrichment.mention_id == SurveyResponse.mention_id)
            .where(SurveyResponse.scale == "nps")
            .group_by(SurveyResponse.score, Enrichment.issue_id)
        )
    ]
    ratings = [
        ScoredAnswer(rating, issue_id, count)
        for rating, issue_id, count in session.execute(
            select(Mention.rating, Enrichment.issue_id, func.count())
            .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
            .where(Mention.rating.is_not(None), _originals())
            .group_by(Mention.rating, Enrichment.issue_id)
        )
    ]
    version = review_version()
    earliest = [  # each issue's first review per version; first_versions takes the earliest
        VersionedReview(first, None, name, issue_id)
        for issue_id, name, first in session.execute(
            select(Enrichment.issue_id, version, func.min(Mention.created_at))
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(
                Mention.rating.is_not(None),
                _originals(),
                Enrichment.issue_id.is_not(None),
                version.is_not(None),
            )
            .group_by(Enrichment.issue_id, version)
        )
    ]
    nps, stars, versions = nps_impact(answers), rating_impact(ratings), first_versions(earliest)
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
