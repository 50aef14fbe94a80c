"""Tactile keys: arrows move the focus through a screen's controls in reading order, OK presses the
focused one (EN 301 549 5.1.6.1: operable without touching the screen).

:class:`TactileKeys`, an application event filter owned by the kiosk's window, takes the keys of
:class:`~kiosk.settings.TactileKeySettings` (a tactile keypad such as Storm AudioNav types ordinary
key codes): previous / next (wrapping; Left and Right swapped in a right-to-left language),
activate, and the speech commands (speech on/off, repeat, stop, louder, softer), which it passes on
as :attr:`TactileKeys.command`. The focus is Qt's own (so the stylesheet's ``:focus`` ring shows
it); a touch clears it, so the ring shows only while the keys drive the screen. The lockdown
(:mod:`ui.lockdown`) and the wedge (:mod:`ui.wedge`) let all these keys through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QScrollArea, QWidget

from kiosk.settings import TactileKeySettings
from ui.rows import InfoRow

COMMANDS = ("speech", "repeat", "stop", "louder", "softer")
_MOVES = {"previous": -1, "next": 1}
_MIRRORED = {int(Qt.Key.Key_Left): int(Qt.Key.Key_Right), int(Qt.Key.Key_Right): int(Qt.Key.Key_Left)}


def key_codes(names: Iterable[str]) -> frozenset[int]:
    """Qt key codes for key names without ``Key_`` ("Up", "Return", "Asterisk")."""
    codes = set()
    for name in names:
        key = getattr(Qt.Key, f"Key_{name}", None)
        if key is None:
            raise ValueError(f"{name!r} is not a Qt key name (Up, Return, Asterisk, F13, ...)")
        codes.add(int(key))
    return frozenset(codes)


def is_stop(widget: QWidget) -> bool:
    """A control the keys stop at: a visible, enabled button, or an item row (read out; pressed
    where it can be tapped)."""
    return isinstance(widget, QAbstractButton | InfoRow) and widget.isVisible() and widget.isEnabled()


def reading_order(widgets: Iterable[QWidget], window: QWidget, *, rtl: bool) -> list[QWidget]:
    """Top to bottom, then along the line (right to left in a right-to-left language)."""
    def where(widget: QWidget) -> tuple[int, int]:
        corner = widget.mapTo(window, QPoint(widget.width() if rtl else 0, 0))
        return corner.y(), -corner.x() if rtl else corner.x()

    return sorted(widgets, key=where)


class TactileKeys(QObject):
    focused = Signal(QWidget)  # the keys moved the focus here
    command = Signal(str)  # one of COMMANDS

    _TOUCHES: ClassVar[set[QEvent.Type]] = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin}

    def __init__(self, window: QWidget, keys: TactileKeySettings,
                 stops: Callable[[], list[QWidget]]) -> None:
        super().__init__(window)
        self._window = window
        self._stops = stops
        self._actions: dict[int, str] = {}
        for action in (*_MOVES, "activate", *COMMANDS):
            for code in key_codes(getattr(keys, action)):
                self._actions.setdefault(code, action)

    def current(self) -> QWidget | None:
        """The control the keys have focused, if it is still one of the screen's."""
        widget = self._window.focusWidget()
        return widget if widget is not None and widget in self._stops() else None

    def move(self, step: int) -> QWidget | None:
        stops = self._stops()
        if not stops:
            return None
        here = self.current()
        if here is None:
            target = stops[0] if step > 0 else stops[-1]
        else:
            target = stops[(stops.index(here) + step) % len(stops)]
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        _scroll_to(target)
        self.focused.emit(target)
        return target

    def activate(self) -> None:
        widget = self.current()
        if isinstance(widget, QAbstractButton):
            widget.click()
        elif isinstance(widget, InfoRow) and widget.on_tap is not None:
            widget.on_tap()
        elif widget is not None:
            self.focused.emit(widget)  # nothing to press: say it again

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in self._TOUCHES and isinstance(watched, QWidget) and watched.window() is self._window:
            focus = self._window.focusWidget()
            if focus is not None:
                focus.clearFocus()  # a touch: the ring goes until the keys are used again
            return False
        if kind != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                | Qt.KeyboardModifier.MetaModifier):
            return False
        code = int(event.key())
        if self._window.isRightToLeft():
            code = _MIRRORED.get(code, code)
        action = self._actions.get(code)
        if action is None:
            return False
        if action in _MOVES:
            self.move(_MOVES[action])
        elif action == "activate":
            self.activate()
        else:
            self.command.emit(action)
        return True


def _scroll_to(widget: QWidget) -> None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
            return
        parent = parent.parentWidget()
