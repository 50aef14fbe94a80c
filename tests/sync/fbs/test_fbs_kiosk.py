"""The kiosk configured for FBS: the same visits as tests/circulation/test_visit.py (borrow, return,
sets, fees, account and renewal, receipts), against the FBS emulator over real HTTP, and what
only FBS makes visible (titles from CH on every screen and receipt, never the record number)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.events import InlineWorkers
from kiosk.settings import Settings
from kiosk.testing.memory import ManualClock, MemoryReceiptPrinter
from sync.fbs.library import FbsLibrarySystem
from tests.circulation.test_visit import *  # noqa: F403  (the same visits, over FBS)
from tests.circulation.test_visit import BOOK, borrow, place, tags_of
from ui.visit_text import item_row


@pytest.fixture
def kiosk(demo_settings: Settings, clock: ManualClock) -> Iterator[Kiosk]:
    """The demo kiosk with the built-in LMS emulator speaking FBS instead of SIP2."""
    fbs = demo_settings.lms.model_copy(update={"protocol": "fbs"})
    settings = demo_settings.model_copy(update={"lms": fbs})
    k = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    assert isinstance(k.lms, FbsLibrarySystem)
    k.connect_devices()
    yield k
    k.close()


def test_the_titles_on_screen_and_receipt_are_fbs_titles_not_record_numbers(kiosk: Kiosk) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, BOOK))
    visit = kiosk.session.view.visit
    assert visit is not None
    title = kiosk.demo_titles[BOOK]
    assert [(row.title, row.author) for row in visit.items] == [(title, "Johannes V. Jensen")]
    row = item_row(visit.items[0], Purpose.BORROW, "da")
    assert (row.title, row.author) == (title, "Johannes V. Jensen")
    kiosk.session.finish_visit()
    kiosk.core.drain()
    kiosk.session.choose_receipt(ReceiptChoice.PRINT)
    kiosk.core.drain()
    printer = kiosk.devices.receipt_printer
    assert isinstance(printer, MemoryReceiptPrinter)
    printed = "\n".join(line.text for line in printer.printed[-1].lines)
    assert title in printed and "Johannes V. Jensen" in printed
