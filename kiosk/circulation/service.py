"""Circulation at the pad: lending and taking back the items that lie on it (DESIGN.md §4).

For each item, in this order, so that nothing is lost whatever fails (invariant 1):

1. a journal row is written (pending) before anything else;
2. the LMS is asked (SIP2 11 or 09);
3. only then is each of the item's tags' security written, and read back;
4. the journal row is marked with the outcome.

If a tag's security cannot be written after a checkout, the checkout is undone in the LMS (a
checkin with cancel) and the patron is told to leave the item. A set is lent only when all its
parts lie on the pad. Every refusal carries the LMS's own words.

The methods block (LMS, pad): the session calls them from a worker, never from the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from kiosk.circulation.results import (
    ItemResult,
    JournalOutcome,
    OfflineLending,
    Outcome,
    Routing,
)
from kiosk.domain.errors import DeviceError, LmsError, LmsOutcomeUnknown, LmsUnavailable, StoreError
from kiosk.domain.model import CheckinResult, Patron, SecurityState, Tag
from kiosk.domain.ports import ItemReader, LibrarySystem
from kiosk.store import Journal, JournalState
from kiosk.store.journal import Change

log = logging.getLogger(__name__)


class CirculationService:
    def __init__(
        self,
        lms: LibrarySystem,
        pad: ItemReader,
        journal: Journal,
        *,
        terminal_id: str,
        institution: str = "",
        pseudonym: Callable[[str], str],
        now: Callable[[], dt.datetime],
        offline: OfflineLending | None = None,
    ) -> None:
        self._lms = lms
        self._pad = pad
        self._journal = journal
        self._terminal = terminal_id
        self._institution = institution
        self._pseudonym = pseudonym
        self._now = now
        self._offline = offline

    # -- lending ----------------------------------------------------------------------------------
    def checkout(self, patron_id: str, tags: Sequence[Tag], *, pin: str | None = None,
                 fee_acknowledged: bool = False, patron: Patron | None = None) -> ItemResult:
        """Lend the item whose tags these are (all of one item id) to the patron (``patron``: what
        is known of them, for the offline limits)."""
        try:
            return self._checkout(patron_id, tags, pin, fee_acknowledged, patron)
        except StoreError as exc:  # the row could not be written: neither LMS nor tag was touched
            log.error("not lent: %s", exc)
            return ItemResult(tags[0].item_id, Outcome.NOT_SAVED, uids=tuple(t.uid for t in tags))

    def _checkout(self, patron_id: str, tags: Sequence[Tag], pin: str | None, fee_acknowledged: bool,
                  patron: Patron | None) -> ItemResult:
        base, not_ready = self._prepare(tags)
        if not_ready is not None:
            return not_ready
        item_id, uids = base.item_id, base.uids
        offline = self._offline
        if offline is not None and not offline.online:
            return offline.checkout(patron_id, patron, base, self._set_security)
        entry = self._journal.append("checkout", {
            "terminal": self._terminal, "patron": self._pseudonym(patron_id), "item": item_id,
            "uids": list(uids), "at": self._now().isoformat(), "fee_acknowledged": fee_acknowledged,
        })
        try:
            result = self._lms.checkout(patron_id, item_id, pin=pin, fee_acknowledged=fee_acknowledged)
        except LmsError as exc:
            if offline is not None and isinstance(exc, LmsUnavailable):
                # Gone in the middle of the stack: this item, and the rest, offline. The LMS may have
                # lent it before the line broke: the replay asks it first ("in doubt").
                return offline.checkout(patron_id, patron, base, self._set_security, in_doubt=entry)
            return self._failed(entry.id, base, exc)
        messages = result.screen_messages
        if not result.ok:
            self._note(entry.id, JournalState.FAILED, error="refused")
            outcome = Outcome.FEE_REQUIRED if result.fee_acknowledgement_required else Outcome.REFUSED
            return _replace(base, outcome=outcome, title=result.title, author=result.author,
                            lms_messages=messages, fee_amount=result.fee_amount)
        borrowed = _replace(base, outcome=Outcome.BORROWED, title=result.title, author=result.author,
                            due_date=result.due_date,
                            due_date_text=result.due_date_text, lms_messages=messages,
                            fee_amount=result.fee_amount)
        # desensitize N: the LMS lends it but wants it kept secured (e.g. to be fetched at the desk).
        if result.desensitize is False or self._set_security(uids, SecurityState.UNSECURED):
            self._note(entry.id, JournalState.DONE)
            return borrowed
        return self._undo_checkout(entry.id, base, item_id, result.title)

    def _undo_checkout(self, entry_id: str, base: ItemResult, item_id: str, title: str) -> ItemResult:
        """The tag would not change: cancel the loan so LMS and tag agree again."""
        try:
            undone = self._lms.checkin(item_id, cancel=True)
        except LmsError as exc:
            undone = CheckinResult(False, item_id, screen_messages=(str(exc),))
        if undone.ok:
            self._note(entry_id, JournalOutcome.COMPENSATED, error="security write failed")
            log.warning("checkout undone: the tag's security could not be changed")
            return _replace(base, outcome=Outcome.SECURITY_FAILED, title=title)
        self._note(entry_id, JournalOutcome.NEEDS_ATTENTION,
                           error="security write failed and the loan could not be undone")
        log.error("checkout needs staff: tag still secured, loan could not be undone")
        return _replace(base, outcome=Outcome.NEEDS_STAFF, title=title)

    # -- returning --------------------------------------------------------------------------------
    def checkin(self, tags: Sequence[Tag]) -> ItemResult:
        """Take the item back and secure its tags; say where it goes next."""
        try:
            return self._checkin(tags)
        except StoreError as exc:
            log.error("not taken back: %s", exc)
            return ItemResult(tags[0].item_id, Outcome.NOT_SAVED, uids=tuple(t.uid for t in tags))

    def _checkin(self, tags: Sequence[Tag]) -> ItemResult:
        base, not_ready = self._prepare(tags)
        if not_ready is not None:
            return not_ready
        item_id, uids = base.item_id, base.uids
        offline = self._offline
        if offline is not None and not offline.online:
            return offline.checkin(base, self._set_security)
        entry = self._journal.append("checkin", {
            "terminal": self._terminal, "item": item_id, "uids": list(uids),
            "at": self._now().isoformat(),
        })
        try:
            result = self._lms.checkin(item_id)
        except LmsError as exc:
            if offline is not None and isinstance(exc, LmsUnavailable):
                return offline.checkin(base, self._set_security, in_doubt=entry)
            return self._failed(entry.id, base, exc)
        if not result.ok:
            self._note(entry.id, JournalState.FAILED, error="refused")
            return _replace(base, outcome=Outcome.REFUSED, title=result.title, author=result.author,
                            lms_messages=result.screen_messages)
        routing = _routing(result)
        returned = _replace(base, outcome=Outcome.RETURNED, title=result.title, author=result.author,
                            routing=routing,
                            sort_bin=result.sort_bin, lms_messages=result.screen_messages)
        if result.resensitize is False or self._set_security(uids, SecurityState.SECURED):
            self._note(entry.id, JournalState.DONE)
            return returned
        # Returned in the LMS but the tag stays unsecured: keep the return (the patron has done
        # their part) and tell staff, rather than lending the item back to them.
        self._note(entry.id, JournalOutcome.NEEDS_ATTENTION, error="returned, tag not secured")
        log.error("checkin needs staff: returned, but the tag could not be secured")
        return _replace(returned, outcome=Outcome.NEEDS_STAFF)

    # -- helpers ----------------------------------------------------------------------------------
    def _failed(self, entry_id: str, base: ItemResult, error: LmsError) -> ItemResult:
        """The LMS gave no answer. Not done when the request never went out; when it did, in doubt:
        the tag is left as it is, the patron asked to leave the item, and the reconciler (or staff)
        settles what the LMS made of it."""
        if isinstance(error, LmsOutcomeUnknown):
            self._note(entry_id, JournalState.IN_DOUBT, error=f"lms: {error}")
            log.error("outcome unknown, left for reconciliation: %s", error)
            return _replace(base, outcome=Outcome.NEEDS_STAFF)
        self._note(entry_id, JournalState.FAILED, error=f"lms: {error}")
        return _replace(base, outcome=Outcome.LMS_UNAVAILABLE)

    def _note(self, entry_id: str, state: str, *, error: str | None = None) -> None:
        """Mark a row after the fact; the LMS and the tag already agree, so a failed write (a full
        disk) is logged and the row stays as it was, for the staff report, rather than undone.

        Not waited for on the disk (one durable write per loan: the row written before): a crash of
        the kiosk keeps it; a power cut may lose it, and then the row is still pending after the
        restart and the reconciler settles it from the LMS and the pad as after any crash."""
        try:
            self._journal.mark_all([Change(entry_id, state, error)], durable=False)
        except StoreError as exc:
            log.error("journal row not updated: %s", exc)

    def _prepare(self, tags: Sequence[Tag]) -> tuple[ItemResult, ItemResult | None]:
        """The item's row so far, and the answer already when it cannot be handled (unreadable tag,
        parts of a set missing): then nothing is journaled and the LMS is not asked."""
        base = self._base(tags)
        if not base.item_id:
            return base, ItemResult("", Outcome.UNREADABLE, uids=base.uids)
        if base.parts_present < base.parts_in_set:
            return base, _replace(base, outcome=Outcome.INCOMPLETE_SET)
        return base, None

    def _base(self, tags: Sequence[Tag]) -> ItemResult:
        first = tags[0]
        owner = first.owner_library
        return ItemResult(
            item_id=first.item_id,
            outcome=Outcome.REFUSED,
            parts_present=len({t.part_number for t in tags}),
            parts_in_set=max(t.parts_in_set for t in tags),
            other_library=bool(owner and self._institution and owner != self._institution),
            uids=tuple(t.uid for t in tags),
        )

    def _set_security(self, uids: Sequence[str], state: SecurityState) -> bool:
        """Write and read back every tag; True only when all of them now read ``state``."""
        for uid in uids:
            try:
                if self._pad.write_security(uid, state) is not state:
                    log.warning("security write not confirmed by the tag read-back")
                    return False
            except DeviceError as exc:
                log.warning("security write failed: %s", exc)
                return False
        return True


def _routing(result: CheckinResult) -> Routing:
    if result.hold_patron_present or result.alert_type in ("01", "02"):
        return Routing.HOLD_SHELF
    if result.alert_type == "04" or (result.destination and result.alert and not result.hold_patron_present):
        return Routing.TRANSIT
    if result.sort_bin:
        return Routing.SORT_BIN
    return Routing.SHELF


def _replace(result: ItemResult, **changes: object) -> ItemResult:
    return replace(result, **changes)  # type: ignore[arg-type]
