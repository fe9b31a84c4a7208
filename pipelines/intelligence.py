"""Issues (isolated vs systemic, with ticket links) and negative-spike alerts.

Every negative (or 1-2 star) mention belongs to exactly one issue: the issue of
its topic, or, for mentions no topic took, a small issue of its own near-copies.
"""

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import dagster as dg
import numpy as np
from pydantic import Field
from sklearn.cluster import AgglomerativeClustering
from sqlalchemy import and_, delete, func, insert, literal_column, or_, select, update

from cxradar.intelligence.issues import (
    IssueMention,
    LinkedTicket,
    SystemicThresholds,
    classify_issue,
    compute_issue_stats,
)
from cxradar.schema import (
    DailyAggregate,
    Enrichment,
    Issue,
    IssueLink,
    Mention,
    Source,
    Ticket,
    TopicAggregate,
    utcnow,
)
from cxradar.store import load_embeddings, vector_to_bytes
from models.topics import class_keywords
from pipelines.enrich import mention_enrichments, ticket_embeddings
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.topics import FIT_STATE_KEY, mention_topics, read_state, write_state

INTEL_GROUP = "intelligence"
# Similarities below are cosines of *centred* vectors (the mean of the text's language
# subtracted, see corpus_centres): raw e5
# cosines sit in a narrow band (unrelated posts 0.80-0.88), centred ones spread out. Measured
# on the demo: paraphrases of one problem vs. its centre 0.49-0.64 (5th-50th percentile),
# unrelated complaints 0.05-0.24 (50th-99th), one-off complaints 0.11-0.35.
MEMBER_SIMILARITY = 0.38  # a topic's complaint must be this close to be part of its issue
NEIGHBOUR_SIMILARITY = 0.50  # ... or paraphrase this many of its members this closely
# A complaint no topic took joins an issue only when clearly about it: one-off complaints sit
# 0.11-0.39 from the nearest other problem, paraphrases 0.49+ from their own.
JOIN_SIMILARITY = 0.45
MIN_NEIGHBOURS = 2
MERGE_SIMILARITY = 0.45  # topics whose complaints are this alike are one issue (EN + DE ...)
OUTLIER_SIMILARITY = 0.75  # complaints no topic took are one issue only when near-copies
# A broad topic can hold several problems: inside it, complaints are split where their
# average pairwise similarity drops below this (average linkage), then parts whose centres
# are MERGE_SIMILARITY alike are joined again (e.g. the English and German halves).
# Measured on generated scenarios (per-language centring): splitting there keeps 95-100 % of
# each part one problem, and a problem falls into 1-3 parts that the second step joins.
LINKAGE_SIMILARITY = 0.35
LINKAGE_MAX_SIZE = 4000  # average linkage is quadratic; larger groups are split by topic only
CENTRE_SAMPLE = 20_000
MIN_LANGUAGE_SAMPLE = 10  # fewer texts in a language: the overall centre serves it
TICKET_WINDOW_BEFORE = timedelta(days=3)
TICKET_WINDOW_AFTER = timedelta(days=14)
# The hourly run only places new complaints (see add_new_complaints); everything is
# regrouped from scratch on the first run, after a topic refit, when asked (the asset's
# ``full_regroup`` config or this environment variable) and once this long has passed.
FULL_REGROUP_EVERY = timedelta(hours=24)
FULL_REGROUP_ENV = "CXRADAR_FULL_REGROUP"
CENTRES_KEY = "issues.corpus_centres"  # the language centres of the last full regroup
REGROUPED_AT_KEY = "issues.full_regroup_at"
REGROUP_FIT_KEY = "issues.full_regroup_topic_fit"  # topics.fit_corpus_size back then
KEYWORD_CONTRAST = 2_000  # other issues' recent complaints that keywords are set against
KEYWORD_TEXTS = 2_000  # an issue's keywords come from its newest complaints, this many


@dataclass
class IssueGroup:
    key: str
    topic_id: int | None
    mention_ids: list[int]
    topic_sizes: dict[int, int] = field(default_factory=dict)  # complaints per merged topic


def negative_filter():
    """Negative text, or a 1-2 star review whatever its words; never noise (bots, bare links)."""
    return and_(
        or_(Enrichment.sentiment == "negative", Mention.rating <= 2), Mention.noise.is_(None)
    )


def group_outliers(ids: list[int], embeddings: np.ndarray, threshold: float) -> list[list[int]]:
    """Connected groups of near-identical complaints among mentions without a topic."""
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(ids) > 1:
        similar = np.argwhere(np.triu(embeddings @ embeddings.T, k=1) >= threshold)
        for a, b in similar:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for index, mention_id in enumerate(ids):
        groups[root(index)].append(mention_id)
    return [sorted(group) for group in groups.values()]


