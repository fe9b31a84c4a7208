"""Which complaints are one problem: the grouping rule on vectors whose geometry is known."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from cxradar.intelligence import grouping
from cxradar.intelligence.grouping import (
    Complaint,
    Continuation,
    GroupingThresholds,
    attach_bar,
    centred,
    group_complaints,
    join_existing,
    language_centres,
    link_threshold,
    link_tickets,
    match_issues,
)
from models.vectors import unit_rows

DAY = datetime(2026, 10, 10, tzinfo=UTC)
DIM = 48
THRESHOLDS = GroupingThresholds()


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def around(rng, direction: int, spread: float, count: int) -> np.ndarray:
    """``count`` unit vectors around one axis; ``spread`` sets how alike they are."""
    vectors = rng.normal(0, spread, (count, DIM))
    vectors[:, direction] += 1.0
    return unit_rows(vectors)


def complaints(count: int, authors=None, start: int = 0) -> list[Complaint]:
    return [
        Complaint(start + i, (authors or {}).get(start + i, f"customer{start + i}"), DAY)
        for i in range(count)
    ]


def grouped(vectors, items=None, thresholds=THRESHOLDS):
    items = items or complaints(len(vectors))
    link = link_threshold(vectors, thresholds)
    return group_complaints(items, vectors, thresholds, link)


def test_the_link_threshold_follows_the_corpus_scale_within_its_band():
    rng = np.random.default_rng(1)
    tight = np.concatenate([around(rng, d, 0.05, 20) for d in range(4)])  # templated texts
    loose = np.concatenate([around(rng, d, 0.35, 20) for d in range(4)])  # real, varied texts
    assert link_threshold(tight, THRESHOLDS) > link_threshold(loose, THRESHOLDS)
    for vectors in (tight, loose, unit_rows(rng.normal(0, 1, (50, DIM)))):
        assert THRESHOLDS.min_link <= link_threshold(vectors, THRESHOLDS) <= THRESHOLDS.max_link
    assert link_threshold(tight[:2], THRESHOLDS) == THRESHOLDS.max_link  # too few to measure


def test_each_problem_becomes_one_group_and_every_complaint_one_group():
    rng = np.random.default_rng(2)
    vectors = np.concatenate([around(rng, d, 0.15, 15) for d in range(3)])
    groups = grouped(vectors)
    assert sorted(i for g in groups for i in g) == list(range(45))
    assert sorted(groups) == [list(range(0, 15)), list(range(15, 30)), list(range(30, 45))]


def test_a_one_off_is_not_swept_into_a_tight_group_of_paraphrases():
    rng = np.random.default_rng(3)
    problem = around(rng, 0, 0.08, 20)  # paraphrases of one problem: members ~0.9 alike
    # Another problem about the same area: 0.4 like the problem's posts, a stray for it.
    one_off = unit_rows(unit(0.55, 0.0, 0.0, 1.0)[None, :])
    others = np.concatenate([around(rng, d, 0.08, 10) for d in (5, 6, 7)])
    vectors = np.concatenate([problem, one_off, others])
    groups = grouped(vectors)
    assert [20] in groups
    assert list(range(20)) in groups


def test_a_loose_real_problem_takes_its_like_from_the_complaints_left_alone():
    rng = np.random.default_rng(4)
    # Real complaints of one kind are only a little alike (centred cosine ~0.15).
    vectors = np.concatenate([around(rng, d, 0.35, 25) for d in range(4)])
    groups = grouped(vectors)
    big = [g for g in groups if len(g) >= 5]
    assert sum(len(g) for g in big) >= 0.6 * len(vectors)
    for group in big:  # each big group is mostly one kind
        kinds = np.bincount([i // 25 for i in group], minlength=4)
        assert kinds.max() >= 0.6 * len(group)


def test_a_customers_follow_up_joins_their_first_post():
    rng = np.random.default_rng(5)
    problem = around(rng, 0, 0.1, 12)
    first = unit(0.3, 0, 0, 0, 1)
    follow_up = unit(0.3, 0, 0, 0, 1, 2.5)  # the same customer, in other words (0.39)
    vectors = np.concatenate([problem, first[None, :], follow_up[None, :]])
    assert link_threshold(vectors, THRESHOLDS) > float(first @ follow_up)
    items = complaints(12) + [
        Complaint(12, "anna", DAY),
        Complaint(13, "anna", DAY + timedelta(days=2)),
    ]
    assert [12, 13] in grouped(vectors, items)
    # Two customers writing the same are two problems until they are alike enough to link.
    strangers = items[:12] + [Complaint(12, "anna", DAY), Complaint(13, "ben", DAY)]
    assert [12] in grouped(vectors, strangers) and [13] in grouped(vectors, strangers)
    # Weeks later the same customer's post is another problem.
    late = items[:13] + [Complaint(13, "anna", DAY + timedelta(days=40))]
    assert [12] in grouped(vectors, late) and [13] in grouped(vectors, late)


def test_a_placeholder_author_is_not_one_customer():
    rng = np.random.default_rng(6)
    vectors = np.concatenate([around(rng, 0, 0.1, 10), around(rng, 1, 0.1, 10)])
    items = [Complaint(i, "A Google User", DAY) for i in range(20)]
    groups = grouped(vectors, items, replace(THRESHOLDS, same_customer_similarity=0.0))
    assert sorted(groups) == [list(range(10)), list(range(10, 20))]


def test_past_the_linkage_limit_a_sample_is_grouped_and_the_rest_joins_it(monkeypatch):
    rng = np.random.default_rng(7)
    vectors = np.concatenate([around(rng, d, 0.15, 40) for d in range(3)])
    whole = grouped(vectors)
    monkeypatch.setattr(grouping, "LINKAGE_MAX_SIZE", 30)
    sampled = grouped(vectors)

    def labels(groups):
        return [next(g for g, ids in enumerate(groups) if i in ids) for i in range(120)]

    # The same problems, give or take a post at a problem's edge.
    assert adjusted_rand_score(labels(whole), labels(sampled)) >= 0.9
    assert min(sorted(len(g) for g in sampled)[-3:]) >= 38


def test_english_and_german_posts_of_one_problem_meet_after_centring():
    rng = np.random.default_rng(8)
    english_offset, german_offset = unit(0, 0, 0, 0, 0, 0, 0, 0, 1), unit(*([0] * 9), 1)
    problems = [around(rng, d, 0.1, 10) for d in range(3)]
    english = unit_rows(np.concatenate([p[:5] for p in problems]) + 2 * english_offset)
    german = unit_rows(np.concatenate([p[5:] for p in problems]) + 2 * german_offset)
    vectors = np.concatenate([english, german])
    langs = ["en"] * 15 + ["de"] * 15
    assert (english[:5] @ german[:5].T).mean() < (english[:5] @ english[5:10].T).mean()
    centres = language_centres(vectors, langs)
    groups = grouped(centred(vectors, centres, langs))
    by_problem = {tuple(sorted({i % 15 // 5 for i in g})) for g in groups}
    assert by_problem == {(0,), (1,), (2,)}


def test_later_complaints_join_where_the_grouping_would_have_put_them():
    rng = np.random.default_rng(9)
    tight, loose = around(rng, 0, 0.08, 20), around(rng, 1, 0.3, 20)
    means = np.stack([tight.mean(axis=0), loose.mean(axis=0)])
    bars = np.array([attach_bar(tight), attach_bar(loose)])
    assert bars[0] > 0.5 > bars[1]  # a tight issue asks more of a newcomer than a loose one
    # A typical newcomer of each issue, and one about something else.
    new = np.stack([around(rng, 0, 0.08, 1)[0], around(rng, 1, 0.15, 1)[0], unit(0, 0, 1)])
    assert join_existing(new, means, bars, link=0.5).tolist() == [0, 1, -1]
    assert attach_bar(tight[:2]) == 1.0  # two posts set no bar of their own


def test_regrouped_issues_keep_their_ids_and_say_what_merged_or_split():
    previous = {1: 10, 2: 10, 3: 10, 4: 11, 5: 11, 6: 12, 7: 12, 8: 12}
    groups = [
        [1, 2, 3, 4, 5],  # issue 10 takes over issue 11 (a merge)
        [6, 7],  # issue 12 continues with most of its complaints ...
        [8, 9],  # ... and the rest is split off as a new issue
        [20, 21],  # something new
    ]
    assert match_issues(groups, previous) == [
        Continuation(10, merged=(11,)),
        Continuation(12),
        Continuation(None, split_from=12),
        Continuation(None),
    ]
    # Renumbered or reordered groups make no difference: members decide.
    assert match_issues(groups[::-1], previous)[::-1] == match_issues(groups, previous)


def test_a_ticket_links_to_its_most_similar_issue_within_the_time_window():
    centroids = np.stack([unit(1, 0, 0), unit(0, 1, 0)]) * 0.5  # means are not normalised
    windows = [(DAY, DAY + timedelta(days=5)), (DAY, DAY + timedelta(days=1))]
    times = [DAY + timedelta(days=2), DAY + timedelta(days=1), DAY + timedelta(days=60), DAY]
    vectors = np.stack([unit(1, 0.1, 0), unit(0.1, 1, 0), unit(1, 0, 0), unit(0, 0, 1)])
    links = link_tickets(centroids, windows, times, vectors, threshold=0.9)
    assert [t for t, _ in links[0]] == [0]
    assert [t for t, _ in links[1]] == [1]
    assert all(score >= 0.9 for pairs in links.values() for _, score in pairs)


def test_a_one_off_takes_only_tickets_very_close_to_its_words():
    centroids = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    windows = [(DAY, DAY + timedelta(days=5))] * 2
    related = unit(0.55, 0, 1.0)  # 0.48 like the one-off: "address change" next to "old address"
    close = unit(1, 0.3, 0)  # 0.96: about the same thing
    links = link_tickets(centroids, windows, [DAY, DAY], np.stack([related, close]), [0.65, 0.45])
    assert links == {0: [(1, pytest.approx(float(close @ centroids[0])))]}
    # The same related ticket links to an issue of many customers at the usual threshold.
    assert 0 in link_tickets(centroids, windows, [DAY], related[None, :], [0.45, 0.45])
