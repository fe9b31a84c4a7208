"""``chunked``: the one way cxradar splits a long list for SQL (bounded ``IN (...)`` lists and
multi-row inserts) and for batches of model work."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Rows per multi-row INSERT and ids per IN (...) list: under SQLite's limit of 32,766 bound
# variables with a mention's ~20 columns.
SQL_CHUNK = 500


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items``, each at most ``size`` long, in order."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
