"""The LMS port over SIP2: domain calls in, typed results out, the LMS's own messages kept."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Protocol

from kiosk.domain.errors import LmsError, LmsOutcomeUnknown
from kiosk.domain.model import (
    Account,
    AuthOutcome,
    AuthResult,
    CheckinResult,
    CheckoutResult,
    Credential,
    Fee,
    FeePaidResult,
    Hold,
    Item,
    LmsStatus,
    Loan,
    Patron,
    RenewAllResult,
    RenewResult,
)
from kiosk.settings import Sip2Settings
from sync.sip2.codec import BLANK_DATE, Message, format_date, message, parse_due_date, yn
from sync.sip2.errors import Sip2OutcomeUnknown
from sync.sip2.languages import patron_language
from sync.sip2.spec import CIRCULATION_STATUS, PATRON_STATUS, SUMMARY, SUMMARY_FIELD

log = logging.getLogger(__name__)

# Patron status positions that mean "may not use the library now".
BLOCKING = ("charge_privileges_denied", "card_reported_lost")
KNOWN_PATRON_FIELDS = {"AO", "AA", "AE", "BL", "CQ", "BH", "BV", "AF", "AG", "BE", "PB", "PC", "BZ", "CA",
                       "CB", "CC", "AS", "AT", "AU", "AV", "BU", "CD", "BD", "BF"}


MAX_DIGITS = 9  # no fee is a billion kroner or more: a larger "amount" is an LMS's garbage
MAX_PAGES = 100  # of one summary list (loans, holds, fees): 5,000 entries at the default page size


def _decimal(text: str) -> Decimal | None:
    """An amount the LMS sent, or None when it is not one (empty, not a number, NaN, Infinity, a
    billion or more: formatting ``1e999999999`` alone takes 44 s and 2.6 GB)."""
    text = text.strip().replace(",", ".")
    if not text or not text.isascii():
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() >= MAX_DIGITS:  # no arithmetic: 1e999999999 overflows it
        log.warning("the LMS sent an amount that is not one: %r", text[:40])
        return None
    return amount


def _number(text: str) -> int | None:
    """A count the LMS sent in ASCII digits, or None. ``str.isdigit`` alone lets through digits
    ``int`` refuses, such as '²' (cp850 0xFD)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _birth_date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _flag(value: str) -> bool | None:
    value = value.strip().upper()
    return True if value == "Y" else False if value == "N" else None


class Sip2Channel(Protocol):
    """What the adapter needs of its way to the LMS: :class:`Sip2Client` (SIP2 over TCP) or
    :class:`sync.fbs.client.FbsClient` (FBS: SIP2 in XML over HTTPS)."""

    @property
    def account(self) -> Sip2Settings: ...

    @property
    def institution(self) -> str: ...

    @property
    def acs_status(self) -> Message | None: ...

    def connect(self) -> Message: ...

    def disconnect(self) -> None: ...

    def request(self, request: Message) -> Message: ...


