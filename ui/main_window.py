"""The kiosk's main window: header, the current screen, and the idle warning on top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.circulation.view import Purpose
from kiosk.session.service import Screen as ScreenName
from kiosk.session.service import SessionView
from ui import style
from ui.feedback import sound_for
from ui.rows import install_row_accessibility
from ui.screens.account import AccountScreen
from ui.screens.base import Screen, SessionActions
from ui.screens.door import DoorScreen
from ui.screens.items import ItemsScreen
from ui.screens.printing import PrintCodeScreen, PrintScreen
from ui.screens.receipt import ReceiptScreen
from ui.screens.session import (
    AuthenticatingScreen,
    IdentifyScreen,
    IdleOverlay,
    PatronScreen,
    PinScreen,
    StartScreen,
)
from ui.screens.staff import StaffScreen
from ui.sounds import Sounds
from ui.widgets import Header, MessageLabel


class KioskWindow(QWidget):
    def __init__(
        self,
        actions: SessionActions,
        *,
        title: str,
        languages: tuple[str, ...],
        now: Callable[[], dt.datetime],
        sounds: Sounds | None = None,
    ) -> None:
        super().__init__()
        install_row_accessibility()
        self.setObjectName("KioskWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(title)
        self._now = now
        self.header = Header(title, languages, actions.choose_language)
        self.stack = QStackedWidget()
        self.screens: dict[ScreenName, Screen] = {
            ScreenName.START: StartScreen(actions),
            ScreenName.IDENTIFY: IdentifyScreen(actions),
            ScreenName.PIN: PinScreen(actions),
            ScreenName.AUTHENTICATING: AuthenticatingScreen(),
            ScreenName.PATRON: PatronScreen(actions),
            ScreenName.BORROW: ItemsScreen(actions, Purpose.BORROW),
            ScreenName.RETURN: ItemsScreen(actions, Purpose.RETURN),
            ScreenName.ACCOUNT: AccountScreen(actions),
            ScreenName.RECEIPT: ReceiptScreen(actions),
            ScreenName.DOOR: DoorScreen(),
            ScreenName.STAFF: StaffScreen(actions),
            ScreenName.PRINT: PrintScreen(actions),
            ScreenName.PRINT_CODE: PrintCodeScreen(actions),
        }
        self.sounds = sounds if sounds is not None else Sounds()
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        self.overlay = IdleOverlay(self, actions)
        self.view: SessionView | None = None
        self._scale: style.Scale | None = None
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self.update_clock)
        self._clock_timer.start(1000)
        self.update_clock()

    def show_view(self, view: object) -> None:
        """Show a view published by the core (other notifications are ignored here)."""
        if not isinstance(view, SessionView):
            return
        sound = sound_for(self.view, view)
        if self.view is None or self.view.language != view.language:
            # The visit's language is each widget's, for assistive technology (AT-SPI's locale).
            self.setLocale(QLocale(view.language))
        self.view = view
        screen = self.screens[view.screen]
        screen.show_view(view)
        self.stack.setCurrentWidget(screen)
        self.header.set_language(view.language)
        self.overlay.show_view(view)
        if sound is not None:
            self.sounds.play(sound)

    def current_screen(self) -> Screen:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Screen)
        return widget

    def update_clock(self) -> None:
        self.header.clock.setText(self._now().strftime("%H.%M"))

    def apply_scale(self, width: int, height: int) -> None:
        scale = style.Scale(width, height)
        if scale == self._scale:
            return
        self._scale = scale
        self.setStyleSheet(style.stylesheet(scale))
        self.header.apply_scale(scale)
        for screen in self.screens.values():
            screen.apply_scale(scale)
        self.overlay.apply_scale(scale)
        for message in self.findChildren(MessageLabel):
            message.apply_scale(scale)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.apply_scale(event.size().width(), event.size().height())
        self.overlay.setGeometry(self.rect())
        super().resizeEvent(event)


class ActivityFilter(QObject):
    """Any touch, click or key press on the kiosk counts as activity for the idle timer."""

    _EVENTS: ClassVar[set[QEvent.Type]] = {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.TouchBegin,
        QEvent.Type.KeyPress,
    }

    def __init__(self, on_activity: Callable[[], None]) -> None:
        super().__init__()
        self._on_activity = on_activity

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._EVENTS:
            self._on_activity()
        return False
