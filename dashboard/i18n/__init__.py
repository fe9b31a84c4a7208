"""The dashboard's words in English and German; `translate` falls back to English, then the key."""

from __future__ import annotations

from dashboard.i18n import de, en

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {"en": en.TEXTS, "de": de.TEXTS}


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for `key` in `language`, with `{placeholders}` filled from `values`."""
    text = TEXTS.get(language, {}).get(key) or TEXTS[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text


def missing_translations(language: str) -> list[str]:
    """Keys English has and `language` lacks (the app title is the same everywhere)."""
    return sorted(set(TEXTS[DEFAULT_LANGUAGE]) - set(TEXTS[language]) - {"app_title"})
