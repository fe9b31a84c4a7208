"""Scores read from the database: issues' NPS and rating impact, first version, KPI rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention, Source, SurveyResponse, Ticket
from cxradar.scores import (
    refresh_issue_scores,
    reviews,
    survey_responses,
    ticket_times,
    version_first_seen,
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def issue(key: str) -> Issue:
    return Issue(
        key=key,
        label=key,
        classification="systemic",
        score=0.5,
        severity=0.5,
        mentions=3,
        authors=3,
        sources=1,
        tickets=0,
        active_days=1,
        first_seen=at(18),
        last_seen=at(20),
        negative_share=1.0,
        evidence="",
    )


class Store:
    """Adds mentions (with their enrichment) and survey answers in one session."""

    def __init__(self, session):
        self.session, self.count = session, 0
        self.sources = {}

    def source(self, name: str) -> int:
        if name not in self.sources:
            row = Source(name=name, connector=name)
            self.session.add(row)
            self.session.flush()
            self.sources[name] = row.id
        return self.sources[name]

    def mention(self, source, when, kind="post", rating=None, version=None, issue=None, **kw):
        self.count += 1
        mention = Mention(
            source_id=self.source(source),
            external_id=f"m{self.count}",
            kind=kind,
            created_at=when,
            text=f"text {self.count}",
            rating=rating,
            extra={"version": version} if version else None,
            content_hash=f"h{self.count}",
            **kw,
        )
        self.session.add(mention)
        self.session.flush()
        sentiment = "negative" if issue else "positive"
        self.session.add(
            Enrichment(
                mention_id=mention.id,
                sentiment=sentiment,
                sentiment_score=0.0,
                prob_negative=0.0,
                prob_neutral=0.0,
                prob_positive=0.0,
                model_version="test",
                issue_id=issue,
            )
        )
        return mention

    def answer(self, score, when, issue=None, scale="nps", brand=None):
        mention = self.mention("survey", when, kind="survey", issue=issue) if issue else None
        self.count += 1
        self.session.add(
            SurveyResponse(
                source_id=self.source("survey"),
                external_id=f"r{self.count}",
                created_at=when,
                scale=scale,
                score=score,
                comment=mention.text if mention else None,
                mention_id=mention.id if mention else None,
                brand=brand,
            )
        )


@pytest.fixture
def stored(db_url) -> tuple[str, dict[str, int]]:
    with session_scope(db_url) as session:
        issues = {name: issue(f"issue:{name}") for name in ("sms", "praise", "quiet")}
        session.add_all(issues.values())
        session.flush()
        ids = {name: row.id for name, row in issues.items()}
        store = Store(session)
        for score in (10, 10, 9, 9, 8, 7, 3):
            store.answer(score, at(10))
        for score in (2, 0, 5):  # three detractors complain about the SMS code
            store.answer(score, at(19), issue=ids["sms"])
        store.answer(10, at(20), issue=ids["praise"])
        store.answer(2, at(20), scale="csat")  # CSAT: no part of NPS
        for rating in (5, 5, 4, 4):
            store.mention("appstore", at(9), kind="review", rating=rating, version="5.1")
        store.mention(
            "appstore", at(18, 8), kind="review", rating=1, version="5.2", issue=ids["sms"]
        )
        store.mention("googleplay", at(18, 6), kind="review", rating=2, issue=ids["sms"])
        store.mention(
            "googleplay", at(19), kind="review", rating=1, version="5.2", issue=ids["sms"]
        )
        store.mention("reddit", at(18), issue=ids["sms"])
        store.mention("reddit", at(19))
    return db_url, ids


def test_issues_get_nps_and_rating_impact_and_first_version(stored):
    url, ids = stored
    with session_scope(url) as session:
        assert refresh_issue_scores(session) == 2
    with session_scope(url) as session:
        found = {
            row.id: (row.nps_impact, row.rating_impact, row.first_version)
            for row in session.scalars(select(Issue))
        }
    # NPS: all 11 answers 100 * (5 - 4) / 11 = 9.09; without the SMS issue's three
    # detractors 100 * (5 - 1) / 8 = 50 -> -40.91; without the praise 0 -> +9.09
    # Stars: all 7 reviews 22 / 7 = 3.143; without the SMS issue's 1, 2, 1: 18 / 4 = 4.5
    # -> -1.357. First version: its earliest review naming one (18 Oct 08:00, 5.2); the
    # review at 06:00 is earlier but names none.
    assert found[ids["sms"]] == (pytest.approx(-40.91), pytest.approx(-1.357), "5.2")
    assert found[ids["praise"]] == (pytest.approx(9.09), None, None)
    assert found[ids["quiet"]] == (None, None, None)
    with session_scope(url) as session:
        assert refresh_issue_scores(session) == 0  # nothing new, nothing rewritten


def test_kpi_rows_and_version_first_seen(stored):
    url, _ = stored
    with session_scope(url) as session:
        for hour in (1, 23):  # the same UTC day, whatever the server's time zone
            session.add(
                Ticket(
                    source_id=1,
                    external_id=f"t{hour}",
                    created_at=at(19, hour),
                    subject="s",
                    body="b",
                )
            )
        session.flush()
        # counted per UTC day, scale and score: 2 and 0 on 19 Oct, 5 on 19 Oct (one each)
        answers = survey_responses(session, at(15, 0), at(31, 0))
        assert sorted((a.created_at.day, a.scale, a.score, a.count) for a in answers) == [
            (19, "nps", 0, 1),
            (19, "nps", 2, 1),
            (19, "nps", 5, 1),
            (20, "csat", 2, 1),
            (20, "nps", 10, 1),
        ]
        assert all(a.created_at == at(a.created_at.day, 0) for a in answers)  # UTC midnight
        early = survey_responses(session, end=at(15, 0))  # 10 Oct: 10, 10, 9, 9, 8, 7, 3
        assert sorted((a.score, a.count) for a in early) == [
            (3, 1),
            (7, 1),
            (8, 1),
            (9, 2),
            (10, 2),
        ]
        rated = reviews(session)
        assert sorted(
            (r.created_at.day, r.source, r.rating, r.version, r.count) for r in rated
        ) == [
            (9, "appstore", 4, "5.1", 2),
            (9, "appstore", 5, "5.1", 2),
            (18, "appstore", 1, "5.2", 1),
            (18, "googleplay", 2, None, 1),
            (19, "googleplay", 1, "5.2", 1),
        ]
        assert [(t.created_at, t.count) for t in ticket_times(session)] == [(at(19, 0), 2)]
        assert version_first_seen(session) == {"5.1": at(9), "5.2": at(18, 8)}


def test_daily_ratings_and_social_come_from_the_aggregates(stored):
    from cxradar.aggregates import rebuild_aggregates
    from cxradar.scores import daily_ratings, daily_social

    url, _ = stored
    with session_scope(url) as session:
        rebuild_aggregates(session)
        session.flush()
        per_day = sorted(
            (r.created_at.day, r.source, r.rating, r.count) for r in daily_ratings(session)
        )
        assert per_day == [
            (9, "appstore", 4.5, 4),  # 5, 5, 4, 4
            (18, "appstore", 1.0, 1),
            (18, "googleplay", 2.0, 1),
            (19, "googleplay", 1.0, 1),
        ]
        # the survey comments (source "survey") and the reviews are no social posts
        social = sorted((p.created_at.day, p.negative, p.count) for p in daily_social(session))
        assert social == [(18, True, 1), (19, False, 1)]
        assert daily_social(session, brands=("Zinsly",)) == []
