"""Language detection with lingua, offline, restricted to the languages CX teams meet.

Restricting the candidate set keeps memory low and short texts accurate.
"""

from __future__ import annotations

from collections.abc import Sequence

from lingua import Language, LanguageDetectorBuilder

LANGUAGES = (
    Language.ENGLISH,
    Language.GERMAN,
    Language.FRENCH,
    Language.SPANISH,
    Language.ITALIAN,
    Language.DUTCH,
    Language.PORTUGUESE,
    Language.POLISH,
    Language.TURKISH,
    Language.SWEDISH,
    Language.DANISH,
)
MAX_CHARS = 1000  # the first thousand characters tell the language as well as a megabyte


class LanguageDetector:
    """``detect(texts)`` -> ISO 639-1 codes ('en', 'de', ...), None when it cannot tell."""

    def __init__(self, languages: Sequence[Language] = LANGUAGES, min_relative_distance=0.0):
        self._detector = (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_minimum_relative_distance(min_relative_distance)
            .build()
        )

    def detect(self, texts: Sequence[str]) -> list[str | None]:
        clipped = [(text or "")[:MAX_CHARS] for text in texts]
        found = self._detector.detect_languages_in_parallel_of(clipped)
        return [
            language.iso_code_639_1.name.lower() if language and text.strip() else None
            for language, text in zip(found, clipped, strict=True)
        ]
