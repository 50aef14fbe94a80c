"""The entry log repository: door decisions kept for a retention period, exported for staff.

A row holds a pseudonymous token (:class:`kiosk.domain.privacy.Pseudonymizer`), the time, the decision,
its reason code, the terminal, the number of accompanying children and flags such as
``tailgating``. The repository refuses anything that does not look like a token or a code, so a
CPR number, a card number or a name cannot slip into the table by mistake (invariant 3).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.settings import EntryLogSettings
from kiosk.store.db import Store, from_sql_time, sql_time

DEFAULT_RETENTION_DAYS = 30
EXPORT_COLUMNS = ("time", "token", "decision", "reason", "children", "flags")

_TOKEN = re.compile(r"[0-9a-f]{32,64}")
_COLUMNS = "id, at, token, decision, reason, terminal, children, flags"
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


class EntryDecision(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


@dataclass(frozen=True)
class EntryRecord:
    id: str
    at: dt.datetime
    token: str | None
    decision: EntryDecision
    reason: str
    terminal: str
    children: int
    flags: tuple[str, ...]

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> EntryRecord:
        """From a row of :data:`_COLUMNS`."""
        entry_id, at, token, decision, reason, terminal, children, flags = row
        return cls(entry_id, from_sql_time(at).replace(tzinfo=dt.UTC), token, EntryDecision(decision), reason,
                   terminal, children, _split(flags))

    def insert(self, conn: sqlite3.Connection) -> None:
        """Write this row in ``conn``'s transaction (the journal's: see :meth:`EntryLog.row`)."""
        conn.execute("INSERT INTO entry_log (id, at, token, decision, reason, terminal, children, flags) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (self.id, sql_time(self.at), self.token, self.decision.value, self.reason, self.terminal,
                      self.children, ",".join(self.flags)))

    def payload(self) -> dict[str, Any]:
        """The pseudonymous journal payload that reports this entry to the central system."""
        return {"entry_id": self.id, "at": self.at.isoformat(), "token": self.token,
                "decision": self.decision.value, "reason": self.reason, "terminal": self.terminal,
                "children": self.children, "flags": list(self.flags)}


def _split(flags: str) -> tuple[str, ...]:
    return tuple(f for f in flags.split(",") if f)


def _sql(at: dt.datetime, what: str) -> str:
    return sql_time(_utc(at, what))


def _utc(at: dt.datetime, what: str) -> dt.datetime:
    """SQLite keeps no offset: store naive UTC so that comparisons are comparisons of instants."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def check_token(token: str | None) -> None:
    if token is not None and not _TOKEN.fullmatch(token):
        raise ValueError("token: expected a pseudonymous token (hex digest), not an identifier")


def check_code(code: str, what: str) -> None:
    if not _CODE.fullmatch(code):
        raise ValueError(f"{what}: expected a code of letters, digits and _.- (got {len(code)} chars)")


