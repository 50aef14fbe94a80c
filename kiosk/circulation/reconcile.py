"""Settling the loans and returns whose outcome nobody knows (invariant 1: nothing is lost).

A checkout or checkin row stays ``pending`` when the kiosk was killed between writing it and
marking it, and becomes ``in_doubt`` when the request went out and no usable answer came back. For
each, the LMS is asked what became of the item (item information), and the tag is made to agree:

* the LMS applied it, and the item's tags lie on the pad: their security is written (unsecured for
  a loan, secured for a return) and the row is done;
* the LMS did not apply it: nothing happened, the tag was never changed (the LMS is asked before
  the tag is touched), and the row has failed; tags on the pad are set back to match;
* the LMS applied it and the tags are not on the pad: it goes to staff (``needs_attention``), for a
  return the most urgent case of all: an item back on the shelf with an unsecured tag.

When the LMS does not answer, or the pad cannot be read (still opening after a restart, unplugged),
the row waits for the next pass, which comes after :data:`RETRY_S` while rows wait.
:meth:`Reconciler.settle` blocks: run it on a worker, at start (every row written before the process
started) and periodically (rows older than ``stale_after_s``, well past any request still under way).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.circulation.results import JournalOutcome
from kiosk.domain.errors import DeviceError, LmsError
from kiosk.domain.events import Core, Tick
from kiosk.domain.model import SecurityState
from kiosk.domain.ports import Clock, ItemReader, LibrarySystem
from kiosk.store import Journal, JournalEntry, JournalState

log = logging.getLogger(__name__)

KINDS = ("checkout", "checkin")
STALE_AFTER_S = 180.0  # longer than any LMS request with its retries: a row this old is not under way
RETRY_S = 5.0  # the next pass, while rows wait for the LMS or the pad


@dataclass(frozen=True)
class Settled:
    done: int = 0  # the LMS applied it and the tags now agree
    failed: int = 0  # the LMS did not apply it
    to_staff: int = 0  # applied, but the tags could not be set: in the staff report
    waiting: int = 0  # the LMS did not answer: the next pass tries again


class Reconciler:
    def __init__(self, journal: Journal, lms: LibrarySystem, pad: ItemReader | None, clock: Clock, *,
                 started_at: dt.datetime, stale_after_s: float = STALE_AFTER_S) -> None:
        self._journal, self._lms, self._pad = journal, lms, pad
        self._now, self._monotonic = clock.now, clock.monotonic
        self._started_at = started_at
        self._stale_after = dt.timedelta(seconds=stale_after_s)

    def in_doubt(self) -> list[JournalEntry]:
        """The rows to settle now: ``in_doubt`` ones, and ``pending`` ones from before this process
        started or older than the staleness limit."""
        limit = max(self._started_at, self._now() - self._stale_after)
        rows = self._journal.in_states((JournalState.PENDING, JournalState.IN_DOUBT), kinds=KINDS, limit=500)
        return [row for row in rows if row.state == JournalState.IN_DOUBT or _utc(row.created_at) < limit]

    def attach(self, core: Core, every_s: float = STALE_AFTER_S) -> None:
        """Settle once as soon as the core runs, then every ``every_s``, one pass at a time, on the
        core's workers."""
        state = {"next": 0.0, "running": False}

        def done(result: object, error: BaseException | None) -> None:
            state["running"] = False
            if error is not None:
                log.error("settling transactions in doubt failed: %s", error)
            elif isinstance(result, Settled) and result.waiting:
                state["next"] = min(state["next"], self._monotonic() + RETRY_S)

        def tick(_event: Tick) -> None:
            now = self._monotonic()
            if not state["running"] and now >= state["next"]:
                state["running"], state["next"] = True, now + every_s
                core.run_in_worker(self.settle, done)

        core.on(Tick, tick)

    def settle(self) -> Settled:
        counts = {"done": 0, "failed": 0, "to_staff": 0, "waiting": 0}
        for row in self.in_doubt():
            counts[self._settle(row)] += 1
        settled = Settled(**counts)
        if settled != Settled():
            log.info("transactions in doubt settled: %d done, %d not applied, %d to staff, %d waiting",
                     settled.done, settled.failed, settled.to_staff, settled.waiting)
        return settled

    def _settle(self, row: JournalEntry) -> str:
        item_id = str(row.payload.get("item", ""))
        uids = [str(uid) for uid in row.payload.get("uids", [])]
        try:
            charged = self._lms.item_info(item_id).circulation_status == "charged"
        except LmsError as exc:
            log.info("row %s: the LMS does not answer yet (%s)", row.id, exc)
            return "waiting"
        lending = row.kind == "checkout"
        applied = charged if lending else not charged
        # What the tag must say if the LMS is right: unsecured while the item is on loan.
        wanted = SecurityState.UNSECURED if charged else SecurityState.SECURED
        try:
            tags_agree = self._set(uids, wanted)
        except DeviceError as exc:  # not "the tags are not there": nobody knows yet
            log.info("row %s: the pad cannot be read yet (%s)", row.id, exc)
            return "waiting"
        if not applied:
            self._journal.mark(row.id, JournalState.FAILED, error="settled: the LMS did not apply it")
            return "failed"
        if tags_agree:
            self._journal.mark(row.id, JournalState.DONE, error="settled: applied by the LMS, tags set")
            return "done"
        why = ("lent by the LMS, the tag may still be secured" if lending
               else "returned in the LMS, the tag may still be UNSECURED: check it before it is shelved")
        self._journal.mark(row.id, JournalOutcome.NEEDS_ATTENTION, error=f"settled: {why}")
        log.error("row %s needs staff: %s", row.id, why)
        return "to_staff"

    def _set(self, uids: Sequence[str], state: SecurityState) -> bool:
        """Set the tags that lie on the pad; True only when every one of the item's tags is there
        and reads ``state``. :class:`DeviceError` when the pad cannot be asked."""
        if self._pad is None or not uids:
            return False
        lying = {tag.uid for tag in self._pad.inventory()}
        if not set(uids) <= lying:
            return False
        return all(self._pad.write_security(uid, state) is state for uid in uids)


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
