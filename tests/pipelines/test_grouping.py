"""Pure pieces of the issues asset: grouping negatives and linking tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from pipelines.intelligence import build_groups, group_outliers, link_tickets

DAY = datetime(2026, 10, 10, tzinfo=UTC)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_every_negative_mention_lands_in_exactly_one_group():
    rows = [(1, 0), (2, 0), (3, 0), (4, 5), (5, 5), (6, -1), (7, -1), (8, None), (9, 0)]
    vectors = {
        1: unit(1, 0.1, 0, 0),
        2: unit(1, 0, 0.1, 0),
        3: unit(1, 0.05, 0.05, 0),  # one problem
        9: unit(0, 0, 0, 1),  # swept into topic 0 by the topic model, about something else
        4: unit(0.1, 1, 0, 0),
        5: unit(0, 1, 0.1, 0),  # another problem
        6: unit(0.95, 0.1, 0, 0),  # no topic, but clearly the first problem
        7: unit(0, 0, 1, 0),
        8: unit(0, 0, 1, 0.01),  # no topic: two near-copies
    }
    groups = build_groups(rows, lambda ids: np.stack([vectors[i] for i in ids]))
    members = sorted(i for g in groups for i in g.mention_ids)
    assert members == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    keys = {g.key: g.mention_ids for g in groups}
    assert keys["topic:0"] == [1, 2, 3, 6]  # the stray left, the matching outlier joined
    assert keys["topic:5"] == [4, 5]
    assert keys["mention:7"] == [7, 8]  # near-copies without a topic form one issue
    assert keys["mention:9"] == [9]  # a singleton is an issue too


def test_topics_about_the_same_problem_become_one_issue():
    rows = [(1, 0), (2, 0), (3, 4), (4, 4)]  # e.g. the English and the German topic
    vectors = {1: unit(1, 0, 0), 2: unit(1, 0.1, 0), 3: unit(1, 0, 0.1), 4: unit(1, 0.05, 0.05)}
    groups = build_groups(rows, lambda ids: np.stack([vectors[i] for i in ids]))
    assert [(g.key, g.mention_ids) for g in groups] == [("topic:0", [1, 2, 3, 4])]


def test_outlier_groups_are_transitive_and_respect_the_threshold():
    vectors = np.stack([unit(1, 0), unit(0.98, 0.2), unit(0.92, 0.39), unit(0, 1)])
    groups = group_outliers([10, 11, 12, 13], vectors, threshold=0.97)
    assert sorted(groups) == [[10, 11, 12], [13]]


@dataclass
class FakeTicket:
    id: int
    created_at: datetime


def test_a_ticket_links_to_its_most_similar_issue_within_the_time_window():
    centroids = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    windows = [(DAY, DAY + timedelta(days=5)), (DAY, DAY + timedelta(days=1))]
    tickets = [
        FakeTicket(1, DAY + timedelta(days=2)),  # like issue 0
        FakeTicket(2, DAY + timedelta(days=1)),  # like issue 1
        FakeTicket(3, DAY + timedelta(days=60)),  # like issue 0 but long after it
        FakeTicket(4, DAY),  # like neither
    ]
    vectors = np.stack([unit(1, 0.1, 0), unit(0.1, 1, 0), unit(1, 0, 0), unit(0, 0, 1)])
    links = link_tickets(centroids, windows, tickets, vectors, threshold=0.9)
    assert [t for t, _ in links[0]] == [1]
    assert [t for t, _ in links[1]] == [2]
    assert all(score >= 0.9 for pairs in links.values() for _, score in pairs)