def split_off_strays(ids: list[int], vectors: np.ndarray, threshold: float):
    """Members close to the rest of the group, and the strays a broad topic swept in.

    Each post is compared with the centre of the *other* members, so a lone stray
    cannot pull the centre towards itself in a small group.
    """
    if len(ids) < 2:
        return list(ids), []
    keep = np.ones(len(ids), dtype=bool)
    for _ in range(2):  # the centre moves once the strays are out
        total = vectors[keep].sum(axis=0)
        others = total[None, :] - vectors * keep[:, None]
        norms = np.linalg.norm(others, axis=1)
        similarity = np.einsum("ij,ij->i", vectors, others) / np.where(norms == 0, 1.0, norms)
        close_to_centre = similarity >= threshold
        # A post far from the centre still belongs when it paraphrases members closely
        # (e.g. the German half of an English-heavy issue): it has close neighbours there.
        candidates = np.flatnonzero(~close_to_centre)
        if len(candidates) and close_to_centre.any():
            pairs = vectors[candidates] @ vectors[keep].T
            neighbours = (pairs >= NEIGHBOUR_SIMILARITY).sum(axis=1) - 1  # not itself
            close_to_centre[candidates[neighbours >= MIN_NEIGHBOURS]] = True
        keep = close_to_centre
        if keep.sum() < 2:
            return [], list(ids)
    members = [i for i, k in zip(ids, keep, strict=True) if k]
    strays = [i for i, k in zip(ids, keep, strict=True) if not k]
    return members, strays


def split_mixed(ids: list[int], vectors: np.ndarray) -> list[list[int]]:
    """The distinct problems inside one group of complaints (see LINKAGE_SIMILARITY)."""
    if len(ids) < 3 or len(ids) > LINKAGE_MAX_SIZE:
        return [list(ids)]
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=1 - LINKAGE_SIMILARITY,
    ).fit_predict(vectors)
    parts = [[i for i, label in zip(ids, labels, strict=True) if label == k] for k in set(labels)]
    parts.sort(key=lambda part: part[0])
    if len(parts) == 1:
        return parts
    index = {mention_id: row for row, mention_id in enumerate(ids)}
    centres = np.stack([_unit(vectors[[index[i] for i in part]].mean(axis=0)) for part in parts])
    # Average linkage again, on the parts' centres: single linkage would chain two problems
    # through one in-between part.
    joined = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=1 - MERGE_SIMILARITY,
    ).fit_predict(centres)
    merged = [
        sorted(i for p, label in enumerate(joined) if label == k for i in parts[p])
        for k in set(joined)
    ]
    return sorted(merged, key=len, reverse=True)


def build_groups(rows, embeddings_of) -> list[IssueGroup]:
    """Issues from topics: strays split off, topics about the same problem merged, rest grouped.

    ``embeddings_of(ids)`` returns centred, unit-length vectors.
    """
    by_topic: dict[int, list[int]] = defaultdict(list)
    outliers: list[int] = []
    for mention_id, topic_id in rows:
        (outliers if topic_id is None or topic_id < 0 else by_topic[topic_id]).append(mention_id)
    kept: dict[int, list[int]] = {}
    for topic_id, ids in sorted(by_topic.items()):
        members, strays = split_off_strays(
            sorted(ids), embeddings_of(sorted(ids)), MEMBER_SIMILARITY
        )
        if members:
            kept[topic_id] = members
        outliers += strays
    groups = []
    topic_ids = sorted(kept)
    if topic_ids:
        centres = np.stack([_unit(embeddings_of(kept[t]).mean(axis=0)) for t in topic_ids])
        for merged in group_outliers(topic_ids, centres, MERGE_SIMILARITY):
            # The largest topic names the issue, so its id is stable while that topic lives.
            lead = max(merged, key=lambda t: (len(kept[t]), -t))
            ids = sorted(i for t in merged for i in kept[t])
            vectors = embeddings_of(ids)
            members, strays = split_off_strays(ids, vectors, MEMBER_SIMILARITY)
            outliers += strays
            if not members:
                continue
            sizes = {t: len(kept[t]) for t in merged}
            row = {mention_id: index for index, mention_id in enumerate(ids)}
            member_vectors = vectors[[row[i] for i in members]]  # loaded once above
            main, *others = split_mixed(members, member_vectors)
            groups.append(IssueGroup(f"topic:{lead}", lead, main, sizes))
            # Another problem the topic swept in gets its own issue, keyed by its first post.
            groups += [IssueGroup(f"topic:{lead}:{part[0]}", lead, part) for part in others]
    outliers = _join_nearest(groups, sorted(outliers), embeddings_of)
    if outliers:
        for members in group_outliers(outliers, embeddings_of(outliers), OUTLIER_SIMILARITY):
            groups.append(IssueGroup(f"mention:{members[0]}", None, members))
    return groups


