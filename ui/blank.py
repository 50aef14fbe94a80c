"""The black screen of a closed branch: a full-window overlay that swallows the touch that wakes it,
so that waking the kiosk presses no button underneath."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget


class BlankOverlay(QWidget):
    """Black over all of ``window``; a press or a touch on it calls ``wake``."""

    def __init__(self, window: QWidget, wake: Callable[[], None]) -> None:
        super().__init__(window)
        self.setObjectName("BlankOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setStyleSheet("#BlankOverlay { background: black; }")
        self.setCursor(Qt.CursorShape.BlankCursor)
        self._wake = wake
        self.hide()
        window.installEventFilter(self)  # follows the window's size

    def blank(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()

    def unblank(self) -> None:
        self.hide()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self._wake()
            event.accept()
            return True
        if event.type() in (QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd,
                            QEvent.Type.TouchUpdate, QEvent.Type.MouseMove):
            event.accept()
            return True
        return super().event(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        parent = self.parentWidget()
        if parent is not None and watched is parent and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
        return False
