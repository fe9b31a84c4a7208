"""Making text written by strangers safe to quote in reports and chat alerts.

Two levels:

* ``clean_text`` / ``shorten``: plain text for reports and evidence paragraphs.
  Control, format (zero-width, bidi override) and private-use characters are
  dropped, runs of whitespace become one space, and long text is cut at a word
  boundary with an ellipsis.
* ``sanitize_untrusted``: everything above, plus neutralising what chat apps
  (Slack, Microsoft Teams, Mattermost, Discord) would act on: mass mentions
  (``@channel``, ``@here``, ``@everyone``, ``@all``), user and role pings
  (``<@U123>``, ``<@&role>``, ``<!here>``), HTML tags, Markdown links, images
  and code spans. The output is meant to be placed inside a Markdown message on
  a line of its own.

``neutralise_bidi`` is the third, lightest level, for showing text whole (the
dashboard's tables and post views): only the bidirectional controls go, so a
``U+202E`` in a post cannot turn the rest of a line (or a label next to it)
around, while line breaks, emoji joiners and right-to-left letters stay.

Escapes are made with look-alike characters rather than backslashes, because
Slack's mrkdwn has no backslash escapes (it would show them) while the others
do; look-alikes read the same everywhere and trigger nothing anywhere.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
ZERO_WIDTH_SPACE = "\u200b"

# Character categories that carry no visible text: controls, format characters
# (zero-width spaces/joiners, bidi overrides, soft hyphens), surrogates, private use.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}

# Chat and Markdown syntax characters and their inert look-alikes.
_LOOKALIKES = {
    "<": "‹",  # U+2039: no <!here>, <@U123>, <@&role>, <#C1>, <url|text>, <script>
    ">": "›",  # U+203A
    "`": "ˋ",  # U+02CB: no inline code or fences that would swallow the rest of the message
}
# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the marks
# (LRM, RLM, ALM): what "Trojan Source" text uses to show something else than it holds.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def clean_text(text: str | None) -> str:
    """Visible characters only, whitespace collapsed to single spaces."""
    if not text:
        return ""
    visible = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    return " ".join(visible.split())


def neutralise_bidi(text: str | None) -> str:
    """``text`` without bidirectional control characters; everything else is kept."""
    return BIDI_CONTROLS.sub("", text) if text else ""


def _truncate_units(units: list[str], max_len: int) -> str:
    """Join atomic pieces, cutting at a piece boundary (a space if one is near) with an ellipsis."""
    if sum(len(unit) for unit in units) <= max_len:
        return "".join(units)
    if max_len <= len(ELLIPSIS):
        return ELLIPSIS[:max_len]
    budget = max_len - len(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for unit in units:
        if used + len(unit) > budget:
            break
        kept.append(unit)
        used += len(unit)
    # Prefer ending on a word boundary, unless that throws away too much text.
    last_space = max((i for i, unit in enumerate(kept) if unit == " "), default=-1)
    if last_space > 0 and last_space >= len(kept) * 0.6:
        kept = kept[:last_space]
    return "".join(kept).rstrip() + ELLIPSIS


def shorten(text: str | None, max_len: int = 200) -> str:
    """Plain cleaned text, at most ``max_len`` characters, cut between words with an ellipsis."""
    return _truncate_units(list(clean_text(text)), max_len)


def _escape_units(text: str) -> list[str]:
    """One output piece per input character, so truncation never splits an escape."""
    entity_starts = {match.start() for match in _ENTITY.finditer(text)}
    units: list[str] = []
    for index, char in enumerate(text):
        following = text[index + 1] if index + 1 < len(text) else ""
        if char == "@" and following and not following.isspace():
            units.append("@" + ZERO_WIDTH_SPACE)  # @channel, @here, @everyone, @all, @user
        elif char == "&" and index in entity_starts:
            units.append("&" + ZERO_WIDTH_SPACE)  # &lt;!here&gt; must not decode to <!here>
        elif char == "]" and following == "(":
            units.append("] ")  # [text](url) and ![alt](img) stop being links and images
        else:
            units.append(_LOOKALIKES.get(char, char))
    return units


def sanitize_untrusted(text: str | None, max_len: int = 280) -> str:
    """Text from a stranger made inert for a chat message: no pings, tags, links or code.

    NFKC folds full-width and small-form look-alikes (``＠``, ``＜``) onto the
    real characters first, so they are escaped too. The result is one line of at
    most ``max_len`` characters; when cut, it ends with an ellipsis and never in
    the middle of an escape.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    return _truncate_units(_escape_units(clean_text(folded)), max_len)
