"""A small, hand-countable database for the dashboard tests.

October 2026 (the default period, newest mention on 30 Oct) holds 40 counted
mentions: 12 negative, 20 positive, 8 neutral; star ratings sum 55 over 15
reviews. September (the previous period) holds 10: 2 negative, 5 positive,
3 neutral; ratings 33 over 10. One cross-post is stored as a duplicate and
must never be counted. Daily and topic aggregates are computed here from the
mentions, the way the pipeline defines them (test_aggregates.py checks that the
pipeline's own code gives the same rows).

Topics (October): "login · sms · code" holds the 11 systemic complaints (6 reddit,
5 German app-store), "savings · transfer" the 20 praises (10 reddit, 10 German app
store), "card · apple pay" the 8 Zinsly questions (reddit); the isolated complaint
and September belong to no topic. Three predictions are unsure (REVIEW_ORDER).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from cxradar.db import session_scope
from cxradar.schema import (
    Alert,
    DailyAggregate,
    Enrichment,
    IngestCursor,
    IngestError,
    Issue,
    IssueLink,
    Mention,
    Source,
    Ticket,
    Topic,
    TopicAggregate,
)

SCRIPT_TEXT = "Login kaputt <script>alert(1)</script> seit dem Update"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click") the sms code never arrives'
ISOLATED_TEXT = "My new card was sent to my old address, 50% annoyed"
SYSTEMIC_EVIDENCE = (
    "Systemic: 11 customers on 2 channels reported this over 6 days; "
    "3 support tickets confirm it. <b>Typical</b>: “the SMS code never arrives”"
)
ISOLATED_EVIDENCE = "Isolated: 1 customer on 1 channel, once."
EMERGING_EVIDENCE = "Emerging: 4 customers on 1 channel (reddit) reported this on 27 Oct."
UNSURE_QUESTION = "Newest question: any news on Apple Pay?"
UNSURE_PRAISE = "Love the savings pots, great app (0)"
TOPICS = {
    0: ("login · sms · code", ["login", "sms", "code", "update"]),
    1: ("savings · transfer · app", ["savings", "transfer", "app"]),
    2: ("card · apple pay", ["card", "apple pay", "metal"]),
}
# (negative, neutral, positive) of the predictions the model was unsure of; others are sure.
UNSURE = {
    ISOLATED_TEXT: (0.45, 0.40, 0.15),  # margin 0.05
    UNSURE_QUESTION: (0.30, 0.38, 0.32),  # margin 0.06
    UNSURE_PRAISE: (0.20, 0.35, 0.45),  # margin 0.10
}
REVIEW_ORDER = [ISOLATED_TEXT, UNSURE_QUESTION, UNSURE_PRAISE]


@dataclass
class Row:
    source: str
    day: datetime
    text: str
    sentiment: str
    lang: str = "en"
    rating: int | None = None
    brand: str = "Finora"
    issue: str | None = None  # "systemic" | "isolated"
    url: str | None = None
    topic: int | None = None


def day(month: int, number: int, hour: int = 12) -> datetime:
    return datetime(2026, month, number, hour, tzinfo=UTC)


def october_rows() -> list[Row]:
    rows = []
    for i in range(6):  # the systemic issue on reddit, in English
        text = {0: SCRIPT_TEXT, 1: FORMULA_TEXT}.get(
            i, f"Since the update the SMS code never arrives ({i})"
        )
        url = "javascript:alert(1)" if i == 0 else f"https://www.reddit.com/r/finora/{i}"
        rows.append(
            Row("reddit", day(10, 20 + i), text, "negative", issue="systemic", url=url, topic=0)
        )
    for i in range(5):  # ... and in the app store, in German
        rows.append(
            Row(
                "appstore",
                day(10, 20 + i, 15),
                f"Der SMS-Code kommt nie an, Login unmöglich ({i})",
                "negative",
                lang="de",
                rating=1,
                issue="systemic",
                topic=0,
            )
        )
    rows.append(
        Row(
            "reddit",
            day(10, 28),
            ISOLATED_TEXT,
            "negative",
            issue="isolated",
            url="https://www.reddit.com/r/finora/card",
        )
    )
    for i in range(10):
        rows.append(
            Row(
                "reddit",
                day(10, 1 + i),
                f"Love the savings pots, great app ({i})",
                "positive",
                topic=1,
            )
        )
        rows.append(
            Row(
                "appstore",
                day(10, 2 + i),
                f"Überweisung in Sekunden, super ({i})",
                "positive",
                lang="de",
                rating=5,
                topic=1,
            )
        )
    for i in range(7):  # questions about another brand
        rows.append(
            Row(
                "reddit",
                day(10, 3 + 3 * i),
                f"Does Zinsly have a metal card? ({i})",
                "neutral",
                brand="Zinsly",
                topic=2,
            )
        )
    rows.append(
        Row(
            "reddit",
            day(10, 30, 23),
            UNSURE_QUESTION,
            "neutral",
            brand="Zinsly",
            topic=2,
        )
    )
    return rows


def september_rows() -> list[Row]:
    spec = [("positive", 4)] * 5 + [("neutral", 3)] * 3 + [("negative", 2)] * 2
    return [
        Row("appstore", day(9, 5 + i), f"September review {i}", sentiment, rating=rating)
        for i, (sentiment, rating) in enumerate(spec)
    ]


def seed(url: str) -> dict:
    """Fill the database at `url`; returns the ids tests need."""
    rows = october_rows() + september_rows()
    with session_scope(url) as session:
        sources = {
            name: Source(name=name, connector=connector)
            for name, connector in (
                ("reddit", "reddit"),
                ("appstore", "appstore"),
                ("support", "zendesk"),
            )
        }
        session.add_all(sources.values())
        session.flush()
        issues = add_issues(session)
        add_topics(session)
        mentions = []
        for index, row in enumerate(rows):
            mention = Mention(
                source_id=sources[row.source].id,
                external_id=f"m{index}",
                created_at=row.day,
                author=f"author{index}",
                text=row.text,
                url=row.url,
                rating=row.rating,
                lang=row.lang,
                brand=row.brand,
                content_hash=f"h{index}",
                kind="review" if row.rating else "post",
            )
            mentions.append(mention)
        session.add_all(mentions)
        session.flush()
        for mention, row in zip(mentions, rows, strict=True):
            session.add(enrichment(mention.id, row, issues))
        original = mentions[12]  # a positive reddit post, cross-posted to the app store
        copy = Mention(
            source_id=sources["appstore"].id,
            external_id="copy",
            created_at=day(10, 15),
            author="crossposter",
            text=original.text,
            lang="en",
            brand="Finora",
            content_hash=original.content_hash,
            duplicate_of=original.id,
        )
        session.add(copy)
        session.flush()
        session.add(enrichment(copy.id, rows[12], issues))
        add_tickets(session, sources["support"].id, issues["systemic"])
        add_aggregates(session, rows)
        session.add(
            Alert(
                dedupe_key="spike:all:2026-10-20",
                kind="negative_spike",
                scope="all",
                window_start=day(10, 20, 0),
                window_end=day(10, 22, 0),
                observed=9,
                expected=1.5,
                severity=0.61,
                status="resolved",
                title="Negative spike in all channels: 9 negative mentions",
                delivered=True,
                delivered_at=day(10, 20, 13),
                attempts=1,
            )
        )
        session.add(
            IngestError(
                source_name="appstore",
                location="reviews.csv:7",
                reason="rating 9 is not between 1 and 5",
            )
        )
        session.add(IngestCursor(source_id=sources["reddit"].id, key="r/finora", value="t3_x"))
    return {name: issue.id for name, issue in issues.items()}


def enrichment(mention_id: int, row: Row, issues: dict[str, Issue]) -> Enrichment:
    sure = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}
    negative, neutral, positive = UNSURE.get(row.text, sure[row.sentiment])
    return Enrichment(
        mention_id=mention_id,
        lang=row.lang,
        sentiment=row.sentiment,
        sentiment_score=positive - negative,
        prob_negative=negative,
        prob_neutral=neutral,
        prob_positive=positive,
        model_version="test",
        issue_id=issues[row.issue].id if row.issue else None,
        topic_id=row.topic if row.topic is not None else -1,
    )


def add_topics(session) -> None:
    """Three topics; centroids in 8 dimensions, login and card nearer each other than praise."""
    centroids = {0: [1, 0.2, 0, 0, 0, 0, 0, 0], 1: [0, 0, 1, 0, 0, 0, 0, 0]}
    centroids[2] = [0.7, 0.5, 0, 0.3, 0, 0, 0, 0]
    for topic_id, (label, keywords) in TOPICS.items():
        vector = np.array(centroids[topic_id], dtype=np.float32)
        session.add(
            Topic(
                id=topic_id,
                label=label,
                keywords=keywords,
                size=10,
                centroid=(vector / np.linalg.norm(vector)).astype(np.float32).tobytes(),
            )
        )


def add_issues(session) -> dict[str, Issue]:
    common = dict(score=0.9, negative_share=1.0, growth=None, reach=0)
    issues = {
        "systemic": Issue(
            key="topic:1",
            topic_id=1,
            label="login · sms · code",
            title="SMS code never arrives after the update",
            title_de="SMS-Code kommt nach dem Update nicht an",
            brands=[{"brand": "Finora", "customers": 11, "complaints": 11}],
            keywords=["login", "sms"],
            classification="systemic",
            severity=0.8,
            mentions=11,
            authors=11,
            sources=2,
            source_names=["appstore", "reddit"],
            tickets=3,
            active_days=6,
            first_seen=day(10, 20),
            last_seen=day(10, 25, 15),
            evidence=SYSTEMIC_EVIDENCE,
            **common,
        ),
        "emerging": Issue(
            key="issue:90",
            label="apple pay · terminal",
            title="Apple Pay declined at the terminal",
            title_de="",
            brands=[
                {"brand": "Zinsly", "customers": 3, "complaints": 3},
                {"brand": "Finora", "customers": 1, "complaints": 1},
            ],
            keywords=["apple pay"],
            classification="emerging",
            severity=0.3,
            mentions=4,
            authors=4,
            sources=1,
            source_names=["reddit"],
            tickets=0,
            active_days=1,
            first_seen=day(10, 27),
            last_seen=day(10, 27, 18),
            evidence=EMERGING_EVIDENCE,
            **common,
        ),
        "isolated": Issue(
            key="mention:12",
            label="card sent to old address",
            title="Card sent to my old address",
            brands=[{"brand": "Finora", "customers": 1, "complaints": 1}],
            keywords=["card"],
            classification="isolated",
            severity=0.1,
            mentions=1,
            authors=1,
            sources=1,
            source_names=["reddit"],
            tickets=0,
            active_days=1,
            first_seen=day(10, 28),
            last_seen=day(10, 28),
            evidence=ISOLATED_EVIDENCE,
            **common,
        ),
    }
    session.add_all(issues.values())
    session.flush()
    return issues


def add_tickets(session, source_id: int, issue: Issue) -> None:
    tickets = [
        Ticket(
            source_id=source_id,
            external_id=f"ZD-{n}",
            created_at=day(10, 20 + n),
            subject="SMS code missing",
            body=f"Customer {n} gets no SMS code",
            status="open",
            channel="email",
            tags=["login"],
        )
        for n in range(4)
    ]
    session.add_all(tickets)
    session.flush()
    for similarity, ticket in zip((0.9, 0.8, 0.7), tickets, strict=False):  # the 4th is unrelated
        session.add(IssueLink(issue_id=issue.id, ticket_id=ticket.id, similarity=similarity))


def add_aggregates(session, rows: list[Row]) -> None:
    counts, rating_sum, rating_count, topics = Counter(), Counter(), Counter(), Counter()
    for row in rows:
        start = row.day.replace(hour=0, minute=0)
        key = (start, row.source, row.lang, row.sentiment, row.brand or "")
        counts[key] += 1
        if row.rating is not None:
            rating_sum[key] += row.rating
            rating_count[key] += 1
        if row.topic is not None:
            topics[(*key, row.topic)] += 1
    names = ("day", "source", "lang", "sentiment", "brand")
    session.add_all(
        DailyAggregate(
            **dict(zip(names, key, strict=True)),
            mentions=n,
            rating_sum=rating_sum[key],
            rating_count=rating_count[key],
        )
        for key, n in counts.items()
    )
    session.add_all(
        TopicAggregate(**dict(zip((*names, "topic_id"), key, strict=True)), mentions=n)
        for key, n in topics.items()
    )


NEWEST = day(10, 30)
OCTOBER_START = NEWEST - timedelta(days=29)
