"""Survey answers in the database: once per (source, id), the comment a "survey" mention."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.erasure import forget_author
from cxradar.records import SurveyResponseRecord
from cxradar.schema import Mention, Source, SurveyResponse
from cxradar.surveys import is_detractor, store_survey_responses

WHEN = datetime(2026, 10, 20, 9, tzinfo=UTC)


def answer(external_id: str, score: float = 3, comment: str | None = "No SMS code", **kw):
    fields = {
        "source": "nps",
        "external_id": external_id,
        "created_at": WHEN,
        "score": score,
        "comment": comment,
        "respondent": f"cus_{external_id}",
        "segment": "premium",
        "touchpoint": "app",
        "survey": "October NPS",
    }
    return SurveyResponseRecord(**{**fields, **kw})


def test_answers_are_stored_once_and_comments_become_linked_survey_mentions(db_url):
    records = [answer("1"), answer("2", score=9, comment=None), answer("3", score=10, lang="de")]
    with session_scope(db_url) as session:
        first = store_survey_responses(session, records, "file")
    with session_scope(db_url) as session:
        again = store_survey_responses(session, [*records, answer("4", score=6)], "file")
    assert (first.new, first.already_stored) == (3, 0)
    assert (again.new, again.already_stored) == (1, 3)
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count(SurveyResponse.id))) == 4
        mentions = session.scalars(select(Mention).order_by(Mention.external_id)).all()
        assert [m.external_id for m in mentions] == ["1", "3", "4"]  # "2" has no comment
        one = mentions[0]
        assert (one.kind, one.text, one.author, one.rating) == (
            "survey",
            "No SMS code",
            "cus_1",
            None,
        )
        assert one.extra == {
            "score": 3.0,
            "scale": "nps",
            "survey": "October NPS",
            "segment": "premium",
            "touchpoint": "app",
        }
        assert session.scalar(select(Source.name).where(Source.id == one.source_id)) == "nps"
        links = dict(
            session.execute(select(SurveyResponse.external_id, SurveyResponse.mention_id)).all()
        )
        by_id = {m.external_id: m.id for m in mentions}
        assert links == {"1": by_id["1"], "2": None, "3": by_id["3"], "4": by_id["4"]}


def test_a_score_outside_its_scale_is_refused_before_anything_is_stored(db_url):
    refused = pytest.raises(ValueError, match="score 6 is outside the csat scale")
    with session_scope(db_url) as session, refused:
        store_survey_responses(session, [answer("1"), answer("2", score=6, scale="csat")], "x")
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count(SurveyResponse.id))) == 0


def test_redaction_and_erasure_cover_the_comment_and_the_answer(db_url):
    mail = answer("1", comment="Call me at anna@example.com please", respondent="anna@example.com")
    with session_scope(db_url) as session:
        store_survey_responses(session, [mail, answer("2")], "file", redact_pii=True)
    with session_scope(db_url) as session:
        stored = session.scalar(select(SurveyResponse).where(SurveyResponse.external_id == "1"))
        assert "anna@example.com" not in stored.comment
        assert stored.respondent.startswith("respondent:")
        mention = session.get(Mention, stored.mention_id)
        assert "anna@example.com" not in mention.text and mention.author == stored.respondent
    with session_scope(db_url) as session:
        planned = forget_author(session, "cus_2", "nps", dry_run=True)
        assert (planned.mentions, planned.survey_responses) == (1, 1)
        erased = forget_author(session, "cus_2", "nps")
        assert erased.survey_responses == 1
        assert erased.mentions == 1
    with session_scope(db_url) as session:
        assert (
            session.scalar(
                select(func.count(SurveyResponse.id)).where(SurveyResponse.respondent == "cus_2")
            )
            == 0
        )
        store_survey_responses(session, [answer("2")], "file")  # a later fetch: not again
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count(SurveyResponse.id))) == 1


def test_detractors_are_nps_0_to_6_and_csat_1_to_2():
    assert [s for s in range(11) if is_detractor("nps", s)] == list(range(7))
    assert [s for s in range(1, 6) if is_detractor("csat", s)] == [1, 2]


def _enrich(session, external_id: str, sentiment: str, prob_negative: float) -> None:
    from cxradar.schema import Enrichment

    mention = session.scalar(select(Mention).where(Mention.external_id == external_id))
    rest = (1 - prob_negative) / 2
    session.add(
        Enrichment(
            mention_id=mention.id,
            sentiment=sentiment,
            sentiment_score=max(prob_negative, rest),
            prob_negative=prob_negative,
            prob_neutral=rest,
            prob_positive=rest,
            complaint=True,  # the complaint head says yes to all of them
            prob_complaint=0.8,
            model_version="test",
        )
    )


def test_a_comment_is_read_with_its_score_like_a_review_with_its_stars(db_url):
    from cxradar.issues_store import complaint_filter
    from cxradar.schema import Enrichment

    comments = {
        # external id: (score, sentiment, p(negative))
        "detractor-neutral": (3, "neutral", 0.2),  # joins whatever its words
        "passive-lukewarm": (7, "negative", 0.53),  # "Does what it should, nothing special."
        "passive-angry": (8, "negative", 0.9),  # confidently negative: a complaint all the same
        "promoter-neutral": (10, "neutral", 0.1),
    }
    with session_scope(db_url) as session:
        records = [answer(key, score=score) for key, (score, _, _) in comments.items()]
        store_survey_responses(session, records, "file")
    with session_scope(db_url) as session:
        for key, (_, sentiment, negative) in comments.items():
            _enrich(session, key, sentiment, negative)
    with session_scope(db_url) as session:
        joined = set(
            session.scalars(
                select(Mention.external_id)
                .join(Enrichment, Enrichment.mention_id == Mention.id)
                .where(complaint_filter())
            )
        )
    assert joined == {"detractor-neutral", "passive-angry"}
