"""The patrons' print queues: held jobs, each with its owner (the token of a card or of a release
code), and the states a terminal moves them through as it releases and prints them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sync.central.server.store import CentralStore
from sync.central.server.tables import print_jobs

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


class TransitionRefused(Exception):
    """A print job cannot go to the state asked for."""


class PrintQueue:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    def add_print_job(self, owner: str, job: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a job (wire shape without owner); returns it as listed."""
        submitted = dt.datetime.fromisoformat(str(job["submitted_at"]))
        with self._store.writing() as db:
            db.execute(sa.insert(print_jobs).values(
                owner=owner, submitted_utc=submitted.astimezone(dt.UTC),
                **{name: job[name] for name in PRINT_JOB_FIELDS}))
        found = self.print_job(str(job["id"]))
        assert found is not None
        return found

    def print_job(self, job_id: str) -> dict[str, Any] | None:
        with self._store.reading() as db:
            row = db.execute(sa.select(*(print_jobs.c[name] for name in PRINT_JOB_FIELDS))
                             .where(print_jobs.c.id == job_id)).mappings().first()
        return None if row is None else dict(row)

    def print_queue(self, owner: str) -> list[dict[str, Any]]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(*(print_jobs.c[name] for name in PRINT_JOB_FIELDS))
                              .where(print_jobs.c.owner == owner,
                                     print_jobs.c.state.not_in(("printed", "cancelled")))
                              .order_by(print_jobs.c.submitted_utc, print_jobs.c.number)).mappings().all()
        return [dict(row) for row in rows]

    def set_print_job_state(self, job_id: str, state: str, terminal: str) -> dict[str, Any] | None:
        """The job in its new state; None if there is no such job; :class:`TransitionRefused`."""
        with self._store.writing() as db:
            row = db.execute(sa.select(print_jobs.c.state, print_jobs.c.terminal)
                             .where(print_jobs.c.id == job_id).with_for_update()).first()
            if row is None:
                return None
            current, holder = row
            if current == state and holder == terminal:
                pass
            elif state in TRANSITIONS[current]:
                db.execute(sa.update(print_jobs).where(print_jobs.c.id == job_id)
                           .values(state=state, terminal=terminal))
            else:
                raise TransitionRefused(f"print job {job_id} is {current}; it cannot become {state}")
        return self.print_job(job_id)
