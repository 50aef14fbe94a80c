"""The central emulator's state in one SQLite file (WAL): it survives a restart of the emulator.

Every change of the access list takes the next number of one change sequence; a row keeps the
number of its last change, and a deleted patron stays as a tombstone until the change log is
compacted. A cursor names a point in that sequence (``c-<seq>``), or, during a full sync, the
sequence at its start and the last key sent (``f-<seq>-<key>``). Cursors from before the last
compaction are gone (410), because the tombstones they would need are.

One connection, used under a lock: the emulator's request threads take turns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terminals (id TEXT PRIMARY KEY, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calendars (branch TEXT PRIMARY KEY, calendar TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (
    key TEXT PRIMARY KEY, pin_verifier TEXT NOT NULL, category TEXT NOT NULL, birth_date TEXT,
    blocked INTEGER NOT NULL, consent INTEGER NOT NULL, expires TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS access_seq ON access (seq);
CREATE TABLE IF NOT EXISTS events (
    number INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, terminal TEXT NOT NULL,
    kind TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats (
    number INTEGER PRIMARY KEY AUTOINCREMENT, terminal TEXT NOT NULL, body TEXT NOT NULL,
    received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS print_jobs (
    number INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
    title TEXT NOT NULL, pages INTEGER NOT NULL, copies INTEGER NOT NULL, color INTEGER NOT NULL,
    duplex INTEGER NOT NULL, price TEXT NOT NULL, currency TEXT NOT NULL, submitted_at TEXT NOT NULL,
    state TEXT NOT NULL, terminal TEXT);
CREATE INDEX IF NOT EXISTS print_jobs_owner ON print_jobs (owner);
"""

ACCESS_FIELDS = ("key", "pin_verifier", "category", "birth_date", "blocked", "consent", "expires", "deleted")
PRINT_JOB_FIELDS = ("id", "title", "pages", "copies", "color", "duplex", "price", "currency", "submitted_at",
                    "state")
# Which state a print job may go to from which (a repeat of the current state is handled apart).
TRANSITIONS = {
    "held": {"released", "cancelled"},
    "released": {"printed", "failed", "cancelled"},
    "failed": {"released", "cancelled"},
    "printed": set(),
    "cancelled": set(),
}
_FULL_CURSOR = re.compile(r"f-(\d{1,18})-([0-9a-f]{32})")
_CHANGES_CURSOR = re.compile(r"c-(\d{1,18})")


class CursorGone(Exception):
    """The cursor is not one of ours, or older than the last compaction."""


