"""Which complaints are about the same problem: the grouping behind issues, in plain Python.

Complaints are compared by the cosine of their embeddings with the mean of their language
removed (``centred``): e5's raw cosines all sit between 0.8 and 0.95, and texts of one
language share an offset. The rule, in three steps:

1. **Link.** Two complaints are about the same problem when they are more alike than
   ``link_percentile`` (93 %) of all pairs of complaints in the corpus; groups are formed by
   average linkage at that similarity (a complaint joins a group when it is, on average, that
   alike to every member). The threshold is a percentile, not a fixed cosine, because
   similarities live on a corpus' own scale: templated test scenarios put different problems
   at 0.17 (median) and paraphrases of one problem at 0.4, while real airline tweets of one
   category sit at 0.04 and of different ones at -0.02. Measured: the 93rd percentile is
   0.43-0.51 on generated scenarios and 0.14-0.28 on the real sets (``README``: Issues on real
   customer text).
2. **Merge.** Groups of two or more complaints whose centres point the same way
   (``merge_similarity``, 0.30, the cosine of the normalised centres) are one problem told
   in other words, e.g. its English and German posts: the centre cosine compares two groups
   relative to how tight each is, so it does not depend on the corpus' scale.
3. **Attach.** A complaint left on its own joins the group whose members it resembles nearly
   as much as they resemble each other (its mean similarity to the members at least
   ``attach_ratio``, 0.8, of the members' median mean similarity to the rest of the group), so
   a one-off complaint is not swept into a tight group of paraphrases, while a diffuse group
   of real complaints takes its like.

Before linking, one customer's complaints that are alike (``same_customer_similarity``) are
tied together, so a customer's follow-up about the same problem lands in the issue of their
first post. Average linkage costs quadratic memory: past ``LINKAGE_MAX_SIZE`` complaints a
sample is grouped, the rest join its groups by the same rule, and what is left is grouped
the same way in turn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from cxradar.intelligence.customers import known_author
from models.vectors import unit_rows

LINKAGE_MAX_SIZE = 4000  # average linkage over this many complaints: ~64 MB of similarities
THRESHOLD_SAMPLE = 2000  # complaints whose pairwise similarities set the link threshold
MIN_LANGUAGE_SAMPLE = 10  # fewer texts in a language: the overall centre serves it
TICKET_WINDOW_BEFORE = timedelta(days=3)
TICKET_WINDOW_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class GroupingThresholds:
    """The grouping rule's settings (module docstring); defaults measured on real and generated
    complaints (README: Issues on real customer text)."""

    # 88: scenarios 0/25 one-offs swept in, real sets 62-79 % in issues of 5+ customers;
    # 93 (default): 0/25 swept, 60-81 %, NMI +0.02; 97: real groups fall apart (14-45 %).
    link_percentile: float = 93.0
    # The link threshold never leaves this band, whatever the corpus (tiny corpora, one
    # outage that makes most pairs alike).
    min_link: float = 0.12
    max_link: float = 0.50
    # Group centres: a problem's parts in other words (EN/DE) 0.31-0.6, different problems
    # below 0.25 on scenarios; 0.30 leaves 10 % of a scenario problem's posts outside its
    # issue (0.45: 39 %).
    merge_similarity: float = 0.30
    # Scenarios (25 one-offs beside 15 systemic problems): 0.6 sweeps 7 one-offs into another
    # problem's issue, 0.7 4, 0.8 (default) 1; 0.9 also 1 but leaves 10 % of a problem's
    # posts outside its issue (0.8: 7 %). Real sets: 0.6 -> 0.9 moves 2-6 points of
    # complaints out of issues of 5+ customers.
    attach_ratio: float = 0.8
    # One customer's two complaints this alike, this close in time, are one problem: in the
    # generated scenarios a customer's second post about a one-off problem (other words,
    # half an hour later) and a follow-up a day later scored 0.14-0.6; complaints about
    # different problems sit at -0.1-0.35 (median 0.17), which a customer rarely posts
    # within three days of each other.
    same_customer_similarity: float = 0.10
    same_customer_window: timedelta = timedelta(days=3)


@dataclass(frozen=True)
class Complaint:
    """What grouping needs to know of one complaint (its vector is passed beside it)."""

    mention_id: int
    author: str | None
    created_at: datetime
    lang: str | None = None


# ------------------------------------------------------------------ vectors


def language_centres(vectors: np.ndarray, langs: Sequence[str | None]) -> dict[str, np.ndarray]:
    """Mean vector per language (key "" for all of them together).

    e5 vectors of one language share an offset: subtracting the mean of the text's own
    language removes it, so an English and a German complaint about the same problem come out
    close (generated scenarios: same problem across languages 0.52-0.77, different problems
    0.15-0.36; with one global mean, different problems in one language scored 0.42-0.50).
    """
    if not len(vectors):
        return {}
    langs = np.array([lang or "" for lang in langs])
    centres = {"": vectors.mean(axis=0)}
    for lang in set(langs) - {""}:
        chosen = langs == lang
        if chosen.sum() >= MIN_LANGUAGE_SAMPLE:
            centres[lang] = vectors[chosen].mean(axis=0)
    return centres


def centred(vectors: np.ndarray, centres: dict[str, np.ndarray], langs=None) -> np.ndarray:
    """Unit vectors with their language's centre (or the overall one) subtracted."""
    if not centres or not len(vectors):
        return vectors
    overall = centres[""]
    offsets = np.stack(
        [centres.get(lang or "", overall) for lang in (langs or [None] * len(vectors))]
    )
    return unit_rows(vectors - offsets)


