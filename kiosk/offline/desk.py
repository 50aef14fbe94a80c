"""Lending and taking back while the LMS is unreachable: journal first (state ``offline``), then
the tag, within the configured limits. :mod:`kiosk.offline.replay` tells the LMS later.

An item whose online request went out just as the line broke is "in doubt": the LMS may have
done it. Its journal row becomes the offline row (same place in the order), marked in doubt, and
the replay asks the LMS about the item before sending anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.circulation.results import ItemResult, JournalOutcome, Outcome, SetSecurity
from kiosk.domain.model import Patron, SecurityState
from kiosk.offline.mode import LmsMode
from kiosk.offline.sealing import Sealer, offline_due_date, refusal
from kiosk.settings import OfflineSettings
from kiosk.store import Journal, JournalEntry, JournalState

log = logging.getLogger(__name__)


WAITING = (JournalState.OFFLINE, JournalState.REPLAYING)


class OfflineDesk:
    def __init__(self, journal: Journal, mode: LmsMode, settings: OfflineSettings, sealer: Sealer, *,
                 terminal_id: str, pseudonym: Callable[[str], str], now: Callable[[], dt.datetime]) -> None:
        self._journal, self._mode, self.settings, self._sealer = journal, mode, settings, sealer
        self._terminal, self._pseudonym, self._now = terminal_id, pseudonym, now

    @property
    def online(self) -> bool:
        return self._mode.online

    def checkout(self, patron_id: str, patron: Patron | None, base: ItemResult, set_security: SetSecurity,
                 *, in_doubt: JournalEntry | None = None) -> ItemResult:
        token = self._pseudonym(patron_id)
        already = self._journal.count_for_patron("checkout", WAITING, token)
        refused = refusal(self.settings, patron, already)
        if refused is not None:
            if in_doubt is not None:
                self._journal.mark(in_doubt.id, JournalState.FAILED, error=f"lms unreachable; {refused}")
                self._undo(base, in_doubt)
            log.info("offline loan refused (%s)", refused)
            return replace(base, outcome=Outcome.OFFLINE_REFUSED, lms_messages=(refused,))
        now = self._now()
        due = offline_due_date(self.settings, now)
        payload: dict[str, Any] = {
            "terminal": self._terminal, "patron": token, "patron_sealed": self._sealer.seal(patron_id),
            "item": base.item_id, "uids": list(base.uids), "at": now.isoformat(), "due": due.isoformat(),
            "offline": True, "in_doubt": in_doubt is not None,
        }
        entry = self._write("checkout", payload, in_doubt)
        if set_security(base.uids, SecurityState.UNSECURED):
            log.info("offline loan journaled")
            return replace(base, outcome=Outcome.BORROWED, due_date=due, offline=True)
        self._journal.mark(entry.id, JournalOutcome.COMPENSATED, error="security write failed",
                           payload=_without_seal(payload))
        if in_doubt is not None:
            self._undo(base, in_doubt)
        return replace(base, outcome=Outcome.SECURITY_FAILED)

    def checkin(self, base: ItemResult, set_security: SetSecurity, *, in_doubt: JournalEntry | None = None
                ) -> ItemResult:
        if not self.settings.returns:
            if in_doubt is not None:
                self._journal.mark(in_doubt.id, JournalOutcome.NEEDS_ATTENTION,
                                   error="lms unreachable during a return; offline returns are off")
            return replace(base, outcome=Outcome.LMS_UNAVAILABLE)
        payload = {"terminal": self._terminal, "item": base.item_id, "uids": list(base.uids),
                   "at": self._now().isoformat(), "offline": True, "in_doubt": in_doubt is not None}
        entry = self._write("checkin", payload, in_doubt)
        if set_security(base.uids, SecurityState.SECURED):
            return replace(base, outcome=Outcome.RETURNED, offline=True)
        # Returned (it will be replayed) but the tag is still unsecured: staff must look at it.
        self._journal.mark(entry.id, JournalState.OFFLINE, error="returned offline, tag not secured")
        return replace(base, outcome=Outcome.NEEDS_STAFF, offline=True)

    def _write(self, kind: str, payload: dict[str, Any], in_doubt: JournalEntry | None) -> JournalEntry:
        if in_doubt is None:
            return self._journal.append(kind, payload, state=JournalState.OFFLINE)
        return self._journal.mark(in_doubt.id, JournalState.OFFLINE, payload={**in_doubt.payload, **payload})

    def _undo(self, base: ItemResult, in_doubt: JournalEntry) -> None:
        """The LMS may have lent the item though it stays here: replay a cancel, if it did."""
        self._journal.append("checkin", {
            "terminal": self._terminal, "item": base.item_id, "uids": list(base.uids),
            "at": self._now().isoformat(), "offline": True, "in_doubt": True, "undo": in_doubt.id,
        }, state=JournalState.OFFLINE)


def _without_seal(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != "patron_sealed"}
