"""Building issues sets their score impact and first app version, and keeps it current."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from cxradar.db import session_scope
from cxradar.schema import Issue, Mention, Source, SurveyResponse
from pipelines.intelligence import issues
from tests.pipelines.test_incremental import CHECKOUT, START, corpus, issue_of, materialise

__all__ = ["corpus"]  # the fixture, shared with test_incremental.py


def answer(url: str, score: float, day: int, mention_id: int | None = None) -> None:
    with session_scope(url) as session:
        count = len(session.scalars(select(SurveyResponse.id)).all())
        session.add(
            SurveyResponse(
                source_id=session.scalar(select(Source.id)),
                external_id=f"r{count}",
                created_at=START + timedelta(days=day),
                scale="nps",
                score=score,
                mention_id=mention_id,
            )
        )


def test_issues_carry_nps_and_rating_impact_and_the_version_they_began_with(corpus, tmp_path):
    url = corpus.url
    reviews = [corpus.mention(CHECKOUT, day=2 + d % 5, topic=1, rating=1) for d in range(6)]
    comment = corpus.mention(CHECKOUT, day=6, topic=1)  # a detractor's survey comment
    praise = [corpus.mention(None, day=1, sentiment="positive", rating=5) for _ in range(4)]
    with session_scope(url) as session:
        for index, mention_id in enumerate(reviews):  # the first complaint names 5.2
            session.execute(
                update(Mention)
                .where(Mention.id == mention_id)
                .values(kind="review", extra={"version": "5.2" if index else "5.2.0"})
            )
        session.execute(update(Mention).where(Mention.id == comment).values(kind="survey"))
        session.execute(
            update(Mention).where(Mention.id.in_(praise)).values(kind="review", extra=None)
        )
    for score in (10, 9, 8):
        answer(url, score, day=1)
    answer(url, 2, day=6, mention_id=comment)

    materialise(url, tmp_path, issues)
    checkout = issue_of(url)[comment]
    assert {issue_of(url)[m] for m in reviews} == {checkout}
    with session_scope(url) as session:
        found = session.get(Issue, checkout)
        # NPS: 2 promoters, 1 passive, 1 detractor of 4 = 25; without the issue's detractor
        # 2 of 3 = 66.67 -> -41.67. Stars: 6 x 1 + 4 x 5 = 26 / 10 = 2.6; without: 5 -> -2.4
        assert (found.nps_impact, found.rating_impact) == (-41.67, -2.4)
        assert found.first_version == "5.2.0"  # its earliest review's

    # An hour later only a promoter answered: no new complaint, the impact still moves.
    answer(url, 10, day=7)
    assert materialise(url, tmp_path, issues)["new_complaints"] == 0
    with session_scope(url) as session:
        # 3 promoters, 1 passive, 1 detractor of 5 = 40; without: 3 of 4 = 75 -> -35
        assert session.get(Issue, checkout).nps_impact == -35.0
