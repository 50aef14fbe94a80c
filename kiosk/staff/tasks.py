"""The transactions that need staff, as staff mode lists them, and what staff may do with each.

The same rows as ``library-kiosk staff-report``: offline loans and returns the LMS refused on replay,
transactions where a tag and the LMS disagree (needs attention), and those in doubt (the LMS gave no
usable answer). Staff resolve one as *done* (put right by hand: at the LMS, at the shelf), *retry*
(a refused replay goes back to the replay queue) or *clear* (nothing to do). The resolution is a
durable change of the row's state in the journal; the row itself is never deleted."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from kiosk.circulation.results import JournalOutcome
from kiosk.offline.replay import MAX_ATTEMPTS
from kiosk.staff.view import Resolution, TaskRow
from kiosk.store import Journal, JournalState

TASK_STATES = (JournalState.REPLAY_REJECTED, JournalOutcome.NEEDS_ATTENTION, JournalState.IN_DOUBT)
RESOLUTIONS = {JournalState.REPLAY_REJECTED: (Resolution.RETRY, Resolution.DONE, Resolution.CLEAR),
               JournalOutcome.NEEDS_ATTENTION: (Resolution.DONE, Resolution.CLEAR),
               JournalState.IN_DOUBT: (Resolution.DONE, Resolution.CLEAR)}
NEW_STATE = {Resolution.DONE: JournalState.RESOLVED, Resolution.CLEAR: JournalState.CLEARED,
             Resolution.RETRY: JournalState.OFFLINE}
MAX_TASKS = 200  # shown on the screen; the staff report has them all


def open_tasks(journal: Journal, zone: zoneinfo.ZoneInfo) -> tuple[TaskRow, ...]:
    """The rows that need staff now, oldest first, with the local time each was written."""
    return tuple(TaskRow(row.id, row.kind, row.state, str(row.payload.get("item", "")),
                         f"{_utc(row.created_at).astimezone(zone):%Y-%m-%d %H:%M}", row.last_error or "",
                         _resolutions(row.state, row.attempts))
                 for row in journal.in_states(TASK_STATES, kinds=("checkout", "checkin"), limit=MAX_TASKS))


def _resolutions(state: str, attempts: int) -> tuple[Resolution, ...]:
    """What staff may do with a row: no retry of one the replay gave up on (it would give up again)."""
    return tuple(r for r in RESOLUTIONS.get(state, ())
                 if r is not Resolution.RETRY or attempts < MAX_ATTEMPTS)


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


def resolve(journal: Journal, entry_id: str, resolution: Resolution, *, by: str) -> str | None:
    """Resolve one row; its new state, or None when it no longer needs staff (settled meanwhile) or
    the resolution is not one its state allows. ``by``: the staff card's token, kept with the row."""
    entry = journal.get(entry_id)
    if entry is None or entry.state not in TASK_STATES or resolution not in _resolutions(entry.state,
                                                                                          entry.attempts):
        return None
    state = NEW_STATE[resolution]
    payload = {**entry.payload, "resolved_by": by, "resolution": resolution.value,
               "resolved_from": entry.state, "resolved_at": dt.datetime.now(dt.UTC).isoformat()}
    journal.mark(entry_id, state, error=entry.last_error, payload=payload)
    return state
