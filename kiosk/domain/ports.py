"""The ports: what the core needs from the world, as small Protocols.

Adapters in ``hardware/`` and ``sync/`` implement them; ``kiosk.testing`` has an in-memory stand-in
of each, for tests. Methods may block (network, serial, USB): the core only calls them
from worker threads, never from the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Literal, Protocol

from kiosk.domain.central import (
    AccessPage,
    CentralEvent,
    EventReceipt,
    PaymentHold,
    PaymentMethod,
    Revoked,
    StaffMember,
    TerminalConfig,
)
from kiosk.domain.model import (
    Account,
    AuthResult,
    CheckinResult,
    CheckoutResult,
    Credential,
    DeviceHealth,
    FeePaidResult,
    Item,
    LmsStatus,
    PrinterJobStatus,
    PrintJob,
    Receipt,
    RenewAllResult,
    RenewResult,
    SecurityState,
    Tag,
)


class HasHealth(Protocol):
    def health(self) -> DeviceHealth: ...


class Clock(Protocol):
    """Wall-clock time (for dates shown and sent) and monotonic time (for timeouts)."""

    def now(self) -> dt.datetime:
        """The current local time, timezone-aware."""
        ...

    def monotonic(self) -> float: ...


class LibrarySystem(Protocol):
    """The library management system (LMS), as SIP2 exposes it."""

    def status(self) -> LmsStatus: ...

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        """Is this a valid patron, and is the PIN right? ``pin`` None checks the card only."""
        ...

    def account(self, patron_id: str, pin: str | None) -> Account: ...

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
        """Lend an item. ``no_block`` with the original ``transaction_date`` and ``due_date``
        replays an offline loan; ``cancel`` undoes a *checkin* whose tag could not be secured
        (SIP2 BI: a cancelled checkout restores the loan)."""
        ...

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
        """Take an item back. ``cancel`` undoes a *checkout* whose tag could not be secured."""
        ...

    def renew(self, patron_id: str, item_id: str, *, pin: str | None = None) -> RenewResult: ...

    def renew_all(self, patron_id: str, *, pin: str | None = None) -> RenewAllResult: ...

    def item_info(self, item_id: str) -> Item: ...

    def fee_paid(
        self, patron_id: str, amount: Decimal, *, fee_id: str = "", currency: str = "DKK"
    ) -> FeePaidResult: ...

    def end_session(self, patron_id: str) -> None: ...


CredentialListener = Callable[[Credential], None]
# Told, on the worker that asked, what the LMS answered to a card and PIN (the learned access list).
AuthObserver = Callable[[Credential, "str | None", AuthResult], None]
TagsListener = Callable[[Sequence[Tag]], None]


class CardReader(Protocol):
    """Contactless or magnetic card reader. Calls the listener from its own thread."""

    def start(self, on_credential: CredentialListener) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> DeviceHealth: ...


class BarcodeScanner(Protocol):
    def start(self, on_credential: CredentialListener) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> DeviceHealth: ...


class ItemReader(Protocol):
    """RFID pad: what lies on it, and the tags' theft-protection state."""

    def start(self, on_tags: TagsListener) -> None:
        """Begin reporting the set of tags on the pad whenever it changes."""
        ...

    def stop(self) -> None: ...

    def inventory(self) -> list[Tag]: ...

    def write_security(self, uid: str, state: SecurityState) -> SecurityState:
        """Set the tag's security and return the state read back from the tag."""
        ...

    def health(self) -> DeviceHealth: ...


class DoorLock(Protocol):
    def pulse(self, seconds: float) -> None:
        """Unlock for ``seconds``, then lock again, whatever happens."""
        ...

    def lock(self) -> None: ...

    def core_alive(self) -> None:
        """Called on every tick of the core thread: a lock watched from outside this process
        (:mod:`hardware.door.watchdog`) passes it on, so that a stuck core is noticed."""
        ...

    def health(self) -> DeviceHealth: ...


class RelayOutput(Protocol):
    """A relay output that stays as it is set: the lights, the intruder alarm's arming input."""

    def set(self, on: bool) -> None:
        """Energise (``on``) or release the output. :class:`DeviceUnavailable` if not done."""
        ...

    def health(self) -> DeviceHealth: ...


class DoorSensor(Protocol):
    def start(self, on_change: Callable[[bool], None]) -> None:
        """Call ``on_change(is_open)`` whenever the door contact changes."""
        ...

    def stop(self) -> None: ...

    def is_open(self) -> bool: ...

    def health(self) -> DeviceHealth: ...


class ExitButton(Protocol):
    """The request-to-exit (REX) input inside the door: a button, a PIR exit sensor or an exit-side
    contact. Someone leaving is not a forced opening, and the occupancy goes down."""

    def start(self, on_press: Callable[[], None]) -> None:
        """Call ``on_press()`` once for every press."""
        ...

    def stop(self) -> None: ...

    def health(self) -> DeviceHealth: ...


class ReceiptPrinter(Protocol):
    def print_receipt(self, receipt: Receipt) -> None: ...

    def health(self) -> DeviceHealth: ...


class DocumentPrinter(Protocol):
    def submit(self, job: PrintJob, document: bytes) -> str:
        """Send a document; returns the printer's job id."""
        ...

    def job_status(self, printer_job_id: str) -> PrinterJobStatus:
        """How the job stands on the printer itself: charge for it only when "completed"."""
        ...

    def job_state(self, printer_job_id: str) -> str:
        """``job_status(printer_job_id).state``."""
        ...

    def cancel(self, printer_job_id: str) -> None:
        """Cancel the job on the printer and in its queue, so that a job that failed (a jam) does
        not come out later, unpaid, once staff clear the printer. A finished job stays as it is."""
        ...

    def health(self) -> DeviceHealth: ...


