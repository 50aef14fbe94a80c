"""The kiosk's window cannot be left from the keyboard, nor closed.

:class:`LockdownFilter`, installed on the QApplication of a fullscreen kiosk, consumes the key
combinations that close, switch or leave a window (Alt+F4, Alt+Tab, Ctrl+W, the Super key, ...),
every function key (no screen uses one) and Escape, as key press, key release and shortcut override,
so that neither a widget nor a shortcut sees them. Printable characters, Enter and Backspace pass:
a keyboard-wedge scanner types its codes with them (:mod:`ui.wedge` takes its bursts), and a
person at a keyboard may type into a field. VT switching (Ctrl+Alt+F1) never reaches the window: the
compositor (cage without ``-s``) refuses it.

The windows it guards ignore a close request until :meth:`LockdownFilter.release` (the maintenance
exit, chosen in staff mode).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

Key = Qt.Key
Mod = Qt.KeyboardModifier

FUNCTION_KEYS = frozenset(Key(Key.Key_F1.value + n) for n in range(35))  # F1 .. F35
# Keys consumed whatever is held with them.
ALWAYS = frozenset({
    Key.Key_Escape, Key.Key_Meta, Key.Key_Super_L, Key.Key_Super_R, Key.Key_Hyper_L, Key.Key_Hyper_R,
    Key.Key_Menu, Key.Key_Close, Key.Key_PowerOff, Key.Key_Sleep, Key.Key_Suspend, Key.Key_Hibernate,
    Key.Key_Standby, Key.Key_LogOff, Key.Key_Explorer, Key.Key_HomePage, Key.Key_LaunchMail,
    Key.Key_Search, Key.Key_Launch0, Key.Key_Launch1, Key.Key_TaskPane, Key.Key_ApplicationLeft,
    Key.Key_ApplicationRight, Key.Key_Back, Key.Key_Forward, Key.Key_Reload, Key.Key_Print,
    Key.Key_SysReq,
}) | FUNCTION_KEYS
# Keys consumed with Alt held: close, switch and the window menu.
WITH_ALT = frozenset({Key.Key_F4, Key.Key_Tab, Key.Key_Backtab, Key.Key_Escape, Key.Key_Space})
# Keys consumed with Ctrl held: close the window or the application, switch tabs, select everything.
WITH_CONTROL = frozenset({Key.Key_W, Key.Key_Q, Key.Key_Tab, Key.Key_Backtab, Key.Key_F4,
                          Key.Key_Escape})
# Keys consumed with Ctrl and Alt held (the X server's zap, the "three finger salute").
WITH_CONTROL_ALT = frozenset({Key.Key_Backspace, Key.Key_Delete})

_KEY_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride})


def consumed(key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """Whether the lockdown swallows ``key`` pressed with ``modifiers`` (the tested list)."""
    alt = bool(modifiers & Mod.AltModifier)
    control = bool(modifiers & Mod.ControlModifier)
    if key in ALWAYS or modifiers & Mod.MetaModifier:
        return True
    if alt and control and key in WITH_CONTROL_ALT:
        return True
    if alt and control and key in {Key.Key_Left, Key.Key_Right, Key.Key_Up, Key.Key_Down}:
        return True  # desktop switching in many compositors
    return (alt and key in WITH_ALT) or (control and key in WITH_CONTROL)


class LockdownFilter(QObject):
    """Consumes the escape keys for the whole application; guarded windows ignore closing until
    :meth:`release`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._guarded: list[QWidget] = []
        self.released = False
        self.swallowed = 0  # how many key events it consumed (diagnostics)

    def guard(self, window: QWidget) -> None:
        """``window`` ignores a close request (Alt+F4 from a compositor, a window manager's close)."""
        self._guarded.append(window)

    def release(self) -> None:
        """The maintenance exit: the guarded windows may close again."""
        self.released = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _KEY_EVENTS and isinstance(event, QKeyEvent):
            if consumed(event.key(), event.modifiers()):
                self.swallowed += 1
                event.accept()  # a shortcut override accepted and then eaten: no shortcut fires
                return True
            return False
        if kind == QEvent.Type.Close and not self.released and watched in self._guarded:
            event.ignore()
            return True
        return False
