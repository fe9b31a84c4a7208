"""The hourly run only handles what is new: issues and daily aggregates, incremental vs full.

Vectors are synthetic (one direction per problem, a little noise), so no model runs: what
is tested is where new complaints land, not how well an encoder tells problems apart.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import dagster as dg
import numpy as np
import pytest
from sqlalchemy import func, select

from cxradar.aggregates import rebuild_aggregates
from cxradar.db import session_scope
from cxradar.schema import (
    Embedding,
    Enrichment,
    Issue,
    IssueLink,
    Mention,
    PipelineState,
    Source,
    Ticket,
    utcnow,
)
from cxradar.state import FULL_PASS_ENV, ISSUE_REGROUPED_AT
from pipelines.aggregates import daily_aggregates
from pipelines.intelligence import issues
from pipelines.resources import ConfigResource, DatabaseResource
from tests.dashboard.test_aggregates import snapshot

DIM = 32
START = datetime(2026, 9, 1, 9, tzinfo=UTC)
CHECKOUT, LOGIN, COURIER = 0, 5, 10  # the direction of each problem's complaints


class Corpus:
    """Writes mentions (with enrichment and vector) and tickets straight into the database."""

    def __init__(self, url: str):
        self.url, self.rng, self.count = url, np.random.default_rng(7), 0
        with session_scope(url) as session:
            session.add(Source(name="reddit", connector="file"))

    def vector(self, direction: int | None, noise: float = 0.05) -> np.ndarray:
        vector = self.rng.normal(0, noise if direction is not None else 1.0, DIM)
        if direction is not None:
            vector[direction] += 1.0
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def mention(self, direction, *, day: int, sentiment="negative", topic=-1, rating=None):
        self.count += 1
        text = f"post {self.count} about {direction}"
        with session_scope(self.url) as session:
            source = session.scalar(select(Source.id))
            mention = Mention(
                source_id=source,
                external_id=f"m{self.count}",
                created_at=START + timedelta(days=day, minutes=self.count),
                author=f"author{self.count}",
                text=text,
                rating=rating,
                lang="en",
                brand="Finora",
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                normalised_at=utcnow(),
            )
            session.add(mention)
            session.flush()
            embedding = self._embedding(session, "mention", mention.id, direction)
            session.add(
                Enrichment(
                    mention_id=mention.id,
                    lang="en",
                    sentiment=sentiment,
                    sentiment_score=-0.8 if sentiment == "negative" else 0.5,
                    prob_negative=0.8 if sentiment == "negative" else 0.1,
                    prob_neutral=0.1,
                    prob_positive=0.1 if sentiment == "negative" else 0.8,
                    embedding_id=embedding.id,
                    topic_id=topic,
                    model_version="test",
                )
            )
            return mention.id

    def ticket(self, direction: int, *, day: int) -> int:
        self.count += 1
        with session_scope(self.url) as session:
            ticket = Ticket(
                source_id=session.scalar(select(Source.id)),
                external_id=f"t{self.count}",
                created_at=START + timedelta(days=day),
                subject=f"ticket {self.count}",
                body="",
                lang="en",
                encoded_at=utcnow(),
            )
            session.add(ticket)
            session.flush()
            self._embedding(session, "ticket", ticket.id, direction)
            return ticket.id

    def _embedding(self, session, kind: str, owner: int, direction) -> Embedding:
        vector = self.vector(direction)
        embedding = Embedding(
            owner_kind=kind, owner_id=owner, model="test", dim=DIM, vector=vector.tobytes()
        )
        session.add(embedding)
        session.flush()
        return embedding


@pytest.fixture
def corpus(db_url) -> Corpus:
    corpus = Corpus(db_url)
    for index in range(40):  # chatter: the corpus centre
        corpus.mention(None, day=index % 10, sentiment="neutral", topic=-1)
    return corpus


def materialise(url: str, tmp_path, asset, **config) -> dict:
    path = tmp_path / "cxradar.yaml"
    path.write_text("brands:\n  - name: Finora\n    keywords: [finora]\n", encoding="utf-8")
    run_config = {"ops": {asset.op.name: {"config": config}}} if config else None
    result = dg.materialize(
        [asset],
        resources={"db": DatabaseResource(url=url), "cx_config": ConfigResource(path=str(path))},
        run_config=run_config,
    )
    assert result.success
    checks = [e.passed for e in result.get_asset_check_evaluations()]
    assert all(checks)
    event = result.get_asset_materialization_events()[0]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def issue_of(url: str) -> dict[int, int | None]:
    with session_scope(url) as session:
        return dict(
            session.execute(
                select(Enrichment.mention_id, Enrichment.issue_id).where(
                    Enrichment.sentiment == "negative"
                )
            ).all()
        )


def test_new_complaints_join_their_issue_and_a_new_problem_gets_its_own(corpus, tmp_path):
    url = corpus.url
    checkout = [corpus.mention(CHECKOUT, day=d % 8, topic=1) for d in range(8)]
    first_ticket = corpus.ticket(CHECKOUT, day=3)
    assert materialise(url, tmp_path, issues)["full_regroup"] == "first run"
    checkout_issue = issue_of(url)[checkout[0]]
    assert {issue_of(url)[m] for m in checkout} == {checkout_issue}

    # An hour later: more about checkout (one the topic model missed) and a new problem.
    more_checkout = [corpus.mention(CHECKOUT, day=9, topic=1) for _ in range(2)]
    more_checkout.append(corpus.mention(CHECKOUT, day=9, topic=-1))
    login = [corpus.mention(LOGIN, day=9, topic=-1) for _ in range(3)]
    login_ticket = corpus.ticket(LOGIN, day=9)
    metadata = materialise(url, tmp_path, issues)

    assert metadata["full_regroup"] == "no"
    assert metadata["joined_existing"] == 3 and metadata["new_issues"] == 1
    found = issue_of(url)
    assert {found[m] for m in more_checkout} == {checkout_issue}
    assert len({found[m] for m in login}) == 1 and found[login[0]] != checkout_issue
    assert None not in found.values()
    with session_scope(url) as session:
        grown = session.get(Issue, checkout_issue)
        assert grown.mentions == 11 and grown.tickets == 1
        links = dict(session.execute(select(IssueLink.ticket_id, IssueLink.issue_id)).all())
    assert links == {first_ticket: checkout_issue, login_ticket: found[login[0]]}

    # A full regroup of the same data makes the same issues, under the same ids.
    assert materialise(url, tmp_path, issues, full_regroup=True)["full_regroup"] == "asked for"
    assert issue_of(url) == found


def test_a_full_regroup_still_happens_once_a_day_or_when_asked(corpus, tmp_path, monkeypatch):
    url = corpus.url
    for day in range(4):
        corpus.mention(CHECKOUT, day=day, topic=1)
    materialise(url, tmp_path, issues)
    corpus.mention(CHECKOUT, day=5, topic=1)
    assert materialise(url, tmp_path, issues)["full_regroup"] == "no"

    with session_scope(url) as session:
        state = session.get(PipelineState, ISSUE_REGROUPED_AT)
        state.value = (utcnow() - timedelta(hours=25)).isoformat()
    assert materialise(url, tmp_path, issues)["full_regroup"].startswith("last full regroup")
    assert materialise(url, tmp_path, issues)["full_regroup"] == "no"

    monkeypatch.setenv(FULL_PASS_ENV, "1")
    assert materialise(url, tmp_path, issues)["full_regroup"] == "asked for"
    with session_scope(url) as session:
        assert session.scalar(select(func.count(Issue.id))) == 1


def test_incremental_aggregates_equal_a_full_rebuild(corpus, tmp_path):
    url = corpus.url
    for day in range(6):
        corpus.mention(CHECKOUT, day=day, topic=1, rating=1)
    with session_scope(url) as session:  # enriched back then, not just now
        for mention in session.scalars(select(Mention)):
            session.get(Enrichment, mention.id).enriched_at = mention.created_at
    assert materialise(url, tmp_path, daily_aggregates)["full_rebuild"] == "first run"

    # New posts on a day already counted, on a new day, a review, and a cross-post.
    corpus.mention(CHECKOUT, day=2, topic=1, rating=2)
    corpus.mention(None, day=11, sentiment="positive", topic=3, rating=5)
    copy = corpus.mention(CHECKOUT, day=11, topic=1)
    with session_scope(url) as session:
        session.get(Mention, copy).duplicate_of = 1
    metadata = materialise(url, tmp_path, daily_aggregates)
    assert metadata["full_rebuild"] == "no" and metadata["days_recounted"] == 2

    incremental = snapshot(url)
    with session_scope(url) as session:
        rebuild_aggregates(session)
    assert snapshot(url) == incremental
    assert materialise(url, tmp_path, daily_aggregates)["days_recounted"] == 0
    assert snapshot(url) == incremental


def test_issues_keep_their_ids_across_a_topic_refit_and_a_merge_leaves_a_redirect(corpus, tmp_path):
    from cxradar.schema import IssueRedirect
    from cxradar.state import TOPIC_FIT, write_state

    url = corpus.url
    checkout = [corpus.mention(CHECKOUT, day=d % 8, topic=1) for d in range(8)]
    login = [corpus.mention(LOGIN, day=d % 6, topic=2) for d in range(6)]
    materialise(url, tmp_path, issues)
    before = issue_of(url)
    with session_scope(url) as session:
        keys = dict(session.execute(select(Issue.id, Issue.key)).all())

    # A refit renumbers and reorders every topic: issues do not depend on topic ids.
    with session_scope(url) as session:
        for index, mention_id in enumerate(checkout + login):
            session.get(Enrichment, mention_id).topic_id = 100 - index % 3
        write_state(session, TOPIC_FIT, "999")
    assert materialise(url, tmp_path, issues, full_regroup=True)["full_regroup"] == "asked for"
    assert issue_of(url) == before
    with session_scope(url) as session:
        assert dict(session.execute(select(Issue.id, Issue.key)).all()) == keys

    # Two issues about one problem (say, an hourly run saw its first posts apart) become one
    # at the next full regroup: the larger keeps its id, the other leads there.
    kept, merged = before[checkout[0]], before[login[0]]
    with session_scope(url) as session:
        for mention_id in checkout[:3]:
            session.get(Enrichment, mention_id).issue_id = merged
    materialise(url, tmp_path, issues, full_regroup=True)
    found = issue_of(url)
    assert {found[m] for m in checkout} == {kept}
    assert {found[m] for m in login} == {merged}  # login keeps its own issue
    with session_scope(url) as session:
        for mention_id in login:
            session.get(Enrichment, mention_id).issue_id = kept
        session.flush()
        session.execute(Issue.__table__.delete().where(Issue.id == merged))
    # Now the login complaints sit in the checkout issue: the regroup splits them off.
    materialise(url, tmp_path, issues, full_regroup=True)
    found = issue_of(url)
    assert found[checkout[0]] == kept and found[login[0]] != kept
    with session_scope(url) as session:
        split = session.get(Issue, found[login[0]])
        assert split.history[-1]["event"] == "split" and split.history[-1]["issue"] == kept

    # Two issues holding one problem's complaints (say an hourly run saw its first posts
    # apart) become one: the one with more of them keeps its id, the other leads there.
    with session_scope(url) as session:
        source = session.get(Issue, kept)
        twin = Issue(
            **{
                column.name: getattr(source, column.name)
                for column in Issue.__table__.columns
                if column.name not in ("id", "key")
            },
            key="issue:twin",
        )
        session.add(twin)
        session.flush()
        twin_id = twin.id
        for mention_id in checkout[:3]:
            session.get(Enrichment, mention_id).issue_id = twin_id
    materialise(url, tmp_path, issues, full_regroup=True)
    found = issue_of(url)
    with session_scope(url) as session:
        survivor = session.get(Issue, kept)
        redirects = dict(
            session.execute(select(IssueRedirect.issue_id, IssueRedirect.merged_into)).all()
        )
        assert session.get(Issue, twin_id) is None
    assert {found[m] for m in checkout} == {kept}
    assert any(e["event"] == "merged" and e["issue"] == twin_id for e in survivor.history)
    assert redirects == {twin_id: kept}
