"""SQLAlchemy 2 models: the one storage layout for SQLite and PostgreSQL.

Mentions (social posts and reviews) share one table with a ``kind``; everything
derived from a mention (enrichment, issue membership) hangs off its id so a
mention can be erased with all that was derived from it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Source(Base):
    """A channel mentions or tickets come from (reddit, appstore, a feed, a helpdesk)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    connector: Mapped[str] = mapped_column(String(50))  # file, reddit, rss, appstore, zendesk ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_created_at", "created_at"),
        Index("ix_mentions_content_hash", "content_hash"),
        Index("ix_mentions_normalised_at", "normalised_at"),
        # The dashboard: a period's originals, counted by source and brand from the index
        # alone; each source's newest item and last ingest without reading every row.
        Index("ix_mentions_period", "created_at", "duplicate_of", "source_id", "brand"),
        Index("ix_mentions_source_created_at", "source_id", "created_at"),
        Index("ix_mentions_source_ingested_at", "source_id", "ingested_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="post")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    lang: Mapped[str | None] = mapped_column(String(8))
    brand: Mapped[str | None] = mapped_column(String(200))
    reach: Mapped[int | None] = mapped_column(Integer)
    # What the source says beyond the common fields: a re-share's original ("reshare_of",
    # "reshare_url"), a review's reply status, the subreddit, the app version ...
    extra: Mapped[dict | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"))
    # Not a customer voice: "link_only" or "bot_burst" (cxradar/intelligence/noise.py).
    noise: Mapped[str | None] = mapped_column(String(20))
    normalised_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime
    )  # language + duplicates done
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_tickets_source_external"),
        Index("ix_tickets_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(50))
    customer: Mapped[str | None] = mapped_column(String(300))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    lang: Mapped[str | None] = mapped_column(String(8))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    encoded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer reports a problem (models/complaint.py); NULL until classified.
    complaint: Mapped[bool | None] = mapped_column(Boolean)
    prob_complaint: Mapped[float | None] = mapped_column(Float)


class SurveyResponse(Base):
    """An NPS or CSAT answer; its comment, if any, is also the mention ``mention_id`` (kind
    "survey"), enriched and grouped into issues like every other channel."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_survey_responses_source_external"),
        Index("ix_survey_responses_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scale: Mapped[str] = mapped_column(String(10))  # nps | csat
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    respondent: Mapped[str | None] = mapped_column(String(300))
    lang: Mapped[str | None] = mapped_column(String(8))
    segment: Mapped[str | None] = mapped_column(String(200))
    touchpoint: Mapped[str | None] = mapped_column(String(200))
    survey: Mapped[str | None] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Embedding(Base):
    """One vector per encoded text (mention or ticket), stored once and reused by every model."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", name="uq_embeddings_owner"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10))  # "mention" | "ticket"
    owner_id: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised


class Enrichment(Base):
    __tablename__ = "enrichments"
    __table_args__ = (
        Index("ix_enrichments_topic", "topic_id"),
        Index("ix_enrichments_issue", "issue_id"),
        Index("ix_enrichments_sentiment", "sentiment"),
        Index("ix_enrichments_enriched_at", "enriched_at"),
    )
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str | None] = mapped_column(String(8))
    sentiment: Mapped[str] = mapped_column(String(10))  # negative | neutral | positive
    sentiment_score: Mapped[float] = mapped_column(Float)
    prob_negative: Mapped[float] = mapped_column(Float)
    prob_neutral: Mapped[float] = mapped_column(Float)
    prob_positive: Mapped[float] = mapped_column(Float)
    # The customer reports a problem, whatever the tone (models/complaint.py); NULL until
    # classified (rows from before migration 0009 get it from their stored vector).
    complaint: Mapped[bool | None] = mapped_column(Boolean)
    prob_complaint: Mapped[float | None] = mapped_column(Float)
    embedding_id: Mapped[int | None] = mapped_column(ForeignKey("embeddings.id"))
    topic_id: Mapped[int | None] = mapped_column(Integer)
    issue_id: Mapped[int | None] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(100))
    enriched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def sentiment_margin(table=None):
    """How far the top sentiment probability leads the runner-up (0 = a coin toss).

    top - second = 2 * top + lowest - sum, written without constants so that a query's
    expression matches the index on it (a bound 2 would not).
    """
    table = Enrichment.__table__ if table is None else table
    a, b, c = table.c.prob_negative, table.c.prob_neutral, table.c.prob_positive
    top = case((and_(a >= b, a >= c), a), (b >= c, b), else_=c)
    lowest = case((and_(a <= b, a <= c), a), (b <= c, b), else_=c)
    return top + top + lowest - a - b - c


