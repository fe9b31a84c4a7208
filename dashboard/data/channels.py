"""Queries of the Channels compared page, and the score facts of issues.

Typed functions over an Engine; pages call them directly and ``@cached``
(dashboard/data/cache.py) keeps their answers while a page runs. Rows are read by
``cxradar/scores.py`` and the figures computed by ``cxradar/kpis.py`` and
``cxradar/intelligence/impact.py``: the dashboard, the tests and any report share one
definition of NPS, CSAT and the star rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxradar.intelligence.impact import version_share
from cxradar.kpis import (
    Grain,
    csat_of,
    kpi_series,
    nps_of,
    rating_of,
    ratings_by,
    version_key,
    version_releases,
)
from cxradar.schema import Alert, Issue
from cxradar.scores import (
    daily_ratings,
    daily_social,
    low_reviews_on,
    reviews,
    survey_responses,
    ticket_times,
)
from dashboard.data.cache import cached
from dashboard.data.filters import Period

MARKED_ISSUES = 5  # issue first-seen rules on the chart: more would hide the lines' labels

KPI_COLUMNS = [
    "start",  # the day, or the week's Monday (a Timestamp, UTC)
    "nps",
    "respondents",
    "promoters",
    "detractors",
    "csat",
    "csat_mean",
    "csat_respondents",
    "rating",
    "reviews",
    "tickets",
    "social",
    "negative_share",
]


@dataclass(frozen=True)
class PeriodTotals:
    """The period's KPIs as one figure each (None: no answers, reviews or posts)."""

    nps: float | None
    respondents: int
    csat: float | None
    csat_respondents: int
    rating: float | None
    reviews: int
    tickets: int
    negative_share: float | None


@cached
def kpi_table(
    engine: Engine, period: Period, grain: Grain, brands: tuple[str, ...] = ()
) -> pd.DataFrame:
    """One row per day or week of the period: every KPI (see ``cxradar/kpis.py``)."""
    start, end = period.bounds()
    with Session(engine) as session:
        series = kpi_series(
            grain,
            survey_responses(session, start, end, brands),
            daily_ratings(session, start, end, brands),
            ticket_times(session, start, end),
            daily_social(session, start, end, brands),
            first=start.date(),
            last=(end - pd.Timedelta(days=1)).date(),
        )
    rows = [
        [
            pd.Timestamp(b.start, tz=UTC),
            b.nps.nps,
            b.nps.respondents,
            b.nps.promoters,
            b.nps.detractors,
            b.csat.csat,
            b.csat.mean,
            b.csat.respondents,
            b.rating.mean,
            b.rating.count,
            b.tickets,
            b.social,
            b.negative_share,
        ]
        for b in series
    ]
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


@cached
def period_totals(engine: Engine, period: Period, brands: tuple[str, ...] = ()) -> PeriodTotals:
    """The whole period's NPS, CSAT, rating, tickets and negative share."""
    start, end = period.bounds()
    with Session(engine) as session:
        answers = survey_responses(session, start, end, brands)
        rated = daily_ratings(session, start, end, brands)
        tickets = sum(t.count for t in ticket_times(session, start, end))
        posts = daily_social(session, start, end, brands)
    nps_answers = [a for a in answers if a.scale == "nps"]
    nps = nps_of([a.score for a in nps_answers], [a.count for a in nps_answers])
    csat_answers = [a for a in answers if a.scale == "csat"]
    csat = csat_of([a.score for a in csat_answers], [a.count for a in csat_answers])
    rating = rating_of([r.rating for r in rated], [r.count for r in rated])
    social = sum(p.count for p in posts)
    return PeriodTotals(
        nps=nps.nps,
        respondents=nps.respondents,
        csat=csat.csat,
        csat_respondents=csat.respondents,
        rating=rating.mean,
        reviews=rating.count,
        tickets=tickets,
        negative_share=sum(p.count for p in posts if p.negative) / social if social else None,
    )


@cached
def version_ratings(engine: Engine, period: Period, brands: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per app version (in version order): when it was first reviewed (ever, not only in the
    period), its reviews and average star rating in the period, and its 1-2 star reviews."""
    start, end = period.bounds()
    with Session(engine) as session:
        every = reviews(session, brands=brands)  # one pass: a range scan here is no faster
    released = version_releases(every)
    rated = [r for r in every if start <= r.created_at < end]
    per_version = ratings_by(rated, lambda r: r.version)
    low = ratings_by([r for r in rated if r.rating <= 2], lambda r: r.version)
    rows = [
        [
            version,
            pd.Timestamp(released[version]),
            score.count,
            score.mean,
            low[version].count if version in low else 0,
        ]
        for version, score in per_version.items()
    ]
    frame = pd.DataFrame(rows, columns=["version", "released", "reviews", "rating", "low"])
    order = sorted(frame["version"], key=version_key)
    return frame.set_index("version").loc[order].reset_index()


@cached
def store_ratings(engine: Engine, period: Period, brands: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per store or review site: reviews and average star rating in the period."""
    start, end = period.bounds()
    with Session(engine) as session:
        per_store = ratings_by(daily_ratings(session, start, end, brands), lambda r: r.source)
    rows = [[name, s.count, s.mean] for name, s in sorted(per_store.items())]
    return pd.DataFrame(rows, columns=["source", "reviews", "rating"])


@cached
def spike_alerts(engine: Engine, period: Period) -> pd.DataFrame:
    """Alert windows overlapping the period, to shade on the time axis."""
    start, end = period.bounds()
    query = (
        select(Alert.window_start, Alert.window_end, Alert.scope, Alert.kind)
        .where(Alert.window_end > start, Alert.window_start < end)
        .order_by(Alert.window_start)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["window_start", "window_end", "scope", "kind"])


@cached
def issue_starts(engine: Engine, period: Period, limit: int = MARKED_ISSUES) -> pd.DataFrame:
    """The most systemic grouped issues first seen in the period, to mark on the time axis."""
    start, end = period.bounds()
    order = (Issue.classification != "systemic", Issue.score.desc(), Issue.id)
    query = (
        select(Issue.id, Issue.title, Issue.title_de, Issue.label, Issue.first_seen)
        .where(
            Issue.first_seen >= start,
            Issue.first_seen < end,
            Issue.mentions > 1,
            Issue.classification.in_(("systemic", "emerging")),
        )
        .order_by(*order)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["id", "title", "title_de", "label", "first_seen"])


@cached
def issue_version_shares(engine: Engine, issues: tuple[tuple[int, str], ...]) -> dict[int, float]:
    """Issue id -> the share of the 1-2 star reviews on its first version that are about it
    (``issues``: (id, first version) pairs)."""
    if not issues:
        return {}
    with Session(engine) as session:
        low = low_reviews_on(session, sorted({version for _, version in issues}))
    shares = {issue_id: version_share(low, version, issue_id) for issue_id, version in issues}
    return {issue_id: share for issue_id, share in shares.items() if share is not None}
