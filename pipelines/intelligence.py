"""Issues (isolated vs systemic, with ticket links) and negative-spike alerts.

Every negative (or 1-2 star) mention belongs to exactly one issue: the issue of
its topic, or, for mentions no topic took, a small issue of its own near-copies.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import dagster as dg
import numpy as np
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
from cxradar.store import load_embeddings
from models.topics import class_keywords
from pipelines.enrich import mention_enrichments, ticket_embeddings
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.topics import mention_topics

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


@dg.asset(
    group_name=INTEL_GROUP,
    deps=[mention_topics, ticket_embeddings],
    description="Issues from negative mentions, labelled systemic or isolated, with ticket links.",
    automation_condition=dg.AutomationCondition.eager(),
)
def issues(
    context: dg.AssetExecutionContext, db: DatabaseResource, cx_config: ConfigResource
) -> dg.MaterializeResult:
    config = cx_config.load()
    thresholds = SystemicThresholds(**config.thresholds.systemic.model_dump())
    with db.session() as session:
        rows = session.execute(
            select(Mention.id, Enrichment.topic_id)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(negative_filter())
        ).all()
        centres = corpus_centres(session)

        def vectors_of(kind: str, ids: list[int]) -> np.ndarray:
            langs = languages_of(session, kind, ids)
            return centred(load_embeddings(session, kind, ids), centres, langs)

        groups = build_groups(rows, lambda ids: vectors_of("mention", ids))
        mentions = _issue_mentions(session, [i for g in groups for i in g.mention_ids])
        now = max((m.created_at for m in mentions.values()), default=utcnow())
        centroids, windows = _centroids(groups, mentions, lambda ids: vectors_of("mention", ids))
        tickets = session.scalars(select(Ticket).where(Ticket.encoded_at.is_not(None))).all()
        ticket_vectors = vectors_of("ticket", [t.id for t in tickets])
        links = link_tickets(
            centroids, windows, tickets, ticket_vectors, config.thresholds.ticket_link_similarity
        )
        tickets_by_id = {t.id: t for t in tickets}
        brand_words = [w for brand in config.brands for w in [brand.name, *brand.keywords]]
        keywords = class_keywords(
            [[mentions[i].text for i in group.mention_ids] for group in groups],
            extra_stop_words=brand_words,
        )
        counts = {"systemic": 0, "isolated": 0}
        kept_keys = []
        for index, group in enumerate(groups):
            members = [mentions[i] for i in group.mention_ids]
            linked = [
                LinkedTicket(t_id, tickets_by_id[t_id].created_at, tickets_by_id[t_id].subject, s)
                for t_id, s in links.get(index, [])
            ]
            stats = compute_issue_stats(members, linked, now=now)
            verdict = classify_issue(stats, thresholds)
            issue = _upsert_issue(session, group, keywords[index], members, stats, verdict)
            _replace_links(session, issue.id, links.get(index, []))
            session.execute(
                update(Enrichment)
                .where(Enrichment.mention_id.in_(group.mention_ids))
                .values(issue_id=issue.id)
            )
            counts[verdict.classification] += 1
            kept_keys.append(group.key)
        _drop_stale_issues(session, kept_keys)
        linked_tickets = sum(len(v) for v in links.values())
    return dg.MaterializeResult(
        metadata={"issues": len(groups), **counts, "linked_tickets": linked_tickets}
    )


def _issue_mentions(session, ids: list[int]) -> dict[int, IssueMention]:
    result = {}
    for start in range(0, len(ids), 1000):
        for row in session.execute(
            select(Mention, Enrichment, Source.name)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.id.in_(ids[start : start + 1000]))
        ):
            mention, enrichment, source = row
            result[mention.id] = IssueMention(
                mention_id=mention.id,
                created_at=mention.created_at,
                source=source,
                author=mention.author,
                text=mention.text,
                sentiment=enrichment.sentiment,
                sentiment_score=enrichment.sentiment_score,
                rating=mention.rating,
                reach=mention.reach,
                lang=enrichment.lang,
                duplicate_of=mention.duplicate_of,
                url=mention.url,
            )
    return result


def _centroids(groups, mentions, vectors_of):
    centroids, windows = [], []
    for group in groups:
        centroids.append(_unit(vectors_of(group.mention_ids).mean(axis=0)))
        times = [mentions[i].created_at for i in group.mention_ids]
        windows.append((min(times), max(times)))
    return np.array(centroids, dtype=np.float32), windows


def _upsert_issue(session, group, keywords, members, stats, verdict) -> Issue:
    issue = session.scalar(select(Issue).where(Issue.key == group.key))
    if issue is None:
        issue = Issue(key=group.key)
        session.add(issue)
    # A topic's words describe a group; one or two posts are best described by themselves.
    label = " · ".join(keywords[:3]) if keywords and len(members) >= 3 else _short(members[0].text)
    issue.topic_id, issue.label, issue.keywords = group.topic_id, label, keywords
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


@dg.asset(
    group_name=INTEL_GROUP,
    deps=[mention_enrichments, mention_topics],
    description=(
        "Mentions per day, source, language, brand and sentiment (and per topic), "
        "for fast dashboards."
    ),
    automation_condition=dg.AutomationCondition.eager(),
)
def daily_aggregates(db: DatabaseResource) -> dg.MaterializeResult:
    with db.session() as session:
        daily, topics = rebuild_aggregates(session)
    return dg.MaterializeResult(metadata={"rows": daily, "topic_rows": topics})


AGGREGATE_CHUNK = 5_000


def rebuild_aggregates(session) -> tuple[int, int]:
    """Replace daily_aggregates and topic_aggregates with counts of the original mentions.

    Returns how many rows each table got. Mentions of no brand count under brand "".
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
    )
    _replace_rows(
        session,
        TopicAggregate,
        [
            dict(zip(names, (_as_datetime(d), *rest), strict=True))
            | {"topic_id": topic_id, "mentions": n}
            for d, *rest, topic_id, n in topics
        ],
    )
    return len(daily), len(topics)


def _replace_rows(session, model, rows: list[dict]) -> None:
    session.execute(delete(model))
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