def _join_nearest(groups: list[IssueGroup], ids: list[int], embeddings_of) -> list[int]:
    """Complaints no topic took join the issue they are close to; returns the rest."""
    if not groups or not ids:
        return ids
    centres = np.stack([_unit(embeddings_of(g.mention_ids).mean(axis=0)) for g in groups])
    similarity = embeddings_of(ids) @ centres.T
    best = similarity.argmax(axis=1)
    rest = []
    for row, mention_id in enumerate(ids):
        if similarity[row, best[row]] >= JOIN_SIMILARITY:
            groups[best[row]].mention_ids.append(mention_id)
        else:
            rest.append(mention_id)
    for group in groups:
        group.mention_ids.sort()
    return rest


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


def corpus_centres(session) -> dict[str, np.ndarray]:
    """Mean vector per language (and overall, key ""), from (a sample of) all mentions.

    e5 vectors of one language share an offset: subtracting the corpus mean of the
    text's own language removes it, so an English and a German complaint about the
    same problem come out close (measured on generated scenarios: same problem across
    languages 0.52-0.77, different problems 0.15-0.36; with one global mean, language
    dominated and different problems in one language scored 0.42-0.50).
    """
    rows = session.execute(
        select(Enrichment.mention_id, Enrichment.lang).order_by(Enrichment.mention_id)
    ).all()
    if not rows:
        return {}
    step = max(1, len(rows) // CENTRE_SAMPLE)
    sample = rows[::step]
    vectors = load_embeddings(session, "mention", [mention_id for mention_id, _ in sample])
    langs = np.array([lang or "" for _, lang in sample])
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
    shifted = vectors - offsets
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    return (shifted / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def languages_of(session, kind: str, ids: list[int]) -> list[str | None]:
    """The detected language of each mention (or ticket), in the order given."""
    column, key = (
        (Ticket.lang, Ticket.id) if kind == "ticket" else (Enrichment.lang, Enrichment.mention_id)
    )
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 1000):
        found.update(
            session.execute(select(key, column).where(key.in_(ids[start : start + 1000]))).all()
        )
    return [found.get(i) for i in ids]


def link_tickets(
    centroids: np.ndarray,
    windows: list[tuple],
    tickets: list,
    ticket_vectors: np.ndarray,
    threshold: float,
) -> dict[int, list[tuple[int, float]]]:
    """Each ticket goes to the one issue it is most similar to, above the threshold, in time."""
    links: dict[int, list[tuple[int, float]]] = defaultdict(list)
    if not len(tickets) or not len(centroids):
        return links
    similarity = ticket_vectors @ centroids.T
    for t_index, ticket in enumerate(tickets):
        for i_index in np.argsort(-similarity[t_index]):
            score = float(similarity[t_index, i_index])
            if score < threshold:
                break
            first, last = windows[i_index]
            if first - TICKET_WINDOW_BEFORE <= ticket.created_at <= last + TICKET_WINDOW_AFTER:
                links[int(i_index)].append((ticket.id, score))
                break
    return links


class IssuesConfig(dg.Config):
    full_regroup: bool = Field(
        default=False,
        description="Regroup every negative mention from scratch instead of only the new ones.",
    )


@dg.asset(
    group_name=INTEL_GROUP,
    deps=[mention_topics, ticket_embeddings],
    description="Issues from negative mentions, labelled systemic or isolated, with ticket links.",
    automation_condition=dg.AutomationCondition.eager(),
)
def issues(
    context: dg.AssetExecutionContext,
    config: IssuesConfig,
    db: DatabaseResource,
    cx_config: ConfigResource,
) -> dg.MaterializeResult:
    settings = cx_config.load()
    with db.session() as session:
        reason = full_regroup_reason(session, asked=config.full_regroup)
        if reason:
            context.log.info(f"regrouping every negative mention: {reason}")
            metadata = regroup_all(session, settings)
        else:
            metadata = add_new_complaints(session, settings)
    return dg.MaterializeResult(metadata={**metadata, "full_regroup": reason or "no"})


def full_regroup_reason(session, asked: bool = False) -> str | None:
    """Why this run must regroup everything, or None when only new complaints need a home.

    Incremental runs never split or merge existing issues, and a topic refit renumbers
    topics: a full regroup now and then keeps issues as a fresh grouping would make them.
    """

    def missing_centroid() -> str | None:
        query = select(Issue.id).where(Issue.centroid.is_(None)).limit(1)
        return "issues without a stored centroid" if session.scalar(query) else None

    keys = (CENTRES_KEY, REGROUP_FIT_KEY, REGROUPED_AT_KEY)
    return periodic_reason(session, asked, keys, "full regroup", missing_centroid)


def periodic_reason(session, asked: bool, keys: tuple[str, str, str], work: str, also=None):
    """Why a from-scratch pass is due: asked, first run, ``also()``, topics refitted, or a
    day has passed; None when the incremental pass suffices.

    ``keys``: the state keys of (written by the first full pass, topic fit seen then, its time).
    """
    first_key, fit_key, at_key = keys
    if asked or os.environ.get(FULL_REGROUP_ENV, "").lower() in ("1", "true", "yes"):
        return "asked for"
    if read_state(session, first_key) is None:
        return "first run"
    if also and (why := also()):
        return why
    if read_state(session, fit_key) != (read_state(session, FIT_STATE_KEY) or ""):
        return "topics were refitted"
    last = read_state(session, at_key)
    if last is None or utcnow() - datetime.fromisoformat(last) >= FULL_REGROUP_EVERY:
        return f"last {work} over {FULL_REGROUP_EVERY} ago"
    return None


def _vectors(session, centres):
    """``vectors_of(kind, ids)``: centred, unit-length vectors of mentions or tickets."""

    def vectors_of(kind: str, ids: list[int]) -> np.ndarray:
        langs = languages_of(session, kind, ids)
        return centred(load_embeddings(session, kind, ids), centres, langs)

    return vectors_of


def regroup_all(session, settings) -> dict:
    """Group every negative mention anew (build_groups); issues keep their keys."""
    rows = session.execute(
        select(Mention.id, Enrichment.topic_id)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(negative_filter())
    ).all()
    centres = corpus_centres(session)
    vectors_of = _vectors(session, centres)
    groups = build_groups(rows, lambda ids: vectors_of("mention", ids))
    mentions = _issue_mentions(session, [i for g in groups for i in g.mention_ids])
    now = max((m.created_at for m in mentions.values()), default=utcnow())
    means = [vectors_of("mention", g.mention_ids).mean(axis=0) for g in groups]
    windows = [_window(g.mention_ids, mentions) for g in groups]
    tickets = session.scalars(select(Ticket).where(Ticket.encoded_at.is_not(None))).all()
    found = link_tickets(
        _units(means),
        windows,
        tickets,
        vectors_of("ticket", [t.id for t in tickets]),
        settings.thresholds.ticket_link_similarity,
    )
    links = {groups[index].key: pairs for index, pairs in found.items()}
    by_id = {t.id: t for t in tickets}
    linked = [_linked(links.get(g.key, []), by_id) for g in groups]
    written = _write_issues(session, settings, groups, mentions, linked, now)
    for issue, mean in zip(written, means, strict=True):
        issue.centroid = vector_to_bytes(mean)
        _replace_links(session, issue.id, links.get(issue.key, []))
    _drop_stale_issues(session, [group.key for group in groups])
    write_state(session, CENTRES_KEY, _centres_to_text(centres))
    write_state(session, REGROUPED_AT_KEY, utcnow().isoformat())
    write_state(session, REGROUP_FIT_KEY, read_state(session, FIT_STATE_KEY) or "")
    return {
        "issues": len(groups),
        **_classification_counts(written),
        "linked_tickets": sum(len(v) for v in links.values()),
    }


def add_new_complaints(session, settings) -> dict:
    """Give each negative mention without an issue one; only touched issues are rewritten.

    A new complaint joins the existing issue whose stored centroid it is close to (the
    thresholds of build_groups); the rest are grouped among themselves as build_groups
    does. Centres are the ones of the last full regroup, so the centroids stay comparable.
    """
    vectors_of = _vectors(session, _centres_from_text(read_state(session, CENTRES_KEY)))
    rows = session.execute(
        select(Mention.id, Enrichment.topic_id)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(negative_filter(), Enrichment.issue_id.is_(None))
        .order_by(Mention.id)
    ).all()
    if not rows:
        return {"issues": session.scalar(select(func.count(Issue.id))), "new_complaints": 0}
    existing = list(session.scalars(select(Issue).order_by(Issue.id)))
    joined, rest = _join_existing(rows, existing, vectors_of)
    new_groups = build_groups(rest, lambda ids: vectors_of("mention", ids))
    _unique_keys(new_groups, {issue.key for issue in existing})
    grown = [
        IssueGroup(issue.key, issue.topic_id, sorted(joined[issue.id]))
        for issue in existing
        if issue.id in joined
    ]
    written = _update_touched(session, settings, existing, grown + new_groups, vectors_of)
    return {
        "issues": len(existing) + len(new_groups),
        **_classification_counts(written),
        "new_complaints": len(rows),
        "joined_existing": sum(len(ids) for ids in joined.values()),
        "new_issues": len(new_groups),
        "rewritten_issues": len(written),
    }


def _join_existing(rows, existing: list[Issue], vectors_of) -> tuple[dict, list]:
    """New complaints that belong to an existing issue (issue id -> mention ids), and the rest.

    Same thresholds as build_groups: a complaint of the issue's own topic joins at
    MEMBER_SIMILARITY, any other at JOIN_SIMILARITY, and an issue of near-copies (no topic)
    takes only near-copies (OUTLIER_SIMILARITY).
    """
    if not existing:
        return {}, list(rows)
    vectors = vectors_of("mention", [mention_id for mention_id, _ in rows])
    similarity = vectors @ _units([_centroid(issue) for issue in existing]).T
    topics = np.array([-1 if issue.topic_id is None else issue.topic_id for issue in existing])
    other_topic = np.where(topics < 0, OUTLIER_SIMILARITY, JOIN_SIMILARITY)
    joined: dict[int, list[int]] = defaultdict(list)
    rest = []
    for row, (mention_id, topic_id) in enumerate(rows):
        own_topic = topics == (topic_id if topic_id is not None and topic_id >= 0 else -2)
        close = similarity[row] >= np.where(own_topic, MEMBER_SIMILARITY, other_topic)
        if close.any():
            best = int(np.where(close, similarity[row], -np.inf).argmax())
            joined[existing[best].id].append(mention_id)
        else:
            rest.append((mention_id, topic_id))
    return joined, rest


def _unique_keys(groups: list[IssueGroup], taken: set[str]) -> None:
    """A new issue must not take an existing issue's key: it would overwrite that issue."""
    for group in groups:
        while group.key in taken:
            group.key = f"{group.key}:{group.mention_ids[0]}"
        taken.add(group.key)


def _update_touched(session, settings, existing, groups, vectors_of) -> list[Issue]:
    """Members, centroid, ticket links, stats and words of the issues that got complaints.

    ``groups`` hold the *new* members only; each grown issue's other members are read
    back for its stats, so the cost is bounded by the touched issues' sizes.
    """
    by_key = {issue.key: issue for issue in existing}
    added = {group.key: group.mention_ids for group in groups}
    for group in groups:
        old = _member_ids(session, by_key[group.key].id) if group.key in by_key else []
        group.mention_ids = sorted(old + group.mention_ids)
    mentions = _issue_mentions(session, [i for g in groups for i in g.mention_ids])
    means = [
        _grown_mean(by_key.get(g.key), len(g.mention_ids), vectors_of("mention", added[g.key]))
        for g in groups
    ]
    windows = [_window(g.mention_ids, mentions) for g in groups]
    links, relinked = _relink_tickets(
        session, settings, existing, groups, means, windows, vectors_of
    )
    # An issue that only won or lost a ticket is rewritten too: tickets are evidence.
    for issue in existing:
        if issue.key in relinked and issue.key not in added:
            groups.append(IssueGroup(issue.key, issue.topic_id, _member_ids(session, issue.id)))
    mentions |= _issue_mentions(session, [i for g in groups[len(means) :] for i in g.mention_ids])
    linked = [
        _stored_and_new_links(session, by_key.get(g.key), links.get(g.key, [])) for g in groups
    ]
    now = max(
        session.scalar(select(func.max(Issue.last_seen))) or utcnow(),
        max(m.created_at for m in mentions.values()),
    )
    contrast = _contrast_texts(session, groups)
    written = _write_issues(session, settings, groups, mentions, linked, now, contrast, added)
    for issue, mean in zip(written, means, strict=False):  # relinked-only issues keep theirs
        issue.centroid = vector_to_bytes(mean)
    issue_id_of = {issue.key: issue.id for issue in [*existing, *written]}
    session.add_all(
        IssueLink(issue_id=issue_id_of[key], ticket_id=ticket_id, similarity=similarity)
        for key, pairs in links.items()
        for ticket_id, similarity in pairs
    )
    return written


def _relink_tickets(session, settings, existing, groups, means, windows, vectors_of):
    """Ticket links of the tickets in the touched issues' time windows, against all issues.

    A ticket outside those windows cannot link to a touched issue, and no other issue
    changed, so its link stays. The links of the tickets inside are deleted here; returns
    their new links (issue key -> [(ticket id, similarity)]) and the keys of the issues
    whose links changed.
    """
    first = min(w[0] for w in windows) - TICKET_WINDOW_BEFORE
    last = max(w[1] for w in windows) + TICKET_WINDOW_AFTER
    in_window = select(Ticket.id).where(
        Ticket.encoded_at.is_not(None), Ticket.created_at >= first, Ticket.created_at <= last
    )
    tickets = session.scalars(select(Ticket).where(Ticket.id.in_(in_window))).all()
    touched = {g.key for g in groups}
    others = [issue for issue in existing if issue.key not in touched]
    keys = [g.key for g in groups] + [issue.key for issue in others]
    found = link_tickets(
        _units(means + [_centroid(issue) for issue in others]),
        windows + [(issue.first_seen, issue.last_seen) for issue in others],
        tickets,
        vectors_of("ticket", [t.id for t in tickets]),
        settings.thresholds.ticket_link_similarity,
    )
    links = {keys[index]: pairs for index, pairs in found.items()}
    key_of = {issue.id: issue.key for issue in existing}
    before = {
        (key_of.get(issue_id), ticket_id)
        for issue_id, ticket_id in session.execute(
            select(IssueLink.issue_id, IssueLink.ticket_id).where(
                IssueLink.ticket_id.in_(in_window)
            )
        )
    }
    after = {(key, ticket_id) for key, pairs in links.items() for ticket_id, _ in pairs}
    session.execute(delete(IssueLink).where(IssueLink.ticket_id.in_(in_window)))
    return links, {key for key, _ in before ^ after}


def _stored_and_new_links(session, issue: Issue | None, new: list) -> list[LinkedTicket]:
    """An issue's links: those left in the database (tickets outside the window) and the new."""
    pairs = list(new)
    if issue is not None:
        pairs += session.execute(
            select(IssueLink.ticket_id, IssueLink.similarity).where(IssueLink.issue_id == issue.id)
        ).all()
    tickets = session.scalars(select(Ticket).where(Ticket.id.in_([p[0] for p in pairs])))
    return _linked(pairs, {t.id: t for t in tickets})


def _contrast_texts(session, groups: list[IssueGroup]) -> list[list[str]]:
    """Recent complaints of other issues, one list per issue: the background against which
    c-TF-IDF picks the touched issues' own words (a full regroup uses every issue)."""
    keys = [g.key for g in groups]
    rows = session.execute(
        select(Enrichment.issue_id, Mention.text)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .join(Issue, Issue.id == Enrichment.issue_id)
        .where(Issue.key.not_in(keys))
        .order_by(Enrichment.mention_id.desc())
        .limit(KEYWORD_CONTRAST)
    ).all()
    by_issue: dict[int, list[str]] = defaultdict(list)
    for issue_id, text in rows:
        by_issue[issue_id].append(text)
    return list(by_issue.values())


def _write_issues(
    session, settings, groups, mentions, linked, now, contrast=(), added=None
) -> list[Issue]:
    """Stats, verdict, keywords and members of each group's issue (created when new).

    ``added`` (issue key -> mention ids): only these get their issue id set (the other
    members already carry it); without it every member does.
    """
    thresholds = SystemicThresholds(**settings.thresholds.systemic.model_dump())
    brand_words = [w for brand in settings.brands for w in [brand.name, *brand.keywords]]
    # The newest KEYWORD_TEXTS complaints describe a large issue as well as all of them do.
    keywords = class_keywords(
        [[mentions[i].text for i in g.mention_ids[-KEYWORD_TEXTS:]] for g in groups]
        + list(contrast),
        extra_stop_words=brand_words,
    )
    written = []
    for group, words, tickets in zip(groups, keywords, linked, strict=False):
        members = [mentions[i] for i in group.mention_ids]
        stats = compute_issue_stats(members, tickets, now=now)
        verdict = classify_issue(stats, thresholds)
        issue = _upsert_issue(session, group, words, members, stats, verdict)
        assign = group.mention_ids if added is None else added.get(group.key, [])
        for start in range(0, len(assign), 1000):
            session.execute(
                update(Enrichment)
                .where(Enrichment.mention_id.in_(assign[start : start + 1000]))
                .values(issue_id=issue.id)
            )
        written.append(issue)
    return written


def _classification_counts(written: list[Issue]) -> dict[str, int]:
    counts = {"systemic": 0, "isolated": 0}
    for issue in written:
        counts[issue.classification] += 1
    return counts


def _linked(pairs, tickets_by_id) -> list[LinkedTicket]:
    return [
        LinkedTicket(t_id, tickets_by_id[t_id].created_at, tickets_by_id[t_id].subject, score)
        for t_id, score in pairs
    ]


def _member_ids(session, issue_id: int) -> list[int]:
    return list(
        session.scalars(select(Enrichment.mention_id).where(Enrichment.issue_id == issue_id))
    )


def _window(ids: list[int], mentions: dict[int, IssueMention]) -> tuple:
    times = [mentions[i].created_at for i in ids]
    return min(times), max(times)


def _centroid(issue: Issue) -> np.ndarray:
    return np.frombuffer(issue.centroid, dtype=np.float32)


def _grown_mean(issue: Issue | None, members: int, added: np.ndarray) -> np.ndarray:
    """The mean centred vector after ``added`` joined (all of it for a new issue)."""
    if issue is None:
        return added.mean(axis=0)
    before = members - len(added)
    return (_centroid(issue) * before + added.sum(axis=0)) / members


def _units(vectors) -> np.ndarray:
    if not len(vectors):
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([_unit(np.asarray(v, dtype=np.float32)) for v in vectors])


def _centres_to_text(centres: dict[str, np.ndarray]) -> str:
    return json.dumps({lang: vector.astype(float).tolist() for lang, vector in centres.items()})


def _centres_from_text(text: str | None) -> dict[str, np.ndarray]:
    return {lang: np.array(v, dtype=np.float32) for lang, v in json.loads(text or "{}").items()}


def _issue_mentions(session, ids: list[int]) -> dict[int, IssueMention]:
    # Plain columns, not ORM entities: the hourly run reads every touched issue's members.
    columns = (
        Mention.id,
        Mention.created_at,
        Source.name,
        Mention.author,
        Mention.text,
        Enrichment.sentiment,
        Enrichment.sentiment_score,
        Mention.rating,
        Mention.reach,
        Enrichment.lang,
        Mention.duplicate_of,
        Mention.url,
        Mention.kind,
    )
    result = {}
    for start in range(0, len(ids), 1000):
        for row in session.execute(
            select(*columns)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.id.in_(ids[start : start + 1000]))
        ):
            result[row[0]] = IssueMention(*row)
    return result