# The review queue walks this index from the least certain prediction upwards.
Index("ix_enrichments_margin", sentiment_margin(), Enrichment.__table__.c.mention_id)


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(300))
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Issue(Base):
    """A problem customers complain about: the complaints grouped as being about it."""

    __tablename__ = "issues"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across regroups: "issue:<first complaint id>" (older: topic:<id>, mention:<id>)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    topic_id: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))  # keywords joined, e.g. "sms · code"
    # A short title naming the problem in the customers' words (and in German where German
    # posts take part); ``keywords`` stay the second field.
    title: Mapped[str] = mapped_column(Text, default="", server_default="")
    title_de: Mapped[str] = mapped_column(Text, default="", server_default="")
    # [{"brand", "customers", "complaints"}], most customers first
    brands: Mapped[list | None] = mapped_column(JSON, default=list)
    # [{"at", "event": created | merged | split, "issue", "complaints"}], oldest first
    history: Mapped[list | None] = mapped_column(JSON, default=list)
    # The issue's footprint per channel, e.g. {"social": 40, "reviews": 12, "tickets": 9,
    # "surveys": 14, "detractors": 11} (customers per channel; tickets: linked tickets).
    channels: Mapped[dict | None] = mapped_column(JSON, default=dict)
    # What moves the score: NPS and the average star rating with minus without the issue's
    # responses/reviews (Thematic's impact; negative: the issue pulls the score down).
    nps_impact: Mapped[float | None] = mapped_column(Float)
    rating_impact: Mapped[float | None] = mapped_column(Float)
    first_version: Mapped[str | None] = mapped_column(String(100))  # the app version it began on
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    classification: Mapped[str] = mapped_column(String(10))  # systemic | emerging | isolated
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[float] = mapped_column(Float)
    mentions: Mapped[int] = mapped_column(Integer)
    authors: Mapped[int] = mapped_column(Integer)
    sources: Mapped[int] = mapped_column(Integer)
    source_names: Mapped[list] = mapped_column(JSON, default=list)
    tickets: Mapped[int] = mapped_column(Integer)
    active_days: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    negative_share: Mapped[float] = mapped_column(Float)
    growth: Mapped[float | None] = mapped_column(Float)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Mean of the members' centred vectors (float32 bytes, not normalised): a new complaint's
    # dot product with it is its mean similarity to the members (cxradar/intelligence/
    # grouping.py), so it joins without reloading every member.
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    join_similarity: Mapped[float | None] = mapped_column(Float)  # the issue's own attach bar


class IssueRedirect(Base):
    """An issue merged into another: its id keeps leading to the problem (links, alerts)."""

    __tablename__ = "issue_redirects"
    issue_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    merged_into: Mapped[int] = mapped_column(Integer)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssueLink(Base):
    """A ticket that corroborates an issue, with the similarity that linked it."""

    __tablename__ = "issue_links"
    __table_args__ = (UniqueConstraint("issue_id", "ticket_id", name="uq_issue_links"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    similarity: Mapped[float] = mapped_column(Float)


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(50))  # negative_spike | new_customers
    scope: Mapped[str] = mapped_column(String(300))  # all | brand:X | source:Y | issue:N
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    severity: Mapped[float] = mapped_column(Float)  # 0..1, the scale issues use
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|escalated|resolved
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    alerted_peak: Mapped[int] = mapped_column(Integer, default=0)  # peak in the last message
    pending_action: Mapped[str | None] = mapped_column(String(20))  # open|escalate|resolve to send
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issue_id: Mapped[int | None] = mapped_column(Integer)  # the issue the alert is about
    # The alert whose message also tells this one's news (one message per episode)
    covered_by: Mapped[int | None] = mapped_column(Integer)
    alerted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # end of that bucket


class IngestCursor(Base):
    """Where a connector stopped, so the next run fetches only what is new."""

    __tablename__ = "ingest_cursors"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_ingest_cursors"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    key: Mapped[str] = mapped_column(String(300))  # e.g. a file path, a subreddit, a feed URL
    value: Mapped[str] = mapped_column(Text)  # e.g. file digest, newest id, ETag
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestError(Base):
    """A bad row or a failed fetch, kept so users can see and fix it."""

    __tablename__ = "ingest_errors"
    __table_args__ = (
        UniqueConstraint("source_name", "location", "reason", name="uq_ingest_errors"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(1000))  # file:line or URL
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyAggregate(Base):
    """Pre-aggregated daily counts per source, language, brand and sentiment, for dashboards.

    ``brand`` is "" for mentions of no configured brand (NULL would defeat the unique key).
    """

    __tablename__ = "daily_aggregates"
    __table_args__ = (
        UniqueConstraint("day", "source", "lang", "sentiment", "brand", name="uq_daily_aggregates"),
        Index("ix_daily_aggregates_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8))
    sentiment: Mapped[str] = mapped_column(String(10))
    mentions: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    brand: Mapped[str] = mapped_column(String(200), default="", server_default="")


class TopicAggregate(Base):
    """Daily counts per topic (and source, language, brand, sentiment) for the topics page."""

    __tablename__ = "topic_aggregates"
    __table_args__ = (
        UniqueConstraint(
            "day", "topic_id", "source", "lang", "brand", "sentiment", name="uq_topic_aggregates"
        ),
        Index("ix_topic_aggregates_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime)
    topic_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8))
    brand: Mapped[str] = mapped_column(String(200), default="")
    sentiment: Mapped[str] = mapped_column(String(10))
    mentions: Mapped[int] = mapped_column(Integer)


class SentimentCorrection(Base):
    """A person's verdict on a mention's sentiment, from the dashboard's review queue.

    ``label`` equal to ``predicted`` is a confirmation; both feed retraining
    (``python -m models.training.train_sentiment --corrections-db``), as ``complaint`` feeds
    ``python -m models.training.train_complaint --corrections-db``.
    """

    __tablename__ = "sentiment_corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), unique=True
    )
    label: Mapped[str] = mapped_column(String(10))  # negative | neutral | positive
    predicted: Mapped[str | None] = mapped_column(String(10))  # the model's label back then
    complaint: Mapped[bool | None] = mapped_column(Boolean)  # the reviewer's yes/no, if given
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewer: Mapped[str | None] = mapped_column(String(200))


class PipelineState(Base):
    """Small facts the pipeline keeps between runs (e.g. corpus size at the last topic fit)."""

    __tablename__ = "pipeline_state"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