class ReceiptMailer(Protocol):
    def send(self, address: str, receipt: Receipt) -> None:
        """Hand the receipt to the mail server for ``address``; :class:`MailError` if it refuses."""
        ...


class Announcer(Protocol):
    def announce(self, text: str, language: str) -> None: ...

    def health(self) -> DeviceHealth: ...


@dataclass(frozen=True)
class Utterance:
    """One thing said in speech mode. ``key``: the text's key (``pin.title``), by which a recorded
    prompt is found for a language without a voice; ``fallback``: the same thing in English, said
    when that language has neither voice nor prompt."""

    text: str
    language: str
    key: str = ""
    fallback: str = ""


class Speaker(Protocol):
    """Speech mode's voice: says groups of utterances in order without blocking the caller."""

    def say(self, group: Sequence[Utterance], *, interrupt: bool = False) -> None:
        """Queue ``group``; ``interrupt``: first stop what is being said and drop what waits."""

    def stop(self) -> None: ...

    def repeat(self) -> None:
        """Say the last group again."""

    def louder(self) -> None: ...

    def softer(self) -> None: ...

    def reset_volume(self) -> None:
        """Back to the configured volume (a new visit)."""

    def use_headset(self, plugged: bool) -> None:
        """Speak through the headset (True) or the speaker."""

    def private(self) -> bool:
        """Whether what is said is heard through a headset only (not the loudspeaker)."""

    def voiced(self, language: str) -> bool:
        """Whether ``language`` has a voice (else prompts, else English)."""


class CentralService(Protocol):
    """The municipality's central system (sync/central/openapi.yaml). Every method may raise
    :class:`CentralUnavailable` (work on, try later) or :class:`CentralRejected`."""

    def terminal_config(self, terminal_id: str) -> TerminalConfig: ...

    def calendar(self, branch: str) -> dict[str, Any]: ...

    def staff_list(self, branch: str) -> tuple[StaffMember, ...]:
        """The cards that open staff mode at the branch's terminals today."""
        ...

    def revocations(self, branch: str) -> tuple[Revoked, ...]:
        """The cards the branch's doors keep out in unstaffed hours, whatever the LMS says."""
        ...

    def access_list(self, branch: str, cursor: str | None = None, limit: int = 5000) -> AccessPage:
        """A page of the access list; :class:`CursorExpired` when ``cursor`` is too old."""
        ...

    def send_events(self, terminal_id: str, events: Sequence[CentralEvent]) -> EventReceipt:
        """Idempotent by event id: sending an event twice stores it once."""
        ...

    def heartbeat(self, terminal_id: str, devices: Sequence[DeviceHealth], *, pending: int,
                  oldest_age_s: float | None, mode: Literal["online", "offline"],
                  at: dt.datetime | None = None, config: Mapping[str, Any] | None = None,
                  disk_free_mb: float | None = None, version: str | None = None) -> None: ...


class Payment(Protocol):
    """Paying for a print job (never through the LMS's fees): hold the price before printing,
    take it once the printer's own job completed, give it back when the job failed."""

    def balance(self, owner: str) -> Decimal:
        """The patron's prepaid balance (``owner``: their token)."""
        ...

    def authorize(self, owner: str, job_id: str, amount: Decimal, terminal: str, *,
                  method: PaymentMethod = "balance", request_id: str = "") -> PaymentHold:
        """Hold ``amount``. From the balance (:class:`~kiosk.domain.errors.InsufficientBalance`
        when it is not there), or by card (``method="provider"``): the hold then awaits the payer
        (show its ``pay_url``, follow it with :meth:`payment` until it is no longer
        ``awaiting_payer``); :class:`~kiosk.domain.errors.PaymentUnavailable` when the central
        service takes no card payments, :class:`~kiosk.domain.errors.CentralUnavailable` when it
        or its provider cannot be reached just now. ``request_id``: the kiosk's id for this hold
        (its journal row): asked again, the same payment is answered, never a second one."""
        ...

    def payment(self, payment_id: str) -> PaymentHold:
        """The payment as it is now (while its payer pays: asked of the provider as well)."""
        ...

    def capture(self, payment_id: str, terminal: str) -> PaymentHold: ...

    def void(self, payment_id: str, terminal: str, reason: str) -> PaymentHold: ...


@dataclass
class Devices:
    """The devices of one terminal; those it does not have are None."""

    card_reader: CardReader
    item_reader: ItemReader | None = None
    barcode_scanner: BarcodeScanner | None = None
    door_lock: DoorLock | None = None
    door_sensor: DoorSensor | None = None
    exit_button: ExitButton | None = None
    lights: RelayOutput | None = None
    alarm: RelayOutput | None = None
    receipt_printer: ReceiptPrinter | None = None
    document_printer: DocumentPrinter | None = None
    announcer: Announcer | None = None

    def outputs(self) -> dict[str, RelayOutput]:
        """The relay outputs the opening calendar may switch, by the names the calendar uses."""
        return {name: output for name, output in (("lights", self.lights), ("alarm", self.alarm))
                if output is not None}

    def present(self) -> list[tuple[str, HasHealth]]:
        """(role, device) for every device the terminal has, in a stable order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None]

    def health(self) -> list[DeviceHealth]:
        """How every device is (the heartbeat's list); each ``health()`` is quick and does no I/O."""
        return [device.health() for _, device in self.present()]
