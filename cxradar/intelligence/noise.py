"""Noise signals: posts that must not count as customer voices.

* **link-only**: a post that is a link and (almost) nothing else carries no complaint.
* **bot burst**: the same longer text posted by several accounts within an hour is a
  campaign or a bot, not several customers (exact copies are already linked as
  duplicates; the burst marks all of them, the first included).
* **near-duplicates** of one author (a post edited and re-posted on another channel)
  are found by embedding similarity and linked like exact cross-posts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

LINK_ONLY = "link_only"
BOT_BURST = "bot_burst"

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[^\W\d_]{2,}")  # letters only, any script
LINK_ONLY_MAX_WORDS = 2
BURST_WINDOW = timedelta(hours=1)
BURST_MIN_AUTHORS = 3
BURST_MIN_WORDS = 6  # "app down?" from many people at once is an outage, not a bot
NEAR_DUPLICATE_SIMILARITY = (
    0.96  # the config's default; raw e5 cosine: edits measured 0.969-0.99, paraphrases ~0.91
)
NEAR_DUPLICATE_WINDOW = timedelta(days=7)


def words(text: str) -> list[str]:
    return _WORD.findall(_HANDLE.sub(" ", _URL.sub(" ", text)))


def is_link_only(title: str | None, text: str) -> bool:
    """A post with a link and at most two words besides (titles count)."""
    whole = f"{title or ''} {text}"
    return bool(_URL.search(whole)) and len(words(whole)) <= LINK_ONLY_MAX_WORDS


@dataclass(frozen=True)
class Copy:
    mention_id: int
    content_hash: str
    author: str | None
    created_at: datetime
    text: str


def bot_bursts(copies: Iterable[Copy]) -> set[int]:
    """Mentions whose text was posted by several accounts within an hour."""
    by_hash: dict[str, list[Copy]] = defaultdict(list)
    for copy in copies:
        by_hash[copy.content_hash].append(copy)
    flagged: set[int] = set()
    for group in by_hash.values():
        if len(group) < BURST_MIN_AUTHORS or len(words(group[0].text)) < BURST_MIN_WORDS:
            continue
        group.sort(key=lambda c: c.created_at)
        start = 0
        for end, copy in enumerate(group):
            while copy.created_at - group[start].created_at > BURST_WINDOW:
                start += 1
            window = group[start : end + 1]
            if len({c.author for c in window if c.author}) >= BURST_MIN_AUTHORS:
                flagged.update(c.mention_id for c in window)
    return flagged


@dataclass(frozen=True)
class Posted:
    mention_id: int
    author: str
    created_at: datetime


def near_duplicates(
    new: Sequence[Posted],
    new_vectors: np.ndarray,
    earlier: Sequence[Posted],
    earlier_vectors: np.ndarray,
    min_similarity: float = NEAR_DUPLICATE_SIMILARITY,
) -> dict[int, int]:
    """New post -> the earlier post of the same author it nearly repeats (within a week).

    ``min_similarity``: the config's ``thresholds.duplicate_similarity``.
    """
    links: dict[int, int] = {}
    if not len(new) or not len(earlier):
        return links
    similarity = new_vectors @ earlier_vectors.T
    for row, post in enumerate(new):
        for column in np.argsort(-similarity[row]):
            if similarity[row, column] < min_similarity:
                break
            other = earlier[column]
            if (
                other.author == post.author
                and other.mention_id < post.mention_id
                and abs(post.created_at - other.created_at) <= NEAR_DUPLICATE_WINDOW
            ):
                links[post.mention_id] = other.mention_id
                break
    return links
