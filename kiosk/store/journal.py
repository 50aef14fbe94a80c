"""The journal/outbox repository: write first, act or send after, mark the outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, case, func, not_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.errors import StoreError
from kiosk.store.db import Store
from kiosk.store.schema import JournalRow


class JournalState:
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SENT = "sent"
    OFFLINE = "offline"  # done at the kiosk while the LMS was unreachable; waits to be replayed
    REPLAYING = "replaying"  # sent to the LMS for replay; its answer not yet recorded
    REPLAY_REJECTED = "replay_rejected"  # the LMS refused the replay: in the staff report
    IN_DOUBT = "in_doubt"  # sent to the LMS, no usable answer: whether it was applied is settled later


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
    def of(cls, row: JournalRow) -> JournalEntry:
        return cls(row.id, row.seq, row.kind, row.state, row.created_at, dict(row.payload),
                   row.attempts, row.last_error)


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
               state: str = JournalState.PENDING, with_rows: Sequence[object] = ()) -> JournalEntry:
        """Write a row (pending, unless told) and commit it before returning. ``with_rows`` (rows of
        other tables of this store, such as the entry log's) are written in the same transaction:
        both or neither."""
        now = self._now()
        row = JournalRow(
            id=entry_id or str(uuid.uuid4()),
            kind=kind,
            state=state,
            created_at=now,
            updated_at=now,
            payload=payload,
            attempts=0,
        )
        try:
            with self._store.session() as session, session.begin():
                session.add(row)
                session.add_all(with_rows)
        except SQLAlchemyError as exc:
            raise _store_error("append a journal row", exc) from exc
        return JournalEntry.of(row)

    def mark(self, entry_id: str, state: str, *, error: str | None = None,
             payload: dict[str, Any] | None = None) -> JournalEntry:
        """Set a row's state (and error); ``payload`` replaces its payload (to erase a seal)."""
        try:
            return self._mark(entry_id, state, error, payload)
        except SQLAlchemyError as exc:
            raise _store_error("mark a journal row", exc) from exc

    def _mark(self, entry_id: str, state: str, error: str | None, payload: dict[str, Any] | None
              ) -> JournalEntry:
        with self._store.session() as session, session.begin():
            row = session.execute(select(JournalRow).where(JournalRow.id == entry_id)).scalar_one()
            row.state = state
            if payload is not None:
                row.payload = payload
            row.updated_at = self._now()
            row.attempts += 1
            row.last_error = error
            if state == JournalState.SENT:
                row.sent_at = row.updated_at
        return JournalEntry.of(row)

    def get(self, entry_id: str) -> JournalEntry | None:
        with self._store.session() as session:
            row = session.execute(select(JournalRow).where(JournalRow.id == entry_id)).scalar_one_or_none()
            return JournalEntry.of(row) if row else None

    def in_state(self, state: str, limit: int = 100) -> list[JournalEntry]:
        with self._store.session() as session:
            rows = session.execute(
                select(JournalRow).where(JournalRow.state == state).order_by(JournalRow.seq).limit(limit)
            ).scalars()
            return [JournalEntry.of(r) for r in rows]

    def in_states(self, states: tuple[str, ...], *, kinds: tuple[str, ...] = (), limit: int = 100
                  ) -> list[JournalEntry]:
        """Rows in any of ``states`` (and of ``kinds``, if given), in the order they were written."""
        query = select(JournalRow).where(JournalRow.state.in_(states))
        if kinds:
            query = query.where(JournalRow.kind.in_(kinds))
        with self._store.session() as session:
            rows = session.execute(query.order_by(JournalRow.seq).limit(limit)).scalars()
            return [JournalEntry.of(r) for r in rows]

    def count_for_patron(self, kind: str, states: tuple[str, ...], token: str) -> int:
        """How many ``kind`` rows in ``states`` carry this patron token (offline loans so far)."""
        with self._store.session() as session:
            return int(session.execute(
                select(func.count()).select_from(JournalRow).where(
                    JournalRow.kind == kind, JournalRow.state.in_(states),
                    JournalRow.payload["patron"].as_string() == token)
            ).scalar_one())

    def count(self, state: str) -> int:
        with self._store.session() as session:
            return int(session.execute(
                select(func.count()).select_from(JournalRow).where(JournalRow.state == state)
            ).scalar_one())

    # -- the outbox: rows not yet acknowledged by the central system (``sent_at`` NULL) ------------

    def unsent(self, limit: int, *, from_seq: int = 0, exclude: Collection[str] = ()) -> list[JournalEntry]:
        """Rows the outbox may send now (see :data:`OUTBOX_FINAL_STATES`), in the order they were
        written. ``from_seq``: no row below it is unsent (saves a scan); ``exclude``: ids to leave out."""
        query = select(JournalRow).where(JournalRow.seq >= from_seq, JournalRow.sent_at.is_(None),
                                         _sendable())
        if exclude:
            query = query.where(JournalRow.id.not_in(list(exclude)))
        with self._store.session() as session:
            rows = session.execute(query.order_by(JournalRow.seq).limit(limit)).scalars()
            return [JournalEntry.of(r) for r in rows]

    def mark_sent(self, entry_ids: Collection[str], at: dt.datetime) -> int:
        """Record that the central system has these rows (in one transaction); how many were not
        marked before."""
        if not entry_ids:
            return 0
        try:
            with self._store.session() as session, session.begin():
                result = session.execute(update(JournalRow).where(
                    JournalRow.id.in_(list(entry_ids)), JournalRow.sent_at.is_(None)).values(sent_at=at))
                return int(cast(CursorResult[Any], result).rowcount)
        except SQLAlchemyError as exc:
            raise _store_error("mark journal rows sent", exc) from exc

    def outbox_counts(self, from_seq: int = 0) -> OutboxCounts:
        """How many rows the outbox may send now and when the oldest of them was written, how many
        transactions wait for their outcome first, and a new ``from_seq`` (all in one snapshot)."""
        sendable = _sendable()
        last_seq = select(func.max(JournalRow.seq)).scalar_subquery()
        query = select(
            func.count(case((sendable, 1))),
            func.min(case((sendable, JournalRow.created_at))),
            func.count(case((not_(sendable), 1))),
            func.min(JournalRow.seq),
            last_seq,
        ).where(JournalRow.seq >= from_seq, JournalRow.sent_at.is_(None))
        with self._store.session() as session:
            unsent, oldest, held, first_unsent, last = session.execute(query).one()
        if isinstance(oldest, str):  # min() over a CASE loses the column's type in SQLite
            oldest = dt.datetime.fromisoformat(oldest)
        if oldest is not None:  # SQLite keeps no offset; the journal writes UTC
            oldest = oldest.replace(tzinfo=dt.UTC) if oldest.tzinfo is None else oldest.astimezone(dt.UTC)
        floor = first_unsent if first_unsent is not None else max(from_seq, (last or 0) + 1)
        return OutboxCounts(int(unsent), oldest, int(held), floor)

    def outbox_stats(self) -> tuple[int, dt.datetime | None]:
        """(rows the outbox may send now, when the oldest of them was written, UTC)."""
        counts = self.outbox_counts()
        return counts.unsent, counts.oldest_created_at


def _store_error(what: str, exc: SQLAlchemyError) -> StoreError:
    """A clear message for staff: a full disk says so (SQLite: "database or disk is full")."""
    text = str(getattr(exc, "orig", exc))
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
                       "needs_attention")


def _sendable() -> ColumnElement[bool]:
    return or_(JournalRow.kind.not_in(OUTBOX_TRANSACTION_KINDS), JournalRow.state.in_(OUTBOX_FINAL_STATES))
