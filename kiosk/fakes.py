"""In-memory fakes of every port, for tests and for the demo.

Each fake behaves like the real thing as far as the core can tell (state, refusals, health), and lets
a test or the demo panel drive it: present a card, put tags on the pad, unplug a device.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from kiosk.errors import DeviceUnavailable, LmsUnavailable
from kiosk.model import (
    Account,
    AuthOutcome,
    AuthResult,
    CheckinResult,
    CheckoutResult,
    Credential,
    DeviceHealth,
    DeviceState,
    FeePaidResult,
    Item,
    LmsStatus,
    Loan,
    Patron,
    PrintJob,
    Receipt,
    RenewAllResult,
    RenewResult,
    SecurityState,
    Tag,
)
from kiosk.ports import CredentialListener, TagsListener

COPENHAGEN = dt.timezone(dt.timedelta(hours=1))


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 11, 25, 20, 15, tzinfo=COPENHAGEN)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds


class _Device:
    """Shared health and plug state of a fake device."""

    name = "device"

    def __init__(self) -> None:
        self.plugged = True

    def unplug(self) -> None:
        self.plugged = False

    def replug(self) -> None:
        self.plugged = True

    def health(self) -> DeviceHealth:
        if self.plugged:
            return DeviceHealth(self.name, DeviceState.OK)
        return DeviceHealth(self.name, DeviceState.UNAVAILABLE, "unplugged")

    def _require(self) -> None:
        if not self.plugged:
            raise DeviceUnavailable(f"{self.name} is unplugged")


class FakeCardReader(_Device):
    name = "card_reader"

    def __init__(self) -> None:
        super().__init__()
        self._listener: CredentialListener | None = None

    def start(self, on_credential: CredentialListener) -> None:
        self._listener = on_credential

    def stop(self) -> None:
        self._listener = None

    def present(self, credential: Credential) -> None:
        """A card is held to the reader."""
        if self.plugged and self._listener is not None:
            self._listener(credential)


class FakeBarcodeScanner(FakeCardReader):
    name = "barcode_scanner"

    def scan(self, credential: Credential) -> None:
        self.present(credential)


class FakeItemReader(_Device):
    name = "rfid_pad"

    def __init__(self) -> None:
        super().__init__()
        self._tags: dict[str, Tag] = {}
        self._listener: TagsListener | None = None
        self.fail_security_writes: set[str] = set()

    def start(self, on_tags: TagsListener) -> None:
        self._listener = on_tags

    def stop(self) -> None:
        self._listener = None

    def place(self, *tags: Tag) -> None:
        for tag in tags:
            self._tags[tag.uid] = tag
        self._notify()

    def remove(self, *uids: str) -> None:
        for uid in uids:
            self._tags.pop(uid, None)
        self._notify()

    def inventory(self) -> list[Tag]:
        self._require()
        return list(self._tags.values())

    def write_security(self, uid: str, state: SecurityState) -> SecurityState:
        self._require()
        tag = self._tags.get(uid)
        if tag is None:
            raise DeviceUnavailable(f"tag {uid} is no longer on the pad")
        if uid not in self.fail_security_writes:
            self._tags[uid] = replace(tag, security=state)
        return self._tags[uid].security

    def _notify(self) -> None:
        if self.plugged and self._listener is not None:
            self._listener(list(self._tags.values()))


class FakeDoorLock(_Device):
    name = "door_lock"

    def __init__(self) -> None:
        super().__init__()
        self.unlocked = False
        self.pulses: list[float] = []

    def pulse(self, seconds: float) -> None:
        self._require()
        self.pulses.append(seconds)
        self.unlocked = False  # a fake pulse is over as soon as it is recorded

    def lock(self) -> None:
        self.unlocked = False


class FakeDoorSensor(_Device):
    name = "door_sensor"

    def __init__(self) -> None:
        super().__init__()
        self._open = False
        self._listener: Callable[[bool], None] | None = None

    def start(self, on_change: Callable[[bool], None]) -> None:
        self._listener = on_change

    def stop(self) -> None:
        self._listener = None

    def is_open(self) -> bool:
        return self._open

    def set_open(self, is_open: bool) -> None:
        if is_open != self._open:
            self._open = is_open
            if self._listener is not None:
                self._listener(is_open)


class FakeReceiptPrinter(_Device):
    name = "receipt_printer"

    def __init__(self) -> None:
        super().__init__()
        self.printed: list[Receipt] = []

    def print_receipt(self, receipt: Receipt) -> None:
        self._require()
        self.printed.append(receipt)


class FakeDocumentPrinter(_Device):
    name = "document_printer"

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, tuple[PrintJob, bytes]] = {}

    def submit(self, job: PrintJob, document: bytes) -> str:
        self._require()
        printer_id = f"fake-{len(self.jobs) + 1}"
        self.jobs[printer_id] = (job, document)
        return printer_id

    def job_state(self, printer_job_id: str) -> str:
        return "completed" if printer_job_id in self.jobs else "unknown"


class FakeAnnouncer(_Device):
    name = "announcer"

    def __init__(self) -> None:
        super().__init__()
        self.spoken: list[tuple[str, str]] = []

    def announce(self, text: str, language: str) -> None:
        self._require()
        self.spoken.append((text, language))


class FakeCentralService:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []
        self.heartbeats: list[tuple[str, tuple[DeviceHealth, ...]]] = []
        self.access: list[dict[str, object]] = []
        self.jobs: list[PrintJob] = []

    def terminal_config(self, terminal_id: str) -> dict[str, object]:
        return {"terminal_id": terminal_id}

    def calendar(self, branch: str) -> dict[str, object]:
        return {"branch": branch, "periods": []}

    def access_list(self, cursor: str | None) -> tuple[list[dict[str, object]], str]:
        start = int(cursor or 0)
        return self.access[start:], str(len(self.access))

    def send_events(self, events: Sequence[dict[str, object]]) -> None:
        seen = {e.get("id") for e in self.events}
        self.events.extend(e for e in events if e.get("id") not in seen)

    def heartbeat(self, terminal_id: str, health: Sequence[DeviceHealth]) -> None:
        self.heartbeats.append((terminal_id, tuple(health)))

    def print_jobs(self, owner_token: str) -> list[PrintJob]:
        return [j for j in self.jobs if j.owner_token == owner_token]


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


class FakeLibrarySystem:
    """A small, thread-safe, in-memory LMS. Seed it with :meth:`from_seed` or :meth:`add_patron`."""

    def __init__(self, clock: FakeClock | None = None, loan_days: int = 28) -> None:
        self._lock = threading.Lock()
        self._patrons: dict[str, _FakePatron] = {}
        self._items: dict[str, _FakeItem] = {}
        self._clock = clock
        self.loan_days = loan_days
        self.online = True

    @classmethod
    def from_seed(cls, seed: Mapping[str, Any]) -> FakeLibrarySystem:
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
            raise LmsUnavailable("fake LMS is offline")

    def status(self) -> LmsStatus:
        self._require_online()
        return LmsStatus(online=True, library_name="Fake LMS")

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
            if cancel:
                entry.loans.pop(item_id, None)
                item.on_loan_to = None
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
            return item.item if item else Item(item_id, circulation_status="unknown")

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