class EventConflict(Exception):
    """An event id was stored before with another body."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} was received before with a different body")
        self.event_id = event_id


class TransitionRefused(Exception):
    """A print job cannot go to the state asked for."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def etag_of(body: Any) -> str:
    return '"' + hashlib.sha256(canonical(body).encode()).hexdigest()[:32] + '"'


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class CentralStore:
    """The emulator's tables. Values in and out are JSON-shaped (as on the wire)."""

    def __init__(self, path: Path, *, access_list_key: bytes | None = None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if str(path) != ":memory:":
            Path(path).chmod(0o600)  # patrons' tokens and PIN verifiers: the owner's alone
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA cache_size=-256")  # a demo's emulator must not grow with its events
        self._db.executescript(SCHEMA)
        with self._transaction() as db:
            stored = self._meta(db, "access_list_key")
            if stored is None:
                key = access_list_key or secrets.token_bytes(32)
                self._set_meta(db, "access_list_key", key.hex())
                self._set_meta(db, "seq", "0")
                self._set_meta(db, "compacted", "0")
                self.created = True
            else:
                if access_list_key is not None and access_list_key.hex() != stored:
                    raise ValueError(f"{path}: holds another access-list key than the one given")
                self.created = False
            self.access_list_key = bytes.fromhex(self._meta(db, "access_list_key") or "")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @staticmethod
    def _meta(db: sqlite3.Connection, name: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _set_meta(db: sqlite3.Connection, name: str, value: str) -> None:
        db.execute("INSERT INTO meta (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))

    def _next_seq(self, db: sqlite3.Connection, count: int = 1) -> int:
        """The first of ``count`` new sequence numbers."""
        current = int(self._meta(db, "seq") or 0)
        self._set_meta(db, "seq", str(current + count))
        return current + 1

    # -- terminals and calendars ---------------------------------------------------------------

    def set_terminal_config(self, terminal_id: str, settings: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO terminals (id, settings) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
                       "SET settings = excluded.settings", (terminal_id, canonical(settings)))

    def terminal_config(self, terminal_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT settings FROM terminals WHERE id = ?", (terminal_id,)).fetchone()
        if row is None:
            return None
        return {"terminal_id": terminal_id, "settings": json.loads(row[0]),
                "access_list_key": self.access_list_key.hex()}

    def set_calendar(self, branch: str, calendar: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO calendars (branch, calendar) VALUES (?, ?) "
                       "ON CONFLICT (branch) DO UPDATE SET calendar = excluded.calendar",
                       (branch, canonical(calendar)))

    def calendar(self, branch: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT calendar FROM calendars WHERE branch = ?", (branch,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    # -- the access list -----------------------------------------------------------------------

    def upsert_entries(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Store entries (wire shape, ``deleted`` ignored) as changes; how many."""
        rows = [(e["key"], e["pin_verifier"], e["category"], e.get("birth_date"), int(bool(e["blocked"])),
                 int(bool(e["consent"])), e["expires"]) for e in entries]
        with self._transaction() as db:
            first = self._next_seq(db, len(rows))
            db.executemany(
                "INSERT INTO access (key, pin_verifier, category, birth_date, blocked, consent, expires, "
                "deleted, seq) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (key) DO UPDATE SET "
                "pin_verifier = excluded.pin_verifier, category = excluded.category, "
                "birth_date = excluded.birth_date, blocked = excluded.blocked, consent = excluded.consent, "
                "expires = excluded.expires, deleted = 0, seq = excluded.seq",
                [(*row, first + index) for index, row in enumerate(rows)])
        return len(rows)

    def delete_entry(self, key: str) -> bool:
        """Make the entry a tombstone; False if there was no live entry."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM access WHERE key = ? AND deleted = 0", (key,)).fetchone() is None:
                return False
            db.execute("UPDATE access SET deleted = 1, seq = ? WHERE key = ?", (self._next_seq(db), key))
        return True

    def compact(self, keep_changes: int = 0) -> None:
        """Forget tombstones older than the last ``keep_changes`` changes; older cursors are then gone."""
        with self._transaction() as db:
            horizon = max(0, int(self._meta(db, "seq") or 0) - keep_changes)
            if horizon > int(self._meta(db, "compacted") or 0):
                db.execute("DELETE FROM access WHERE deleted = 1 AND seq <= ?", (horizon,))
                self._set_meta(db, "compacted", str(horizon))

    def access_page(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """One page of the access list (wire shape); :class:`CursorGone` for a cursor we cannot serve."""
        with self._lock:
            db = self._db
            now, compacted = int(self._meta(db, "seq") or 0), int(self._meta(db, "compacted") or 0)
            if cursor is None:
                return self._full_page(db, now, "", limit)
            if full := _FULL_CURSOR.fullmatch(cursor):
                snapshot, after = int(full.group(1)), full.group(2)
            elif changes := _CHANGES_CURSOR.fullmatch(cursor):
                snapshot, after = int(changes.group(1)), None
            else:
                raise CursorGone(cursor)
            if not compacted <= snapshot <= now:
                raise CursorGone(cursor)
            if after is not None:
                return self._full_page(db, snapshot, after, limit)
            rows = db.execute(f"SELECT {', '.join(ACCESS_FIELDS)}, seq FROM access WHERE seq > ? "
                              "ORDER BY seq LIMIT ?", (snapshot, limit + 1)).fetchall()
            page = rows[:limit]
            last = page[-1]["seq"] if page else snapshot
            return {"entries": [_entry(row) for row in page], "cursor": f"c-{last}",
                    "more": len(rows) > limit, "full": False}

    @staticmethod
    def _full_page(db: sqlite3.Connection, snapshot: int, after: str, limit: int) -> dict[str, Any]:
        rows = db.execute(f"SELECT {', '.join(ACCESS_FIELDS)} FROM access WHERE deleted = 0 AND key > ? "
                          "ORDER BY key LIMIT ?", (after, limit + 1)).fetchall()
        page, more = rows[:limit], len(rows) > limit
        # Rows changed during the full sync are sent again by the first delta after it.
        cursor = f"f-{snapshot}-{page[-1]['key']}" if more else f"c-{snapshot}"
        return {"entries": [_entry(row) for row in page], "cursor": cursor, "more": more, "full": True}

    # -- events and heartbeats -----------------------------------------------------------------

    def add_events(self, terminal: str, events: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        """Store the batch at once; (accepted, duplicates). :class:`EventConflict` stores none of it."""
        accepted: list[str] = []
        duplicates: list[str] = []
        with self._transaction() as db:
            for event in events:
                body = (terminal, event["kind"], event["at"], canonical(event["payload"]))
                row = db.execute("SELECT terminal, kind, at, payload FROM events WHERE id = ?",
                                 (event["id"],)).fetchone()
                if row is None:
                    db.execute("INSERT INTO events (id, terminal, kind, at, payload, received_at) "
                               "VALUES (?, ?, ?, ?, ?, ?)", (event["id"], *body, _now()))
                    accepted.append(event["id"])
                elif tuple(row) == body:
                    duplicates.append(event["id"])
                else:
                    raise EventConflict(event["id"])
        return accepted, duplicates

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT id, terminal, kind, at, payload, received_at FROM events "
                                    "ORDER BY number").fetchall()
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def add_heartbeat(self, terminal: str, body: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO heartbeats (terminal, body, received_at) VALUES (?, ?, ?)",
                       (terminal, canonical(body), _now()))

    def heartbeats(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT terminal, body, received_at FROM heartbeats ORDER BY number")
            return [{"terminal": r[0], "received_at": r[2], **json.loads(r[1])} for r in rows.fetchall()]

    # -- print jobs ----------------------------------------------------------------------------

    def add_print_job(self, owner: str, job: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a job (wire shape without owner); returns it as listed."""
        with self._transaction() as db:
            db.execute("INSERT INTO print_jobs (id, owner, title, pages, copies, color, duplex, price, "
                       "currency, submitted_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job["id"], owner, job["title"], job["pages"], job["copies"], int(job["color"]),
                        int(job["duplex"]), job["price"], job["currency"], job["submitted_at"], job["state"]))
        found = self.print_job(str(job["id"]))
        assert found is not None
        return found

    def print_job(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(PRINT_JOB_FIELDS)} FROM print_jobs WHERE id = ?",
                                   (job_id,)).fetchone()
        return None if row is None else _print_job(row)

    def print_queue(self, owner: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(PRINT_JOB_FIELDS)} FROM print_jobs WHERE owner = ? "
                                    "AND state NOT IN ('printed', 'cancelled') "
                                    "ORDER BY julianday(submitted_at), number",
                                    (owner,)).fetchall()
        return [_print_job(row) for row in rows]

    def set_print_job_state(self, job_id: str, state: str, terminal: str) -> dict[str, Any] | None:
        """The job in its new state; None if there is no such job; :class:`TransitionRefused`."""
        with self._transaction() as db:
            row = db.execute("SELECT state, terminal FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            current, holder = row
            if current == state and holder == terminal:
                pass
            elif state in TRANSITIONS[current]:
                db.execute("UPDATE print_jobs SET state = ?, terminal = ? WHERE id = ?",
                           (state, terminal, job_id))
            else:
                raise TransitionRefused(f"print job {job_id} is {current}; it cannot become {state}")
        return self.print_job(job_id)


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    return {"key": row["key"], "pin_verifier": row["pin_verifier"], "category": row["category"],
            "birth_date": row["birth_date"], "blocked": bool(row["blocked"]), "consent": bool(row["consent"]),
            "expires": row["expires"], "deleted": bool(row["deleted"])}


def _print_job(row: sqlite3.Row) -> dict[str, Any]:
    job = {name: row[name] for name in PRINT_JOB_FIELDS}
    return {**job, "color": bool(job["color"]), "duplex": bool(job["duplex"])}
