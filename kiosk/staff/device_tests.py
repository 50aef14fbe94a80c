"""The device tests of staff mode: each device of the terminal tried for real, with an answer a
librarian can act on. Every test but the card's runs on a worker (it talks to the device); the card
test waits for a card at the reader, which the session hands to :class:`~kiosk.staff.mode.StaffMode`.

A test's outcome is a :class:`~kiosk.staff.view.Check` and a text key with its values (the screen
says it in the staff member's language) or the device's own words when it failed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.errors import KioskError
from kiosk.domain.model import PrintJob, Receipt, ReceiptLine
from kiosk.domain.ports import Devices
from kiosk.printing.pdf import A4, write_pdf
from kiosk.staff.view import Check
from kiosk.texts import text

CARD_WAIT_S = 20.0  # how long the card test waits for a card

# The order of the tests on the screen, and the device each needs.
TESTS = ("card", "pad", "receipt", "page", "door", "announcement")


@dataclass(frozen=True)
class Outcome:
    check: Check
    key: str = ""  # a text key (staff.test.pad.ok) with ``values``; or
    values: tuple[tuple[str, object], ...] = ()
    error: str = ""  # the device's own words, when it failed


def available(devices: Devices) -> tuple[str, ...]:
    """The tests this terminal's devices allow, in :data:`TESTS` order."""
    has = {"card": True, "pad": devices.item_reader is not None,
           "receipt": devices.receipt_printer is not None, "page": devices.document_printer is not None,
           "door": devices.door_lock is not None, "announcement": devices.announcer is not None}
    return tuple(name for name in TESTS if has[name])


class DeviceTests:
    """``pulse_s``: how long the door test unlocks the door (the terminal's own pulse)."""

    def __init__(self, devices: Devices, *, pulse_s: float, now: Callable[[], dt.datetime],
                 terminal: str) -> None:
        self._devices, self._pulse_s, self._now, self._terminal = devices, pulse_s, now, terminal

    def run(self, name: str, language: str) -> Outcome:
        """Run one test (blocking: on a worker); any device error is a failed test, never a crash."""
        runner = {"pad": self._pad, "receipt": self._receipt, "page": self._page, "door": self._door,
                  "announcement": self._announcement}.get(name)
        if runner is None:
            return Outcome(Check.FAILED, error=f"no such test here: {name}")
        try:
            return runner(language)
        except (KioskError, OSError) as exc:
            return Outcome(Check.FAILED, error=str(exc) or type(exc).__name__)

    def _pad(self, _language: str) -> Outcome:
        reader = self._devices.item_reader
        assert reader is not None
        tags = reader.inventory()
        items = len({tag.item_id for tag in tags if tag.item_id})
        return Outcome(Check.OK, "staff.test.pad.ok", (("tags", len(tags)), ("items", items)))

    def _receipt(self, language: str) -> Outcome:
        printer = self._devices.receipt_printer
        assert printer is not None
        at = self._now().strftime("%Y-%m-%d %H:%M")
        printer.print_receipt(Receipt(text("staff.test.receipt.title", language), (
            ReceiptLine(text("staff.test.receipt.line", language, terminal=self._terminal)),
            ReceiptLine(at)), footer="ÆØÅ æøå 0123456789"))
        return Outcome(Check.OK, "staff.test.receipt.ok")

    def _page(self, language: str) -> Outcome:
        printer = self._devices.document_printer
        assert printer is not None
        job = PrintJob(job_id=f"test-{uuid.uuid4().hex[:8]}", owner_token="staff-test",
                       document_name=text("staff.test.page.title", language), pages=1)
        printer_job = printer.submit(job, printer_test_page(f"{self._terminal} {self._now():%Y-%m-%d %H:%M}"))
        return Outcome(Check.OK, "staff.test.page.ok", (("job", printer_job),))

    def _door(self, _language: str) -> Outcome:
        lock = self._devices.door_lock
        assert lock is not None
        lock.pulse(self._pulse_s)
        return Outcome(Check.OK, "staff.test.door.ok", (("seconds", round(self._pulse_s)),))

    def _announcement(self, language: str) -> Outcome:
        announcer = self._devices.announcer
        assert announcer is not None
        announcer.announce(text("staff.test.announcement.text", language), language)
        return Outcome(Check.OK, "staff.test.announcement.ok")


def printer_test_page(caption: str) -> bytes:
    """A one-page A4 PDF with a frame and ``caption`` (ASCII)."""
    safe = "".join(c for c in caption if 32 <= ord(c) < 127 and c not in "()\\")
    return write_pdf([(A4, "4 w 36 36 523 770 re S BT /F1 28 Tf 72 740 Td (library-kiosk test page) Tj ET "
                           f"BT /F1 14 Tf 72 700 Td ({safe}) Tj ET")])
