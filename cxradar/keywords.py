"""Keyword lists of the config, matched the same way everywhere.

A keyword matches case-insensitively as a whole word; ``word*`` matches a prefix
(``Überweisung*`` finds "Überweisungen"). Used by feed filters and to tell which configured
brand a post is about when its source does not say.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence


def keyword_pattern(keyword: str) -> str:
    word = unicodedata.normalize("NFC", keyword.strip())
    prefix = word.endswith("*")
    body = re.escape(word.rstrip("*"))
    return rf"(?<!\w){body}" + ("" if prefix else r"(?!\w)")


class KeywordFilter:
    """Case-insensitive whole-word match of any keyword; ``word*`` matches a prefix.

    Unicode-aware (``\\w`` covers umlauts and ß), and text is NFC-normalised so a
    decomposed "U + combining diaeresis" still matches "Ü".
    """

    def __init__(self, keywords: Iterable[str]) -> None:
        patterns = [keyword_pattern(k) for k in keywords if k and k.strip()]
        self.regex = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def matches(self, text: str) -> bool:
        if self.regex is None:
            return True
        return self.regex.search(unicodedata.normalize("NFC", text)) is not None

    def first(self, text: str) -> int | None:
        """Where the first keyword occurs in the text, None when none does."""
        if self.regex is None:
            return None
        found = self.regex.search(unicodedata.normalize("NFC", text))
        return found.start() if found else None


class BrandMatcher:
    """Which configured brand a post names: its name or one of its keywords, the earliest
    mention winning when a post names several (a competitor comparison)."""

    def __init__(self, brands: Sequence[tuple[str, Sequence[str]]]) -> None:
        self.filters = [(name, KeywordFilter([name, *keywords])) for name, keywords in brands]

    def brand_of(self, text: str) -> str | None:
        found = [(f.first(text), name) for name, f in self.filters]
        found = [(position, name) for position, name in found if position is not None]
        return min(found)[1] if found else None
