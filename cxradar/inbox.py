"""The inbox folder: CSV/JSONL files dropped into ``mentions/``, ``tickets/`` or
``surveys/`` are stored and then moved to ``processed/<date>/`` (or ``failed/<date>/``),
never overwritten.

Symbolic links are refused: a linked ``processed/`` would move dropped files out of the
inbox to wherever the link points. The asset and sensor are in ``pipelines/ingest.py``.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

from connectors.files import SUPPORTED_SUFFIXES
from cxradar.config import Config
from cxradar.ingest import DATABASE_FAULTS, failed_stats, failure_reason, ingest_file
from cxradar.records import RowError
from cxradar.store import store_errors

INBOX_KINDS = ("mentions", "tickets", "surveys")
INBOX_OUTCOMES = ("processed", "failed")


class InboxLinkError(ValueError):
    """A folder of the inbox is a symbolic link: nothing is moved (not retried)."""


def inbox_files(config: Config) -> dict[str, list[Path]]:
    """CSV/JSONL files (and symbolic links, to be refused) waiting in ``mentions/``,
    ``tickets/`` and ``surveys/``; a kind folder that is itself a link is left alone."""
    if config.inbox is None:
        return {}
    root = config.resolve(config.inbox.path)
    found = {}
    for kind in INBOX_KINDS:
        folder = root / kind
        if folder.is_dir() and not folder.is_symlink():
            found[kind] = sorted(
                p
                for p in folder.iterdir()
                if p.name.endswith(SUPPORTED_SUFFIXES) and (p.is_symlink() or p.is_file())
            )
    return found


def inbox_folder(root: Path, *parts: str) -> Path:
    """``root/parts...``, created as needed, refused if any part is a symbolic link.

    A linked ``processed/`` (or a linked day folder below it) would move dropped
    files out of the inbox to wherever the link points.
    """
    folder = root
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            raise InboxLinkError(linked(folder))
        folder.mkdir(exist_ok=True)
    return folder


def linked(folder: Path) -> str:
    return (
        f"{folder} is a symbolic link; cxradar moves inbox files only within the inbox: "
        "replace it with a plain folder"
    )


def move_aside(file: Path, root: Path, outcome: str) -> Path:
    """Processed files go to ``processed/<date>/`` (``failed/<date>/``), never overwritten."""
    target_dir = inbox_folder(root, outcome, datetime.now(UTC).strftime("%Y-%m-%d"))
    target = target_dir / file.name
    counter = 1
    while target.exists() or target.is_symlink():
        target = target_dir / f"{file.stem}.{counter}{file.suffix}"
        counter += 1
    shutil.move(str(file), target)
    return target


def ingest_inbox_file(db, name: str, file: Path, read, store, log) -> dict | None:
    """One dropped file; whatever it holds or raises fails that file only (it is recorded)."""
    if file.is_symlink():
        reason = "a symbolic link; cxradar reads only files dropped into the inbox itself"
    else:
        try:
            return ingest_file(db, name, file, read, store, log)
        except DATABASE_FAULTS:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad file must not block the files after it
            reason = failure_reason(exc)
    with db.session() as session:  # so the Sources page shows why the file went to failed/
        store_errors(session, name, [RowError(str(file), 0, reason)])
    return failed_stats(reason)


def inbox_run_key(files: dict[str, list[Path]]) -> str:
    stamp = sorted(
        (str(f), f.lstat().st_size, f.lstat().st_mtime_ns)  # lstat: a link is not followed
        for group in files.values()
        for f in group
    )
    return "inbox-" + hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]
