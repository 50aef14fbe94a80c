"""The store: SQLite in WAL mode, migrated on open; the journal keeps rows with UUID keys."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from kiosk.domain.errors import StoreError
from kiosk.store import Journal, JournalState, current_revision, head_revision, open_store


def test_new_database_is_wal_and_at_the_newest_schema(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kiosk.sqlite3")
    try:
        assert current_revision(store) == head_revision()
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "kiosk.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"journal", "cache", "alembic_version"} <= tables


def test_old_database_upgrades_on_open_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    old = open_store(path, revision="0001")
    old.close()
    with sqlite3.connect(path) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(journal)")}
        assert "sent_at" not in columns
        conn.execute(
            "INSERT INTO journal (id, kind, state, created_at, updated_at, payload, attempts) "
            "VALUES ('0b7c2a52-3c53-4b8e-9d0e-6a1c1b0e0001', 'checkout', 'pending', "
            "'2026-01-01 10:00:00', '2026-01-01 10:00:00', '{\"item\": \"5010000001\"}', 0)"
        )
    store = open_store(path)
    try:
        assert current_revision(store) == head_revision()
        entry = Journal(store).get("0b7c2a52-3c53-4b8e-9d0e-6a1c1b0e0001")
        assert entry is not None
        assert entry.payload == {"item": "5010000001"}
        assert entry.state == JournalState.PENDING
    finally:
        store.close()


def test_journal_rows_survive_reopening_in_order(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    store = open_store(path)
    journal = Journal(store)
    written = [journal.append("checkout", {"item": f"50100000{i:02d}"}) for i in range(5)]
    journal.mark(written[1].id, JournalState.DONE)
    store.close()

    store = open_store(path)
    try:
        journal = Journal(store)
        pending = journal.in_state(JournalState.PENDING)
        assert [e.id for e in pending] == [written[i].id for i in (0, 2, 3, 4)]
        assert journal.count(JournalState.DONE) == 1
        assert all(uuid.UUID(e.id).version == 4 for e in written)
        done = journal.get(written[1].id)
        assert done is not None and done.attempts == 1
    finally:
        store.close()


def test_the_same_id_cannot_be_journaled_twice(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kiosk.sqlite3")
    try:
        journal = Journal(store)
        entry = journal.append("entry", {"door": "main"})
        with pytest.raises(Exception, match="UNIQUE"):
            journal.append("entry", {"door": "main"}, entry_id=entry.id)
        assert journal.count(JournalState.PENDING) == 1
    finally:
        store.close()


def test_unwritable_location_is_a_clear_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the local database"):
        open_store(blocker / "kiosk.sqlite3")


def test_a_corrupt_database_file_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the local database"):
        open_store(path)


def test_the_head_revision_constant_is_the_newest_migration() -> None:
    from kiosk.store.db import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_reopening_a_current_database_does_not_load_the_migrations(tmp_path: Path) -> None:
    """Alembic costs a start 0.2-0.4 s and 11 MB: only a database that is behind pays for it."""
    import subprocess
    import sys

    path = tmp_path / "kiosk.sqlite3"
    program = ("import sys; from pathlib import Path; from kiosk.store import open_store; "
               f"open_store(Path({str(path)!r})).close(); print('alembic' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]


def test_a_database_from_a_newer_version_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match=r"revision '0099'.*newer version"):
        open_store(path)
