"""Opening the local database: SQLite in WAL mode, migrated to the newest schema when it is behind.

Alembic (0.2-0.4 s and 11 MB to import) is loaded only when the database's revision is not
:data:`HEAD_REVISION`: a new database, or the first start after an update. A test keeps the constant
equal to the newest migration's revision.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0004"  # the newest file in migrations/versions (tests/store/test_store.py checks)


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision among the migration scripts (what :data:`HEAD_REVISION` must say)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None for a new database), read without Alembic."""
    with engine.connect() as conn:
        known = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'alembic_version'")).first()
        if known is None:
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        return str(rows[0][0]) if len(rows) == 1 else None


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    _set_pragmas(dbapi_connection)


def _set_pragmas(dbapi_connection: sqlite3.Connection) -> None:
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
    """The engine and a session factory; repositories take a Store. ``key_dir`` is where the
    installation's keys live: never in the database or its folder (:mod:`kiosk.store.keys`).

    :meth:`connection` hands out plain ``sqlite3`` connections (same file, same settings) for the
    hot paths, where the ORM's unit of work costs more than the write itself (the journal).
    """

    def __init__(self, engine: Engine, key_dir: Path | None = None) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.key_dir = key_dir
        self._path = engine.url.database
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._made: list[sqlite3.Connection] = []

    def session(self) -> Session:
        return self.sessions()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A plain connection for this thread's use until the block ends, in autocommit mode (the
        caller says ``BEGIN``/``COMMIT``); ``synchronous`` is FULL when it is handed out."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._new_connection()
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        finally:
            self._idle.put(conn)

    def _new_connection(self) -> sqlite3.Connection:
        """Made by the engine (so that its connect hooks run on it too), then the store's own."""
        fairy = self.engine.raw_connection()
        fairy.detach()
        conn = fairy.dbapi_connection
        assert isinstance(conn, sqlite3.Connection)
        conn.isolation_level = None
        self._made.append(conn)
        return conn

    def dispose(self) -> None:
        """Close every idle connection: the next ones are new (after a change to the connect hooks)."""
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            self._made.remove(conn)
            conn.close()
        self.engine.dispose()

    def close(self) -> None:
        for conn in self._made:
            conn.close()
        self._made.clear()
        self.engine.dispose()


def sql_time(when: dt.datetime) -> str:
    """A time as the store keeps it: UTC without an offset, to the microsecond, the way SQLAlchemy
    writes a ``DateTime`` to SQLite (so both kinds of code compare the same strings)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(" ", "microseconds")


def from_sql_time(text: str) -> dt.datetime:
    """A stored time, naive (UTC), as SQLAlchemy reads it back."""
    return dt.datetime.fromisoformat(text)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; nothing is imported or written when it is there already."""
    current = current_revision(engine)
    if current == (HEAD_REVISION if revision == "head" else revision):
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(_alembic_config())
    try:
        if current is not None:
            scripts.get_revision(current)
    except CommandError:
        raise StoreError(f"the local database is at schema revision {current!r}, which this version of "
                         f"the kiosk does not know (its newest is {HEAD_REVISION!r}): it was made by a newer "
                         "version; install that again, or move the database aside") from None

    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def open_store(path: Path, *, revision: str = "head", key_dir: Path | None = None) -> Store:
    """Open (creating it if needed) the database at ``path`` and migrate it to ``revision``. The
    folder is the kiosk user's alone (0700) and the database files too (0600), whatever they were.
    ``key_dir``: where the keys are (default: :func:`default_key_dir`)."""
    try:
        private_folder(path.parent)
        engine = create_engine(f"sqlite:///{path}", future=True)
        event.listen(engine, "connect", _on_connect)
        try:
            migrate(engine, revision)
        except StoreError as exc:
            engine.dispose()
            raise StoreError(f"{path}: {exc}") from None
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part.exists():
                part.chmod(0o600)
    except (OSError, SQLAlchemyError) as exc:
        raise StoreError(f"{path}: cannot open the local database ({exc})") from exc
    return Store(engine, key_dir or default_key_dir(path.parent))


def default_key_dir(data_dir: Path) -> Path:
    """Beside the data folder, not in it: ``/var/lib/library-kiosk`` -> ``/var/lib/library-kiosk-keys``.
    A copy of the data folder (a backup, a support bundle) then holds no key to what is in it."""
    return data_dir.parent / f"{data_dir.name}-keys"


def private_folder(folder: Path) -> Path:
    """``folder``, made if needed, readable by the kiosk's user only (0700). A shared folder (sticky,
    like /tmp) or another user's is left as it is: the kiosk makes no folder private but its own."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    state = folder.stat()
    if not state.st_mode & stat.S_ISVTX and state.st_uid == os.getuid():
        folder.chmod(0o700)
    return folder