class EntryLog:
    """Door decisions in the local database. ``now`` is the clock's ``now`` (timezone-aware)."""

    def __init__(self, store: Store, now: Callable[[], dt.datetime], *,
                 retention: dt.timedelta = dt.timedelta(days=DEFAULT_RETENTION_DAYS)) -> None:
        if retention <= dt.timedelta(0):
            raise ValueError("retention must be positive")
        self._store = store
        self._now = now
        self.retention = retention

    @classmethod
    def from_settings(cls, store: Store, now: Callable[[], dt.datetime],
                      settings: EntryLogSettings) -> EntryLog:
        return cls(store, now, retention=dt.timedelta(days=settings.retention_days))

    def record(
        self,
        *,
        token: str | None,
        decision: EntryDecision,
        reason: str,
        terminal: str,
        children: int = 0,
        flags: Sequence[str] = (),
        at: dt.datetime | None = None,
        entry_id: str | None = None,
    ) -> EntryRecord:
        """Write one decision and commit it before returning. ``at`` defaults to now."""
        record = self.row(token=token, decision=decision, reason=reason, terminal=terminal, children=children,
                          flags=flags, at=at, entry_id=entry_id)
        with self._store.transaction() as conn:
            record.insert(conn)
        return record

    def row(
        self,
        *,
        token: str | None,
        decision: EntryDecision,
        reason: str,
        terminal: str,
        children: int = 0,
        flags: Sequence[str] = (),
        at: dt.datetime | None = None,
        entry_id: str | None = None,
    ) -> EntryRecord:
        """The row of one decision, checked, not yet written: to be written in the same transaction
        as its journal row (:meth:`kiosk.store.journal.Journal.append` ``with_rows``)."""
        check_token(token)
        check_code(reason, "reason")
        for flag in flags:
            check_code(flag, "flag")
        if not 0 <= children <= 99:
            raise ValueError("children must be between 0 and 99")
        if not 0 < len(terminal) <= 60:
            raise ValueError("terminal must be 1 to 60 characters")
        when = _utc(at or self._now(), "at").replace(tzinfo=dt.UTC)
        return EntryRecord(entry_id or str(uuid.uuid4()), when, token, EntryDecision(decision), reason,
                           terminal, children, tuple(dict.fromkeys(flags)))

    def flag(self, entry_id: str, flag: str) -> EntryRecord | None:
        """Add ``flag`` to a row (once). None if the row is gone (purged)."""
        check_code(flag, "flag")
        with self._store.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM entry_log WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return None
            record = EntryRecord.of(row)
            if flag not in record.flags:
                record = dataclasses.replace(record, flags=(*record.flags, flag))
                conn.execute("UPDATE entry_log SET flags = ? WHERE id = ?",
                             (",".join(record.flags), entry_id))
            return record

    def _select(self, where: str, params: Sequence[Any], order: str = "seq", limit: str = ""
                ) -> list[EntryRecord]:
        with self._store.connection() as conn:
            return [EntryRecord.of(row) for row in conn.execute(
                f"SELECT {_COLUMNS} FROM entry_log WHERE {where} ORDER BY {order} {limit}", params)]

    def get(self, entry_id: str) -> EntryRecord | None:
        rows = self._select("id = ?", (entry_id,))
        return rows[0] if rows else None

    def between(self, start: dt.datetime, end: dt.datetime) -> list[EntryRecord]:
        """Rows with ``start <= at < end``, oldest first."""
        return self._select("at >= ? AND at < ?", (_sql(start, "start"), _sql(end, "end")), order="at, seq")

    def latest(self) -> EntryRecord | None:
        """The last row written, or None."""
        rows = self._select("1", (), order="seq DESC", limit="LIMIT 1")
        return rows[0] if rows else None

    def purge(self, older_than: dt.datetime | None = None) -> int:
        """Delete rows older than ``older_than`` (default: now minus the retention); how many."""
        cutoff = older_than if older_than is not None else self._now() - self.retention
        with self._store.transaction() as conn:
            return int(conn.execute("DELETE FROM entry_log WHERE at < ?", (_sql(cutoff, "older_than"),)
                                    ).rowcount)

    def export(self, start: dt.datetime, end: dt.datetime) -> str:
        """CSV for staff: a header of :data:`EXPORT_COLUMNS`, then one line per row in
        ``[start, end)``. Times are ISO 8601 in ``start``'s time zone; flags are ``;``-separated."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for record in self.between(start, end):
            writer.writerow([
                record.at.astimezone(start.tzinfo).isoformat(timespec="seconds"), record.token or "",
                record.decision.value, record.reason, record.children, ";".join(record.flags),
            ])
        return out.getvalue()

    def count(
        self,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        decision: EntryDecision | None = None,
        reason: str | None = None,
        flag: str | None = None,
        token: str | None = None,
        terminal: str | None = None,
    ) -> int:
        """How many rows match every filter given (``start <= at < end``)."""
        where, params = ["1"], []
        if start is not None:
            where.append("at >= ?")
            params.append(_sql(start, "start"))
        if end is not None:
            where.append("at < ?")
            params.append(_sql(end, "end"))
        if decision is not None:
            where.append("decision = ?")
            params.append(EntryDecision(decision).value)
        if reason is not None:
            where.append("reason = ?")
            params.append(reason)
        if flag is not None:
            check_code(flag, "flag")
            where.append("instr(',' || flags || ',', ?) > 0")
            params.append(f",{flag},")
        if token is not None:
            where.append("token = ?")
            params.append(token)
        if terminal is not None:
            where.append("terminal = ?")
            params.append(terminal)
        with self._store.connection() as conn:
            return int(conn.execute(f"SELECT count(*) FROM entry_log WHERE {' AND '.join(where)}", params
                                    ).fetchone()[0])
