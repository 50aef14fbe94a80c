"""What the kiosk exchanges with the municipality's central system (sync/central/openapi.yaml),
as plain values: the client in ``sync.central`` builds them, the sync services read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from kiosk.domain.model import PrintJob

PrintJobState = Literal["held", "released", "printed", "failed", "cancelled"]
PaymentMethod = Literal["balance", "provider"]
PaymentState = Literal["awaiting_payer", "authorized", "captured", "voided", "expired", "refunded"]

@dataclass(frozen=True)
class CalendarReceived:
    """A core event: the central system's calendar for this terminal's branch changed, and the kiosk's
    calendar model accepted it (a branch table of a calendar file)."""

    calendar: Mapping[str, Any]


@dataclass(frozen=True)
class ConfigApplied:
    """A core event: a configuration revision that changes only what the running kiosk can take on
    (its tables of a settings file, over the terminal's own) is in force now."""

    revision: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class RestartWanted:
    """A core event: the kiosk should restart when nobody is using it (a new configuration waits)."""

    reason: str


@dataclass(frozen=True)
class ReleaseOffer:
    """The version of the kiosk the central service wants this terminal to run, and its wheel: the
    size and SHA-256 it must have, and where it is (a path of the service's, ``/v1/releases/...``)."""

    version: str
    sha256: str
    size: int
    url: str


@dataclass(frozen=True)
class TerminalConfig:
    terminal_id: str
    settings: Mapping[str, Any]  # tables of a settings file, over the terminal's own
    access_list_key: bytes  # the municipality's HMAC key for patron tokens
    revision: str = ""  # names the layers merged (d3.m0.b12.t40)
    release: ReleaseOffer | None = None  # the version to run, when the service offers one


@dataclass(frozen=True)
class StaffMember:
    """A card on the central staff list: its token under the access-list key, a role (staff,
    technician, administrator), its PIN as a slow verifier, and the last day it is valid."""

    token: str
    role: str
    pin_verifier: str
    expires: dt.date | None = None


@dataclass(frozen=True)
class Revoked:
    """A card on the central revocation list: its token under the access-list key, and the last day."""

    token: str
    until: dt.date | None = None


@dataclass(frozen=True)
class AccessEntry:
    """One patron on the access list, known by token only; ``deleted`` only in changes."""

    key: str
    pin_verifier: str
    category: str
    birth_date: dt.date | None
    blocked: bool
    consent: bool
    expires: dt.date
    deleted: bool = False


@dataclass(frozen=True)
class AccessPage:
    """A page of the access list. ``full``: replace the list; otherwise apply the changes. ``more``:
    ask again with ``cursor``; when it is False keep ``cursor`` for the next sync."""

    entries: tuple[AccessEntry, ...]
    cursor: str
    more: bool
    full: bool


@dataclass(frozen=True)
class CentralEvent:
    """An event from the outbox; ``id`` (a UUID) makes sending it twice harmless."""

    id: str
    kind: str
    at: dt.datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class EventReceipt:
    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]


@dataclass(frozen=True)
class CentralPrintJob:
    """A job in a patron's print queue: the kiosk's :class:`PrintJob` and what the queue adds."""

    job: PrintJob
    duplex: bool
    currency: str
    submitted_at: dt.datetime
    state: PrintJobState


@dataclass(frozen=True)
class PaymentHold:
    """A payment for a print job: the amount held (``authorized``), taken (``captured``) or given
    back (``voided``, ``refunded``). Paid by card on the provider's page, it first waits for the
    patron to pay on their phone (``awaiting_payer``: show ``pay_url`` as a QR code until
    ``expires_at``), and ends ``voided`` (declined, cancelled) or ``expired`` if they do not."""

    payment_id: str
    job_id: str
    amount: Decimal
    currency: str
    state: PaymentState
    pay_url: str = ""
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class DefaultLanguageChosen:
    """Staff chose the language the terminal starts each visit in (kept through a restart)."""

    language: str
