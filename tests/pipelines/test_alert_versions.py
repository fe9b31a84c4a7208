"""A spike that starts with a new app version says so in its chat message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from cxradar.db import session_scope
from cxradar.schema import Mention
from tests.pipelines.test_alerts import DAY, Corpus, run


def versions(url: str, old_until, new_version: str) -> None:
    """Every stored post becomes an app review: 5.1 until ``old_until``, then the new one."""
    with session_scope(url) as session:
        session.execute(update(Mention).values(kind="review", rating=2, extra={"version": "5.1"}))
        session.execute(
            update(Mention)
            .where(Mention.created_at >= old_until)
            .values(rating=1, extra={"version": new_version})
        )


def test_the_message_names_the_version_a_spike_started_with(db_url, tmp_path):
    corpus = Corpus(db_url)
    corpus.outage([DAY + timedelta(hours=9, minutes=10 * k) for k in range(12)])
    versions(db_url, DAY + timedelta(hours=9), "5.2")  # first reviewed as the outage began
    [message] = run(db_url, DAY + timedelta(hours=11, minutes=5), tmp_path)
    assert "- Started with app version 5.2" in message["body"].splitlines()


def test_a_version_out_for_days_is_not_news(db_url, tmp_path):
    corpus = Corpus(db_url)
    corpus.outage([DAY + timedelta(hours=9, minutes=10 * k) for k in range(12)])
    versions(db_url, DAY - timedelta(days=5), "5.2")  # out since five days before the spike
    [message] = run(db_url, DAY + timedelta(hours=11, minutes=5), tmp_path)
    assert "Started with app version" not in message["body"]
