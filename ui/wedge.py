"""Keyboard-wedge scanners and USB card readers that type: catch their bursts before a field does.

A wedge scanner "types" a code as a burst of key presses a few milliseconds apart, ending in Enter;
a person types tens of times slower (research §6.2). :class:`WedgeFilter`, installed on the
QApplication, holds each typed character back for at most ``max_gap_ms``. If the next one follows
sooner and an Enter ends the run, the whole run was a scan: it is swallowed and emitted as
:attr:`WedgeFilter.scanned`. Otherwise the held keys are delivered, late by less than the gap, to
the widget they were meant for.

The raw string is emitted as typed; turning it into a credential is the caller's job (the screens
call the scan classifier), so this module knows nothing of devices.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

_MODIFIER_KEYS = frozenset({
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
    Qt.Key.Key_CapsLock,
})
# Characters typed with these held are shortcuts, not scanner output.
_SHORTCUT_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                       | Qt.KeyboardModifier.MetaModifier)


@dataclass(frozen=True)
class WedgeThresholds:
    """When a run of keys counts as a scan. Heuristics: measure them on the real scanner (§6.2)."""

    max_gap_ms: float = 30.0  # longest pause between two keys of one scan
    min_length: int = 4  # shortest code; shorter fast runs are a person's key rollover
    max_length: int = 256  # a longer run is delivered as typing
    terminators: Sequence[Qt.Key] = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


@dataclass(frozen=True)
class _HeldKey:
    receiver: QObject
    key: int
    modifiers: Qt.KeyboardModifier
    text: str


class WedgeFilter(QObject):
    """An application-wide event filter that turns scanner bursts into :attr:`scanned` signals.

    Install with ``app.installEventFilter(wedge)``. ``clock`` returns seconds (monotonic); tests
    inject their own to stage exact timings.
    """

    scanned = Signal(str)

    def __init__(
        self,
        thresholds: WedgeThresholds | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.thresholds = thresholds or WedgeThresholds()
        self.enabled = True
        self._clock = clock
        self._held: list[_HeldKey] = []
        self._last_key_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, round(self.thresholds.max_gap_ms)))
        self._timer.timeout.connect(self.release_held_keys)

    @property
    def holding(self) -> str:
        """The characters held back right now (for diagnostics and tests)."""
        return "".join(k.text for k in self._held)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Only key presses from the input device, as delivered to a widget: Qt also shows the filter
        # the same press propagating to parents and our own re-sent presses, neither spontaneous.
        if (not self.enabled or event.type() != QEvent.Type.KeyPress or not event.spontaneous()
                or not isinstance(watched, QWidget) or not isinstance(event, QKeyEvent)):
            return False
        return self._on_key(watched, event)

    def release_held_keys(self) -> None:
        """Deliver the held keys to their widgets: they were typed, not scanned."""
        self._timer.stop()
        held, self._held = self._held, []
        for key in held:
            replay = QKeyEvent(QEvent.Type.KeyPress, key.key, key.modifiers, key.text)
            try:
                QCoreApplication.sendEvent(key.receiver, replay)
            except RuntimeError:  # the widget was deleted while its key was held
                continue

    def _on_key(self, receiver: QWidget, event: QKeyEvent) -> bool:
        now = self._clock()
        if self._held and (now - self._last_key_at) * 1000.0 > self.thresholds.max_gap_ms:
            self.release_held_keys()
        key = event.key()
        if key in self.thresholds.terminators:
            return self._on_terminator()
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & _SHORTCUT_MODIFIERS:
            if len(self._held) >= self.thresholds.max_length:
                self.release_held_keys()
            self._held.append(_HeldKey(receiver, key, event.modifiers(), text))
            self._last_key_at = now
            self._timer.start()
            return True
        if key not in _MODIFIER_KEYS:  # Backspace, arrows, Tab...: a person is at the keyboard
            self.release_held_keys()
        return False

    def _on_terminator(self) -> bool:
        if not self._held:
            return False
        if len(self._held) < self.thresholds.min_length:
            self.release_held_keys()
            return False
        code = self.holding
        self._timer.stop()
        self._held = []
        self.scanned.emit(code)
        return True
