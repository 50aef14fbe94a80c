"""Print release at the kiosk through the real window (pytest-qt): the "Print" tile, the card and
PIN, a job chosen by touch, its picture, copies and two-sided, the price on the button, printing and
"take your pages"; a release code typed on the pad. The demo's central service and journal are
real; what the screen says and what the service holds are checked, to the øre."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.events import Tick
from kiosk.session.service import Screen
from kiosk.testing.memory import MemoryDocumentPrinter
from tests.printing.test_desk import ANNA, balance, log_in
from ui.main_window import KioskWindow
from ui.screens.printing import PrintCodeScreen, PrintScreen
from ui.screens.session import StartScreen
from ui.sounds import Sounds


@pytest.fixture
def window(kiosk: Kiosk, qtbot: QtBot) -> Iterator[KioskWindow]:
    sounds = Sounds(audible=False)
    win = KioskWindow(kiosk.session, title="Test", languages=("da", "en"), now=kiosk.clock.now, sounds=sounds)
    kiosk.core.subscribe(win.show_view)
    qtbot.addWidget(win)
    win.resize(1080, 1920)
    win.show()
    kiosk.core.dispatch(Tick())  # the central service's configuration (the key of the tokens)
    kiosk.session.publish()
    kiosk.core.drain()
    yield win
    sounds.close()


def touch(kiosk: Kiosk, qtbot: QtBot, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    kiosk.core.drain()


def test_anna_prints_two_copies_two_sided_and_pays_what_the_button_said(
        kiosk: Kiosk, window: KioskWindow, qtbot: QtBot) -> None:
    start = window.current_screen()
    assert isinstance(start, StartScreen)
    assert start.print_tile.title.text() == "Udskriv"
    touch(kiosk, qtbot, start.print_tile)
    assert kiosk.session.view.screen is Screen.IDENTIFY
    log_in(kiosk)
    screen = window.current_screen()
    assert isinstance(screen, PrintScreen)
    assert screen.status.text() == "Din printsaldo: 25,00 kr.  ·  Udskrivning lukker kl. 21.50"
    rows = [row for row in screen.jobs.rows if row.isVisible()]
    assert [(r.title.text(), r.status.text()) for r in rows] == [
        ("Ansøgning om boligstøtte.pdf", "3 sider · sort-hvid · 1,65 kr."),
        ("Flybillet København–Aalborg.pdf", "1 side · 1 i farver · 1,00 kr.")]

    qtbot.mouseClick(rows[0], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert screen.job_title.text() == "Ansøgning om boligstøtte.pdf"
    assert screen.preview.pixmap() is not None and not screen.preview.pixmap().isNull()  # the first page
    assert not screen.black.isVisible()  # nothing in colour to leave out
    touch(kiosk, qtbot, screen.copies.more)
    touch(kiosk, qtbot, screen.duplex.on)
    assert screen.price.text() == "Pris: 3,30 kr. · 4 ark"  # 2 x 3 sides; 2 sheets a copy
    assert screen.confirm_button.text() == "Udskriv for 3,30 kr."
    touch(kiosk, qtbot, screen.confirm_button)
    assert screen.outcome.text() == "Tag dine sider ved printeren"
    assert screen.outcome_detail.text() == "Du har betalt 3,30 kr."
    assert screen.status.text().startswith("Din printsaldo: 21,70 kr.")
    assert balance(kiosk) == Decimal("21.70")
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter)
    assert [(job.job_id, job.copies) for job, _pdf in printer.jobs.values()] == [("pj-1001", 2)]

    touch(kiosk, qtbot, screen.receipt_button)
    assert screen.outcome_note.text() == "Kvitteringen er udskrevet."
    assert not screen.receipt_button.isVisible()  # one receipt
    touch(kiosk, qtbot, screen.back_button)  # "Flere udskrifter"
    assert [r.title.text() for r in screen.jobs.rows if r.isVisible()] == ["Flybillet København–Aalborg.pdf"]
    touch(kiosk, qtbot, screen.logout_button)
    assert kiosk.session.view.screen is Screen.START and kiosk.session.view.printing is None


def test_a_jam_is_said_on_screen_and_nothing_is_taken(kiosk: Kiosk, window: KioskWindow,
                                                       qtbot: QtBot) -> None:
    kiosk.session.choose_language("en")
    kiosk.core.drain()
    start = window.current_screen()
    assert isinstance(start, StartScreen)
    touch(kiosk, qtbot, start.print_tile)
    log_in(kiosk)
    screen = window.current_screen()
    assert isinstance(screen, PrintScreen)
    rows = [row for row in screen.jobs.rows if row.isVisible()]
    qtbot.mouseClick(rows[1], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    touch(kiosk, qtbot, screen.black.on)
    assert screen.confirm_button.text() == "Print for DKK 0.55"
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter)
    printer.jam_next = True
    touch(kiosk, qtbot, screen.confirm_button)
    assert screen.outcome.text() == "The printer could not print your document"
    assert screen.outcome_detail.text() == "You have not been charged. Try again later, or ask the staff."
    assert balance(kiosk) == Decimal("25.00")
    touch(kiosk, qtbot, screen.back_button)
    statuses = [r.status.text() for r in screen.jobs.rows if r.isVisible()]
    assert statuses[1] == "1 page · 1 in colour · DKK 1.00\nNot printed last time, and you were not charged"


def test_a_release_code_is_typed_on_the_pad_and_shown_as_typed(kiosk: Kiosk, window: KioskWindow,
                                                                 qtbot: QtBot) -> None:
    start = window.current_screen()
    assert isinstance(start, StartScreen)
    touch(kiosk, qtbot, start.print_tile)
    identify = window.screens[Screen.IDENTIFY]
    code_button = identify.code_button  # type: ignore[attr-defined]
    assert code_button.text() == "Jeg har en udskriftskode"
    touch(kiosk, qtbot, code_button)
    pad_screen = window.current_screen()
    assert isinstance(pad_screen, PrintCodeScreen)
    for digit in "40417":
        qtbot.mouseClick(pad_screen.pad.keys[digit], Qt.MouseButton.LeftButton)
    assert pad_screen.digits.text() == "4 0 4 1 7 _"
    qtbot.mouseClick(pad_screen.pad.keys["2"], Qt.MouseButton.LeftButton)
    touch(kiosk, qtbot, pad_screen.pad.ok_key)
    screen = window.current_screen()
    assert isinstance(screen, PrintScreen)
    assert screen.message.text() == ("Der er ingen udskrifter med den kode. "
                                     "Se koden igen, og prøv en gang til.")
    assert screen.none.isVisible()
    assert ANNA  # the code opened nobody's queue but the code's own