def _upsert_issue(session, group, keywords, members, stats, verdict) -> Issue:
    issue = session.scalar(select(Issue).where(Issue.key == group.key))
    if issue is None:
        issue = Issue(key=group.key)
        session.add(issue)
    # A topic's words describe a group; one or two posts are best described by themselves.
    label = " · ".join(keywords[:3]) if keywords and len(members) >= 3 else _short(members[0].text)
    issue.topic_id, issue.label, issue.keywords = group.topic_id, label, keywords
    issue.title = label
    issue.classification, issue.score = verdict.classification, float(verdict.score)
    issue.severity, issue.evidence = float(verdict.severity), verdict.evidence
    issue.mentions, issue.authors, issue.sources = stats.mentions, stats.authors, stats.sources
    issue.source_names = sorted(stats.source_names)
    issue.tickets, issue.active_days = stats.tickets, stats.active_days
    issue.first_seen, issue.last_seen = stats.first_seen, stats.last_seen
    issue.negative_share, issue.growth = float(stats.negative_share), stats.growth
    issue.reach, issue.updated_at = int(stats.reach or 0), utcnow()
    session.flush()
    return issue


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _replace_links(session, issue_id: int, links: list[tuple[int, float]]) -> None:
    session.execute(delete(IssueLink).where(IssueLink.issue_id == issue_id))
    for ticket_id, similarity in links:
        session.add(IssueLink(issue_id=issue_id, ticket_id=ticket_id, similarity=similarity))