def link_threshold(
    vectors: np.ndarray, thresholds: GroupingThresholds, sample: int = THRESHOLD_SAMPLE
) -> float:
    """The similarity above which two complaints count as one problem (rule step 1)."""
    if len(vectors) < 3:
        return thresholds.max_link
    if len(vectors) > sample:
        chosen = np.random.default_rng(0).choice(len(vectors), sample, replace=False)
        vectors = vectors[np.sort(chosen)]
    similarity = vectors @ vectors.T
    pairs = similarity[np.triu_indices(len(vectors), k=1)]
    value = float(np.percentile(pairs, thresholds.link_percentile))
    return float(min(thresholds.max_link, max(thresholds.min_link, value)))


# ------------------------------------------------------------------ grouping


def group_complaints(
    complaints: Sequence[Complaint],
    vectors: np.ndarray,
    thresholds: GroupingThresholds,
    link: float,
) -> list[list[int]]:
    """Mention ids grouped by problem (rule in the module docstring), largest group first.

    ``vectors``: centred unit vectors in ``complaints`` order.
    """
    if not complaints:
        return []
    units = _tie_customers(complaints, vectors, thresholds)
    members = [[complaints[i].mention_id for i in unit] for unit in units]
    # Each customer's problem counts once: a loud customer neither makes a group nor pulls
    # its centre.
    unit_vectors = unit_rows(np.stack([vectors[unit].mean(axis=0) for unit in units]))
    langs = np.array([complaints[unit[0]].lang or "" for unit in units])
    labels = _linked(unit_vectors, link)
    labels = _merged(unit_vectors, labels, thresholds.merge_similarity)
    labels = _attached(unit_vectors, labels, thresholds.attach_ratio, langs)
    groups: dict[int, list[int]] = defaultdict(list)
    for label, ids in zip(labels, members, strict=True):
        groups[int(label)].extend(ids)
    return sorted((sorted(ids) for ids in groups.values()), key=lambda g: (-len(g), g[0]))


