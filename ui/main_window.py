"""The kiosk's main window: header, the current screen, and the idle warning on top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QApplication, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from kiosk.circulation.view import Purpose
from kiosk.domain.ports import Speaker
from kiosk.session.service import Screen as ScreenName
from kiosk.session.service import SessionView
from kiosk.session.view import PLAIN_DISPLAY, DisplayMode
from kiosk.settings import ScreenSettings, TactileKeySettings
from kiosk.texts import RIGHT_TO_LEFT
from ui import style
from ui.feedback import sound_for
from ui.language import LanguageChooser
from ui.rows import install_row_accessibility
from ui.screens.account import AccountScreen
from ui.screens.base import Screen, SessionActions
from ui.screens.display import DisplayChoices
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
from ui.speech import SpeechGuide
from ui.tactile import TactileKeys, is_stop, reading_order
from ui.widgets import HIGH_CONTRAST_PROPERTY, CardOverlay, Header, MessageLabel, PinPad, set_tone


class KioskWindow(QWidget):
    def __init__(
        self,
        actions: SessionActions,
        *,
        title: str,
        languages: tuple[str, ...],
        now: Callable[[], dt.datetime],
        sounds: Sounds | None = None,
        speaker: Speaker | None = None,
        keys: TactileKeySettings | None = None,
        speech_key: bool = True,
        screen: ScreenSettings | None = None,
    ) -> None:
        """``speaker``: speech mode's voice (None: speech mode shows, but nothing is heard);
        ``keys``: the tactile keys; ``speech_key``: the speech key in the header; ``screen``: the
        panel's size and mounting (the reach layout's line); default a 21.5" panel 800 mm above the
        floor."""
        super().__init__()
        install_row_accessibility()
        self.setObjectName("KioskWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(title)
        self._now = now
        self.screen_settings = screen if screen is not None else ScreenSettings()
        self.header = Header(title, languages, self._open_languages,
                             actions.toggle_speech if speech_key else None,
                             on_display=lambda: actions.show_display_choices(True))
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
        for page in self.screens.values():
            self.stack.addWidget(page)
        self._size_by(self.screens[ScreenName.START])
        layout = self.rows = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        self.overlay = IdleOverlay(self, actions)
        self.languages = LanguageChooser(self, languages, actions.choose_language)
        self.speech = SpeechGuide(speaker, self.sounds, now=now, library_name=title) if speaker else None
        for pad in self.findChildren(PinPad):
            if self.speech is not None:
                self.speech.watch_pad(pad)
        self.tactile = TactileKeys(self, keys or TactileKeySettings(), self.tactile_stops)
        self.tactile.command.connect(self._speech_command)
        if self.speech is not None:
            self.tactile.focused.connect(self.speech.focus_moved)
        application = QApplication.instance()
        if application is not None:
            application.installEventFilter(self.tactile)  # removed with the window (its child)
        self._actions = actions
        self.display_choices = DisplayChoices(self, actions)
        self.display_mode = PLAIN_DISPLAY
        self.reach_line = 0  # the reach layout: no control above this many px from the top (0: off)
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
        before, self.view = self.view, view
        focus = self.focusWidget()
        if focus is not None and (before is None or before.screen is not view.screen):
            focus.clearFocus()  # a new screen: the tactile keys start again at its first control
        self._size_by(self.screens[view.screen])
        self.apply_display(view.display_mode)
        if before is None or before.language != view.language:
            # The visit's language is each widget's, for assistive technology (AT-SPI's locale).
            self.setLocale(QLocale(view.language))
        screen = self.screens[view.screen]
        screen.show_view(view)
        self.stack.setCurrentWidget(screen)
        self._size_by(screen)
        self.header.set_language(view.language)
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft if view.language in RIGHT_TO_LEFT
                                else Qt.LayoutDirection.LeftToRight)
        self.languages.show_view(view)
        self.overlay.show_view(view)
        self.header.set_speech(view.speech, view.language)
        self.display_choices.show_view(view)
        if sound is not None:
            self.sounds.play(sound)
        if self.speech is not None:
            self.speech.show_view(before, view)

    def tactile_stops(self) -> list[QWidget]:
        """The controls the tactile keys move through: an overlay's alone while one shows, else the
        screen's in reading order, then the header's (speech key, languages)."""
        rtl = self.isRightToLeft()
        overlays = [overlay for overlay in self.findChildren(CardOverlay) if overlay.isVisible()]
        if overlays:
            return reading_order([w for w in overlays[-1].findChildren(QWidget) if is_stop(w)], self, rtl=rtl)
        screen = self.current_screen()
        inside = reading_order([w for w in screen.findChildren(QWidget) if is_stop(w)], self, rtl=rtl)
        header = [w for w in self.header.findChildren(QWidget) if is_stop(w)]  # one line, along it
        return inside + sorted(header, key=lambda w: -w.x() if rtl else w.x())

    def _speech_command(self, name: str) -> None:
        if name == "speech":
            self._actions.toggle_speech()
        elif self.speech is not None:
            self.speech.command(name)

    def _open_languages(self) -> None:
        if self.view is not None:
            self.languages.show_view(self.view)
        self.languages.open()
        self.overlay.raise_()  # the idle warning stays on top

    def _size_by(self, screen: Screen) -> None:
        """Only the screen shown sets the window's minimum size: a screen not shown (its words not
        yet set, all its parts visible) must not make the window grow, in large text above all."""
        for page in self.screens.values():
            policy = QSizePolicy.Policy.Preferred if page is screen else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)

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
        self._restyle(scale)

    def apply_display(self, mode: DisplayMode) -> None:
        """Draw every screen in ``mode`` (the visit's high contrast, large text, reach layout)."""
        if mode == self.display_mode:
            return
        self.display_mode = mode
        if self._scale is not None:
            self._restyle(self._scale)

    def _restyle(self, size: style.Scale) -> None:
        mode = self.display_mode
        scale = replace(size, text=style.LARGE_TEXT if mode.large_text else 1.0)
        self.setProperty(HIGH_CONTRAST_PROPERTY, mode.high_contrast)
        palette = style.HIGH_CONTRAST if mode.high_contrast else style.PLAIN
        self.setStyleSheet(style.stylesheet(scale, palette))
        self.header.apply_scale(scale)
        for screen in self.screens.values():
            screen.apply_scale(scale)
        self.overlay.apply_scale(scale)
        self.languages.apply_scale(scale)
        self.display_choices.apply_scale(scale)
        for message in self.findChildren(MessageLabel):
            message.apply_scale(scale)
        # The reach layout: the header (its buttons) at the bottom, and each screen's controls below
        # the line; where the whole screen is within reach (landscape) nothing moves.
        self.reach_line = self.screen_settings.reach_line_px(scale.width, scale.height) if mode.reach else 0
        self.rows.removeWidget(self.header)
        self.rows.insertWidget(1 if self.reach_line else 0, self.header)
        set_tone(self.header, "bottom", "true" if self.reach_line else "false")
        for screen in self.screens.values():
            screen.apply_reach(self.reach_line)
        for overlay in self.findChildren(CardOverlay):
            overlay.set_reach(self.reach_line)
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.apply_scale(event.size().width(), event.size().height())
        self.overlay.setGeometry(self.rect())
        self.languages.setGeometry(self.rect())
        self.display_choices.setGeometry(self.rect())
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