def _drop_stale_issues(session, kept_keys: list[str]) -> None:
    stale = list(session.scalars(select(Issue.id).where(Issue.key.not_in(kept_keys))))
    if stale:
        session.execute(
            update(Enrichment).where(Enrichment.issue_id.in_(stale)).values(issue_id=None)
        )
        session.execute(delete(IssueLink).where(IssueLink.issue_id.in_(stale)))
        session.execute(delete(Issue).where(Issue.id.in_(stale)))


@dg.asset_check(asset=issues, description="Every negative mention belongs to exactly one issue.")
def every_negative_mention_has_an_issue(db: DatabaseResource) -> dg.AssetCheckResult:
    with db.session() as session:
        orphans = session.scalar(
            select(func.count())
            .select_from(Mention)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(negative_filter(), Enrichment.issue_id.is_(None))
        )
    return dg.AssetCheckResult(passed=orphans == 0, metadata={"negative_without_issue": orphans})


class AggregatesConfig(dg.Config):
    full_rebuild: bool = Field(
        default=False, description="Recount every day instead of only the days touched."
    )


@dg.asset(
    group_name=INTEL_GROUP,
    deps=[mention_enrichments, mention_topics],
    description=(
        "Mentions per day, source, language, brand and sentiment (and per topic), "
        "for fast dashboards."
    ),
    automation_condition=dg.AutomationCondition.eager(),
)
def daily_aggregates(
    context: dg.AssetExecutionContext, config: AggregatesConfig, db: DatabaseResource
) -> dg.MaterializeResult:
    with db.session() as session:
        reason = full_rebuild_reason(session, asked=config.full_rebuild)
        if reason:
            context.log.info(f"recounting every day: {reason}")
        daily, topics, days = refresh_aggregates(session, full=bool(reason))
    return dg.MaterializeResult(
        metadata={
            "rows": daily,
            "topic_rows": topics,
            "days_recounted": days,
            "full_rebuild": reason or "no",
        }
    )


