"""Killed mid-run, the pipeline loses nothing, doubles nothing and sends no alert twice.

The CLI runs in a child process that is SIGKILLed at a moment observed from outside:
while the RSS feed (fetched after the files) hangs (ingest), once the first batch of
enrichments is committed (enrichment), and while the webhook holds a delivery (alerts).
Re-runs must then reach exactly the state of the corpus: every mention once, every
negative mention in exactly one issue, every issue with a mention, every message once
(the corpus's spike is one episode: its alerts in several scopes share one message).
"""

from __future__ import annotations

import pytest

from cxradar.schema import Enrichment, Mention
from tests.security.harness import (
    LARGE,
    SMALL,
    LocalEndpoints,
    count,
    expected_mention_ids,
    finish_run,
    half_written_rows,
    issue_problems,
    kill_when,
    snapshot,
    start_run,
    write_corpus,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def endpoints():
    local = LocalEndpoints().start()
    yield local
    local.stop()


def assert_complete_and_once(url: str, folder, endpoints: LocalEndpoints) -> None:
    state = snapshot(url)
    assert state.mention_ids == expected_mention_ids(folder)  # none lost, none doubled
    assert state.ticket_ids == [f"T{index}" for index in range(6)]
    assert state.enrichments == state.mention_embeddings == len(state.mention_ids)
    assert issue_problems(url) == []
    assert state.alert_keys, "the corpus's spike raised no alert"
    assert endpoints.duplicated_titles() == {}
    assert 1 <= len(state.message_keys) < len(state.alert_keys)  # scopes share a message
    assert len(endpoints.deliveries) == len(state.message_keys)  # each message once


def test_killed_in_ingest_and_in_enrichment_then_rerun_loses_and_doubles_nothing(
    tmp_path, endpoints
):
    folder = tmp_path / "corpus"
    config = write_corpus(folder, endpoints.feed_url, endpoints.webhook_url, LARGE)
    url = f"sqlite:///{tmp_path / 'cxradar.db'}"

    endpoints.hang_feed = True  # the files are stored, the feed is being fetched
    kill_when(start_run(url, config), endpoints.feed_requested.is_set)
    stored_at_kill = count(url, Mention)
    assert 0 < stored_at_kill < LARGE.mentions
    assert half_written_rows(url) == []
    endpoints.hang_feed = False
    endpoints.release.set()

    run = start_run(url, config)
    kill_when(run, lambda: count(url, Enrichment) >= 256)  # first batch committed
    assert count(url, Enrichment) < LARGE.mentions, "enrichment had finished already"
    assert half_written_rows(url) == []

    finish_run(url, config)
    assert_complete_and_once(url, folder, endpoints)
    finish_run(url, config)  # and once more: nothing changes, nothing is re-sent
    assert_complete_and_once(url, folder, endpoints)


def test_killed_while_an_alert_is_being_delivered_no_alert_is_sent_twice(tmp_path, endpoints):
    folder = tmp_path / "corpus"
    config = write_corpus(folder, endpoints.feed_url, endpoints.webhook_url, SMALL, files=4)
    url = f"sqlite:///{tmp_path / 'cxradar.db'}"

    endpoints.hang_on_delivery = 1  # the first message is in flight
    kill_when(start_run(url, config), endpoints.delivery_hung.is_set)
    received_before_kill = list(endpoints.deliveries)
    endpoints.hang_on_delivery = None
    endpoints.release.set()

    finish_run(url, config)
    assert endpoints.duplicated_titles() == {}, "an alert reached the channel twice"
    state = snapshot(url)
    assert set(received_before_kill) <= set(endpoints.deliveries)
    assert len(endpoints.deliveries) == len(state.message_keys)  # and none was lost
    assert issue_problems(url) == []