class Sip2LibrarySystem:
    """Implements :class:`kiosk.domain.ports.LibrarySystem` over a :class:`Sip2Channel`."""

    def __init__(self, client: Sip2Channel, now: Callable[[], dt.datetime] | None = None,
                 zone: dt.tzinfo | None = None) -> None:
        """``zone``: the branch's time zone, the local time of every date sent and read without a
        zone of its own (SIP2's blank zone), whatever zone this machine is set to."""
        self.client = client
        self._zone = zone
        self._now = now or (lambda: dt.datetime.now(zone) if zone else dt.datetime.now().astimezone())

    # -- helpers ----------------------------------------------------------------------------------
    def _base(self, *fields: tuple[str, str]) -> list[tuple[str, str]]:
        if self.client.acs_status is None and not self.client.account.institution:
            self.client.connect()  # AO must come from the ACS's status
        return [("AO", self.client.institution), *fields]

    def _date(self, when: dt.datetime | None = None) -> str:
        return format_date(when or self._now(), self._zone)

    # What an LMS puts where: the SIP2 fields, unless a dialect (FBS) says otherwise.
    def _title(self, reply: Message) -> str:
        """The item's readable title."""
        return reply.get("AJ")

    def _author(self, reply: Message) -> str:
        """The item's author: SIP2 has no field for it (FBS sends one in CH)."""
        return ""

    def _patron_id(self, reply: Message) -> str:
        return reply.get("AA")

    def _location(self, reply: Message) -> str:
        """The item's permanent location (where a return goes)."""
        return reply.get("AQ")

    # -- status and patrons -----------------------------------------------------------------------
    def status(self) -> LmsStatus:
        reply = self.client.request(message("99", {"status_code": "0", "max_print_width": "080",
                                                   "protocol_version": "2.00"}))
        return LmsStatus(
            online=reply.flag("online_status"),
            checkin_ok=reply.flag("checkin_ok"),
            checkout_ok=reply.flag("checkout_ok"),
            renewal_ok=reply.flag("acs_renewal_policy"),
            offline_ok=reply.flag("offline_ok"),
            institution=reply.get("AO"),
            library_name=reply.get("AM"),
            screen_messages=tuple(reply.getall("AF")),
        )

    def _patron_information(self, patron_id: str, pin: str | None, summary: str = "",
                            start: int | None = None, end: int | None = None) -> Message:
        fields = self._base(("AA", patron_id), ("AC", self.client.account.terminal_password))
        if pin is not None:
            fields.append(("AD", pin))
        if start is not None and end is not None:
            fields += [("BP", str(start)), ("BQ", str(end))]
        flags = "".join("Y" if name == summary else " " for name in SUMMARY).ljust(10)
        return self.client.request(message(
            "63", {"language": self.client.account.language, "transaction_date": self._date(),
                   "summary": flags}, fields))

    def _patron(self, reply: Message) -> Patron:
        status = reply.fixed.get("patron_status", "")
        reasons = tuple(name for name, char in zip(PATRON_STATUS, status, strict=False)
                        if char.upper() == "Y")
        return Patron(
            patron_id=self._patron_id(reply),
            name=reply.get("AE"),
            birth_date=_birth_date(reply.get("PB")),
            category=reply.get("PC"),
            email=reply.get("BE"),
            language=patron_language(reply.fixed.get("language", "")),
            blocked=any(r in BLOCKING for r in reasons),
            block_reasons=reasons,
            fee_total=_decimal(reply.get("BV")) or Decimal("0"),
            currency=reply.get("BH") or "DKK",
            screen_messages=tuple(m for m in reply.getall("AF") if m),
            extra=tuple((c, v) for c, v in reply.fields if c not in KNOWN_PATRON_FIELDS),
        )

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        """Valid only when BL=Y, and with a PIN only when CQ=Y as well (an empty CQ is a no)."""
        reply = self._patron_information(credential.value, pin)
        messages = tuple(m for m in reply.getall("AF") if m)
        if reply.get("BL").upper() != "Y":
            return AuthResult(AuthOutcome.UNKNOWN_PATRON, screen_messages=messages)
        if pin is not None and reply.get("CQ").upper() != "Y":
            return AuthResult(AuthOutcome.WRONG_PIN, screen_messages=messages)
        patron = self._patron(reply)
        outcome = AuthOutcome.BLOCKED if patron.blocked else AuthOutcome.OK
        return AuthResult(outcome, patron, messages)

    def _list(self, patron_id: str, pin: str | None, summary: str, count: int | None) -> list[str]:
        """All entries of one summary list, fetched in pages with BP/BQ. ``count`` is what the
        patron information said (0: none, so nothing is asked; None: not said). An LMS that ignores
        BP/BQ sends the same page again: that ends the list, as do an empty or short page and
        :data:`MAX_PAGES`."""
        if count == 0:
            return []
        code = SUMMARY_FIELD[summary]
        entries: list[str] = []
        page = max(1, self.client.account.page_size)
        start, previous = 1, None
        for _ in range(MAX_PAGES):
            reply = self._patron_information(patron_id, pin, summary, start, start + page - 1)
            sent = reply.getall(code)
            batch = [entry for entry in sent if entry.strip()]  # empty fields are no entries
            if batch == previous:
                log.warning("the LMS sent the same page of %s again (it ignores BP/BQ)", summary)
                return entries
            entries += batch
            if len(sent) < page or not batch or (count is not None and len(entries) >= count):
                return entries
            start, previous = start + page, batch
        log.warning("the %s list stopped after %d pages", summary, MAX_PAGES)
        return entries

    def account(self, patron_id: str, pin: str | None) -> Account:
        """Loans (with titles and due dates from item information), holds and fees."""
        first = self._patron_information(patron_id, pin)
        patron = self._patron(first)

        def count(name: str) -> int | None:
            return _number(first.fixed.get(name, ""))

        charged = self._list(patron_id, pin, "charged_items", count("charged_items_count"))
        overdue = set(self._list(patron_id, pin, "overdue_items", count("overdue_items_count")))
        ready = self._list(patron_id, pin, "hold_items", count("hold_items_count"))
        waiting = self._list(patron_id, pin, "unavailable_holds", count("unavailable_holds_count"))
        fines = self._list(patron_id, pin, "fine_items", count("fine_items_count"))
        loans = []
        for item_id in charged:
            item = self.item_info(item_id)
            loans.append(Loan(item_id, item.title or item_id, item.due_date, item.due_date_text,
                              overdue=item_id in overdue, author=item.author))
        loans.sort(key=lambda loan: (not loan.overdue, loan.due_date is None,
                                     loan.due_date.timestamp() if loan.due_date else 0.0))
        holds = [Hold(i, self.item_info(i).title or i, True) for i in ready]
        holds += [Hold(i, self.item_info(i).title or i, False) for i in waiting]
        fees = [self._fee(text) for text in fines]
        return Account(patron, tuple(loans), tuple(holds), tuple(fees))

    @staticmethod
    def _fee(text: str) -> Fee:
        """AV is free text; "<id> <amount> <description>" is the most common shape."""
        parts = text.split(" ", 2)
        if len(parts) >= 2 and (amount := _decimal(parts[1])) is not None:
            return Fee(parts[0], amount, description=parts[2] if len(parts) == 3 else "")
        return Fee(text, Decimal("0"), description=text)

    # -- circulation ------------------------------------------------------------------------------
    def checkout(
        self,
        patron_id: str,
        item_id: str,
        *,
        pin: str | None = None,
        fee_acknowledged: bool = False,
        no_block: bool = False,
        transaction_date: dt.datetime | None = None,
        due_date: dt.datetime | None = None,
        cancel: bool = False,
    ) -> CheckoutResult:
        fields = self._base(("AA", patron_id), ("AB", item_id),
                            ("AC", self.client.account.terminal_password))
        if pin is not None:
            fields.append(("AD", pin))
        fields.append(("BO", yn(fee_acknowledged)))
        if cancel:
            fields.append(("BI", "Y"))
        request = message("11", {
            "sc_renewal_policy": yn(self.client.account.sc_renewal_policy),
            "no_block": yn(no_block),
            "transaction_date": self._date(transaction_date),
            "nb_due_date": format_date(due_date, self._zone) if (no_block and due_date) else BLANK_DATE,
        }, fields)
        for attempt in range(self.client.account.retries + 1):
            try:
                reply = self.client.request(request)
                break
            except Sip2OutcomeUnknown as exc:
                reconciled = self._reconcile_checkout(item_id, exc)
                if reconciled.ok or attempt == self.client.account.retries:
                    return reconciled
                # It did not take effect, so sending it once more cannot double anything; on a
                # fresh connection, as this one has just proved unreliable.
                self.client.disconnect()
        return self._checkout_result(reply, item_id, fee_acknowledged)

    def _checkout_result(self, reply: Message, item_id: str, fee_acknowledged: bool) -> CheckoutResult:
        due_text = reply.get("AH")
        fee = _decimal(reply.get("BV"))
        ok = reply.flag("ok")
        return CheckoutResult(
            ok=ok,
            item_id=reply.get("AB") or item_id,
            title=self._title(reply),
            author=self._author(reply),
            due_date=parse_due_date(due_text, self._zone),
            due_date_text=due_text,
            renewal=reply.flag("renewal_ok"),
            desensitize=_flag(reply.fixed.get("desensitize", "")),
            fee_amount=fee,
            fee_type=reply.get("BT"),
            fee_acknowledgement_required=(not ok and fee is not None and fee > 0 and not fee_acknowledged),
            transaction_id=reply.get("BK"),
            screen_messages=tuple(m for m in reply.getall("AF") if m),
        )

    def _reconcile_checkout(self, item_id: str, lost: Sip2OutcomeUnknown) -> CheckoutResult:
        """The connection broke after an 11 went out: ask the LMS what became of the item.

        A checkout (or a cancelled checkin) took effect exactly when the item is now on loan.
        """
        item = self._after(item_id, "checkout", lost)
        applied = item.circulation_status == "charged"
        log.warning("checkout outcome reconciled by item information: %s",
                    "applied" if applied else "not applied")
        return CheckoutResult(ok=applied, item_id=item_id, title=item.title, due_date=item.due_date,
                              due_date_text=item.due_date_text, desensitize=applied)

    def _after(self, item_id: str, what: str, lost: Sip2OutcomeUnknown) -> Item:
        """The item as the LMS has it now, to learn whether a request whose answer was lost was
        applied; :class:`LmsOutcomeUnknown` when even that question gets no answer."""
        try:
            return self.item_info(item_id)
        except LmsError as exc:
            raise LmsOutcomeUnknown(f"{what} of {item_id}: {lost}; and what became of it could not be "
                                    f"asked: {exc}") from exc

    def checkin(
        self,
        item_id: str,
        *,
        location: str = "",
        no_block: bool = False,
        transaction_date: dt.datetime | None = None,
        return_date: dt.datetime | None = None,
        cancel: bool = False,
    ) -> CheckinResult:
        account = self.client.account
        fields = [("AP", location or account.location), *self._base(("AB", item_id)),
                  ("AC", account.terminal_password)]
        if cancel:
            fields.append(("BI", "Y"))
        request = message("09", {
            "no_block": yn(no_block),
            "transaction_date": self._date(transaction_date),
            "return_date": self._date(return_date or transaction_date),
        }, fields)
        for attempt in range(account.retries + 1):
            try:
                reply = self.client.request(request)
                break
            except Sip2OutcomeUnknown as exc:
                item = self._after(item_id, "checkin", lost=exc)
                applied = item.circulation_status != "charged"  # a checkin, or a cancelled checkout
                log.warning("checkin outcome reconciled by item information: %s",
                            "applied" if applied else "not applied")
                if applied or attempt == account.retries:
                    return CheckinResult(ok=applied, item_id=item_id, title=item.title,
                                         resensitize=applied)
                # It did not take effect, so sending it once more cannot double anything.
                self.client.disconnect()
        alert_type = reply.get("CV")
        return CheckinResult(
            ok=reply.flag("ok"),
            item_id=reply.get("AB") or item_id,
            title=self._title(reply),
            author=self._author(reply),
            resensitize=_flag(reply.fixed.get("resensitize", "")),
            alert=reply.flag("alert"),
            sort_bin=reply.get("CL"),
            permanent_location=self._location(reply),
            hold_patron_present=bool(reply.get("CY")) or alert_type in ("01", "02"),
            destination=reply.get("CT"),
            alert_type=alert_type,
            screen_messages=tuple(m for m in reply.getall("AF") if m),
        )

    def renew(self, patron_id: str, item_id: str, *, pin: str | None = None) -> RenewResult:
        fields = self._base(("AA", patron_id))
        if pin is not None:
            fields.append(("AD", pin))
        fields += [("AB", item_id), ("AC", self.client.account.terminal_password), ("BO", "N")]
        reply = self.client.request(message("29", {
            "third_party_allowed": "N", "no_block": "N", "transaction_date": self._date(),
            "nb_due_date": BLANK_DATE}, fields))
        due_text = reply.get("AH")
        return RenewResult(reply.flag("ok"), reply.get("AB") or item_id, self._title(reply),
                           parse_due_date(due_text, self._zone), due_text,
                           tuple(m for m in reply.getall("AF") if m), author=self._author(reply))

    def renew_all(self, patron_id: str, *, pin: str | None = None) -> RenewAllResult:
        fields = self._base(("AA", patron_id))
        if pin is not None:
            fields.append(("AD", pin))
        fields += [("AC", self.client.account.terminal_password), ("BO", "N")]
        reply = self.client.request(message("65", {"transaction_date": self._date()}, fields))
        return RenewAllResult(tuple(reply.getall("BM")), tuple(reply.getall("BN")),
                              tuple(m for m in reply.getall("AF") if m))

    def item_info(self, item_id: str) -> Item:
        reply = self.client.request(message("17", {"transaction_date": self._date()}, self._base(
            ("AB", item_id), ("AC", self.client.account.terminal_password))))
        due_text = reply.get("AH")
        queue = reply.get("CF").strip()
        return Item(
            item_id=reply.get("AB") or item_id,
            title=self._title(reply),
            author=self._author(reply),
            media_type=reply.get("CK"),
            owner_library=reply.get("BG"),
            permanent_location=self._location(reply),
            parts_in_set=_parts(reply.getall("CH")),
            circulation_status=CIRCULATION_STATUS.get(reply.fixed.get("circulation_status", ""), "other"),
            due_date=parse_due_date(due_text, self._zone),
            due_date_text=due_text,
            hold_queue_length=_number(queue) or 0,
            screen_messages=tuple(m for m in reply.getall("AF") if m),
        )

    def fee_paid(self, patron_id: str, amount: Decimal, *, fee_id: str = "",
                 currency: str = "DKK") -> FeePaidResult:
        fields = [("BV", f"{amount:.2f}"), *self._base(("AA", patron_id)),
                  ("AC", self.client.account.terminal_password)]
        if fee_id:
            fields.append(("CG", fee_id))
        reply = self.client.request(message("37", {
            "transaction_date": self._date(), "fee_type": "01", "payment_type": "02",
            "currency_type": currency[:3]}, fields))
        return FeePaidResult(reply.flag("payment_accepted"), reply.get("BK"),
                             tuple(m for m in reply.getall("AF") if m))

    def end_session(self, patron_id: str) -> None:
        self.client.request(message("35", {"transaction_date": self._date()}, self._base(
            ("AA", patron_id), ("AC", self.client.account.terminal_password))))


def _parts(values: Iterable[str]) -> int:
    """Parts in set from item properties (CH), e.g. "parts=3"; 1 when not said."""
    for value in values:
        for token in value.replace(";", " ").split():
            key, _, number = token.partition("=")
            if key.lower() in ("parts", "parts_in_set", "dele") and (parts := _number(number)) is not None:
                return max(1, parts)
    return 1