AGGREGATE_CHUNK = 5_000
AGGREGATED_UNTIL_KEY = "aggregates.enriched_until"  # newest enriched_at counted so far
AGGREGATES_FIT_KEY = "aggregates.topic_fit"  # topics.fit_corpus_size at the last full rebuild
AGGREGATES_REBUILT_AT_KEY = "aggregates.full_rebuild_at"
ONE_DAY = timedelta(days=1)


def full_rebuild_reason(session, asked: bool = False) -> str | None:
    """Why every day must be recounted, or None when the touched days suffice.

    A topic refit renumbers every mention's topic; erasures delete mentions without
    touching enrichments: the daily full rebuild catches the latter.
    """
    keys = (AGGREGATED_UNTIL_KEY, AGGREGATES_FIT_KEY, AGGREGATES_REBUILT_AT_KEY)
    return periodic_reason(session, asked, keys, "full rebuild")


def refresh_aggregates(session, full: bool = False) -> tuple[int, int, int]:
    """Recount the days with mentions enriched since the last run (every day when ``full``).

    Returns the rows written to daily_aggregates and topic_aggregates and the days recounted.
    """
    newest = session.scalar(select(func.max(Enrichment.enriched_at)))
    if full:
        daily, topics = rebuild_aggregates(session)
        days = session.scalar(select(func.count(func.distinct(DailyAggregate.day)))) or 0
        write_state(session, AGGREGATES_FIT_KEY, read_state(session, FIT_STATE_KEY) or "")
        write_state(session, AGGREGATES_REBUILT_AT_KEY, utcnow().isoformat())
    else:
        # An enrichment committed after this run read the watermark but stamped before it
        # (a backfill in flight) is missed here; the daily full rebuild counts it.
        since = datetime.fromisoformat(read_state(session, AGGREGATED_UNTIL_KEY))
        touched = touched_days(session, since)
        daily, topics = rebuild_aggregates(session, days=touched) if touched else (0, 0)
        days = len(touched)
    if newest is not None:
        write_state(session, AGGREGATED_UNTIL_KEY, newest.isoformat())
    return daily, topics, days


