"""The staff screens in the real window over the real session: what staff see and touch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.model import Credential, CredentialKind
from kiosk.session.service import Screen
from kiosk.staff.view import StaffPage
from kiosk.store import JournalState
from kiosk.testing.memory import MemoryCardReader, MemoryReceiptPrinter
from ui.main_window import KioskWindow
from ui.screens.staff import StaffScreen
from ui.sounds import Sounds


@pytest.fixture
def window(kiosk: Kiosk, qtbot: QtBot) -> Iterator[KioskWindow]:
    sounds = Sounds(audible=False)
    win = KioskWindow(kiosk.session, title="Test", languages=("da", "en"), now=kiosk.clock.now, sounds=sounds)
    kiosk.core.subscribe(win.show_view)
    qtbot.addWidget(win)
    win.resize(1080, 1920)
    win.show()
    yield win
    sounds.close()


def staff_screen(kiosk: Kiosk, window: KioskWindow) -> StaffScreen:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(Credential(CredentialKind.CARD_UID, "9900000001"))
    kiosk.core.drain()
    kiosk.session.submit_pin("1357")
    kiosk.core.drain()
    screen = window.current_screen()
    assert isinstance(screen, StaffScreen)
    return screen


def test_a_touch_on_test_prints_the_test_receipt_and_the_row_says_so(kiosk: Kiosk, window: KioskWindow,
                                                                      qtbot: QtBot) -> None:
    screen = staff_screen(kiosk, window)
    assert screen.title.text() == "Personale" and "administrator" in screen.who.text()
    qtbot.mouseClick(screen.tabs[StaffPage.TESTS], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    rows = [row for row in screen.tests.rows if row.isVisible()]
    receipt = next(row for row in rows if row.title.text() == "Kvitteringsprinter")
    assert receipt.status.text() == "Ikke kørt endnu"
    qtbot.mouseClick(receipt.buttons[0], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert receipt.status.text() == "Testkvitteringen er udskrevet: tag den"
    printer = kiosk.devices.receipt_printer
    assert isinstance(printer, MemoryReceiptPrinter) and printer.count == 1
    assert receipt.buttons[0].accessibleName() == "Test: Kvitteringsprinter"


def test_a_task_is_resolved_with_a_touch_and_leaves_the_list(kiosk: Kiosk, window: KioskWindow,
                                                             qtbot: QtBot) -> None:
    entry = kiosk.journal.append("checkin", {"item": "5010000003", "at": "2026-11-25T20:41:00+01:00"},
                                 state="needs_attention")
    screen = staff_screen(kiosk, window)
    qtbot.mouseClick(screen.tabs[StaffPage.TASKS], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    (row,) = [row for row in screen.tasks.rows if row.isVisible()]
    assert row.title.text() == "Aflevering af materiale 5010000003"
    assert [b.text() for b in row.buttons] == ["Klaret", "Fjern"]
    qtbot.mouseClick(row.buttons[0], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert not any(row.isVisible() for row in screen.tasks.rows)
    assert screen.no_tasks.text() == "Ingen transaktioner venter på personalet."
    assert screen.notice.text() == "Markeret som klaret."
    stored = kiosk.journal.get(entry.id)
    assert stored is not None and stored.state == JournalState.RESOLVED
    qtbot.mouseClick(screen.logout, Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START and window.view is not None
    assert window.view.staff is None
