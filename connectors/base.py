"""The contract every connector client follows.

A client is plain Python (no Dagster): ``fetch(cursor)`` returns the records
that are new since ``cursor``, the cursor to store once they are stored, and the
items it could not map. The pipeline stores records and cursor in one
transaction, so a crash between the two re-fetches rather than loses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cxradar.records import MentionRecord, RowError, SurveyResponseRecord, TicketRecord


class SourceError(RuntimeError):
    """A source could not be read at all; the message says what to do next.

    Never put a secret (token, password, full auth URL) into the message.
    """


@dataclass
class FetchResult:
    records: list[MentionRecord | TicketRecord | SurveyResponseRecord] = field(default_factory=list)
    cursor: str | None = None  # None: keep the stored cursor
    errors: list[RowError] = field(default_factory=list)
    requests: int = 0  # HTTP requests made, retries included
    notes: list[str] = field(default_factory=list)  # e.g. "not modified", "feed is malformed"


class Connector(Protocol):
    """``kind`` names the connector ("rss", "reddit", ...) in metadata and logs."""

    kind: str

    def fetch(self, cursor: str | None) -> FetchResult: ...
