"""The alarms table: open alarms by terminal and kind, repeats counted, sent and acknowledged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from sync.central.server.store import CentralStore
from sync.central.server.tables import alarms, credentials, heartbeats


@dataclass(frozen=True)
class Alarm:
    number: int
    terminal: str
    branch: str
    kind: str
    urgent: bool
    detail: str
    first_at: dt.datetime
    last_at: dt.datetime
    count: int
    notified_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


def _alarm(row: sa.RowMapping) -> Alarm:
    return Alarm(**row)


class AlarmStore:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    def raise_alarm(self, terminal: str, branch: str, kind: str, *, urgent: bool, detail: str,
                    at: dt.datetime) -> Alarm:
        """The open alarm of this terminal and kind, counted once more, or a new one."""
        with self._store.writing() as db:
            row = db.execute(sa.select(alarms).where(alarms.c.terminal == terminal, alarms.c.kind == kind,
                                                     alarms.c.acknowledged_at.is_(None))
                             .with_for_update()).mappings().first()
            if row is None:
                number = db.execute(sa.insert(alarms).values(
                    terminal=terminal, branch=branch, kind=kind, urgent=urgent, detail=detail[:500],
                    first_at=at, last_at=at, count=1)).inserted_primary_key
                assert number is not None
                key = number[0]
            else:
                key = row["number"]
                db.execute(sa.update(alarms).where(alarms.c.number == key).values(
                    last_at=at, count=row["count"] + 1, detail=detail[:500], urgent=row["urgent"] or urgent))
            found = db.execute(sa.select(alarms).where(alarms.c.number == key)).mappings().one()
        return _alarm(found)

    def open_alarms(self) -> list[Alarm]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(alarms).where(alarms.c.acknowledged_at.is_(None))
                              .order_by(alarms.c.number)).mappings().all()
        return [_alarm(row) for row in rows]

    def all_alarms(self) -> list[Alarm]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(alarms).order_by(alarms.c.number)).mappings().all()
        return [_alarm(row) for row in rows]

    def notified(self, number: int, at: dt.datetime) -> None:
        with self._store.writing() as db:
            db.execute(sa.update(alarms).where(alarms.c.number == number).values(notified_at=at))

    def acknowledge(self, number: int, by: str, at: dt.datetime) -> bool:
        """Stop the repeats of an open alarm; False if there is no such open alarm."""
        with self._store.writing() as db:
            done = db.execute(sa.update(alarms).where(alarms.c.number == number,
                                                      alarms.c.acknowledged_at.is_(None))
                              .values(acknowledged_at=at, acknowledged_by=by[:128]))
        return bool(done.rowcount)

    def last_heartbeats(self) -> dict[str, tuple[str, dt.datetime]]:
        """Every enrolled terminal that ever sent a heartbeat: (branch, when it last did)."""
        with self._store.reading() as db:
            rows = db.execute(sa.select(heartbeats.c.terminal, sa.func.max(heartbeats.c.received_at),
                                        credentials.c.branch)
                              .join(credentials, credentials.c.terminal == heartbeats.c.terminal)
                              .where(credentials.c.revoked_at.is_(None))
                              .group_by(heartbeats.c.terminal, credentials.c.branch)).all()
        return {terminal: (branch, at) for terminal, at, branch in rows}
