"""The Display button, on every screen, opens the choices; a touch turns each on; the window shows it
at once and the next person gets the plain display. Through the real window, core thread and bridge."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.session.service import Screen as ScreenName
from kiosk.testing.memory import ManualClock
from tests.ui.test_ui import present_anna, running, type_pin
from ui.main_window import KioskWindow

__all__ = ["running"]  # the fixture


def _tap(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _background(window: KioskWindow) -> str:
    return window.grab().toImage().pixelColor(3, window.height() // 2).name()


def test_high_contrast_and_reach_chosen_on_the_pin_screen_last_until_logout(
        running: tuple[Kiosk, KioskWindow, ManualClock], qtbot: QtBot) -> None:
    kiosk, window, _clock = running
    present_anna(kiosk)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PIN])
    assert _background(window) == "#f5f3ee"
    _tap(qtbot, window.header.display_button)
    qtbot.waitUntil(lambda: window.display_choices.isVisible())
    _tap(qtbot, window.display_choices.contrast.on)
    _tap(qtbot, window.display_choices.reach.on)
    qtbot.waitUntil(lambda: window.reach_line > 0)
    _tap(qtbot, window.display_choices.close_button)
    qtbot.waitUntil(lambda: not window.display_choices.isVisible())
    assert _background(window) == "#000000"
    assert window.header.y() > window.height() // 2  # the header's buttons within reach, at the bottom
    type_pin(qtbot, window, kiosk.demo_cards[0].pin)
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.PATRON])
    assert _background(window) == "#000000"
    kiosk.session.cancel()
    qtbot.waitUntil(lambda: window.current_screen() is window.screens[ScreenName.START])
    qtbot.waitUntil(lambda: _background(window) == "#f5f3ee")
    assert window.header.y() == 0
