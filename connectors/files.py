"""The file connector: mentions and tickets from CSV or JSON-lines files.

This is also the interchange format other tools use to feed cxradar. A bad row
is reported with file, line and reason; the good rows around it are kept.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from cxradar.records import MENTION_KINDS, MentionRecord, RowError, TicketRecord

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".csv.gz", ".jsonl.gz", ".ndjson.gz")
MENTION_REQUIRED = ("source", "id", "created_at", "text")
MENTION_OPTIONAL = ("author", "title", "url", "rating", "lang", "brand", "kind", "reach")
TICKET_REQUIRED = ("id", "created_at", "subject", "body")
TICKET_OPTIONAL = ("status", "channel", "customer", "tags")

Record = TypeVar("Record")


class RowProblem(ValueError):
    """Why one row cannot be used."""


@dataclass
class FileBatch(Generic[Record]):
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_mentions(path: str | Path, brand: str | None = None) -> FileBatch[MentionRecord]:
    """Mentions of a file; ``brand`` is the source's brand for rows that name none."""
    return _read(Path(path), MENTION_REQUIRED, lambda row: _mention_from_row(row, brand))


def read_tickets(path: str | Path, source: str) -> FileBatch[TicketRecord]:
    return _read(Path(path), TICKET_REQUIRED, lambda row: _ticket_from_row(row, source))


def _read(path: Path, required: tuple[str, ...], build: Callable) -> FileBatch:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file; check the `path` of this source in the config"
        )
    if not path.name.lower().endswith(SUPPORTED_SUFFIXES):
        raise ValueError(
            f"{path}: unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    batch: FileBatch = FileBatch()
    seen: dict[tuple, int] = {}
    rows = _csv_rows if ".csv" in path.name.lower() else _jsonl_rows
    for line, row in rows(path, required, batch.errors):
        try:
            _require(row, required)
            record = build(row)
        except RowProblem as problem:
            batch.errors.append(RowError(str(path), line, str(problem)))
            continue
        key = (getattr(record, "source", ""), record.external_id)
        if key in seen:
            reason = f"duplicate id {record.external_id!r}, first seen on line {seen[key]}"
            batch.errors.append(RowError(str(path), line, reason))
            continue
        seen[key] = line
        batch.records.append(record)
    return batch


def _text_of(path: Path) -> str:
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    # Invalid bytes must not cost the whole file; NUL bytes break CSV parsing and databases.
    return raw.decode("utf-8-sig", errors="replace").replace("\x00", "")


def _jsonl_rows(path: Path, required, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
    for line, text in enumerate(_text_of(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(
                RowError(str(path), line, f"invalid JSON: {exc.msg} at column {exc.colno}")
            )
            continue
        if not isinstance(row, dict):
            errors.append(RowError(str(path), line, "a line must be a JSON object"))
            continue
        yield line, row


# Python's csv refuses cells over 128 KiB; a 1 MB post is odd but must not cost the file.
csv.field_size_limit(64 * 1024 * 1024)


def _csv_rows(path: Path, required, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(_text_of(path), newline=""))
    columns = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in required if name not in columns]
    if missing:
        found = ", ".join(columns) or "none"
        errors.append(
            RowError(str(path), 1, f"missing column(s) {', '.join(missing)}; found: {found}")
        )
        return
    reader.fieldnames = columns
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a broken quote or a monster cell: that row only
            errors.append(RowError(str(path), start, f"unreadable CSV row: {exc}"))
            start = reader.line_num + 1
            continue
        yield start, {key: value for key, value in row.items() if key is not None}
        start = reader.line_num + 1


def _require(row: dict, required: tuple[str, ...]) -> None:
    for name in required:
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise RowProblem(f"missing required field {name!r}")


def _text(row: dict, name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def parse_time(value) -> datetime:
    """ISO 8601 (``Z``, offsets, date only) or unix seconds; naive times are UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise RowProblem(f"created_at {text!r} is not an ISO 8601 date or unix time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _rating(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowProblem(f"rating {value!r} is not a number") from None
    if number != int(number) or not 1 <= number <= 5:
        raise RowProblem(f"rating {value} is not between 1 and 5")
    return int(number)


def _reach(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise RowProblem(f"reach {value!r} is not a number") from None


def _mention_from_row(row: dict, brand: str | None = None) -> MentionRecord:
    rating = _rating(row.get("rating"))
    kind = _text(row, "kind") or ("review" if rating is not None else "post")
    if kind not in MENTION_KINDS:
        raise RowProblem(f"kind {kind!r} is not one of {', '.join(MENTION_KINDS)}")
    lang = _text(row, "lang")
    return MentionRecord(
        source=_text(row, "source"),
        external_id=_text(row, "id"),
        created_at=parse_time(row["created_at"]),
        text=str(row["text"]).strip(),
        kind=kind,
        author=_text(row, "author"),
        title=_text(row, "title"),
        url=_text(row, "url"),
        rating=rating,
        lang=lang.lower()[:8] if lang else None,
        brand=_text(row, "brand") or brand,
        reach=_reach(row.get("reach")),
    )


def _tags(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        items = value
    else:
        text = str(value)
        for separator in ";|":
            text = text.replace(separator, ",")
        items = text.split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _ticket_from_row(row: dict, source: str) -> TicketRecord:
    return TicketRecord(
        source=source,
        external_id=_text(row, "id"),
        created_at=parse_time(row["created_at"]),
        subject=str(row["subject"]).strip(),
        body=str(row["body"]).strip(),
        status=_text(row, "status"),
        channel=_text(row, "channel"),
        customer=_text(row, "customer"),
        tags=_tags(row.get("tags")),
    )
