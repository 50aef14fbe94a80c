"""The LMS port for FBS: the SIP2 adapter, reading FBS's own field conventions.

What FBS does its own way (public sources: Aarhus's bibselv FBS plugin and its recorded replies):

* the title identifier (AJ) is a bibliographic record number; the readable title is the first
  sub-field of the item properties (CH): ``title%author%material type%sub type%classification``;
* the charged, overdue, hold, fine and recall lists (AU, AT, AS, AV, BU, CD) and renewed and
  unrenewed items (BM, BN) are ``%``-separated records with the item id first, then dates (YYYYMMDD),
  titles and authors; a hold names its pick-up branch as ``DK-775100 - <branch>``;
* patron identifiers may carry a prefix (``LN:3210519784``);
* titles and authors may be HTML-entity encoded;
* the permanent location (AQ) is ``branch%department%shelf%...``;
* a patron information with every summary flag set answers all the lists at once.

An entry without sub-fields (an id alone, as other LMSes send) is read as plain SIP2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from decimal import Decimal

from kiosk.domain.model import Account, CheckinResult, Fee, Hold, Loan, RenewAllResult
from sync.sip2.codec import Message, message, parse_due_date
from sync.sip2.library import MAX_PAGES, Sip2Channel, Sip2LibrarySystem, _decimal

log = logging.getLogger(__name__)

_PREFIX = re.compile(r"^[A-Z]{1,5}:")
_AGENCY = re.compile(r"^\s*[A-Z]{2,3}-\d{6}\s+-\s+")
ALL_LISTS = "Y" * 10  # 63's summary: every list in one answer
MAX_ENTRIES = 50 * MAX_PAGES  # of one list, as for paged SIP2


def _text(value: str) -> str:
    return html.unescape(value).strip()


def _parts(entry: str) -> list[str]:
    return entry.split("%")


def _part(parts: list[str], index: int) -> str:
    return parts[index] if index < len(parts) else ""


class FbsLibrarySystem(Sip2LibrarySystem):
    """:class:`Sip2LibrarySystem` over an :class:`~sync.fbs.client.FbsClient`, with FBS's fields.

    ``branch``: this branch as FBS names it first in a permanent location; a return whose permanent
    location names another branch, and for which FBS gives no destination, goes to transit there."""

    def __init__(self, client: Sip2Channel, now: Callable[[], dt.datetime] | None = None,
                 zone: dt.tzinfo | None = None, *, branch: str = "") -> None:
        super().__init__(client, now, zone)
        self._branch = branch.strip()

    def checkin(self, item_id: str, *, location: str = "", no_block: bool = False,
                transaction_date: dt.datetime | None = None, return_date: dt.datetime | None = None,
                cancel: bool = False) -> CheckinResult:
        result = super().checkin(item_id, location=location, no_block=no_block,
                                 transaction_date=transaction_date, return_date=return_date, cancel=cancel)
        home = result.permanent_location
        if (result.ok and self._branch and home and home.casefold() != self._branch.casefold()
                and not result.destination and not result.hold_patron_present):
            return dataclasses.replace(result, destination=home, alert=True)
        return result

    # -- field conventions ------------------------------------------------------------------------
    def _title(self, reply: Message) -> str:
        for properties in reply.getall("CH"):
            parts = _parts(properties)
            if len(parts) > 1 or (parts[0] and "=" not in parts[0]):
                return _text(parts[0])
        return ""  # AJ is a record number: the kiosk shows the item id rather than that

    def _author(self, reply: Message) -> str:
        for properties in reply.getall("CH"):
            parts = _parts(properties)
            if len(parts) > 1:
                return _text(parts[1])
        return ""

    def _patron_id(self, reply: Message) -> str:
        return _PREFIX.sub("", reply.get("AA"))

    def _location(self, reply: Message) -> str:
        return _parts(reply.get("AQ"))[0].strip()

    def _date8(self, text: str) -> dt.datetime | None:
        text = text.strip()
        if len(text) == 8 and text.isascii() and text.isdigit():
            try:
                return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=self._zone)
            except ValueError:
                return None
        return parse_due_date(text, self._zone)

    # -- the account, in one request --------------------------------------------------------------
    def account(self, patron_id: str, pin: str | None) -> Account:
        fields = self._base(("AA", patron_id), ("AC", self.client.account.terminal_password))
        if pin is not None:
            fields.append(("AD", pin))
        reply = self.client.request(message("63", {
            "language": self.client.account.language, "transaction_date": self._date(),
            "summary": ALL_LISTS}, fields))
        patron = self._patron(reply)

        def entries(code: str) -> list[str]:
            return [entry for entry in reply.getall(code) if entry.strip()][:MAX_ENTRIES]

        overdue = {_parts(entry)[0] for entry in entries("AT")}
        loans = [self._loan(entry, overdue) for entry in entries("AU")]
        loans.sort(key=lambda loan: (not loan.overdue, loan.due_date is None,
                                     loan.due_date.timestamp() if loan.due_date else 0.0))
        holds = [self._hold(entry, ready=True) for entry in entries("AS")]
        holds += [self._hold(entry, ready=False) for entry in entries("CD")]
        fees = [self._fbs_fee(entry) for entry in entries("AV")]
        return Account(patron, tuple(loans), tuple(holds), tuple(fees))

    def _loan(self, entry: str, overdue: set[str]) -> Loan:
        """``id%due%title%author%...``"""
        parts = _parts(entry)
        item_id = parts[0].strip()
        if len(parts) == 1:  # an id alone: as plain SIP2
            item = self.item_info(item_id)
            return Loan(item_id, item.title or item_id, item.due_date, item.due_date_text,
                        overdue=item_id in overdue, author=item.author)
        due_text = _part(parts, 1)
        return Loan(item_id, _text(_part(parts, 2)) or item_id, self._date8(due_text), due_text,
                    overdue=item_id in overdue, author=_text(_part(parts, 3)))

    def _hold(self, entry: str, *, ready: bool) -> Hold:
        """Ready: ``record%id%pick-up id%pick-up by%DK-775100 - branch%title%author%...``; waiting:
        ``record%id%interest date%title%author%...``."""
        parts = _parts(entry)
        if len(parts) == 1:
            item_id = parts[0].strip()
            item = self.item_info(item_id)
            return Hold(item_id, item.title or item_id, ready, author=item.author)
        item_id = _part(parts, 1).strip() or parts[0].strip()
        if ready:
            by = self._date8(_part(parts, 3))
            return Hold(item_id, _text(_part(parts, 5)) or item_id, True,
                        pickup_location=_AGENCY.sub("", _part(parts, 4)).strip(),
                        expires=by.date() if by else None, author=_text(_part(parts, 6)))
        return Hold(item_id, _text(_part(parts, 3)) or item_id, False, author=_text(_part(parts, 4)))

    def _fbs_fee(self, entry: str) -> Fee:
        """``item id%fee id%date%amount%title%author%...``"""
        parts = _parts(entry)
        if len(parts) < 4:
            return self._fee(entry)
        amount = _decimal(_part(parts, 3))
        title = _text(_part(parts, 4))
        fee_id = _part(parts, 1).strip() or parts[0].strip()
        return Fee(fee_id, amount if amount is not None else Decimal("0"), description=title)

    def renew_all(self, patron_id: str, *, pin: str | None = None) -> RenewAllResult:
        result = super().renew_all(patron_id, pin=pin)
        return RenewAllResult(tuple(_parts(entry)[0].strip() for entry in result.renewed),
                              tuple(_parts(entry)[0].strip() for entry in result.unrenewed),
                              result.screen_messages)
