"""The text surface every model sees: what the customer says, not whom they address.

TweetEval (and so every training set, the heads and the sentiment branch) writes user
handles as ``@user`` and links as ``http``. The pipeline gives the models the same surface,
so that a vector describes the complaint, not the account it was sent to (on real airline
tweets the raw ``@handle`` dominated the vectors); storage keeps the original text.
"""

from __future__ import annotations

import re

# Models see at most this much of a post; storage keeps the full text.
MODEL_TEXT_CHARS = 2000
_USER = re.compile(r"@\w+")
_LINK = re.compile(r"https?://\S+")


def normalise_tweet(text: str) -> str:
    """User names and links as TweetEval writes them (``@user``, ``http``)."""
    return _LINK.sub("http", _USER.sub("@user", text)).strip()


def model_text(title: str | None, text: str) -> str:
    """Title and text joined (the title once), on the models' surface, clipped."""
    text = text or ""
    joined = f"{title}. {text}" if title and title not in text else text
    return normalise_tweet(joined)[:MODEL_TEXT_CHARS]
