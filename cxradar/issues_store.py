"""Issues in the database: which complaints are grouped, how issues are written and kept.

Two entry points, both plain Python on a SQLAlchemy session (the ``issues`` asset calls them):

* ``regroup_all`` groups every complaint anew (``cxradar/intelligence/grouping.py``) and
  matches the new groups to the issues that existed (``match_issues``), so an issue keeps its
  id, key and link; an issue merged into another leaves a redirect, and merges and splits are
  written into the issues' history.
* ``place_new_complaints`` (the hourly run) gives each complaint without an issue one: it
  joins the issue it is close to by the rule the full grouping uses, or the new complaints
  are grouped among themselves; only the issues that changed are rewritten.

A *complaint* is a mention with negative text, a 1-2 star rating, a detractor's survey
comment (NPS 0-6, CSAT 1-2), or a complaint signal, that is no noise (bot burst, bare
link). Copies (``duplicate_of``: the same customer posting it again) and re-shares join
the issue of the post they repeat and never form one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import and_, delete, func, or_, select, update

from cxradar.chunks import chunked
from cxradar.config import Config
from cxradar.intelligence.customers import known_author
from cxradar.intelligence.grouping import (
    SMALL_ISSUE_TICKET_SIMILARITY,
    TICKET_WINDOW_AFTER,
    TICKET_WINDOW_BEFORE,
    Complaint,
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
from cxradar.intelligence.issues import (
    IssueMention,
    LinkedTicket,
    SystemicThresholds,
    classify_issue,
    compute_issue_stats,
)
from cxradar.intelligence.titles import Titler
from cxradar.schema import (
    Enrichment,
    Issue,
    IssueLink,
    IssueRedirect,
    Mention,
    Source,
    SurveyResponse,
    Ticket,
    utcnow,
)
from cxradar.scores import refresh_issue_scores
from cxradar.state import ISSUE_CENTRES, ISSUE_LINK, ISSUE_REGROUPED_AT, read_state, write_state
from cxradar.store import load_embeddings, vector_to_bytes
from cxradar.surveys import SURVEY_KIND, detractor_mentions, is_detractor
from models.sentiment import CONFIDENT_NEGATIVE
from models.topics import class_keywords

CHUNK = 1000  # ids per IN (...) query
CENTRE_SAMPLE = 20_000  # mentions whose vectors give the language centres
TITLE_CORPUS = 5_000  # newest complaints whose phrases set how rare a title phrase is
KEYWORD_CONTRAST = 2_000  # other issues' recent complaints that keywords are set against
KEYWORD_TEXTS = 2_000  # an issue's keywords come from its newest complaints, this many
RESHARE = "reshare"


def complaint_filter():
    """Negative text, a 1-2 star review whatever its words, or the complaint signal on a post
    that is not positive (a polite, factual report of a problem: "I was charged twice for the
    same card payment"); never noise (bots, bare links). Praise the complaint head mistakes
    for a complaint ("Support sorted my issue in minutes") stays out.

    A survey comment is read with its score, as a review with its stars: a detractor's
    (NPS 0-6, CSAT 1-2) joins whatever its words; a passive's or promoter's only when its
    text is confidently negative (p >= 0.8, the rule that lets a 4-5 star review be
    negative), so "Does what it should, nothing special." from a 7 is no complaint."""
    public = and_(
        Mention.kind != SURVEY_KIND,
        or_(
            Enrichment.sentiment == "negative",
            Mention.rating <= 2,
            and_(Enrichment.complaint.is_(True), Enrichment.sentiment != "positive"),
        ),
    )
    survey = and_(
        Mention.kind == SURVEY_KIND,
        or_(
            Mention.id.in_(detractor_mentions()),
            Enrichment.prob_negative >= CONFIDENT_NEGATIVE,
        ),
    )
    return and_(or_(public, survey), Mention.noise.is_(None))


def ticket_filter():
    """Tickets that can confirm an issue: encoded, and reporting a problem. A routine request
    ("How do I change my address?") confirms no complaint, however alike its words; a ticket
    whose complaint signal is unknown (another encoder) still counts."""
    return and_(
        Ticket.encoded_at.is_not(None),
        or_(Ticket.complaint.is_(True), Ticket.complaint.is_(None)),
    )


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Settings:
    """The config's parts that decide issues."""

    systemic: SystemicThresholds
    grouping: GroupingThresholds
    ticket_link_similarity: float
    brand_words: tuple[str, ...]

    @classmethod
    def of(cls, config: Config) -> Settings:
        thresholds = config.thresholds
        return cls(
            systemic=SystemicThresholds(**thresholds.systemic.model_dump()),
            grouping=GroupingThresholds(**thresholds.grouping.model_dump()),
            ticket_link_similarity=thresholds.ticket_link_similarity,
            brand_words=tuple(w for b in config.brands for w in [b.name, *b.keywords]),
        )


def _complaint_rows(session, *where) -> list[tuple]:
    """(id, author, created_at, lang, kind, duplicate_of) of every complaint matching ``where``."""
    return session.execute(
        select(
            Mention.id,
            Mention.author,
            Mention.created_at,
            Enrichment.lang,
            Mention.kind,
            Mention.duplicate_of,
        )
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(complaint_filter(), *where)
        .order_by(Mention.id)
    ).all()


def corpus_centres(session) -> dict[str, np.ndarray]:
    """Language centres from (a sample of) every enriched mention."""
    rows = session.execute(
        select(Enrichment.mention_id, Enrichment.lang).order_by(Enrichment.mention_id)
    ).all()
    if not rows:
        return {}
    sample = rows[:: max(1, len(rows) // CENTRE_SAMPLE)]
    vectors = load_embeddings(session, "mention", [mention_id for mention_id, _ in sample])
    return language_centres(vectors, [lang for _, lang in sample])


def _languages(session, kind: str, ids: list[int]) -> list[str | None]:
    column, key = (
        (Ticket.lang, Ticket.id) if kind == "ticket" else (Enrichment.lang, Enrichment.mention_id)
    )
    found: dict[int, str | None] = {}
    for chunk in chunked(ids, CHUNK):
        found.update(session.execute(select(key, column).where(key.in_(chunk))).all())
    return [found.get(i) for i in ids]


def _vectors_of(session, centres):
    """``vectors_of(kind, ids)``: centred unit vectors of mentions or tickets, in order."""

    def vectors_of(kind: str, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, 1), dtype=np.float32)
        return centred(load_embeddings(session, kind, ids), centres, _languages(session, kind, ids))

    return vectors_of


def issue_mentions(session, ids: Sequence[int]) -> dict[int, IssueMention]:
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
        Mention.brand,
        SurveyResponse.survey,
        SurveyResponse.scale,
        SurveyResponse.score,
    )
    result = {}
    for chunk in chunked(list(ids), CHUNK):
        for row in session.execute(
            select(*columns)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .outerjoin(SurveyResponse, SurveyResponse.mention_id == Mention.id)
            .where(Mention.id.in_(chunk))
        ):
            *fields, survey, scale, score = row
            detractor = scale is not None and is_detractor(scale, score)
            result[row[0]] = IssueMention(*fields, survey=survey, detractor=detractor)
    return result


def _members(session, issue_id: int) -> list[int]:
    return list(
        session.scalars(select(Enrichment.mention_id).where(Enrichment.issue_id == issue_id))
    )


def data_since(session) -> datetime | None:
    """When the stored mentions begin: growth needs both weeks it compares covered."""
    return session.scalar(select(func.min(Mention.created_at)))


# ------------------------------------------------------------------ grouped issues


@dataclass
class Grouped:
    """One issue as computed: its complaints (originals first) and what follows from them."""

    originals: list[int]
    copies: list[int]  # duplicates and re-shares of the originals
    mean: np.ndarray  # mean centred vector of the originals (not normalised)
    bar: float
    issue: Issue | None = None  # the stored issue it continues or updates
    merged: tuple[int, ...] = ()
    split_from: int | None = None

    @property
    def members(self) -> list[int]:
        return sorted(self.originals + self.copies)


def _split_copies(rows) -> tuple[list[tuple], dict[int, list[int]], list[int]]:
    """(originals, root -> its copies, copies whose root is no complaint)."""
    originals = [row for row in rows if row[5] is None and row[4] != RESHARE]
    complaint_ids = {row[0] for row in originals}
    copies: dict[int, list[int]] = defaultdict(list)
    orphans = []
    for row in rows:
        if row[5] is None and row[4] != RESHARE:
            continue
        (copies[row[5]] if row[5] in complaint_ids else orphans).append(row[0])
    return originals, copies, orphans


def _complaints(rows) -> list[Complaint]:
    return [Complaint(row[0], row[1], row[2], row[3]) for row in rows]


# ------------------------------------------------------------------ full regroup


def regroup_all(session, settings: Settings) -> dict:
    """Group every complaint anew; issues keep their ids through ``match_issues``."""
    rows = _complaint_rows(session)
    originals, copies, orphans = _split_copies(rows)
    centres = corpus_centres(session)
    vectors_of = _vectors_of(session, centres)
    ids = [row[0] for row in originals]
    vectors = vectors_of("mention", ids)
    link = link_threshold(vectors, settings.grouping)
    groups = group_complaints(_complaints(originals), vectors, settings.grouping, link)
    row_of = {mention_id: index for index, mention_id in enumerate(ids)}
    previous = dict(
        session.execute(
            select(Enrichment.mention_id, Enrichment.issue_id).where(
                Enrichment.issue_id.is_not(None)
            )
        ).all()
    )
    existing = {issue.id: issue for issue in session.scalars(select(Issue))}
    grouped = []
    for group, continuation in zip(groups, match_issues(groups, previous), strict=True):
        member_vectors = vectors[[row_of[i] for i in group]]
        grouped.append(
            Grouped(
                originals=group,
                copies=sorted(c for i in group for c in copies.get(i, [])),
                mean=member_vectors.mean(axis=0),
                bar=attach_bar(member_vectors, settings.grouping.attach_ratio),
                issue=existing.get(continuation.issue_id),
                merged=continuation.merged,
                split_from=continuation.split_from,
            )
        )
    tickets = session.scalars(select(Ticket).where(ticket_filter())).all()
    mentions = issue_mentions(session, [i for g in grouped for i in g.members])
    windows = [_window(g.originals, mentions) for g in grouped]
    customers = [_customers(g, mentions) for g in grouped]
    links = _link(settings, [g.mean for g in grouped], windows, customers, tickets, vectors_of)
    # Every issue is rewritten: the old links go first, so none is left pointing elsewhere.
    session.execute(delete(IssueLink))
    _retire(session, existing, {g.issue.id for g in grouped if g.issue is not None}, grouped)
    written = _write(session, settings, grouped, links, vectors_of, mentions)
    if orphans:  # copies of posts that are no complaint belong to no issue
        _assign(session, orphans, None)
    write_state(session, ISSUE_CENTRES, _centres_to_text(centres))
    write_state(session, ISSUE_LINK, repr(link))
    write_state(session, ISSUE_REGROUPED_AT, utcnow().isoformat())
    return {
        "issues": len(written),
        **_classification_counts(written),
        "link_similarity": round(link, 3),
        "linked_tickets": sum(issue.tickets for issue in written),
    }


def _retire(session, existing: dict[int, Issue], kept: set[int], grouped: list[Grouped]) -> None:
    """Issues that no group continues are deleted, leaving a redirect where they were merged.

    Their complaints are reassigned when the groups are written, right after.
    """
    merged_into = {old: g.issue.id for g in grouped for old in g.merged if g.issue is not None}
    now = utcnow()
    for issue_id, issue in existing.items():
        if issue_id in kept:
            continue
        target = merged_into.get(issue_id)
        if target is not None:
            session.merge(IssueRedirect(issue_id=issue_id, merged_into=target, merged_at=now))
            # Links that pointed here already point on: redirects never chain.
            session.execute(
                update(IssueRedirect)
                .where(IssueRedirect.merged_into == issue_id)
                .values(merged_into=target)
            )
        else:
            session.execute(delete(IssueRedirect).where(IssueRedirect.merged_into == issue_id))
        session.execute(delete(IssueLink).where(IssueLink.issue_id == issue_id))
        session.execute(
            update(Enrichment).where(Enrichment.issue_id == issue_id).values(issue_id=None)
        )
        session.delete(issue)
    session.flush()


# ------------------------------------------------------------------ hourly placement


def place_new_complaints(session, settings: Settings) -> dict:
    """Give each complaint without an issue one; only touched issues are rewritten."""
    centres = _centres_from_text(read_state(session, ISSUE_CENTRES))
    link = float(read_state(session, ISSUE_LINK) or settings.grouping.max_link)
    vectors_of = _vectors_of(session, centres)
    rows = _complaint_rows(session, Enrichment.issue_id.is_(None))
    if not rows:
        refresh_issue_scores(session)  # new answers move every issue's score impact
        return {"issues": session.scalar(select(func.count(Issue.id))), "new_complaints": 0}
    new_originals = [row for row in rows if row[5] is None and row[4] != RESHARE]
    new_copies = [row for row in rows if not (row[5] is None and row[4] != RESHARE)]
    existing = list(session.scalars(select(Issue).order_by(Issue.id)))
    by_id = {issue.id: issue for issue in existing}
    vectors = vectors_of("mention", [row[0] for row in new_originals])
    joined = _join(session, new_originals, vectors, existing, link, settings.grouping)
    added: dict[int, list[int]] = defaultdict(list)  # issue id -> its new members
    issue_of = _issue_ids(session, [row[5] for row in new_copies if row[5] is not None])
    for row, issue_id in zip(new_originals, joined, strict=True):
        if issue_id is not None:
            added[issue_id].append(row[0])
            issue_of[row[0]] = issue_id
    rest = [i for i, issue_id in enumerate(joined) if issue_id is None]
    new_groups = group_complaints(
        _complaints([new_originals[i] for i in rest]), vectors[rest], settings.grouping, link
    )
    copies_of: dict[int, list[int]] = defaultdict(list)
    for row in new_copies:
        if row[5] in issue_of and issue_of[row[5]] is not None:
            added[issue_of[row[5]]].append(row[0])
        else:
            copies_of[row[5]].append(row[0])
    grouped = [_grown(session, by_id[i], new, vectors_of) for i, new in added.items()]
    row_of = {new_originals[i][0]: position for position, i in enumerate(rest)}
    for group in new_groups:
        member_vectors = vectors[[rest[row_of[i]] for i in group]]
        grouped.append(
            Grouped(
                originals=group,
                copies=sorted(c for i in group for c in copies_of.get(i, [])),
                mean=member_vectors.mean(axis=0),
                bar=attach_bar(member_vectors, settings.grouping.attach_ratio),
            )
        )
    mentions = issue_mentions(session, [i for g in grouped for i in g.members])
    links, relinked = _relink(session, settings, grouped, mentions, vectors_of)
    for issue in relinked:  # an issue that only won or lost a ticket: tickets are evidence
        grouped.append(_grown(session, issue, [], vectors_of))
    written = _write(session, settings, grouped, links, vectors_of, mentions)
    return {
        "issues": len(existing) + len(new_groups),
        **_classification_counts(written),
        "new_complaints": len(rows),
        "joined_existing": sum(len(ids) for ids in added.values()),
        "new_issues": len(new_groups),
        "rewritten_issues": len(written),
    }


def _issue_ids(session, mention_ids: list[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for chunk in chunked(sorted(set(mention_ids)), CHUNK):
        found.update(
            session.execute(
                select(Enrichment.mention_id, Enrichment.issue_id).where(
                    Enrichment.mention_id.in_(chunk)
                )
            ).all()
        )
    return found


def _join(session, rows, vectors, existing: list[Issue], link: float, grouping) -> list:
    """The existing issue each new complaint joins (or None): a customer's follow-up joins the
    issue of their earlier alike complaint, the rest join by ``join_existing``."""
    result: list[int | None] = [None] * len(rows)
    if not existing or not rows:
        return result
    means = np.stack([_centroid(issue) for issue in existing])
    bars = np.array([issue.join_similarity or 1.0 for issue in existing])
    for index, position in enumerate(join_existing(vectors, means, bars, link)):
        if position >= 0:
            result[index] = existing[position].id
    authors = {known_author(row[1]) for row in rows} - {None}
    if not authors:
        return result
    earlier = session.execute(
        select(Mention.id, Mention.author, Mention.created_at, Enrichment.issue_id)
        .join(Enrichment, Enrichment.mention_id == Mention.id)
        .where(Mention.author.in_(authors), Enrichment.issue_id.is_not(None))
    ).all()
    if not earlier:
        return result
    centres = _centres_from_text(read_state(session, ISSUE_CENTRES))
    earlier_vectors = _vectors_of(session, centres)("mention", [row[0] for row in earlier])
    similarity = vectors @ earlier_vectors.T
    for index, row in enumerate(rows):
        candidates = [
            position
            for position, other in enumerate(earlier)
            if other[1] == row[1]
            and abs(other[2] - row[2]) <= grouping.same_customer_window
            and similarity[index, position] >= grouping.same_customer_similarity
        ]
        if candidates:
            best = max(candidates, key=lambda position: similarity[index, position])
            result[index] = earlier[best][3]
    return result


def _grown(session, issue: Issue, new: list[int], vectors_of) -> Grouped:
    """A stored issue with new members: its centre updated without reloading every vector."""
    ids = sorted(set(_members(session, issue.id)) | set(new))
    roles = {}
    for chunk in chunked(ids, CHUNK):
        roles.update(
            (row[0], row[1] is None and row[2] != RESHARE)
            for row in session.execute(
                select(Mention.id, Mention.duplicate_of, Mention.kind).where(Mention.id.in_(chunk))
            )
        )
    originals = [i for i in ids if roles.get(i)]
    copies = [i for i in ids if i in roles and not roles[i]]
    fresh = [i for i in new if roles.get(i)]
    mean = _centroid(issue)
    if fresh and originals:
        before = len(originals) - len(fresh)
        mean = (mean * before + vectors_of("mention", fresh).sum(axis=0)) / len(originals)
    return Grouped(originals, copies, mean, issue.join_similarity or 1.0, issue=issue)


# ------------------------------------------------------------------ writing


def _write(
    session, settings: Settings, grouped: list[Grouped], links, vectors_of, mentions
) -> list[Issue]:
    """Members, ticket links, stats, verdict, titles and keywords of each group's issue.

    ``links``: group index -> its LinkedTickets; ``mentions``: those already read.
    """
    missing = [i for g in grouped for i in g.members if i not in mentions]
    mentions = {**mentions, **issue_mentions(session, missing)}
    since = data_since(session)
    now = session.scalar(select(func.max(Mention.created_at))) or utcnow()
    touched = [g.issue.id for g in grouped if g.issue is not None]
    keywords = class_keywords(
        [[mentions[i].text for i in g.originals[-KEYWORD_TEXTS:]] for g in grouped]
        + _contrast_texts(session, touched),
        extra_stop_words=list(settings.brand_words),
    )
    titler = Titler(_title_corpus(session), extra_stop_words=settings.brand_words)
    written = []
    for index, group in enumerate(grouped):
        members = [mentions[i] for i in group.members if i in mentions]
        linked = links.get(index, [])
        stats = compute_issue_stats(members, linked, now=now, data_since=since)
        verdict = classify_issue(stats, settings.systemic)
        originals = [mentions[i] for i in group.originals]
        typical = _typical(group, vectors_of) if len(originals) > 2 else 0
        titles = titler.titles([m.text for m in originals], [m.lang for m in originals], typical)
        issue = group.issue or Issue(key=_new_key(session, group.originals[0]), history=[])
        _fill(issue, group, stats, verdict, titles, keywords[index])
        if group.issue is None:
            session.add(issue)
        session.flush()
        _history(issue, group, created=group.issue is None)
        _assign(session, group.members, issue.id)
        session.execute(delete(IssueLink).where(IssueLink.issue_id == issue.id))
        session.add_all(
            IssueLink(issue_id=issue.id, ticket_id=t.ticket_id, similarity=t.similarity)
            for t in linked
        )
        written.append(issue)
    refresh_issue_scores(session)  # NPS and rating impact, first app version (all issues)
    return written


def _new_key(session, first: int) -> str:
    """A new issue's key, "issue:<its first complaint>", never one another issue holds."""
    key, suffix = f"issue:{first}", 1
    while session.scalar(select(Issue.id).where(Issue.key == key)) is not None:
        key, suffix = f"issue:{first}.{suffix}", suffix + 1
    return key


def _typical(group: Grouped, vectors_of) -> int:
    """Index (in ``group.originals``) of the post closest to the issue's centre."""
    vectors = vectors_of("mention", group.originals)
    return int(np.argmax(vectors @ group.mean))


def _fill(issue: Issue, group: Grouped, stats, verdict, titles, keywords: list[str]) -> None:
    label = " · ".join(keywords[:3]) if keywords and stats.mentions >= 3 else titles.title
    issue.label, issue.keywords = label[:300], keywords
    issue.title, issue.title_de = titles.title, titles.title_de
    issue.classification, issue.score = verdict.classification, float(verdict.score)
    issue.severity, issue.evidence = float(verdict.severity), verdict.evidence
    issue.mentions, issue.authors, issue.sources = stats.mentions, stats.authors, stats.sources
    issue.source_names = sorted(stats.source_names)
    issue.tickets, issue.active_days = stats.tickets, stats.active_days
    issue.first_seen, issue.last_seen = stats.first_seen, stats.last_seen
    issue.negative_share, issue.growth = float(stats.negative_share), stats.growth
    issue.reach, issue.updated_at = int(stats.reach or 0), utcnow()
    issue.channels = dict(stats.channels)
    issue.brands = [
        {"brand": b.brand, "customers": b.customers, "complaints": b.complaints}
        for b in stats.brands
    ]
    issue.centroid = vector_to_bytes(np.asarray(group.mean, dtype=np.float32))
    issue.join_similarity = float(group.bar)


def _history(issue: Issue, group: Grouped, created: bool) -> None:
    """Append what happened to the issue in this run (created, merged in, split off)."""
    at = utcnow().isoformat(timespec="seconds")
    events = list(issue.history or [])
    if created:
        event = {"at": at, "event": "created", "complaints": len(group.originals)}
        if group.split_from is not None:
            event.update(event="split", issue=group.split_from)
        events.append(event)
    for other in group.merged:
        events.append({"at": at, "event": "merged", "issue": other})
    issue.history = events


def _assign(session, ids: list[int], issue_id: int | None) -> None:
    for chunk in chunked(sorted(ids), CHUNK):
        session.execute(
            update(Enrichment).where(Enrichment.mention_id.in_(chunk)).values(issue_id=issue_id)
        )


def _title_corpus(session) -> list[str]:
    return list(
        session.scalars(
            select(Mention.text)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(complaint_filter(), Mention.duplicate_of.is_(None))
            .order_by(Mention.id.desc())
            .limit(TITLE_CORPUS)
        )
    )


def _contrast_texts(session, touched: list[int]) -> list[list[str]]:
    """Recent complaints of other issues, one list per issue: the background against which
    c-TF-IDF picks the written issues' own words (empty when every issue is written)."""
    rows = session.execute(
        select(Enrichment.issue_id, Mention.text)
        .join(Mention, Mention.id == Enrichment.mention_id)
        .where(Enrichment.issue_id.is_not(None), Enrichment.issue_id.not_in(touched))
        .order_by(Enrichment.mention_id.desc())
        .limit(KEYWORD_CONTRAST)
    ).all()
    by_issue: dict[int, list[str]] = defaultdict(list)
    for issue_id, text in rows:
        by_issue[issue_id].append(text)
    return list(by_issue.values())


# ------------------------------------------------------------------ tickets


def _link(
    settings, means, windows, customers, tickets, vectors_of
) -> dict[int, list[LinkedTicket]]:
    """Index -> LinkedTickets: each ticket to the one issue it fits best (``link_tickets``);
    an issue of one or two customers takes only tickets very close to its words."""
    base = settings.ticket_link_similarity
    small = settings.systemic.isolated_max_authors
    found = link_tickets(
        np.stack(means) if means else np.zeros((0, 1), dtype=np.float32),
        windows,
        [t.created_at for t in tickets],
        vectors_of("ticket", [t.id for t in tickets]),
        [max(base, SMALL_ISSUE_TICKET_SIMILARITY) if n <= small else base for n in customers],
    )
    return {
        index: [
            LinkedTicket(tickets[t].id, tickets[t].created_at, tickets[t].subject, score)
            for t, score in pairs
        ]
        for index, pairs in found.items()
    }


def _relink(session, settings, grouped, mentions, vectors_of):
    """Links of the tickets in the touched issues' time windows, against every issue.

    A ticket outside those windows cannot link to a touched issue, and no other issue
    changed, so its link stays. Returns the touched issues' links (group index -> tickets)
    and the untouched issues whose links changed (they must be rewritten too).
    """
    windows = [_window(g.originals, mentions) for g in grouped]
    first = min(w[0] for w in windows) - TICKET_WINDOW_BEFORE
    last = max(w[1] for w in windows) + TICKET_WINDOW_AFTER
    tickets = session.scalars(
        select(Ticket).where(ticket_filter(), Ticket.created_at >= first, Ticket.created_at <= last)
    ).all()
    touched = {g.issue.id for g in grouped if g.issue is not None}
    others = [i for i in session.scalars(select(Issue).order_by(Issue.id)) if i.id not in touched]
    links = _link(
        settings,
        [g.mean for g in grouped] + [_centroid(issue) for issue in others],
        windows + [(issue.first_seen, issue.last_seen) for issue in others],
        [_customers(g, mentions) for g in grouped] + [issue.authors for issue in others],
        tickets,
        vectors_of,
    )
    ticket_ids = {t.id for t in tickets}
    before = defaultdict(set)
    for chunk in chunked(sorted(ticket_ids), CHUNK):
        for issue_id, ticket_id in session.execute(
            select(IssueLink.issue_id, IssueLink.ticket_id).where(IssueLink.ticket_id.in_(chunk))
        ):
            before[issue_id].add(ticket_id)
    changed = [
        issue
        for position, issue in enumerate(others, start=len(grouped))
        if {t.ticket_id for t in links.get(position, [])} != before.get(issue.id, set())
    ]
    for chunk in chunked(sorted(ticket_ids), CHUNK):
        session.execute(delete(IssueLink).where(IssueLink.ticket_id.in_(chunk)))
    # A changed issue is rewritten with all its links: those outside the window stay stored.
    for position, issue in enumerate(others, start=len(grouped)):
        if issue in changed:
            continue
        session.add_all(
            IssueLink(issue_id=issue.id, ticket_id=t.ticket_id, similarity=t.similarity)
            for t in links.get(position, [])
        )
    result = {index: links.get(index, []) for index in range(len(grouped))}
    for offset, issue in enumerate(changed):
        kept = _stored_links(session, issue.id)
        result[len(grouped) + offset] = kept + links.get(len(grouped) + others.index(issue), [])
    for index, group in enumerate(grouped):
        if group.issue is not None:
            result[index] = _stored_links(session, group.issue.id) + result[index]
    return result, changed


def _stored_links(session, issue_id: int) -> list[LinkedTicket]:
    return [
        LinkedTicket(ticket_id, created_at, subject, similarity)
        for ticket_id, created_at, subject, similarity in session.execute(
            select(Ticket.id, Ticket.created_at, Ticket.subject, IssueLink.similarity)
            .join(IssueLink, IssueLink.ticket_id == Ticket.id)
            .where(IssueLink.issue_id == issue_id)
        )
    ]


# ------------------------------------------------------------------ helpers


def _customers(group: Grouped, mentions: dict[int, IssueMention]) -> int:
    return len({mentions[i].customer for i in group.originals if i in mentions})


def _window(ids: list[int], mentions: dict[int, IssueMention]) -> tuple:
    times = [mentions[i].created_at for i in ids if i in mentions]
    return min(times), max(times)


def _centroid(issue: Issue) -> np.ndarray:
    return np.frombuffer(issue.centroid, dtype=np.float32) if issue.centroid else np.zeros(1)


def _classification_counts(written: list[Issue]) -> dict[str, int]:
    counts = {"systemic": 0, "emerging": 0, "isolated": 0}
    for issue in written:
        counts[issue.classification] += 1
    return counts


def _centres_to_text(centres: dict[str, np.ndarray]) -> str:
    return json.dumps({lang: vector.astype(float).tolist() for lang, vector in centres.items()})


def _centres_from_text(text: str | None) -> dict[str, np.ndarray]:
    return {lang: np.array(v, dtype=np.float32) for lang, v in json.loads(text or "{}").items()}
