"""Survey comments are no social posts: a wave of detractors raises no spike alert and
stays out of the daily volumes and negative shares, while the same comments posted publicly
would alert (tests/pipelines/test_alerts.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from cxradar.aggregates import rebuild_aggregates
from cxradar.db import session_scope
from cxradar.schema import Alert, DailyAggregate, Enrichment, Mention, Source, SurveyResponse
from tests.pipelines.test_alerts import DAY, Corpus, run


def survey_wave(url: str, issue_id: int, count: int) -> None:
    """``count`` detractors' comments about the new issue, answered within two hours."""
    with session_scope(url) as session:
        source = Source(name="nps-october", connector="file")
        session.add(source)
        session.flush()
        for n in range(count):
            text = f"E42 after the update, cannot log in ({n})"
            mention = Mention(
                source_id=source.id,
                external_id=f"s{n}",
                kind="survey",
                created_at=DAY + timedelta(hours=9, minutes=10 * n),
                text=text,
                author=f"respondent-{n}",
                brand="Nordlicht",
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
            session.add(mention)
            session.flush()
            session.add(
                Enrichment(
                    mention_id=mention.id,
                    sentiment="negative",
                    sentiment_score=-0.8,
                    prob_negative=0.9,
                    prob_neutral=0.05,
                    prob_positive=0.05,
                    model_version="test",
                    issue_id=issue_id,
                )
            )
            session.add(
                SurveyResponse(
                    source_id=source.id,
                    external_id=f"s{n}",
                    created_at=mention.created_at,
                    scale="nps",
                    score=n % 7,
                    comment=text,
                    survey="October NPS",
                    mention_id=mention.id,
                )
            )


def test_a_wave_of_detractor_comments_raises_no_spike_alert(db_url, tmp_path):
    corpus = Corpus(db_url)
    survey_wave(db_url, corpus.new, 12)  # twelve public posts like these alert
    assert run(db_url, DAY + timedelta(hours=11, minutes=5), tmp_path) == []
    assert run(db_url, DAY + timedelta(days=1, hours=1), tmp_path) == []
    with session_scope(db_url) as session:
        assert session.scalars(select(Alert)).all() == []


def test_survey_comments_stay_out_of_the_daily_volumes(db_url):
    corpus = Corpus(db_url)
    survey_wave(db_url, corpus.new, 5)
    with session_scope(db_url) as session:
        rebuild_aggregates(session)
        sources = set(session.scalars(select(DailyAggregate.source)))
        on_the_day = session.scalar(
            select(func.sum(DailyAggregate.mentions)).where(DailyAggregate.day == DAY)
        )
    assert sources == {"appstore"} and on_the_day is None
