"""The mentions explorer: every filter, full-text search and paging; and links made safe.

Text search folds case and German (Ä/ä, ß/ss) on both databases; on SQLite a trigram
full-text index (migration 0004) answers needles of three or more characters.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, inspect, literal_column, or_, select, table
from sqlalchemy.sql import Select

from cxradar.schema import Enrichment, Issue, Mention, Source
from dashboard.data.cache import cached
from dashboard.data.filters import Filters, mention_conditions, mention_lang

SAFE_URL_SCHEMES = ("http://", "https://")
FTS_MIN_CHARS = 3  # trigrams: shorter needles fall back to a scan

MENTION_COLUMNS = [
    "id",
    "created_at",
    "source",
    "author",
    "text",
    "lang",
    "sentiment",
    "sentiment_score",
    "rating",
    "issue_id",
    "issue",
    "classification",
    "url",
]


@dataclass(frozen=True)
class MentionPage:
    rows: pd.DataFrame
    total: int
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.page_size)))


@cached
def search_mentions(
    engine: Engine,
    filters: Filters,
    sentiments: tuple[str, ...] = (),
    issue_id: int | None = None,
    text: str = "",
    page: int = 1,
    page_size: int = 50,
) -> MentionPage:
    """One page of mentions matching every filter, newest first, and how many match in all."""
    with engine.connect() as connection:
        needle = text_match(connection, text)
        conditions, needs_enrichment = mention_conditions(filters, sentiments, issue_id, needle)

        def matching(*columns):
            query = select(*columns).select_from(Mention)
            if needs_enrichment:
                query = query.outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
            return query.where(*conditions)

        # Count and page on the mentions alone (index on created_at); join the rest for 50 rows.
        total = connection.execute(matching(func.count())).scalar_one()
        page = min(max(1, page), max(1, math.ceil(total / page_size)))  # a page that exists
        newest_first = (Mention.created_at.desc(), Mention.id.desc())
        ids = matching(Mention.id).order_by(*newest_first).limit(page_size)
        ids = ids.offset((page - 1) * page_size)
        rows = connection.execute(
            mention_rows().where(Mention.id.in_(ids.scalar_subquery())).order_by(*newest_first)
        ).all()
    frame = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    frame["url"] = [safe_url(url) for url in frame["url"]]
    return MentionPage(frame, int(total), page, page_size)


def mention_rows() -> Select:
    """MENTION_COLUMNS of mentions: source name, enrichment and issue joined."""
    return (
        select(
            Mention.id,
            Mention.created_at,
            Source.name,
            Mention.author,
            Mention.text,
            mention_lang(),
            Enrichment.sentiment,
            Enrichment.sentiment_score,
            Mention.rating,
            Enrichment.issue_id,
            Issue.label,
            Issue.classification,
            Mention.url,
        )
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Enrichment, Enrichment.mention_id == Mention.id)
        .outerjoin(Issue, Issue.id == Enrichment.issue_id)
    )


def safe_url(url: str | None) -> str | None:
    """Only web links are clickable; `javascript:` and the like are dropped."""
    if isinstance(url, str) and url.strip().lower().startswith(SAFE_URL_SCHEMES):
        return url.strip()
    return None


# --- full-text search ---------------------------------------------------------------------------


def text_match(connection, text: str):
    """Case-insensitive 'contains' that also folds German (Ä/ä, ß/ss) on SQLite.

    SQLite's lower() and LIKE only fold ASCII, so a small Python function is
    registered on the connection; PostgreSQL's lower() is Unicode-aware.
    """
    text = text.strip()
    if not text:
        return None
    if connection.dialect.name == "sqlite" and len(text) >= FTS_MIN_CHARS and has_fts(connection):
        # The trigram index (migration 0004): any substring of 3+ characters, case-folded.
        phrase = '"' + text.replace('"', '""') + '"'
        hits = (
            select(literal_column("rowid"))
            .select_from(table("mentions_fts"))
            .where(literal_column("mentions_fts").op("MATCH")(phrase))
        )
        return Mention.id.in_(hits.scalar_subquery())
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        raw.create_function("cx_fold", 1, _fold, deterministic=True)
        title = func.cx_fold(func.coalesce(Mention.title, ""))
        return or_(
            func.cx_fold(Mention.text).contains(_fold(text), autoescape=True),
            title.contains(_fold(text), autoescape=True),
        )
    return or_(
        Mention.text.icontains(text, autoescape=True),
        func.coalesce(Mention.title, "").icontains(text, autoescape=True),
    )


def has_fts(connection) -> bool:
    return "mentions_fts" in inspect(connection).get_table_names()


def _fold(value: str | None) -> str | None:
    return None if value is None else unicodedata.normalize("NFKC", value).casefold()