def touched_days(session, since: datetime) -> list[datetime]:
    """The days (UTC midnight) of the mentions enriched after ``since``."""
    days = session.scalars(
        select(func.date(Mention.created_at))
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(Enrichment.enriched_at > since)
        .distinct()
    )
    return sorted({_as_datetime(day) for day in days})


def rebuild_aggregates(session, days: list[datetime] | None = None) -> tuple[int, int]:
    """Replace daily_aggregates and topic_aggregates with counts of the original mentions.

    Only the given ``days`` (UTC midnights) when given, else every day. Returns how many
    rows each table got. Mentions of no brand count under brand "".
    """
    day = func.date(Mention.created_at)
    # Literals, not bound parameters: PostgreSQL must see the same expressions in GROUP BY.
    lang = func.coalesce(Enrichment.lang, literal_column("'und'"))
    brand = func.coalesce(Mention.brand, literal_column("''"))
    keys = (day, Source.name, lang, Enrichment.sentiment, brand)
    originals = (
        select()
        .select_from(Mention)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.duplicate_of.is_(None))
    )
    if days is not None:
        # Ranges on created_at, not date(created_at) = ...: the index answers them.
        originals = originals.where(
            or_(*(and_(Mention.created_at >= d, Mention.created_at < d + ONE_DAY) for d in days))
        )
    daily = session.execute(
        originals.add_columns(
            *keys,
            func.count(),
            func.coalesce(func.sum(Mention.rating), 0),
            func.count(Mention.rating),
        ).group_by(*keys)
    ).all()
    topics = session.execute(
        originals.add_columns(*keys, Enrichment.topic_id, func.count())
        .where(Enrichment.topic_id >= 0)
        .group_by(*keys, Enrichment.topic_id)
    ).all()
    names = ("day", "source", "lang", "sentiment", "brand")
    _replace_rows(
        session,
        DailyAggregate,
        [
            dict(zip(names, (_as_datetime(d), *rest), strict=True))
            | {"mentions": n, "rating_sum": int(rating_sum), "rating_count": rating_count}
            for d, *rest, n, rating_sum, rating_count in daily
        ],
        days,
    )
    _replace_rows(
        session,
        TopicAggregate,
        [
            dict(zip(names, (_as_datetime(d), *rest), strict=True))
            | {"topic_id": topic_id, "mentions": n}
            for d, *rest, topic_id, n in topics
        ],
        days,
    )
    return len(daily), len(topics)


def _replace_rows(session, model, rows: list[dict], days: list[datetime] | None) -> None:
    session.execute(delete(model) if days is None else delete(model).where(model.day.in_(days)))
    for start in range(0, len(rows), AGGREGATE_CHUNK):
        session.execute(insert(model), rows[start : start + AGGREGATE_CHUNK])


def _as_datetime(value):
    from datetime import UTC, date, datetime

    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


defs = dg.Definitions(
    assets=[issues, daily_aggregates], asset_checks=[every_negative_mention_has_an_issue]
)
