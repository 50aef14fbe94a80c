"""Replaying offline loans and returns to the LMS once it answers again (DESIGN.md §4, invariant 1).

Rows go in the order they were written, each with SIP2 no-block and its original dates. Before a
row is sent it is marked ``replaying`` (a batch of them in one write); a row found in that state
(the kiosk died, or the line broke, while it was out) or marked in doubt is first looked up in the
LMS (item information), and only sent if the LMS has not done it already. So a kill at any point
loses nothing and doubles nothing. A refusal goes to the staff report (state ``replay_rejected``,
the LMS's words as the error); a replay is never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from kiosk.domain.errors import LmsProtocolError, StoreError
from kiosk.domain.ports import LibrarySystem
from kiosk.offline.sealing import Sealer
from kiosk.store import Journal, JournalEntry, JournalState
from kiosk.store.journal import Change

log = logging.getLogger(__name__)

WAITING = (JournalState.OFFLINE, JournalState.REPLAYING)
MAX_ATTEMPTS = 5  # a row the LMS keeps answering with garbage goes to staff instead of blocking the rest
BATCH = 100  # rows marked "replaying" in one write


@dataclass(frozen=True)
class ReplayRecord:
    """One row of the staff report: what was done offline and what the LMS said to it."""

    id: str
    kind: str
    item: str
    patron: str  # the pseudonymous token, never the identifier
    at: str
    state: str
    error: str


class Replayer:
    """Replays in batches of up to :data:`BATCH` rows: one durable write marks the whole batch
    ``replaying`` before the first is sent, one more records their outcomes after the last (or when
    the LMS goes away mid-batch), so the bookkeeping costs two writes per batch, not two per row.
    A row left ``replaying`` by a crash is looked up before it is sent again; a row's attempts are
    the times it was sent."""

    def __init__(self, journal: Journal, lms: LibrarySystem, sealer: Sealer) -> None:
        self._journal, self._lms, self._sealer = journal, lms, sealer

    def waiting(self) -> bool:
        return bool(self._journal.in_states(WAITING, kinds=("checkout", "checkin"), limit=1))

    def replay(self) -> bool:
        """Replay every waiting row; True when none is left. An unreachable LMS stops it (raises)."""
        replayed = rejected = 0
        while rows := self._journal.in_states(WAITING, kinds=("checkout", "checkin"), limit=BATCH):
            for change in self._batch(rows):
                if change.state == JournalState.DONE:
                    replayed += 1
                else:
                    rejected += 1
        if replayed or rejected:
            log.info("offline replay: %d accepted, %d rejected (staff report)", replayed, rejected)
        return True

    def _batch(self, rows: list[JournalEntry]) -> list[Change]:
        """Mark the rows ``replaying`` (one durable write), then in their order: look up those that
        may have reached the LMS before (every earlier row has been sent by then, so the item's state
        in the LMS says what became of this one) and send the rest; their outcomes in one write."""
        finished: list[Change] = []
        fresh = [row for row in rows if row.state != JournalState.REPLAYING and row.attempts < MAX_ATTEMPTS]
        if fresh:
            self._journal.mark_all([Change(row.id, JournalState.REPLAYING, attempt=False) for row in fresh])
        try:
            for row in rows:
                if row.attempts >= MAX_ATTEMPTS:
                    finished.append(self._finish(row, JournalState.REPLAY_REJECTED,
                                                 f"gave up after {row.attempts} attempts"))
                    continue
                settled = self._settled_already(row)
                if settled is not None:
                    finished.append(settled)
                    continue
                try:
                    finished.append(self._one(row))
                except LmsProtocolError as exc:  # an attempt all the same: five of them go to staff
                    finished.append(Change(row.id, JournalState.REPLAYING, f"answer not understood: {exc}"))
                    raise
        finally:
            if finished:
                self._journal.mark_all(finished)
                for change in finished:
                    if change.state == JournalState.REPLAY_REJECTED:
                        log.warning("offline replay rejected: %s", change.error)
        return [change for change in finished if change.state != JournalState.REPLAYING]

    def _settled_already(self, row: JournalEntry) -> Change | None:
        """For a row that may have reached the LMS before (``replaying``, or in doubt): its outcome
        when the LMS has it already (or there is nothing to undo), else None (it is to be sent)."""
        payload = row.payload
        if row.state != JournalState.REPLAYING and not payload.get("in_doubt"):
            return None
        charged = self._lms.item_info(str(payload.get("item", ""))).circulation_status == "charged"
        if charged == (row.kind == "checkout"):
            return self._finish(row, JournalState.DONE, "already done in the LMS")
        if payload.get("undo"):  # an undo for a loan the LMS never made: nothing to undo
            return self._finish(row, JournalState.DONE, "nothing to undo")
        return None

    def _one(self, row: JournalEntry) -> Change:
        try:
            ok, messages = self._send(row)
        except LmsProtocolError as exc:
            log.warning("replay of a %s: the LMS's answer was not understood: %s", row.kind, exc)
            raise
        except StoreError as exc:  # the seal cannot be opened: staff must do it by hand
            return self._finish(row, JournalState.REPLAY_REJECTED, str(exc))
        if ok:
            return self._finish(row, JournalState.DONE, None)
        return self._finish(row, JournalState.REPLAY_REJECTED, "; ".join(messages) or "refused by the LMS")

    def _send(self, row: JournalEntry) -> tuple[bool, tuple[str, ...]]:
        payload = row.payload
        item_id, at = str(payload["item"]), _when(payload.get("at"))
        if row.kind == "checkout":
            patron_id = self._sealer.unseal(str(payload["patron_sealed"]))
            result = self._lms.checkout(patron_id, item_id, no_block=True, transaction_date=at,
                                        due_date=_when(payload.get("due")))
            return result.ok, result.screen_messages
        if payload.get("undo"):
            undone = self._lms.checkin(item_id, cancel=True)
            return undone.ok, undone.screen_messages
        returned = self._lms.checkin(item_id, no_block=True, transaction_date=at, return_date=at)
        return returned.ok, returned.screen_messages

    @staticmethod
    def _finish(row: JournalEntry, state: str, error: str | None) -> Change:
        payload: dict[str, Any] = dict(row.payload)
        if state == JournalState.DONE:
            payload.pop("patron_sealed", None)  # the LMS has it now: the kiosk need not keep it
        payload["replayed"] = True
        return Change(row.id, state, error, payload)


def records(journal: Journal, states: tuple[str, ...], limit: int = 1000) -> list[ReplayRecord]:
    """The loans and returns in ``states``, oldest first, as staff see them."""
    return [record for record, _created in records_with_time(journal, states, limit)]


def records_with_time(journal: Journal, states: tuple[str, ...], limit: int = 1000
                      ) -> list[tuple[ReplayRecord, dt.datetime]]:
    """:func:`records`, each with when its row was written (UTC)."""
    return [(ReplayRecord(r.id, r.kind, str(r.payload.get("item", "")), str(r.payload.get("patron", "")),
                          str(r.payload.get("at", "")), r.state, r.last_error or ""),
             r.created_at.replace(tzinfo=dt.UTC) if r.created_at.tzinfo is None else r.created_at)
            for r in journal.in_states(states, kinds=("checkout", "checkin"), limit=limit)]


def staff_report(journal: Journal, limit: int = 1000) -> tuple[list[ReplayRecord], list[ReplayRecord]]:
    """(rejected replays, rows still waiting), oldest first."""
    return records(journal, (JournalState.REPLAY_REJECTED,), limit), records(journal, WAITING, limit)


def _when(text: object) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None

