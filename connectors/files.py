"""The file connector: mentions, tickets and survey answers from CSV or JSON-lines files.

This is also the interchange format other tools use to feed cxradar. A bad row
is reported with file, line and reason; the good rows around it are kept.

Files are read as a stream, line by line, whatever their size: a record (a
JSONL line, a CSV row) over ``MAX_RECORD_BYTES`` is a bad row and skipped
without being read into memory, and a file that holds (or, gzipped, unpacks to)
more than ``MAX_FILE_BYTES`` stops there. Whatever a row holds (JSON nested
100,000 deep, a number of 5,000 digits, a date in the year 10^20), it costs that
row only. What makes a whole file unusable (a header line over the limit, a
broken gzip stream) raises :class:`FileProblem` with what to do.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from cxradar.records import (
    MENTION_KINDS,
    SURVEY_SCALES,
    MentionRecord,
    RowError,
    SurveyResponseRecord,
    TicketRecord,
)

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".csv.gz", ".jsonl.gz", ".ndjson.gz")
MENTION_REQUIRED = ("source", "id", "created_at", "text")
MENTION_OPTIONAL = ("author", "title", "url", "rating", "lang", "brand", "kind", "reach")
TICKET_REQUIRED = ("id", "created_at", "subject", "body")
TICKET_OPTIONAL = ("status", "channel", "customer", "tags")
# A survey answer's time is ``created_at`` or ``time``; its scale comes from the row or the
# source's default (a file source says ``scale: nps``); ``survey`` names the survey.
SURVEY_REQUIRED = ("id", "score")
SURVEY_OPTIONAL = (
    "created_at",
    "time",
    "scale",
    "comment",
    "respondent",
    "lang",
    "segment",
    "touchpoint",
    "survey",
    "brand",
    "source",
)
MIB = 1024 * 1024
# One record: far above any real post (storage keeps 50,000 characters of a text anyway).
MAX_RECORD_BYTES = 4 * MIB
# One file, after decompression: a few million typical rows. A gzip bomb stops here.
MAX_FILE_BYTES = 1024 * MIB

Record = TypeVar("Record")


class RowProblem(ValueError):
    """Why one row cannot be used."""


class FileProblem(ValueError):
    """Why a whole file cannot be used; the message says what to do."""


@dataclass
class FileBatch(Generic[Record]):
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_mentions(path: str | Path, brand: str | None = None) -> FileBatch[MentionRecord]:
    """Mentions of a file; ``brand`` is the source's brand for rows that name none."""
    return _read(Path(path), MENTION_REQUIRED, lambda row: _mention_from_row(row, brand))


def read_tickets(path: str | Path, source: str) -> FileBatch[TicketRecord]:
    return _read(Path(path), TICKET_REQUIRED, lambda row: _ticket_from_row(row, source))


