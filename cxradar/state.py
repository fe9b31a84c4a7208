"""Small facts the pipeline keeps between runs, and the one list of their keys.

Each key is written by one step and read by others (e.g. the corpus size at the last topic
fit decides whether issues and aggregates must be rebuilt); keeping the names here means a
reader never spells a key differently from its writer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from cxradar.schema import PipelineState, utcnow

# The hourly run handles only what is new; a from-scratch pass runs on the first run, when
# asked (this variable, or the asset's config), after a topic refit where topics matter,
# and once this long has passed.
FULL_PASS_ENV = "CXRADAR_FULL_REGROUP"
FULL_PASS_EVERY = timedelta(hours=24)

# mention_topics: corpus size the topics were last fitted on
TOPIC_FIT = "topics.fit_corpus_size"
# issues: language centres and link threshold of the last full regroup, its time
ISSUE_CENTRES = "issues.corpus_centres"
ISSUE_LINK = "issues.link_similarity"
ISSUE_REGROUPED_AT = "issues.full_regroup_at"
ISSUE_REGROUP_FIT = "issues.full_regroup_topic_fit"
# daily_aggregates: newest enrichment counted, topic fit and time of the last full rebuild
AGGREGATED_UNTIL = "aggregates.enriched_until"
AGGREGATES_FIT = "aggregates.topic_fit"
AGGREGATES_REBUILT_AT = "aggregates.full_rebuild_at"

KEYS = (
    TOPIC_FIT,
    ISSUE_CENTRES,
    ISSUE_LINK,
    ISSUE_REGROUPED_AT,
    ISSUE_REGROUP_FIT,
    AGGREGATED_UNTIL,
    AGGREGATES_FIT,
    AGGREGATES_REBUILT_AT,
)

# Families of keys, one per thing they are about:
# negative_spike_alerts: the time up to which each watched scope was judged
ALERTS_EVALUATED_PREFIX = "alerts.evaluated_until."
# cxradar forget: a hash of each erased (source, author), so their posts are not stored again
FORGOTTEN_PREFIX = "privacy.forgotten:"
PREFIXES = (ALERTS_EVALUATED_PREFIX, FORGOTTEN_PREFIX)


def _known(key: str) -> str:
    if key not in KEYS and not key.startswith(PREFIXES):
        raise KeyError(f"unknown pipeline state key {key!r}: add it to cxradar/state.py")
    return key


def read_state(session, key: str) -> str | None:
    row = session.get(PipelineState, _known(key))
    return row.value if row else None


def write_state(session, key: str, value: str) -> None:
    row = session.get(PipelineState, _known(key))
    if row is None:
        session.add(PipelineState(key=key, value=value))
    else:
        row.value = value


def keys_under(session, prefix: str) -> set[str]:
    """Every stored key of one family (``PREFIXES``)."""
    if prefix not in PREFIXES:
        raise KeyError(f"unknown pipeline state prefix {prefix!r}: add it to cxradar/state.py")
    return set(
        session.scalars(select(PipelineState.key).where(PipelineState.key.startswith(prefix)))
    )


def full_pass_reason(
    session,
    asked: bool,
    *,
    done_at: str,
    work: str,
    topic_fit: str | None = None,
    also: Callable[[], str | None] | None = None,
) -> str | None:
    """Why a from-scratch pass is due, or None when the incremental pass suffices.

    ``done_at``: the state key holding the time of the last full pass (absent: first run);
    ``topic_fit``: the key holding the topic fit the last pass saw (a refit renumbers topics);
    ``also()``: a further reason of the caller's.
    """
    if asked or os.environ.get(FULL_PASS_ENV, "").lower() in ("1", "true", "yes"):
        return "asked for"
    last = read_state(session, done_at)
    if last is None:
        return "first run"
    if also and (why := also()):
        return why
    if topic_fit and read_state(session, topic_fit) != (read_state(session, TOPIC_FIT) or ""):
        return "topics were refitted"
    if utcnow() - datetime.fromisoformat(last) >= FULL_PASS_EVERY:
        return f"last {work} over {FULL_PASS_EVERY} ago"
    return None
