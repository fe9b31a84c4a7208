"""Database engine and sessions. ``CXRADAR_DATABASE_URL`` picks the database.

The default is an SQLite file under ``./.cxradar/``; the same code runs on
PostgreSQL. The schema is created and upgraded by Alembic migrations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATA_DIR = Path(".cxradar")
ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DATA_DIR / 'cxradar.db'}"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("CXRADAR_DATABASE_URL") or default_database_url()


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the dashboard read while the pipeline writes; FKs make erasure cascade.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(url: str | None = None) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic.config import Config

    from alembic import command

    engine = get_engine(url)
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_migrated(url: str | None = None) -> bool:
    return inspect(get_engine(url)).has_table("mentions")


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on error."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()