def read_survey_responses(
    path: str | Path,
    source: str,
    scale: str | None = "nps",
    survey: str | None = None,
    brand: str | None = None,
    own_source: bool = False,
) -> FileBatch[SurveyResponseRecord]:
    """Survey answers of a file: ``scale`` and ``survey`` are the defaults for rows that name
    none (``scale=None``: every row must name its scale). ``own_source``: a row's ``source``
    column, when given, names its source (the inbox), else every row is ``source``'s."""
    defaults = {"source": source, "scale": scale, "survey": survey, "brand": brand}
    return _read(
        Path(path), SURVEY_REQUIRED, lambda row: _survey_from_row(row, defaults, own_source)
    )


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
        except Exception as exc:  # noqa: BLE001 - whatever a row holds costs that row only
            batch.errors.append(RowError(str(path), line, f"unreadable row: {_describe(exc)}"))
            continue
        key = (getattr(record, "source", ""), record.external_id)
        if key in seen:
            reason = f"duplicate id {record.external_id!r}, first seen on line {seen[key]}"
            batch.errors.append(RowError(str(path), line, reason))
            continue
        seen[key] = line
        batch.records.append(record)
    return batch


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of each physical line, streamed; None for a line over the limit.

    Invalid UTF-8 costs only those bytes, NUL characters are dropped (they break
    CSV parsing and databases), a byte-order mark is ignored.
    """
    gzipped = path.name.lower().endswith(".gz")
    total = 0
    try:
        with gzip.open(path, "rb") if gzipped else path.open("rb") as handle:
            for number in range(1, 1 << 62):
                chunk = handle.readline(MAX_RECORD_BYTES + 1)
                if not chunk:
                    return
                total += len(chunk)
                if len(chunk) > MAX_RECORD_BYTES and not chunk.endswith(b"\n"):
                    total += _skip_rest_of_line(handle, path, total)
                    yield number, None
                    continue
                if total > MAX_FILE_BYTES:
                    raise FileProblem(_too_large(path, gzipped))
                text = chunk.decode("utf-8", errors="replace").replace("\x00", "")
                yield number, text.removeprefix("\ufeff") if number == 1 else text
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise FileProblem(
            f"{path}: not a readable gzip file ({_describe(exc)}); re-create or re-send it"
        ) from None


def _skip_rest_of_line(handle, path: Path, read_so_far: int) -> int:
    skipped = 0
    while True:
        chunk = handle.readline(MIB)
        skipped += len(chunk)
        if read_so_far + skipped > MAX_FILE_BYTES:
            raise FileProblem(_too_large(path, path.name.lower().endswith(".gz")))
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _size(limit: int) -> str:
    return f"{limit // MIB:,} MiB" if limit >= MIB else f"{limit // 1024:,} KiB"


def _too_large(path: Path, gzipped: bool) -> str:
    size = _size(MAX_FILE_BYTES)
    if gzipped:
        return f"{path}: unpacks to more than {size} (a zip bomb?); split it into smaller files"
    return f"{path}: larger than {size}; split it into smaller files"


def _too_long(line: int) -> str:
    return f"line {line} is longer than {_size(MAX_RECORD_BYTES)}; skipped"


def _jsonl_rows(path: Path, required, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
    for line, text in _lines(path):
        if text is None:
            errors.append(RowError(str(path), line, _too_long(line)))
            continue
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(
                RowError(str(path), line, f"invalid JSON: {exc.msg} at column {exc.colno}")
            )
            continue
        except (ValueError, RecursionError) as exc:  # 100,000 brackets deep, 5,000-digit numbers
            errors.append(RowError(str(path), line, f"unreadable JSON: {_describe(exc)}"))
            continue
        if not isinstance(row, dict):
            errors.append(RowError(str(path), line, "a line must be a JSON object"))
            continue
        yield line, row


# Python's csv refuses cells over 128 KiB by default; a long post is odd but must not cost
# the file. A row over MAX_RECORD_BYTES is skipped before it gets here.
csv.field_size_limit(MAX_RECORD_BYTES)


def _csv_lines(path: Path, errors: list[RowError]) -> Iterator[str]:
    """The physical lines for the csv module; one over the limit is reported and left out."""
    for line, text in _lines(path):
        if text is not None:
            yield text
        elif line == 1:
            raise FileProblem(
                f"{path}: the header line is longer than {_size(MAX_RECORD_BYTES)} "
                "(thousands of columns?); export only the columns cxradar reads"
            )
        else:
            errors.append(RowError(str(path), line, _too_long(line)))
            yield ""  # keeps the csv module's line numbers those of the file


def _csv_rows(path: Path, required, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(_csv_lines(path, errors))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise FileProblem(f"{path}: the header line is not readable CSV ({exc})") from None
    columns = [name.strip() for name in header]
    missing = [name for name in required if name not in columns]
    if missing:
        found = ", ".join(columns[:20]) + (
            f" and {len(columns) - 20} more" if len(columns) > 20 else ""
        )
        errors.append(
            RowError(
                str(path), 1, f"missing column(s) {', '.join(missing)}; found: {found or 'none'}"
            )
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


MAX_SOURCE_NAME = 200  # the column's length: a source is a name, not a text


def _mention_from_row(row: dict, brand: str | None = None) -> MentionRecord:
    source = _text(row, "source")
    if source and len(source) > MAX_SOURCE_NAME:
        raise RowProblem(f"source name longer than {MAX_SOURCE_NAME} characters")
    rating = _rating(row.get("rating"))
    kind = _text(row, "kind") or ("review" if rating is not None else "post")
    if kind not in MENTION_KINDS:
        raise RowProblem(f"kind {kind!r} is not one of {', '.join(MENTION_KINDS)}")
    lang = _text(row, "lang")
    version = _text(row, "version")  # an app review's app version, as the stores give it
    return MentionRecord(
        source=source,
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
        extra={"version": version[:100]} if version else {},
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


def survey_score(value, scale: str) -> float:
    """The score as a number on ``scale``'s range (SURVEY_SCALES); RowProblem otherwise."""
    if scale not in SURVEY_SCALES:
        raise RowProblem(f"scale {scale!r} is not one of {', '.join(SURVEY_SCALES)}")
    low, high = SURVEY_SCALES[scale]
    if isinstance(value, bool):
        raise RowProblem(f"score {value!r} is not a number")
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise RowProblem(f"score {str(value)[:40]!r} is not a number") from None
    if not low <= number <= high:  # NaN fails this too
        raise RowProblem(f"score {number:g} is outside the {scale} scale ({low}-{high})")
    return number


def _survey_from_row(row: dict, defaults: dict, own_source: bool) -> SurveyResponseRecord:
    moment = row.get("created_at")
    if moment is None or (isinstance(moment, str) and not moment.strip()):
        moment = row.get("time")
    if moment is None or (isinstance(moment, str) and not moment.strip()):
        raise RowProblem("missing required field 'created_at' (or 'time')")
    scale = (_text(row, "scale") or defaults["scale"] or "").lower()
    if not scale:
        raise RowProblem("missing 'scale': add a scale column (nps or csat)")
    source = (_text(row, "source") if own_source else None) or defaults["source"]
    if len(source) > MAX_SOURCE_NAME:
        raise RowProblem(f"source name longer than {MAX_SOURCE_NAME} characters")
    lang = _text(row, "lang")
    return SurveyResponseRecord(
        source=source,
        external_id=_text(row, "id"),
        created_at=parse_time(moment),
        score=survey_score(row["score"], scale),
        scale=scale,
        comment=_text(row, "comment"),
        respondent=_text(row, "respondent"),
        lang=lang.lower()[:8] if lang else None,
        segment=_text(row, "segment"),
        touchpoint=_text(row, "touchpoint"),
        survey=_text(row, "survey") or defaults["survey"],
        brand=_text(row, "brand") or defaults["brand"],
    )
