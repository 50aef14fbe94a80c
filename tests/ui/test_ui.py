"""The walking skeleton through the real window, the real core thread and the Qt bridge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.session.service import Screen as ScreenName
from kiosk.testing.memory import ManualClock, MemoryCardReader
from tests.conftest import isolated_settings
from ui.bridge import CoreBridge
from ui.main_window import ActivityFilter, KioskWindow
from ui.screens.session import PatronScreen, PinScreen, StartScreen


@pytest.fixture
def running(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Kiosk, KioskWindow, ManualClock]]:
    clock = ManualClock()
    kiosk = build(isolated_settings(tmp_path), profile="demo", clock=clock, log_to_console=False)
    window = KioskWindow(kiosk.session, title="Test", languages=("da", "en"), now=clock.now)
    qtbot.addWidget(window)
    bridge = CoreBridge(kiosk.core)
    bridge.notified.connect(window.show_view)
    window.resize(1080, 1920)
    window.show()
    kiosk.start()
    qtbot.waitUntil(lambda: window.view is not None)
    yield kiosk, window, clock
    kiosk.stop()


def present_anna(kiosk: Kiosk) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)


def type_pin(qtbot: QtBot, window: KioskWindow, pin: str) -> None:
    pin_screen = window.screens[ScreenName.PIN]
    assert isinstance(pin_screen, PinScreen)
    for digit in pin:
        qtbot.mouseClick(pin_screen.pad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pin_screen.pad.ok_key, Qt.MouseButton.LeftButton)


def test_card_pin_greeting_logout(running: tuple[Kiosk, KioskWindow, ManualClock],
                                  qtbot: QtBot) -> None:
    kiosk, window, _clock = running
    start = window.screens[ScreenName.START]
    assert isinstance(start, StartScreen)
    assert start.title.text() == "Velkommen"

    present_anna(kiosk)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PIN])
    pin_screen = window.screens[ScreenName.PIN]
    assert isinstance(pin_screen, PinScreen)
    qtbot.mouseClick(pin_screen.pad.keys["1"], Qt.MouseButton.LeftButton)
    assert pin_screen.dots.text() == "●○○○"

    pin_screen.pad.clear()
    type_pin(qtbot, window, "1234")
    patron = window.screens[ScreenName.PATRON]
    assert isinstance(patron, PatronScreen)
    qtbot.waitUntil(lambda: window.current_screen() is patron)
    assert patron.greeting.text() == "Hej, Anna"

    qtbot.mouseClick(patron.logout_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_screen() is start)
    assert "Du er logget ud" in start.message.text()
    assert patron.greeting.text() == "Hej, Anna"  # stale text is hidden, and replaced next time
    assert window.view is not None and window.view.greeting_name == ""


def test_wrong_pin_is_shown_on_the_pin_screen(running: tuple[Kiosk, KioskWindow, ManualClock],
                                              qtbot: QtBot) -> None:
    kiosk, window, _clock = running
    present_anna(kiosk)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PIN])
    type_pin(qtbot, window, "0000")
    pin_screen = window.screens[ScreenName.PIN]
    assert isinstance(pin_screen, PinScreen)
    qtbot.waitUntil(lambda: pin_screen.message.isVisible())
    assert pin_screen.message.text() == "Forkert pinkode. Du har 2 forsøg tilbage."


def test_language_button_switches_every_text(running: tuple[Kiosk, KioskWindow, ManualClock],
                                             qtbot: QtBot) -> None:
    kiosk, window, _clock = running
    assert window.header.language_button.text() == "Dansk"
    assert window.header.language_button.accessibleName() == "Dansk. Sprog / Language"  # label in name
    qtbot.mouseClick(window.header.language_button, Qt.MouseButton.LeftButton)
    assert window.languages.isVisible()
    assert window.languages.buttons["en"].text() == "English"
    qtbot.mouseClick(window.languages.buttons["en"], Qt.MouseButton.LeftButton)
    start = window.screens[ScreenName.START]
    assert isinstance(start, StartScreen)
    qtbot.waitUntil(lambda: start.title.text() == "Welcome")
    assert not window.languages.isVisible()
    assert window.header.language_button.text() == "English"
    present_anna(kiosk)
    pin_screen = window.screens[ScreenName.PIN]
    assert isinstance(pin_screen, PinScreen)
    qtbot.waitUntil(lambda: window.current_screen() is pin_screen)
    assert pin_screen.title.text() == "Enter your PIN"
    assert pin_screen.cancel_button.text() == "Cancel"


def test_idle_warning_then_timeout_clears_the_patron(
    running: tuple[Kiosk, KioskWindow, ManualClock], qtbot: QtBot
) -> None:
    kiosk, window, clock = running
    present_anna(kiosk)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PIN])
    type_pin(qtbot, window, "1234")
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PATRON])

    clock.advance(52)
    qtbot.waitUntil(lambda: window.overlay.isVisible())
    assert window.overlay.title.text() == "Er du der stadig?"
    assert "sekunder" in window.overlay.countdown.text()

    clock.advance(10)
    start = window.screens[ScreenName.START]
    qtbot.waitUntil(lambda: window.current_screen() is start)
    assert not window.overlay.isVisible()
    assert kiosk.session.patron is None


def test_any_touch_counts_as_activity(running: tuple[Kiosk, KioskWindow, ManualClock],
                                      qtbot: QtBot) -> None:
    kiosk, window, clock = running
    activity = ActivityFilter(kiosk.session.activity)
    window.installEventFilter(activity)
    present_anna(kiosk)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PIN])
    clock.advance(55)
    qtbot.waitUntil(lambda: window.overlay.isVisible())
    qtbot.mouseClick(window.overlay.stay_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.overlay.isVisible())
    assert window.current_screen() is window.screens[ScreenName.PIN]


def test_the_start_screen_says_when_the_card_reader_is_down(
        running: tuple[Kiosk, KioskWindow, ManualClock], qtbot: QtBot) -> None:
    kiosk, window, clock = running
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.unplug()
    clock.advance(3)
    start = window.screens[ScreenName.START]
    assert isinstance(start, StartScreen)
    qtbot.waitUntil(lambda: start.message.isVisible())
    assert start.message.text().startswith("Kortlæseren virker ikke lige nu")
