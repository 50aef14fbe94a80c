"""What the session shows: the screens, the patron-facing messages and the published view."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.circulation.view import VisitView
from kiosk.door.calendar import KioskHours, Opening
from kiosk.door.entry import EntryView
from kiosk.printing.view import PrintView
from kiosk.settings import Role
from kiosk.staff.view import StaffView


class Screen(StrEnum):
    START = "start"  # welcome; buttons: borrow, return, my account
    IDENTIFY = "identify"  # after "borrow" or "my account": hold your card to the reader
    PIN = "pin"
    AUTHENTICATING = "authenticating"
    PATRON = "patron"  # identified, nothing chosen yet: borrow, my account, log out
    BORROW = "borrow"  # put the items on the pad; each appears as it is handled
    RETURN = "return"  # no login: put the items on the pad
    ACCOUNT = "account"  # loans (overdue first), holds, fees; renew chosen or all
    RECEIPT = "receipt"  # print / e-mail / no receipt
    DOOR = "door"  # the door terminal's answer: unlocked, or refused and why
    STAFF = "staff"  # staff mode: status, device tests, tasks, the terminal (kiosk.staff)
    PRINT = "print"  # the patron's print jobs: choose, see the price, print (kiosk.printing)
    PRINT_CODE = "print_code"  # type a release code (a job sent without a card)


class Message(StrEnum):
    """What the patron is told; the UI turns each into a sentence with a next step."""

    UNKNOWN_CARD = "unknown_card"
    WRONG_PIN = "wrong_pin"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    BLOCKED = "blocked"
    LMS_UNAVAILABLE = "lms_unavailable"
    GOODBYE = "goodbye"
    GOODBYE_RECEIPT = "goodbye_receipt"  # logged out, and the receipt was printed
    GOODBYE_EMAIL = "goodbye_email"  # logged out, and the receipt was e-mailed
    RECEIPT_FAILED = "receipt_failed"  # done, but the receipt could not be printed
    RETURNED = "returned"  # a return visit is done
    TIMED_OUT = "timed_out"
    KIOSK_CLOSED = "kiosk_closed"  # outside the kiosk's hours: no new visit


@dataclass(frozen=True)
class DisplayMode:
    """How the screens are drawn for the person at the kiosk, chosen by them on the screen and kept
    for their visit only: high contrast, large text, and the reach layout (every control in the
    lower part of a portrait screen, for a person in a wheelchair)."""

    high_contrast: bool = False
    large_text: bool = False
    reach: bool = False


PLAIN_DISPLAY = DisplayMode()  # what every visit starts with


@dataclass(frozen=True)
class SessionView:
    """Everything a screen needs to draw the session, and nothing it must not keep."""

    screen: Screen
    language: str
    message: Message | None = None
    lms_messages: tuple[str, ...] = ()
    attempts_left: int = 0
    greeting_name: str = ""
    idle_warning: bool = False
    seconds_left: int = 0
    pin_min_length: int = 4
    pin_max_length: int = 6
    lockout_minutes: int = 0
    card_reader_ok: bool = True  # False: tell patrons to scan their card's barcode instead
    role: Role = Role.KIOSK  # the door: the entrance panel (no tiles; the opening state instead)
    opening: Opening | None = None  # at the door: the kind of hours now, and until when
    entry: EntryView | None = None
    lms_offline: bool = False  # the LMS does not answer: offline mode, within limits
    children: int = 0  # at the door: children coming in with the patron, chosen on the PIN screen
    max_children: int = 0  # ... at most; 0: the door does not offer it
    visit: VisitView | None = None
    finishing: bool = False  # the patron is done, an item of theirs is still being handled: a moment
    hours: KioskHours | None = None  # the kiosk's hours from the branch calendar; None: no calendar
    closing_soon: bool = False  # the kiosk stops taking visits within CLOSING_WARNING: finish up
    staff: StaffView | None = None  # staff mode's pages, on the staff screen only
    printing_offered: bool = False  # this kiosk releases print jobs: the "Print" tile
    print_intent: bool = False  # the patron chose "Print" before logging in (the identify screen)
    printing: PrintView | None = None  # the print desk, on the print screens only
    speech: bool = False  # speech mode: the screen is read aloud (the speech key, or a headset plugged in)
    display_mode: DisplayMode = PLAIN_DISPLAY  # this visit's display choices; the next starts plain
    display_choices: bool = False  # the display choices (contrast, text size, reach) are open
