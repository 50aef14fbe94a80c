"""The journal/outbox repository: write first, act or send after, mark the outcome.

Plain SQL on the store's ``sqlite3`` connections: the journal is written for every item and every
door entry, and the ORM's unit of work cost as much as the disk (0.51x the commits of plain
sqlite3 at the same durability). Each write is one transaction. What must survive a power cut is
written durably (``synchronous=FULL``: the row before the LMS is asked or a tag is changed); an
outcome recorded after the fact can be written ``durable=False``: a crash of the kiosk keeps it
(WAL), a power cut before the next durable write may lose it, and the row is then still pending,
which the reconciler settles from the LMS and the pad.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.domain.errors import StoreError
from kiosk.store.db import Store, from_sql_time, sql_time, utc_naive


class JournalState:
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SENT = "sent"
    OFFLINE = "offline"  # done at the kiosk while the LMS was unreachable; waits to be replayed
    REPLAYING = "replaying"  # sent to the LMS for replay; its answer not yet recorded
    REPLAY_REJECTED = "replay_rejected"  # the LMS refused the replay: in the staff report
    IN_DOUBT = "in_doubt"  # sent to the LMS, no usable answer: whether it was applied is settled later
    RESOLVED = "resolved"  # needed staff; staff put it right by hand (staff mode)
    CLEARED = "cleared"  # needed staff; staff took it off the list, nothing to do (staff mode)


@dataclass(frozen=True)
class JournalEntry:
    id: str
    seq: int
    kind: str
    state: str
    created_at: dt.datetime
    payload: dict[str, Any]
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, row: sqlite3.Row | tuple[Any, ...]) -> JournalEntry:
        """From a row of :data:`_COLUMNS`."""
        seq, entry_id, kind, state, created_at, payload, attempts, last_error = row
        return cls(entry_id, seq, kind, state, from_sql_time(created_at), json.loads(payload), attempts,
                   last_error)


class SqlRow(Protocol):
    """A row of another table written in the same transaction as a journal row."""

    def insert(self, conn: sqlite3.Connection) -> None: ...


@dataclass(frozen=True)
class Change:
    """A new state (and error, and payload: None keeps it) for one journal row."""

    entry_id: str
    state: str
    error: str | None = None
    payload: dict[str, Any] | None = None
    attempt: bool = True  # counts as an attempt (``attempts`` + 1)


_COLUMNS = "seq, id, kind, state, created_at, payload, attempts, last_error"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Journal:
    """Append-only record of transactions and events, each with a UUID idempotency key.

    Payloads must carry pseudonymous tokens, never a PIN, CPR number or name (invariant 3).
    """

    def __init__(self, store: Store, now: Callable[[], dt.datetime] = _utcnow) -> None:
        self._store = store
        self._now = now

    @property
    def store(self) -> Store:
        return self._store

    def append(self, kind: str, payload: dict[str, Any], *, entry_id: str | None = None,
               state: str = JournalState.PENDING, with_rows: Sequence[SqlRow] = ()) -> JournalEntry:
        """Write a row (pending, unless told) and commit it durably before returning. ``with_rows``
        (rows of other tables of this store, such as the entry log's) are written in the same
        transaction: both or neither."""
        stamp = self._now()
        now = sql_time(stamp)
        entry_id = entry_id or str(uuid.uuid4())
        text = json.dumps(payload)
        try:
            with self._store.transaction() as conn:
                seq = conn.execute(
                    "INSERT INTO journal (id, kind, state, created_at, updated_at, payload, attempts) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0)", (entry_id, kind, state, now, now, text)).lastrowid
                for row in with_rows:
                    row.insert(conn)
        except sqlite3.Error as exc:
            raise _store_error("append a journal row", exc) from exc
        assert seq is not None
        return JournalEntry(entry_id, seq, kind, state, utc_naive(stamp), dict(payload), 0, None)

    def mark(self, entry_id: str, state: str, *, error: str | None = None,
             payload: dict[str, Any] | None = None, durable: bool = True) -> JournalEntry:
        """Set a row's state (and error); ``payload`` replaces its payload (to erase a seal).
        ``durable=False``: for an outcome the reconciler can work out again (see the module)."""
        try:
            entries = self._write([Change(entry_id, state, error, payload)], durable=durable)
        except sqlite3.Error as exc:
            raise _store_error("mark a journal row", exc) from exc
        if not entries:
            raise StoreError(f"cannot mark a journal row: there is no row {entry_id}")
        return entries[0]

    def mark_all(self, changes: Sequence[Change], *, durable: bool = True) -> None:
        """:meth:`mark` for many rows in one transaction (one write to the disk): all or none."""
        try:
            self._write(changes, durable=durable, returning=False)
        except sqlite3.Error as exc:
            raise _store_error("mark journal rows", exc) from exc

    def _write(self, changes: Sequence[Change], *, durable: bool, returning: bool = True
               ) -> list[JournalEntry]:
        now = sql_time(self._now())
        update = ("UPDATE journal SET state = ?, payload = coalesce(?, payload), updated_at = ?, "
                  "attempts = attempts + ?, last_error = ?, sent_at = coalesce(?, sent_at) WHERE id = ?")
        values = [(change.state, json.dumps(change.payload) if change.payload is not None else None, now,
                   int(change.attempt), change.error, now if change.state == JournalState.SENT else None,
                   change.entry_id) for change in changes]
        entries = []
        with self._store.transaction(durable=durable) as conn:
            if returning:
                for row in values:
                    found = conn.execute(f"{update} RETURNING {_COLUMNS}", row).fetchone()
                    if found is not None:
                        entries.append(JournalEntry.of(found))
            else:
                conn.executemany(update, values)
        return entries

    def _select(self, where: str, params: Sequence[Any], limit: int | None = None) -> list[JournalEntry]:
        query = f"SELECT {_COLUMNS} FROM journal WHERE {where} ORDER BY seq"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        try:
            with self._store.connection() as conn:
                return [JournalEntry.of(row) for row in conn.execute(query, params)]
        except sqlite3.Error as exc:
            raise _store_error("read the journal", exc) from exc

    def _scalar(self, query: str, params: Sequence[Any]) -> Any:
        try:
            with self._store.connection() as conn:
                return conn.execute(query, params).fetchone()[0]
        except sqlite3.Error as exc:
            raise _store_error("read the journal", exc) from exc

    def get(self, entry_id: str) -> JournalEntry | None:
        rows = self._select("id = ?", (entry_id,))
        return rows[0] if rows else None

    def in_state(self, state: str, limit: int = 100) -> list[JournalEntry]:
        return self._select("state = ?", (state,), limit)

    def in_states(self, states: tuple[str, ...], *, kinds: tuple[str, ...] = (), limit: int = 100
                  ) -> list[JournalEntry]:
        """Rows in any of ``states`` (and of ``kinds``, if given), in the order they were written."""
        where = f"state IN ({_marks(states)})"
        if kinds:
            where += f" AND kind IN ({_marks(kinds)})"
        return self._select(where, (*states, *kinds), limit)

    def count_for_patron(self, kind: str, states: tuple[str, ...], token: str) -> int:
        """How many ``kind`` rows in ``states`` carry this patron token (offline loans so far)."""
        return int(self._scalar(
            f"SELECT count(*) FROM journal WHERE kind = ? AND state IN ({_marks(states)}) "
            "AND json_extract(payload, '$.patron') = ?", (kind, *states, token)))

    def count_since(self, kind: str, since: dt.datetime) -> int:
        """Rows of ``kind`` written at or after ``since`` (UTC)."""
        return int(self._scalar("SELECT COUNT(*) FROM journal WHERE kind = ? AND created_at >= ?",
                                (kind, sql_time(since))))

    def count(self, state: str) -> int:
        return int(self._scalar("SELECT count(*) FROM journal WHERE state = ?", (state,)))

    # -- the outbox: rows not yet acknowledged by the central system (``sent_at`` NULL) ------------

    def unsent(self, limit: int, *, from_seq: int = 0, exclude: Collection[str] = ()) -> list[JournalEntry]:
        """Rows the outbox may send now (see :data:`OUTBOX_FINAL_STATES`), in the order they were
        written. ``from_seq``: no row below it is unsent (saves a scan); ``exclude``: ids to leave out."""
        where = f"seq >= ? AND sent_at IS NULL AND {_SENDABLE}"
        params: tuple[Any, ...] = (from_seq, *_SENDABLE_PARAMS)
        if exclude:
            where += f" AND id NOT IN {_JSON_LIST}"
            params += (json.dumps(list(exclude)),)
        return self._select(where, params, limit)

    def mark_sent(self, entry_ids: Collection[str], at: dt.datetime) -> int:
        """Record that the central system has these rows (in one transaction); how many were not
        marked before."""
        ids = list(entry_ids)
        if not ids:
            return 0
        try:
            with self._store.transaction() as conn:
                marked = conn.execute(f"UPDATE journal SET sent_at = ? WHERE id IN {_JSON_LIST} "
                                      "AND sent_at IS NULL", (sql_time(at), json.dumps(ids))).rowcount
            return int(marked)
        except sqlite3.Error as exc:
            raise _store_error("mark journal rows sent", exc) from exc

    def outbox_counts(self, from_seq: int = 0) -> OutboxCounts:
        """How many rows the outbox may send now and when the oldest of them was written, how many
        transactions wait for their outcome first, and a new ``from_seq`` (all in one snapshot)."""
        query = (f"SELECT count(CASE WHEN {_SENDABLE} THEN 1 END), "
                 f"min(CASE WHEN {_SENDABLE} THEN created_at END), "
                 f"count(CASE WHEN NOT ({_SENDABLE}) THEN 1 END), min(seq), "
                 "(SELECT max(seq) FROM journal) FROM journal WHERE seq >= ? AND sent_at IS NULL")
        try:
            with self._store.connection() as conn:
                unsent, oldest, held, first_unsent, last = conn.execute(
                    query, (*_SENDABLE_PARAMS, *_SENDABLE_PARAMS, *_SENDABLE_PARAMS, from_seq)).fetchone()
        except sqlite3.Error as exc:
            raise _store_error("read the journal", exc) from exc
        oldest_at = from_sql_time(oldest).replace(tzinfo=dt.UTC) if oldest is not None else None
        floor = first_unsent if first_unsent is not None else max(from_seq, (last or 0) + 1)
        return OutboxCounts(int(unsent), oldest_at, int(held), floor)

    def outbox_stats(self) -> tuple[int, dt.datetime | None]:
        """(rows the outbox may send now, when the oldest of them was written, UTC)."""
        counts = self.outbox_counts()
        return counts.unsent, counts.oldest_created_at


# A list of any length as one parameter (a JSON array): one statement text, not one per length, so
# that each connection's cache of prepared statements stays small through a night.
_JSON_LIST = "(SELECT value FROM json_each(?))"


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" * len(values))


def _store_error(what: str, exc: sqlite3.Error) -> StoreError:
    """A clear message for staff: a full disk says so (SQLite: "database or disk is full")."""
    text = str(exc)
    if "full" in text.lower():
        return StoreError(f"cannot {what}: the disk is full ({text}); nothing was changed")
    return StoreError(f"cannot {what}: {text}")


@dataclass(frozen=True)
class OutboxCounts:
    unsent: int  # rows the outbox may send now
    oldest_created_at: dt.datetime | None  # of those (UTC)
    held: int  # transactions not yet sent whose outcome is not known yet
    floor: int  # every row below this seq is sent, now and later (new rows come above it)


# What the outbox sends: every row that is not a transaction (entries, door alarms, ...: events), and
# a transaction once its outcome is known. The last two are circulation's JournalOutcome values.
OUTBOX_TRANSACTION_KINDS = ("checkout", "checkin")
OUTBOX_FINAL_STATES = (JournalState.DONE, JournalState.FAILED, JournalState.REPLAY_REJECTED, "compensated",
                       "needs_attention", JournalState.RESOLVED, JournalState.CLEARED)
# What the outbox may send, as SQL (with its parameters).
_SENDABLE = (f"(kind NOT IN ({_marks(OUTBOX_TRANSACTION_KINDS)}) "
             f"OR state IN ({_marks(OUTBOX_FINAL_STATES)}))")
_SENDABLE_PARAMS = (*OUTBOX_TRANSACTION_KINDS, *OUTBOX_FINAL_STATES)
