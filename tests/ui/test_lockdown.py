"""The locked-down window: the escape keys reach no widget and fire no shortcut, a scanner's codes and
a person's typing still arrive, and the window cannot be closed until the maintenance exit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ui.lockdown import LockdownFilter, consumed
from ui.wedge import WedgeFilter

Key, Mod = Qt.Key, Qt.KeyboardModifier
NONE, ALT, CTRL, META = (Mod.NoModifier, Mod.AltModifier, Mod.ControlModifier, Mod.MetaModifier)

# What the lockdown swallows: the list README's "Locked down and supervised" gives.
ESCAPES = [
    ("Alt+F4", Key.Key_F4, ALT), ("Alt+Tab", Key.Key_Tab, ALT), ("Alt+Shift+Tab", Key.Key_Backtab, ALT),
    ("Alt+Esc", Key.Key_Escape, ALT), ("Alt+Space", Key.Key_Space, ALT),
    ("Ctrl+Alt+Backspace", Key.Key_Backspace, CTRL | ALT), ("Ctrl+Alt+Del", Key.Key_Delete, CTRL | ALT),
    ("Ctrl+Alt+F1", Key.Key_F1, CTRL | ALT), ("Ctrl+Alt+Left", Key.Key_Left, CTRL | ALT),
    ("Ctrl+W", Key.Key_W, CTRL), ("Ctrl+Q", Key.Key_Q, CTRL), ("Ctrl+F4", Key.Key_F4, CTRL),
    ("Ctrl+Tab", Key.Key_Tab, CTRL), ("Ctrl+Esc", Key.Key_Escape, CTRL),
    ("Super", Key.Key_Super_L, NONE), ("Super+L", Key.Key_L, META), ("Meta+D", Key.Key_D, META),
    ("Menu", Key.Key_Menu, NONE), ("Escape", Key.Key_Escape, NONE), ("F1", Key.Key_F1, NONE),
    ("F5", Key.Key_F5, NONE), ("F11", Key.Key_F11, NONE), ("F12", Key.Key_F12, NONE),
    ("F24", Key.Key_F24, NONE), ("PowerOff", Key.Key_PowerOff, NONE), ("Sleep", Key.Key_Sleep, NONE),
    ("Print", Key.Key_Print, NONE),
]
PASSING = [
    ("a", Key.Key_A, NONE), ("A", Key.Key_A, Mod.ShiftModifier), ("5", Key.Key_5, NONE),
    ("Enter", Key.Key_Return, NONE), ("keypad Enter", Key.Key_Enter, Mod.KeypadModifier),
    ("Backspace", Key.Key_Backspace, NONE), ("Tab", Key.Key_Tab, NONE), ("Left", Key.Key_Left, NONE),
    ("Ctrl+C", Key.Key_C, CTRL), ("Ctrl+V", Key.Key_V, CTRL), ("Alt+A", Key.Key_A, ALT),
]


MODIFIER_KEYS = {Key.Key_Shift, Key.Key_Control, Key.Key_Alt, Key.Key_Meta}  # QTest presses them first


class Field(QLineEdit):
    """A field that records every key press that reaches it (but modifiers on their own)."""

    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[int] = []

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() not in MODIFIER_KEYS:
            self.pressed.append(event.key())
        super().keyPressEvent(event)


class Window(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.field = Field()
        QVBoxLayout(self).addWidget(self.field)
        self.shortcuts_fired: list[str] = []
        self.shortcuts = [QShortcut(QKeySequence(sequence), self)
                          for sequence in ("Ctrl+W", "Ctrl+Q", "Alt+F4", "F11", "Esc")]
        for shortcut in self.shortcuts:
            shortcut.activated.connect(self._fired)

    def _fired(self) -> None:
        shortcut = self.sender()
        assert isinstance(shortcut, QShortcut)
        self.shortcuts_fired.append(shortcut.key().toString())


@pytest.fixture
def window(qtbot: QtBot) -> Window:
    window = Window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    window.field.setFocus()
    return window


def press(window: Window, key: Key, modifiers: Mod = NONE) -> None:
    """A key pressed and released on the window, through the platform's path (shortcuts included),
    as a keyboard's would be."""
    handle = window.windowHandle()
    assert handle is not None
    QTest.keyClick(handle, key, modifiers)


@pytest.fixture
def lockdown(window: Window) -> Iterator[LockdownFilter]:
    app = QApplication.instance()
    assert app is not None
    lockdown = LockdownFilter()
    lockdown.guard(window)
    app.installEventFilter(lockdown)
    yield lockdown
    lockdown.release()
    app.removeEventFilter(lockdown)


@pytest.mark.parametrize(("name", "key", "modifiers"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_an_escape_key_reaches_no_widget_and_fires_no_shortcut(
        window: Window, lockdown: LockdownFilter, name: str, key: Key, modifiers: Mod) -> None:
    assert consumed(key, modifiers), name
    press(window, key, modifiers)
    assert window.field.pressed == [] and window.shortcuts_fired == []
    assert window.isVisible()


@pytest.mark.parametrize(("name", "key", "modifiers"), PASSING, ids=[p[0] for p in PASSING])
def test_typing_keys_reach_the_field(window: Window, lockdown: LockdownFilter, name: str, key: Key,
                                     modifiers: Mod) -> None:
    assert not consumed(key, modifiers), name
    press(window, key, modifiers)
    assert window.field.pressed == [key]


def test_without_the_lockdown_the_same_keys_would_fire_shortcuts(window: Window) -> None:
    press(window, Key.Key_W, CTRL)
    press(window, Key.Key_F11)
    assert window.shortcuts_fired == ["Ctrl+W", "F11"]


def test_a_wedge_scanners_code_still_reaches_the_wedge(window: Window, lockdown: LockdownFilter) -> None:
    app = QApplication.instance()
    assert app is not None
    wedge = WedgeFilter(clock=lambda: 0.0)  # every key at the same instant: a scanner's burst
    scans: list[str] = []
    wedge.scanned.connect(scans.append)
    app.installEventFilter(wedge)
    try:
        QTest.keyClicks(window.field, "5701234567892")
        QTest.keyClick(window.field, Key.Key_Return)
    finally:
        app.removeEventFilter(wedge)
    assert scans == ["5701234567892"] and window.field.text() == ""


def test_the_window_cannot_be_closed_until_the_maintenance_exit(window: Window,
                                                                lockdown: LockdownFilter) -> None:
    assert window.close() is False and window.isVisible()
    lockdown.release()
    assert window.close() is True and not window.isVisible()
