"""Alert runs on a stored corpus: the issue trigger for low volume, one message per
episode, the backtest's timing, each state change logged once.

The corpus is written straight into the database (mentions with their sentiment and
issue), so the alerting is tested without the models; the Dagster runs are real.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select

from cxradar.alert_messages import backtest
from cxradar.alerts_store import judge
from cxradar.config import parse_config
from cxradar.db import session_scope
from cxradar.schema import Alert, Enrichment, Issue, Mention, Source
from pipelines.alerts import AlertsRunConfig, deliver, negative_spike_alerts
from pipelines.resources import ConfigResource, DatabaseResource, OutboxNotifier

DAY = datetime(2026, 11, 10, tzinfo=UTC)  # a Tuesday


class Corpus:
    """Four quiet weeks of one brand (one chronic complaint a day), then what a test adds."""

    def __init__(self, url: str, chronic_per_day: int = 1):
        self.url = url
        with session_scope(url) as session:
            self.source = Source(name="appstore", connector="file")
            session.add(self.source)
            session.flush()
            self.chronic = self.issue(session, "topic:1", "Transfers are slow", "systemic")
            self.new = self.issue(session, "topic:2", "Error E42 after update 5.2", "emerging")
            for days_ago in range(28, 0, -1):
                for n in range(chronic_per_day):
                    moment = DAY - timedelta(days=days_ago, hours=-8 - (days_ago + 3 * n) % 12)
                    self.post(
                        session, f"h{days_ago}-{n}", moment, self.chronic, f"slow {days_ago} {n}"
                    )

    def issue(self, session, key: str, title: str, classification: str) -> int:
        issue = Issue(
            key=key,
            label=title.lower(),
            title=title,
            keywords=[],
            classification=classification,
            score=0.5,
            severity=0.5,
            mentions=1,
            authors=1,
            sources=1,
            source_names=["appstore"],
            tickets=2,
            active_days=1,
            first_seen=DAY,
            last_seen=DAY,
            negative_share=1.0,
            evidence="",
        )
        session.add(issue)
        session.flush()
        return issue.id

    def post(self, session, key: str, moment: datetime, issue_id: int, text: str, author=None):
        mention = Mention(
            source_id=self.source.id,
            external_id=key,
            created_at=moment,
            text=text,
            author=author or f"customer-{key}",
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

    def outage(self, times: list[datetime], issue_id: int | None = None) -> None:
        with session_scope(self.url) as session:
            for number, moment in enumerate(times):
                issue_id = issue_id or self.new
                self.post(
                    session,
                    f"o{issue_id}-{moment:%d%H%M}-{number}",
                    moment,
                    issue_id,
                    f"E42 again after the update, try {number} at {moment:%H:%M}",
                )


def config(**trigger):
    return parse_config(
        {
            "alerts": {
                "channels": [{"name": "hook", "url": "json://127.0.0.1:9/unused"}],
                "issue_trigger": trigger or {},
            },
        }
    )


def run(url: str, now: datetime, tmp_path, settings=None) -> list[dict]:
    """One alerting run at ``now``; the messages it sent (each as the outbox recorded it)."""
    outbox = tmp_path / f"outbox-{uuid.uuid4().hex}.jsonl"
    notifier = OutboxNotifier(path=str(outbox))
    with session_scope(url) as session:
        judge(session, settings or config(), now)
    deliver(DatabaseResource(url=url), notifier, settings or config(), now, _Log())
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text().splitlines()]


class _Log:
    def warning(self, message):  # the channel has a URL: nothing to warn about
        raise AssertionError(message)


@pytest.fixture
def corpus(db_url):
    return Corpus(db_url)


def test_a_low_volume_brand_hears_of_an_emerging_issue_gaining_customers(corpus, tmp_path):
    # Six customers between 09:00 and 11:30: too few posts for a volume spike (minimum 8),
    # enough new customers of an emerging issue (minimum 5).
    corpus.outage([DAY + timedelta(hours=9, minutes=30 * k) for k in range(6)])
    assert run(corpus.url, DAY + timedelta(hours=10, minutes=5), tmp_path) == []  # three so far
    [message] = run(corpus.url, DAY + timedelta(hours=11, minutes=5), tmp_path)  # the fifth: 11:00
    assert message["type"] == "warning"
    assert message["title"] == (
        "Error E42 after update 5.2 (emerging): 5 new customers (expected ~0 by 11:05 UTC)"
    )
    assert f"issues?issue={corpus.new})" in message["body"]
    assert "- Support tickets linked: 2" in message["body"]
    assert run(corpus.url, DAY + timedelta(hours=11, minutes=5), tmp_path) == []  # a re-run
    with session_scope(corpus.url) as session:
        [alert] = session.scalars(select(Alert)).all()
        assert (alert.kind, alert.scope, alert.issue_id) == (
            "new_customers",
            "issue:topic:2",
            corpus.new,
        )
        assert 0 < alert.severity <= 1


def test_an_isolated_issue_or_a_switched_off_trigger_stays_quiet(corpus, tmp_path):
    corpus.outage([DAY + timedelta(hours=9, minutes=30 * k) for k in range(6)])
    assert (
        run(corpus.url, DAY + timedelta(hours=12, minutes=5), tmp_path, config(enabled=False)) == []
    )
    with session_scope(corpus.url) as session:
        session.get(Issue, corpus.new).classification = "isolated"
    assert run(corpus.url, DAY + timedelta(hours=12, minutes=6), tmp_path) == []


def test_the_volume_spike_and_the_issue_trigger_make_one_message(corpus, tmp_path):
    corpus.outage([DAY + timedelta(hours=9, minutes=10 * k) for k in range(12)])
    messages = run(corpus.url, DAY + timedelta(hours=11, minutes=5), tmp_path)
    assert len(messages) == 1 and "Error E42 after update 5.2 (emerging)" in messages[0]["title"]
    with session_scope(corpus.url) as session:
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
        carriers = [a for a in alerts if a.covered_by is None]
        assert len(carriers) == 1 and len(alerts) >= 3  # brand, all, source, the trigger ...
        assert {a.kind for a in alerts} == {"negative_spike", "new_customers"}
        assert {a.issue_id for a in alerts} == {corpus.new}


def test_a_systemic_issue_is_judged_against_its_own_usual_not_the_minimum(db_url, tmp_path):
    corpus = Corpus(db_url, chronic_per_day=5)  # the chronic complaint gains five a day
    six = [DAY + timedelta(hours=9, minutes=20 * k) for k in range(6)]
    corpus.outage(six, corpus.chronic)
    assert run(corpus.url, DAY + timedelta(hours=12, minutes=5), tmp_path) == []
    corpus.outage(six, corpus.new)  # six for the new issue are news
    assert len(run(corpus.url, DAY + timedelta(hours=12, minutes=10), tmp_path)) == 1


def test_the_backtest_lists_only_what_has_happened_with_minutes_after_the_first_post(corpus):
    corpus.outage([DAY + timedelta(hours=9, minutes=12 * k) for k in range(30)])
    with session_scope(corpus.url) as session:
        sent = backtest(
            session,
            config(),
            DAY - timedelta(days=1),
            DAY + timedelta(days=30),
            now=DAY + timedelta(hours=13, minutes=30),
        )
    # The fifth customer (09:48) trips the issue trigger at the 10:05 run; the volume
    # spike (eight posts by 10:24) joins that message at 11:05.
    assert [(a.at, a.action) for a in sent] == [(DAY + timedelta(hours=10, minutes=5), "open")]
    [alert] = sent
    assert alert.minutes_after_first_post == 65  # first post 09:00
    assert (alert.issue, alert.label) == ("Error E42 after update 5.2", "emerging")
    assert (alert.kind, alert.scope) == ("new_customers", "issue:topic:2")
    assert alert.observed == 6 and alert.expected == 0
    with session_scope(corpus.url) as session:
        later = backtest(
            session,
            config(),
            DAY - timedelta(days=1),
            DAY + timedelta(days=30),
            now=DAY + timedelta(days=3),
        )
        assert session.scalars(select(Alert)).all() == []  # a backtest stores nothing
    assert [a.action for a in later] == ["open", "resolve"]
    assert later[1].at == DAY + timedelta(days=2, minutes=5)  # the day after is quiet again
    assert {"brand:Nordlicht", "all", "source:appstore"} <= set(later[1].covers)


def test_each_alert_state_change_is_logged_once(db_url, tmp_path):
    corpus = Corpus(db_url)
    # Yesterday's burst, first seen today: the alerts open and resolve in one catch-up run.
    corpus.outage([DAY - timedelta(days=3) + timedelta(hours=9, minutes=5 * k) for k in range(12)])
    path = tmp_path / "cxradar.yaml"
    path.write_text("alerts: {channels: []}\n", encoding="utf-8")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [negative_spike_alerts],
        instance=instance,
        resources={
            "db": DatabaseResource(url=db_url),
            "cx_config": ConfigResource(path=str(path)),
            "notifier": OutboxNotifier(path=str(tmp_path / "outbox.jsonl")),
        },
        run_config={
            "ops": {
                "negative_spike_alerts": {
                    "config": AlertsRunConfig(
                        now=(DAY + timedelta(hours=1)).isoformat()
                    ).model_dump()
                }
            }
        },
    )
    assert result.success
    lines = [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if e.user_message.startswith("alert ")
    ]
    with session_scope(db_url) as session:
        alerts = session.scalars(select(Alert)).all()
    assert alerts and all(a.status == "resolved" for a in alerts)
    assert sorted(line.split(":")[0] for line in lines) == sorted(
        ["alert opened"] * len(alerts) + ["alert resolved"] * len(alerts)
    )
    assert len(set(lines)) == len(lines)


def test_an_alert_whose_issue_is_no_longer_watched_still_resolves(corpus, tmp_path):
    corpus.outage([DAY + timedelta(hours=9, minutes=30 * k) for k in range(6)])
    [opened] = run(corpus.url, DAY + timedelta(hours=12, minutes=5), tmp_path)
    with session_scope(corpus.url) as session:  # regrouped: the issue is isolated now
        session.get(Issue, corpus.new).classification = "isolated"
    assert run(corpus.url, DAY + timedelta(days=1, minutes=5), tmp_path) == []  # day complete
    [resolved] = run(corpus.url, DAY + timedelta(days=2, minutes=5), tmp_path)
    assert resolved["type"] == "success" and resolved["title"].startswith("Resolved: Error E42")


def test_an_alert_whose_issue_was_merged_away_resolves_and_names_where_its_posts_went(
    corpus, tmp_path
):
    corpus.outage([DAY + timedelta(hours=9, minutes=30 * k) for k in range(6)])
    [opened] = run(corpus.url, DAY + timedelta(hours=12, minutes=5), tmp_path)
    with session_scope(corpus.url) as session:  # a regroup merged it into the chronic issue
        for enrichment in session.scalars(
            select(Enrichment).where(Enrichment.issue_id == corpus.new)
        ):
            enrichment.issue_id = corpus.chronic
        session.delete(session.get(Issue, corpus.new))
    [resolved] = run(corpus.url, DAY + timedelta(days=1, minutes=5), tmp_path)
    assert resolved["type"] == "success"
    assert resolved["title"].startswith("Resolved: Transfers are slow (systemic)")
    assert f"issues?issue={corpus.chronic})" in resolved["body"]
