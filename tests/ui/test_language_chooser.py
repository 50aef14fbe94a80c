"""The header's language button and the chooser it opens: every offered language in its own name,
big enough to touch, closing on a choice or on its close button; Arabic and Farsi lay the window
out right to left, the keypad stays as it is."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.session.view import Screen, SessionView
from kiosk.texts import LANGUAGE_NAMES, LANGUAGES
from tests.ui.test_ui_visit import RecordingActions
from ui.main_window import KioskWindow
from ui.screens.session import PinScreen
from ui.sounds import Sounds

TOUCH_PX = 100  # 15 mm on a 21.5" full-HD panel


@pytest.fixture
def recorded() -> RecordingActions:
    return RecordingActions()


@pytest.fixture
def window(qtbot: QtBot, recorded: RecordingActions) -> KioskWindow:
    shown = KioskWindow(recorded, title="Dokk1", languages=LANGUAGES,
                        now=lambda: dt.datetime(2026, 11, 25, 20, 15), sounds=Sounds(audible=False))
    qtbot.addWidget(shown)
    shown.setFixedSize(1080, 1920)
    shown.apply_scale(1080, 1920)
    shown.show()
    shown.show_view(SessionView(screen=Screen.START, language="da"))
    return shown


def test_the_chooser_lists_every_language_in_its_own_name_big_enough_to_touch(window: KioskWindow,
                                                                              qtbot: QtBot) -> None:
    qtbot.mouseClick(window.header.language_button, Qt.MouseButton.LeftButton)
    assert window.languages.isVisible()
    assert {code: choice.text() for code, choice in window.languages.buttons.items()} == LANGUAGE_NAMES
    assert all(choice.isVisible() and min(choice.width(), choice.height()) >= TOUCH_PX
               for choice in window.languages.buttons.values())
    assert window.languages.buttons["da"].property("selected") == "true"


def test_a_choice_is_posted_and_closes_the_chooser(window: KioskWindow, recorded: RecordingActions,
                                                   qtbot: QtBot) -> None:
    qtbot.mouseClick(window.header.language_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.languages.buttons["uk"], Qt.MouseButton.LeftButton)
    assert not window.languages.isVisible()
    assert recorded.calls[-1] == ("choose_language", "uk")


def test_the_close_button_closes_without_a_choice(window: KioskWindow, recorded: RecordingActions,
                                                  qtbot: QtBot) -> None:
    qtbot.mouseClick(window.header.language_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.languages.close_button, Qt.MouseButton.LeftButton)
    assert not window.languages.isVisible()
    assert not [call for call in recorded.calls if call[0] == "choose_language"]
    assert window.languages.close_button.text() == "Luk"


def test_the_chooser_closes_when_the_screen_changes_under_it(window: KioskWindow, qtbot: QtBot) -> None:
    qtbot.mouseClick(window.header.language_button, Qt.MouseButton.LeftButton)
    window.show_view(SessionView(screen=Screen.PIN, language="da"))
    assert not window.languages.isVisible()


@pytest.mark.parametrize("language", ["ar", "fa"])
def test_right_to_left_languages_mirror_the_window_but_not_the_keypad(window: KioskWindow, qtbot: QtBot,
                                                                       language: str) -> None:
    window.show_view(SessionView(screen=Screen.PIN, language=language))
    pin = window.screens[Screen.PIN]
    assert isinstance(pin, PinScreen)
    assert window.layoutDirection() is Qt.LayoutDirection.RightToLeft
    assert pin.title.layoutDirection() is Qt.LayoutDirection.RightToLeft
    assert pin.pad.layoutDirection() is Qt.LayoutDirection.LeftToRight
    header = window.header
    qtbot.waitUntil(lambda: header.title.x() > header.language_button.x())  # the name on the right
    one, three = pin.pad.keys["1"], pin.pad.keys["3"]
    assert one.x() < three.x()  # 1 2 3, left to right, as on every keypad
    window.show_view(SessionView(screen=Screen.PIN, language="da"))
    assert window.layoutDirection() is Qt.LayoutDirection.LeftToRight
    qtbot.waitUntil(lambda: header.title.x() < header.language_button.x())
