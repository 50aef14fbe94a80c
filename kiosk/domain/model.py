"""Domain types: what the kiosk talks about, in the library's own words.

Values are frozen dataclasses. Anything that identifies a person (names, PINs, CPR numbers, card
numbers) is kept out of ``repr`` so that an accidental ``log.info("%s", patron)`` leaks nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal


class CredentialKind(StrEnum):
    """How the patron identified themselves at the kiosk."""

    CARD_UID = "card_uid"  # contactless library card read by UID over PC/SC
    BARCODE = "barcode"  # library card barcode (scanner or keyboard wedge)
    HEALTH_CARD = "health_card"  # Danish sundhedskort, CPR number from track 2
    KEYED = "keyed"  # typed on the screen


@dataclass(frozen=True)
class Credential:
    """A normalised credential. ``value`` is the patron identifier sent to the LMS (SIP2 AA)."""

    kind: CredentialKind
    value: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.kind.value}:****{self.value[-2:] if len(self.value) > 6 else ''}"


@dataclass(frozen=True)
class Patron:
    """A patron as the LMS describes them. ``patron_id`` is the LMS's identifier (SIP2 AA)."""

    patron_id: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)
    category: str = ""
    email: str = field(default="", repr=False)
    language: str = ""  # ISO 639-1 ("da", "ar") as the LMS holds it; "" when it does not say
    blocked: bool = False
    block_reasons: tuple[str, ...] = ()
    fee_total: Decimal = Decimal("0")
    currency: str = "DKK"
    screen_messages: tuple[str, ...] = ()
    # Fields the LMS sent that the kiosk has no name for (vendor extensions), as (code, value).
    extra: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def first_name(self) -> str:
        """The part of the name a kiosk may greet with ("Hej, Anna")."""
        name = self.name.strip()
        if "," in name:  # LMSs often send "Surname, Given names"
            name = name.split(",", 1)[1].strip()
        return name.split(" ", 1)[0] if name else ""


class AuthOutcome(StrEnum):
    OK = "ok"
    UNKNOWN_PATRON = "unknown_patron"
    WRONG_PIN = "wrong_pin"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class AuthResult:
    """Answer to "is this credential with this PIN a valid patron?"."""

    outcome: AuthOutcome
    patron: Patron | None = None
    screen_messages: tuple[str, ...] = ()
    offline: bool = False  # answered from the cached access list, not by the LMS

    @property
    def ok(self) -> bool:
        return self.outcome is AuthOutcome.OK and self.patron is not None


class SecurityState(StrEnum):
    """Theft-protection state of a tag: SECURED sets the gate alarm off if carried out."""

    SECURED = "secured"
    UNSECURED = "unsecured"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Tag:
    """An RFID tag on an item, as read from the pad (ISO 28560 content decoded)."""

    uid: str
    item_id: str
    owner_library: str = ""
    part_number: int = 1
    parts_in_set: int = 1
    security: SecurityState = SecurityState.UNKNOWN


@dataclass(frozen=True)
class Item:
    item_id: str
    title: str = ""
    author: str = ""
    media_type: str = ""
    owner_library: str = ""
    permanent_location: str = ""
    parts_in_set: int = 1
    circulation_status: str = ""
    due_date: dt.datetime | None = None
    due_date_text: str = ""
    hold_queue_length: int = 0
    screen_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loan:
    item_id: str
    title: str
    due_date: dt.datetime | None
    due_date_text: str = ""
    overdue: bool = False
    author: str = ""  # the LMS's, where it sends one (FBS); SIP2 has no field for it


@dataclass(frozen=True)
class Hold:
    item_id: str
    title: str
    ready_for_pickup: bool
    pickup_location: str = ""
    expires: dt.date | None = None
    author: str = ""  # the LMS's, where it sends one (FBS); SIP2 has no field for it


@dataclass(frozen=True)
class Fee:
    fee_id: str
    amount: Decimal
    currency: str = "DKK"
    description: str = ""


@dataclass(frozen=True)
class Account:
    """What "my account" shows: loans, holds and fees."""

    patron: Patron
    loans: tuple[Loan, ...] = ()
    holds: tuple[Hold, ...] = ()
    fees: tuple[Fee, ...] = ()


@dataclass(frozen=True)
class CheckoutResult:
    ok: bool
    item_id: str
    title: str = ""
    due_date: dt.datetime | None = None
    due_date_text: str = ""
    renewal: bool = False
    desensitize: bool | None = None
    fee_amount: Decimal | None = None
    fee_type: str = ""
    fee_acknowledgement_required: bool = False
    transaction_id: str = ""
    screen_messages: tuple[str, ...] = ()
    author: str = ""  # the LMS's, where it sends one (FBS); SIP2 has no field for it


@dataclass(frozen=True)
class CheckinResult:
    ok: bool
    item_id: str
    title: str = ""
    resensitize: bool | None = None
    alert: bool = False
    sort_bin: str = ""
    permanent_location: str = ""
    hold_patron_present: bool = False
    destination: str = ""
    alert_type: str = ""
    screen_messages: tuple[str, ...] = ()
    author: str = ""  # the LMS's, where it sends one (FBS); SIP2 has no field for it


@dataclass(frozen=True)
class RenewResult:
    ok: bool
    item_id: str
    title: str = ""
    due_date: dt.datetime | None = None
    due_date_text: str = ""
    screen_messages: tuple[str, ...] = ()
    author: str = ""  # the LMS's, where it sends one (FBS); SIP2 has no field for it


@dataclass(frozen=True)
class RenewAllResult:
    renewed: tuple[str, ...] = ()
    unrenewed: tuple[str, ...] = ()
    screen_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeePaidResult:
    accepted: bool
    transaction_id: str = ""
    screen_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class LmsStatus:
    online: bool
    checkin_ok: bool = True
    checkout_ok: bool = True
    renewal_ok: bool = True
    offline_ok: bool = False
    institution: str = ""
    library_name: str = ""
    screen_messages: tuple[str, ...] = ()


class DeviceState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class DeviceHealth:
    """A device's state as the doctor and the staff screen show it."""

    device: str
    state: DeviceState
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state is DeviceState.OK


@dataclass(frozen=True)
class ReceiptLine:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Receipt:
    title: str
    lines: tuple[ReceiptLine, ...]
    footer: str = ""


@dataclass(frozen=True)
class PrintJob:
    job_id: str
    owner_token: str
    document_name: str
    pages: int
    copies: int = 1
    colour: bool = False
    duplex: bool = False  # both sides of the sheet, turned on the long edge
    cost: Decimal = Decimal("0")


PrinterJobState = Literal["pending", "processing", "completed", "failed", "canceled", "unknown"]
FINAL_JOB_STATES: frozenset[PrinterJobState] = frozenset({"completed", "failed", "canceled"})


@dataclass(frozen=True)
class PrinterJobStatus:
    """How a print job stands, as the printer itself tells it (not its print server's record).

    ``state`` is "completed" only when the printer's job completed without an error; a jam, an
    empty tray or an open door that stopped or ended the job is "failed", with the printer's
    keywords in ``reasons`` ("media-jam", "media-empty", "door-open", ...), most telling first.
    "unknown": the printer's job could not be found, so nobody can say whether it printed.
    ``sheets`` is what the printer says came out (None when it does not say); ``detail`` is a
    sentence for staff."""

    state: PrinterJobState
    reasons: tuple[str, ...] = ()
    sheets: int | None = None
    detail: str = ""

    @property
    def final(self) -> bool:
        """Completed, failed or canceled: it will not change by itself any more."""
        return self.state in FINAL_JOB_STATES
