"""The common shapes every connector produces and the pipeline stores.

Connectors (files, Reddit, RSS, app stores, helpdesks) map their source into
these records; nothing downstream knows where a record came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cxradar.intelligence.text_safety import shorten

# "reshare": an explicit re-share of another post (retweet, boost, repost, quote) where the
# source marks it; it is stored and shown, but never counts as another customer.
SURVEY_KIND = "survey"  # the mention kind of a survey answer's comment
MENTION_KINDS = ("post", "comment", "review", "article", "reshare", SURVEY_KIND)
# A survey's scale and its score range: NPS 0-10 (likelihood to recommend), CSAT 1-5.
SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5)}
# The highest score that is a detractor's: NPS 0-6 (Reichheld's definition), CSAT 1-2.
DETRACTOR_MAX = {"nps": 6, "csat": 2}
# A reason is read by a person (log, Sources page): one line, cut if a source makes it huge.
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class MentionRecord:
    """A public social post, comment, article or review."""

    source: str  # channel name as configured or given in the file, e.g. "reddit", "appstore"
    external_id: str  # id within that source; (source, external_id) is unique
    created_at: datetime  # timezone-aware, UTC
    text: str
    kind: str = "post"  # one of MENTION_KINDS; "review" when a rating is given
    author: str | None = None
    title: str | None = None
    url: str | None = None
    rating: int | None = None  # 1..5 stars for reviews
    lang: str | None = None  # ISO 639-1 when the source says it
    brand: str | None = None
    reach: int | None = None  # score, upvotes, followers... where the source has it
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class TicketRecord:
    """A private support ticket."""

    source: str
    external_id: str
    created_at: datetime
    subject: str
    body: str
    status: str | None = None
    channel: str | None = None
    customer: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SurveyResponseRecord:
    """One answer to a survey (NPS or CSAT): a score on the survey's scale and an optional
    free-text comment. The comment is stored as a mention of kind "survey" as well, so it is
    enriched and joins issues like any other channel."""

    source: str
    external_id: str  # the response id within that source
    created_at: datetime  # timezone-aware, UTC
    score: float  # on the scale's range (SURVEY_SCALES)
    scale: str = "nps"  # one of SURVEY_SCALES
    comment: str | None = None
    respondent: str | None = None  # the tool's respondent/contact id, when it has one
    lang: str | None = None
    segment: str | None = None  # e.g. "premium", "business"
    touchpoint: str | None = None  # e.g. "app", "onboarding", "support"
    survey: str | None = None  # the survey's name, e.g. "October NPS"
    brand: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RowError:
    """A record that could not be read; the good records around it are still stored."""

    file: str
    line: int
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", shorten(self.reason, MAX_REASON_CHARS))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"
