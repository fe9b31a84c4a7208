"""Who is a customer: the key that tells distinct customers apart.

A post's author names its customer. Some sources put a placeholder where the author is
hidden (Google Play shows "A Google User" for every anonymous review: 115 of the 1,584
real app reviews), and Reddit writes "[deleted]": such names say nothing about who wrote
the post, so each of those posts counts as its own customer, like a post without an author.
"""

from __future__ import annotations

# Compared case-insensitively, after trimming.
ANONYMOUS_AUTHORS = frozenset(
    {
        "a google user",
        "anonymous",
        "anonym",
        "anonymer nutzer",
        "anonymous user",
        "[deleted]",
        "deleted",
        "[removed]",
        "guest",
        "gast",
        "unknown",
        "n/a",
    }
)


def known_author(author: str | None) -> str | None:
    """The author when it names someone, None for a missing or placeholder name."""
    if not author or author.strip().casefold() in ANONYMOUS_AUTHORS:
        return None
    return author


def customer_key(author: str | None, mention_id: int) -> str:
    """One key per customer: the author, or the post itself when the author is unknown."""
    return known_author(author) or f"#{mention_id}"
