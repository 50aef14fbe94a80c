"""What handling one item comes to: the outcome the patron sees, the journal's words for it, and the
port through which the offline desk lends while the LMS is unreachable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from kiosk.domain.model import Patron, SecurityState, Tag
from kiosk.store import JournalEntry

SetSecurity = Callable[[Sequence[str], SecurityState], bool]
"""Writes the security of these tags; True when every one of them reads back as written."""


class Outcome(StrEnum):
    CHECKING = "checking"  # being handled now
    BORROWED = "borrowed"
    RETURNED = "returned"
    REFUSED = "refused"  # the LMS said no; its message says why
    FEE_REQUIRED = "fee_required"  # the LMS wants the patron to accept a fee first
    FEE_DECLINED = "fee_declined"  # the patron said no to the fee: not lent
    INCOMPLETE_SET = "incomplete_set"  # not all parts of a set lie on the pad
    SECURITY_FAILED = "security_failed"  # the tag could not be changed; the loan was undone
    UNREADABLE = "unreadable"  # the tag's data could not be read
    LMS_UNAVAILABLE = "lms_unavailable"
    NEEDS_STAFF = "needs_staff"  # something half-done that staff must look at (in the journal)
    NOT_SAVED = "not_saved"  # the journal could not be written (disk full): nothing was done
    OFFLINE_REFUSED = "offline_refused"  # not while offline (limit, category): code in lms_messages


class Routing(StrEnum):
    """Where a returned item goes, from the checkin reply."""

    SHELF = "shelf"
    HOLD_SHELF = "hold_shelf"
    TRANSIT = "transit"
    SORT_BIN = "sort_bin"


class JournalOutcome:
    COMPENSATED = "compensated"
    NEEDS_ATTENTION = "needs_attention"


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item (all its tags), for the screen and the receipt."""

    item_id: str
    outcome: Outcome
    title: str = ""
    due_date: dt.datetime | None = None
    due_date_text: str = ""
    lms_messages: tuple[str, ...] = ()
    parts_present: int = 1
    parts_in_set: int = 1
    routing: Routing | None = None
    sort_bin: str = ""
    fee_amount: Decimal | None = None
    other_library: bool = False
    offline: bool = False  # done while the LMS was unreachable; it learns of it when it is back
    uids: tuple[str, ...] = field(default=(), repr=False)
    author: str = ""


def group_by_item(tags: Iterable[Tag]) -> dict[str, list[Tag]]:
    """The tags on the pad, one entry per item (a set's parts share the item id)."""
    items: dict[str, list[Tag]] = {}
    for tag in tags:
        items.setdefault(tag.item_id, []).append(tag)
    return items


class OfflineLending(Protocol):
    """Lends and takes back while the LMS is unreachable (:class:`kiosk.offline.desk.OfflineDesk`).
    ``in_doubt``: the journal row of an online request that went out as the line broke."""

    @property
    def online(self) -> bool: ...

    def checkout(self, patron_id: str, patron: Patron | None, base: ItemResult, set_security: SetSecurity,
                 *, in_doubt: JournalEntry | None = None) -> ItemResult: ...

    def checkin(self, base: ItemResult, set_security: SetSecurity, *, in_doubt: JournalEntry | None = None
                ) -> ItemResult: ...
