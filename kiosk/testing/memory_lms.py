"""An in-memory LMS for tests: patrons, items and loans with the refusals a real LMS gives."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from kiosk.domain.errors import LmsUnavailable
from kiosk.domain.model import (
    Account,
    AuthOutcome,
    AuthResult,
    CheckinResult,
    CheckoutResult,
    Credential,
    FeePaidResult,
    Item,
    LmsStatus,
    Loan,
    Patron,
    RenewAllResult,
    RenewResult,
)
from kiosk.testing.memory import ManualClock


@dataclass
class _FakePatron:
    patron: Patron
    pin: str = field(repr=False)
    loans: dict[str, dt.datetime] = field(default_factory=dict)


@dataclass
class _FakeItem:
    item: Item
    on_loan_to: str | None = None
    for_loan: bool = True


class MemoryLibrarySystem:
    """A small, thread-safe, in-memory LMS. Seed it with :meth:`from_seed` or :meth:`add_patron`."""

    def __init__(self, clock: ManualClock | None = None, loan_days: int = 28) -> None:
        self._lock = threading.Lock()
        self._patrons: dict[str, _FakePatron] = {}
        self._items: dict[str, _FakeItem] = {}
        self._clock = clock
        self.loan_days = loan_days
        self.online = True

    @classmethod
    def from_seed(cls, seed: Mapping[str, Any]) -> MemoryLibrarySystem:
        """Build from seed data: ``{"patrons": [...], "items": [...]}`` as in config/demo/lms.toml."""
        lms = cls()
        for p in seed.get("patrons", []):
            lms.add_patron(
                Patron(
                    patron_id=str(p["id"]),
                    name=str(p["name"]),
                    birth_date=p.get("birth_date"),
                    category=str(p.get("category", "")),
                    email=str(p.get("email", "")),
                    blocked=bool(p.get("blocked", False)),
                    fee_total=Decimal(str(p.get("fees", "0"))),
                ),
                pin=str(p["pin"]),
            )
        for i in seed.get("items", []):
            lms.add_item(
                Item(
                    item_id=str(i["id"]),
                    title=str(i.get("title", "")),
                    author=str(i.get("author", "")),
                    media_type=str(i.get("media_type", "")),
                    parts_in_set=int(i.get("parts_in_set", 1)),
                ),
                for_loan=bool(i.get("for_loan", True)),
            )
        return lms

    def add_patron(self, patron: Patron, pin: str) -> None:
        with self._lock:
            self._patrons[patron.patron_id] = _FakePatron(patron, pin)

    def add_item(self, item: Item, for_loan: bool = True) -> None:
        with self._lock:
            self._items[item.item_id] = _FakeItem(item, for_loan=for_loan)

    def _now(self) -> dt.datetime:
        return self._clock.now() if self._clock else dt.datetime.now().astimezone()

    def _require_online(self) -> None:
        if not self.online:
            raise LmsUnavailable("the in-memory LMS is offline")

    def status(self) -> LmsStatus:
        self._require_online()
        return LmsStatus(online=True, library_name="In-memory LMS")

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        self._require_online()
        with self._lock:
            entry = self._patrons.get(credential.value)
        if entry is None:
            return AuthResult(AuthOutcome.UNKNOWN_PATRON)
        if pin is not None and pin != entry.pin:
            return AuthResult(AuthOutcome.WRONG_PIN)
        if entry.patron.blocked:
            return AuthResult(AuthOutcome.BLOCKED, entry.patron)
        return AuthResult(AuthOutcome.OK, entry.patron)

    def account(self, patron_id: str, pin: str | None) -> Account:
        self._require_online()
        with self._lock:
            entry = self._patrons[patron_id]
            now = self._now()
            loans = tuple(
                Loan(item_id, self._items[item_id].item.title, due, overdue=due < now)
                for item_id, due in entry.loans.items()
            )
        return Account(entry.patron, loans=loans)

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
        self._require_online()
        with self._lock:
            entry = self._patrons.get(patron_id)
            item = self._items.get(item_id)
            if entry is None or item is None:
                return CheckoutResult(False, item_id, screen_messages=("Ukendt materiale",))
            if cancel:  # undo a checkin: the loan is back
                item.on_loan_to = patron_id
                entry.loans[item_id] = due_date or self._now() + dt.timedelta(days=self.loan_days)
                return CheckoutResult(True, item_id, item.item.title)
            if not item.for_loan:
                return CheckoutResult(False, item_id, item.item.title, screen_messages=(
                    "Materialet kan ikke lånes",))
            if entry.patron.blocked and not no_block:
                return CheckoutResult(False, item_id, item.item.title, screen_messages=(
                    "Du kan ikke låne lige nu",))
            renewal = item.on_loan_to == patron_id
            due = due_date or (transaction_date or self._now()) + dt.timedelta(days=self.loan_days)
            item.on_loan_to = patron_id
            entry.loans[item_id] = due
            return CheckoutResult(True, item_id, item.item.title, due_date=due, renewal=renewal,
                                  desensitize=True)

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
        self._require_online()
        with self._lock:
            item = self._items.get(item_id)
            if item is None:
                return CheckinResult(False, item_id, screen_messages=("Ukendt materiale",))
            if item.on_loan_to is not None:
                self._patrons[item.on_loan_to].loans.pop(item_id, None)
                item.on_loan_to = None
            return CheckinResult(True, item_id, item.item.title, resensitize=True)

    def renew(self, patron_id: str, item_id: str, *, pin: str | None = None) -> RenewResult:
        result = self.checkout(patron_id, item_id, pin=pin)
        return RenewResult(result.ok, item_id, result.title, result.due_date,
                           screen_messages=result.screen_messages)

    def renew_all(self, patron_id: str, *, pin: str | None = None) -> RenewAllResult:
        with self._lock:
            loans = list(self._patrons[patron_id].loans)
        results = [self.renew(patron_id, item_id, pin=pin) for item_id in loans]
        return RenewAllResult(
            renewed=tuple(r.item_id for r in results if r.ok),
            unrenewed=tuple(r.item_id for r in results if not r.ok),
        )

    def item_info(self, item_id: str) -> Item:
        self._require_online()
        with self._lock:
            item = self._items.get(item_id)
            if item is None:
                return Item(item_id, circulation_status="unknown")
            on_loan = item.on_loan_to is not None  # as SIP2's circulation status says it: 04 charged
            return replace(item.item, circulation_status="charged" if on_loan else "available")

    def fee_paid(
        self, patron_id: str, amount: Decimal, *, fee_id: str = "", currency: str = "DKK"
    ) -> FeePaidResult:
        self._require_online()
        with self._lock:
            entry = self._patrons[patron_id]
            entry.patron = replace(entry.patron, fee_total=max(entry.patron.fee_total - amount,
                                                               Decimal("0")))
        return FeePaidResult(True, transaction_id=f"fake-{fee_id or 'payment'}")

    def end_session(self, patron_id: str) -> None:
        self._require_online()
