"""Survey answers and app versions on top of seed.py's database, for the Channels page.

NPS answers in the four October weeks (weeks start on Monday):

| week of | answers | promoters | passives | detractors | NPS |
|---|---:|---:|---:|---:|---:|
| 5 Oct | 10 | 6 | 3 | 1 | +50 |
| 12 Oct | 10 | 5 | 4 | 1 | +40 |
| 19 Oct | 12 | 3 | 3 | 6 | -25 (the dip: the SMS code issue, 20-25 Oct) |
| 26 Oct | 8 | 4 | 3 | 1 | +37.5 |
| October | 40 | 18 | 13 | 9 | +22.5 |

Four of the dip week's detractors wrote a comment about the SMS code, stored as mentions of
kind "survey" in the systemic issue: without them 36 answers, 18 promoters, 5 detractors,
NPS 36.11; the issue's NPS impact is 22.5 - 36.11 = -13.61 points.

CSAT (1-5): 4, 5 in the week of 12 Oct; 2, 3, 5 in the week of 19 Oct: 3 of 5 satisfied
(60 %), mean 3.8.

App versions: seed.py's German praise reviews (5 stars, 2-11 Oct) name 5.1, its five
systemic 1-star reviews (20-24 Oct) 5.2; September's reviews name none. Star rating of all
25 reviews 88 / 25 = 3.52; without the issue's five 83 / 20 = 4.15: impact -0.63. All the
1-2 star reviews on 5.2 are about the issue (100 %).
"""

from __future__ import annotations

from sqlalchemy import select, update

from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention, Source, SurveyResponse
from cxradar.scores import refresh_issue_scores
from tests.dashboard.seed import day

# (day of October, score); the comment marks a detractor who names the SMS code.
SMS_COMMENT = "SMS code never arrives since the update"
NPS_ANSWERS = [
    *[(5 + i % 5, s) for i, s in enumerate([10, 9, 9, 10, 9, 10, 8, 7, 8, 4])],
    *[(12 + i % 5, s) for i, s in enumerate([9, 10, 9, 9, 10, 8, 8, 7, 7, 5])],
    *[(19 + i % 6, s) for i, s in enumerate([9, 10, 9, 8, 7, 8, 6, 5])],
    *[(21 + i, s) for i, s in enumerate([2, 0, 3, 1])],  # the commented detractors
    *[(26 + i % 5, s) for i, s in enumerate([10, 9, 9, 10, 8, 7, 8, 6])],
]
COMMENTED = range(28, 32)  # indexes of the commented detractors in NPS_ANSWERS
CSAT_ANSWERS = [(13, 4), (14, 5), (20, 2), (21, 3), (22, 5)]
NPS_BY_WEEK = {"5 Oct": 50.0, "12 Oct": 40.0, "19 Oct": -25.0, "26 Oct": 37.5}
NPS_OCTOBER = 22.5
SYSTEMIC_NPS_IMPACT = -13.61
SYSTEMIC_RATING_IMPACT = -0.63


def add_channel_data(url: str) -> None:
    with session_scope(url) as session:
        survey = Source(name="nps-survey", connector="file")
        session.add(survey)
        session.flush()
        systemic = session.scalar(select(Issue.id).where(Issue.classification == "systemic"))
        for index, (number, score) in enumerate(NPS_ANSWERS):
            mention_id = None
            if index in COMMENTED:
                mention_id = _comment(session, survey.id, index, day(10, number, 9), systemic)
            session.add(
                SurveyResponse(
                    source_id=survey.id,
                    external_id=f"nps-{index}",
                    created_at=day(10, number, 9),
                    scale="nps",
                    score=score,
                    comment=SMS_COMMENT if mention_id else None,
                    mention_id=mention_id,
                    survey="October NPS",
                    brand="Finora",
                )
            )
        for index, (number, score) in enumerate(CSAT_ANSWERS):
            session.add(
                SurveyResponse(
                    source_id=survey.id,
                    external_id=f"csat-{index}",
                    created_at=day(10, number, 10),
                    scale="csat",
                    score=score,
                    brand="Finora",
                )
            )
        reviews = select(Source.id).where(Source.name == "appstore").scalar_subquery()
        october = Mention.created_at >= day(10, 1, 0)
        for rating, version in ((5, "5.1"), (1, "5.2")):
            session.execute(
                update(Mention)
                .where(Mention.source_id == reviews, october, Mention.rating == rating)
                .values(extra={"version": version})
            )
        session.flush()
        refresh_issue_scores(session)


def _comment(session, source_id: int, index: int, when, issue_id: int) -> int:
    mention = Mention(
        source_id=source_id,
        external_id=f"nps-{index}",
        kind="survey",
        created_at=when,
        author=f"respondent{index}",
        text=f"{SMS_COMMENT} ({index})",
        lang="en",
        brand="Finora",
        content_hash=f"survey{index}",
    )
    session.add(mention)
    session.flush()
    session.add(
        Enrichment(
            mention_id=mention.id,
            lang="en",
            sentiment="negative",
            sentiment_score=-0.8,
            prob_negative=0.8,
            prob_neutral=0.1,
            prob_positive=0.1,
            model_version="test",
            issue_id=issue_id,
        )
    )
    return mention.id