def _tie_customers(complaints, vectors, thresholds) -> list[list[int]]:
    """Indices in units: one customer's alike complaints within the window are one unit."""
    parent = list(range(len(complaints)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_author: dict[str, list[int]] = defaultdict(list)
    for index, complaint in enumerate(complaints):
        if author := known_author(complaint.author):
            by_author[author].append(index)
    for indices in by_author.values():
        if len(indices) < 2:
            continue
        similarity = vectors[indices] @ vectors[indices].T
        for a in range(len(indices)):
            for b in range(a + 1, len(indices)):
                first, second = complaints[indices[a]], complaints[indices[b]]
                close_in_time = (
                    abs(first.created_at - second.created_at) <= thresholds.same_customer_window
                )
                if close_in_time and similarity[a, b] >= thresholds.same_customer_similarity:
                    parent[root(indices[a])] = root(indices[b])
    units: dict[int, list[int]] = defaultdict(list)
    for index in range(len(complaints)):
        units[root(index)].append(index)
    return list(units.values())


def _average_linkage(vectors: np.ndarray, link: float) -> np.ndarray:
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    return AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - link
    ).fit_predict(vectors)


def _linked(vectors: np.ndarray, link: float) -> np.ndarray:
    """Average-linkage labels; past LINKAGE_MAX_SIZE a sample is grouped and the rest join it
    by the same criterion (mean similarity to a group's members >= link), round by round."""
    labels = np.full(len(vectors), -1)
    rng = np.random.default_rng(0)
    while (labels < 0).any():
        rest = np.flatnonzero(labels < 0)
        if len(rest) > LINKAGE_MAX_SIZE:
            sample = np.sort(rng.choice(rest, LINKAGE_MAX_SIZE, replace=False))
        else:
            sample = rest
        offset = labels.max() + 1
        labels[sample] = _average_linkage(vectors[sample], link) + offset
        others = np.flatnonzero(labels < 0)
        if not len(others):
            break
        # The mean similarity of a vector to a group's members is its dot product with the
        # group's (unnormalised) mean vector.
        found = np.unique(labels[sample])
        means = np.stack([vectors[labels == label].mean(axis=0) for label in found])
        similarity = vectors[others] @ means.T
        best = similarity.argmax(axis=1)
        joins = similarity[np.arange(len(others)), best] >= link
        labels[others[joins]] = found[best[joins]]
    return labels


def _merged(vectors, labels, merge_similarity: float) -> np.ndarray:
    """Groups of two or more customers whose centres point the same way become one."""
    sizes = Counter(labels.tolist())
    multi = sorted(label for label, size in sizes.items() if size >= 2)
    if len(multi) < 2:
        return labels
    centres = unit_rows(np.stack([vectors[labels == k].sum(axis=0) for k in multi]))
    joined = _average_linkage(centres, merge_similarity)
    first_of: dict[int, int] = {}
    rename = {}
    for label, group in zip(multi, joined, strict=True):
        rename[label] = first_of.setdefault(int(group), label)
    return np.array([rename.get(label, label) for label in labels])


def _attached(vectors, labels, ratio: float, langs: np.ndarray) -> np.ndarray:
    """Complaints on their own join the group they resemble as much as its members do.

    A complaint is compared with the group's members in its own language where the group
    has three of them: posts of one language are more alike than across languages, so a
    German complaint would otherwise fall short of an English-led group's cohesion.
    """
    labels = labels.copy()
    sizes = Counter(labels.tolist())
    groups = [label for label, size in sizes.items() if size >= 3]
    alone = [i for i, label in enumerate(labels) if sizes[label] < 2]
    if not groups or not alone:
        return labels
    best: dict[int, tuple[float, int]] = {}
    for label in groups:
        rows = np.flatnonzero(labels == label)
        for lang in {langs[i] for i in alone}:
            same = rows[langs[rows] == lang]
            members = same if len(same) >= 3 else rows
            bar = attach_bar(vectors[members], ratio)
            candidates = [i for i in alone if langs[i] == lang]
            margin = vectors[candidates] @ vectors[members].sum(axis=0) / len(members) - bar
            for i, value in zip(candidates, margin, strict=True):
                if value >= 0 and value > best.get(i, (-1.0, 0))[0]:
                    best[i] = (float(value), label)
    for i, (_, label) in best.items():
        labels[i] = label
    return labels


# ------------------------------------------------------------------ joining later complaints


def join_existing(
    vectors: np.ndarray, means: np.ndarray, bars: np.ndarray, link: float
) -> np.ndarray:
    """For each new complaint, the index of the issue it joins, or -1.

    ``means``: each issue's mean centred vector (not normalised), ``bars``: each issue's own
    attach bar. A complaint joins where its mean similarity to the members reaches the link
    threshold (the grouping's step 1), or the issue's bar when that is lower (step 3).
    """
    if not len(vectors) or not len(means):
        return np.full(len(vectors), -1)
    similarity = vectors @ means.T
    needed = np.minimum(link, bars)[None, :]
    margin = similarity - needed
    best = margin.argmax(axis=1)
    found = margin[np.arange(len(vectors)), best] >= 0
    return np.where(found, best, -1)


def attach_bar(vectors: np.ndarray, ratio: float = 0.8) -> float:
    """``ratio`` of the members' median mean similarity to the other members: how alike a
    complaint must be to the members to join (rule step 3)."""
    if len(vectors) < 3:
        return 1.0  # one or two posts: only the link threshold admits more
    total = vectors.sum(axis=0)
    own = (vectors @ total - 1.0) / (len(vectors) - 1)
    return float(ratio * np.median(own))


# ------------------------------------------------------------------ tickets


# One or two customers' posts are specific words, not a problem's common direction: related
# requests sit close to them by chance. The demo's one-off "card sent to my old address" drew
# 38 address-change and card tickets at 0.49-0.59; tickets about the problem an issue of many
# customers is about sit at 0.59-0.81 from its centre.
SMALL_ISSUE_TICKET_SIMILARITY = 0.65


def link_tickets(
    centroids: np.ndarray,
    windows: list[tuple],
    ticket_times: Sequence[datetime],
    ticket_vectors: np.ndarray,
    threshold: float | Sequence[float],
) -> dict[int, list[tuple[int, float]]]:
    """Issue index -> [(ticket index, similarity)]: each ticket goes to the one issue it is most
    similar to (normalised centroids), above the threshold (one, or one per issue) and inside
    the issue's time window (3 days before its first complaint to 14 days after its last)."""
    links: dict[int, list[tuple[int, float]]] = defaultdict(list)
    if not len(ticket_times) or not len(centroids):
        return links
    needed = np.broadcast_to(np.asarray(threshold, dtype=float), (len(centroids),))
    similarity = ticket_vectors @ unit_rows(centroids).T
    for t_index, created in enumerate(ticket_times):
        for i_index in np.argsort(-similarity[t_index]):
            score = float(similarity[t_index, i_index])
            if score < needed.min():
                break
            if score < needed[i_index]:
                continue
            first, last = windows[i_index]
            if first - TICKET_WINDOW_BEFORE <= created <= last + TICKET_WINDOW_AFTER:
                links[int(i_index)].append((t_index, score))
                break
    return links


# ------------------------------------------------------------------ identity


@dataclass(frozen=True)
class Continuation:
    """How a regrouped group relates to the issues that existed before."""

    issue_id: int | None  # the issue it continues (None: a new issue)
    merged: tuple[int, ...] = ()  # earlier issues whose complaints it took over (merged in)
    split_from: int | None = None  # the earlier issue a new issue was split off from


def match_issues(groups: Sequence[Sequence[int]], previous: dict[int, int]) -> list[Continuation]:
    """Match new groups to earlier issues by their members, so an issue keeps its id, key and
    link across regroups. ``previous``: mention id -> the issue it belonged to.

    An earlier issue continues as the group holding most of its complaints (each issue at most
    once, the largest overlaps first); it is *merged* into another group when that group holds
    most of its complaints but continues a larger issue; a new group holding complaints of an
    issue that continues elsewhere is *split* from it.
    """
    overlaps: list[tuple[int, int, int]] = []  # (count, group index, issue id)
    held: list[Counter] = []
    for index, group in enumerate(groups):
        counts = Counter(previous[i] for i in group if i in previous)
        held.append(counts)
        overlaps += [(count, index, issue) for issue, count in counts.items()]
    home: dict[int, int] = {}  # issue -> group holding most of its complaints
    for count, index, issue in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        best = home.get(issue)
        if best is None or count > held[best][issue]:
            home[issue] = index
    continues: dict[int, int] = {}  # group -> issue it continues
    taken: set[int] = set()
    for _count, index, issue in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        if index in continues or issue in taken or home[issue] != index:
            continue
        continues[index] = issue
        taken.add(issue)
    result = []
    for index in range(len(groups)):
        issue = continues.get(index)
        merged = tuple(
            sorted(i for i, g in home.items() if g == index and i != issue and i not in taken)
        )
        split_from = None
        if issue is None and held[index]:
            split_from = held[index].most_common(1)[0][0]
        result.append(Continuation(issue, merged, split_from))
    return result
