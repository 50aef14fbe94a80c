"""Opening the local database: SQLite in WAL mode, migrated to the newest schema on every start."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a journal row that was committed survives a power cut (invariant 1).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # 256 KiB of page cache per connection (SQLite's default is 2 MiB): the rows a kiosk touches are
    # few and the OS caches the file anyway, while every pooled connection's cache filling up to 2 MiB
    # as the journal grows showed as the kiosk's memory creeping up through a night (make soak).
    cursor.execute("PRAGMA cache_size=-256")
    cursor.close()


class Store:
    """The engine and a session factory; repositories take a Store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def migrate(engine: Engine, revision: str = "head") -> None:
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def open_store(path: Path, *, revision: str = "head") -> Store:
    """Open (creating it if needed) the database at ``path`` and migrate it to ``revision``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", future=True)
        event.listen(engine, "connect", _on_connect)
        migrate(engine, revision)
    except (OSError, SQLAlchemyError) as exc:
        raise StoreError(f"{path}: cannot open the local database ({exc})") from exc
    return Store(engine)
