"""Opening the local database: SQLite in WAL mode, migrated to the newest schema when it is behind.

The tables are declared with SQLAlchemy (:mod:`kiosk.store.schema` and its siblings) and migrated by
Alembic; the kiosk reads and writes them with plain SQL on ``sqlite3`` connections
(:meth:`Store.connection`, :meth:`Store.transaction`): the ORM's unit of work cost as much as the
disk on the journal's path, and SQLAlchemy and Alembic together as much memory as the rest of the
kiosk's Python. SQLAlchemy and Alembic are imported only when the database's revision is not
:data:`HEAD_REVISION` (a new database, or the first start after an update), and by tools and tests
that ask for :attr:`Store.engine`. A test keeps the constant equal to the newest migration's revision.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import sqlite3
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.domain.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0004"  # the newest file in migrations/versions (tests/store/test_store.py checks)
PRAGMAS = (
    "journal_mode=WAL",
    # FULL: a journal row that was committed survives a power cut (invariant 1).
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=5000",
    # 256 KiB of page cache per connection (SQLite's default is 2 MiB): the rows a kiosk touches are
    # few and the OS caches the file anyway, while every pooled connection's cache filling up to 2 MiB
    # as the journal grows showed as the kiosk's memory creeping up through a night (make soak).
    "cache_size=-256",
)

ConnectHook = Callable[[sqlite3.Connection], None]


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


def current_revision(store: Store) -> str | None:
    """The database's revision (None for a new database), read without Alembic."""
    with store.connection() as conn:
        return _revision(conn)


def _revision(conn: sqlite3.Connection) -> str | None:
    known = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                         ).fetchone()
    if known is None:
        return None
    rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def set_pragmas(conn: sqlite3.Connection) -> None:
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")


class Store:
    """The database file and a small pool of plain ``sqlite3`` connections to it; repositories take a
    Store. ``key_dir`` is where the installation's keys live: never in the database or its folder
    (:mod:`kiosk.store.keys`). Any thread may use it; a connection serves one thread at a time.

    ``connect_hooks`` run on every new connection after the store's own settings (tests use them to
    make the disk look full); :meth:`dispose` closes the idle connections so that new ones get them.
    """

    def __init__(self, path: Path, key_dir: Path | None = None) -> None:
        self.path = path
        self.key_dir = key_dir
        self.connect_hooks: list[ConnectHook] = []
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._made: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def _new_connection(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
        try:
            set_pragmas(conn)
            for hook in self.connect_hooks:
                hook(conn)
        except BaseException:
            conn.close()
            raise
        with self._lock:
            self._made.append(conn)
        return conn

    def _take(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._new_connection()

    def _give(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # an error in the middle: nothing of it is kept
            conn.rollback()
        self._idle.put(conn)

    def connection(self) -> _Connection:
        """A connection for this thread's use until the block ends, in autocommit mode (each
        statement is its own transaction unless the caller says ``BEGIN``; see :meth:`transaction`)."""
        return _Connection(self)

    def transaction(self, *, durable: bool = True) -> _Transaction:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), rolled back on an error.
        ``durable=False``: the commit does not wait for the disk (``synchronous=NORMAL``): a crash of
        the process keeps it (WAL), a power cut may lose it, and with it nothing written after."""
        return _Transaction(self, durable)

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on the same file, with the same settings (for migrations, tools and
        tests; the kiosk itself does not use it). Imports SQLAlchemy on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = _engine(self.path)
            return self._engine

    def session(self) -> Session:
        """An ORM session on :attr:`engine` (tools and tests)."""
        from sqlalchemy.orm import Session

        return Session(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        """Close every idle connection: the next ones are new (after a change to ``connect_hooks``)."""
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            with self._lock:
                self._made.remove(conn)
            conn.close()
        if self._engine is not None:
            self._engine.dispose()

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
            engine, self._engine = self._engine, None
        for conn in made:
            conn.close()
        if engine is not None:
            engine.dispose()


class _Connection:
    """:meth:`Store.connection`'s block (a class, not a generator: the journal's path is hot)."""

    __slots__ = ("_conn", "_store")

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        self._conn = self._store._take()
        return self._conn

    def __exit__(self, *_exc: object) -> None:
        self._store._give(self._conn)


class _Transaction:
    """:meth:`Store.transaction`'s block."""

    __slots__ = ("_conn", "_durable", "_store")

    def __init__(self, store: Store, durable: bool) -> None:
        self._store, self._durable = store, durable

    def __enter__(self) -> sqlite3.Connection:
        conn = self._conn = self._store._take()
        try:
            if not self._durable:
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise
        return conn

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        try:
            if exc_type is None:
                self._conn.execute("COMMIT")
        finally:
            self._release()

    def _release(self) -> None:
        conn = self._conn
        try:
            if conn.in_transaction:
                conn.rollback()
            if not self._durable:
                conn.execute("PRAGMA synchronous=FULL")
        finally:
            self._store._give(conn)


def _engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", lambda conn, _record: set_pragmas(conn))
    return engine


def utc_naive(when: dt.datetime) -> dt.datetime:
    """``when`` in UTC without an offset, as the store keeps times (a naive time is taken as UTC)."""
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo is not None else when


def sql_time(when: dt.datetime) -> str:
    """A time as the store keeps it: UTC without an offset, to the microsecond, the way SQLAlchemy
    writes a ``DateTime`` to SQLite (so both kinds of code compare the same strings)."""
    return utc_naive(when).isoformat(" ", "microseconds")


def from_sql_time(text: str) -> dt.datetime:
    """A stored time, naive (UTC), as SQLAlchemy reads it back."""
    return dt.datetime.fromisoformat(text)


def from_sql_json(value: object) -> Any:
    """A value of a JSON column. The column's type (``JSON``) gives it numeric affinity in SQLite, so a
    number written as JSON text comes back as a number."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def migrate(store: Store, revision: str = "head") -> None:
    """Bring the database to ``revision``; nothing is imported or written when it is there already."""
    current = current_revision(store)
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
    _migrate(store, lambda config: command.upgrade(config, revision))


def downgrade(store: Store, revision: str) -> None:
    """Take the database back to an older ``revision`` with this version's migrations (a rollback to
    the release before: its code cannot read the newer tables). Nothing happens when it is there."""
    if current_revision(store) == revision:
        return
    from alembic import command

    _migrate(store, lambda config: command.downgrade(config, revision))


def _migrate(store: Store, step: Callable[[Any], None]) -> None:
    """Run an Alembic ``step`` on the store's database, in one transaction."""
    config = _alembic_config()
    engine = _engine(store.path)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            step(config)
    finally:
        engine.dispose()


def open_store(path: Path, *, revision: str = "head", key_dir: Path | None = None) -> Store:
    """Open (creating it if needed) the database at ``path`` and migrate it to ``revision``. The
    folder is the kiosk user's alone (0700) and the database files too (0600), whatever they were.
    ``key_dir``: where the keys are (default: :func:`default_key_dir`)."""
    store = Store(path, key_dir or default_key_dir(path.parent))
    try:
        private_folder(path.parent)
        migrate(store, revision)
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part.exists():
                part.chmod(0o600)
    except StoreError as exc:
        store.close()
        raise StoreError(f"{path}: {exc}") from None
    except Exception as exc:
        store.close()
        if isinstance(exc, OSError | sqlite3.Error) or type(exc).__module__.startswith("sqlalchemy"):
            raise StoreError(f"{path}: cannot open the local database ({exc})") from exc
        raise
    return store


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
