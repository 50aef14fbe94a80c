"""Screen blanking wired to a fullscreen kiosk: the branch calendar and :class:`BlankingRule` decide,
the black overlay and the backlight carry it out, touches and the session's screens count as use.
Checked every few seconds from the GUI event loop."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from hardware.display.backlight import SYSFS, Backlight
from kiosk.door.calendar import BranchCalendar, OpeningState
from kiosk.session.blanking import BlankingRule
from kiosk.session.view import Screen, SessionView
from kiosk.settings import Settings
from ui.blank import BlankOverlay

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 5000
_USE = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress})


class ScreenBlanking(QObject):
    """Blanks ``window`` (and the backlight) when ``rule`` says so; :meth:`used` wakes it."""

    def __init__(self, window: QWidget, *, state_at: Callable[[dt.datetime], OpeningState | None],
                 now: Callable[[], dt.datetime], rule: BlankingRule, backlight: Backlight) -> None:
        super().__init__(window)
        self._state_at, self._now, self._rule, self._backlight = state_at, now, rule, backlight
        self._last_use: dt.datetime | None = None
        self.overlay = BlankOverlay(window, self.used)
        self.blank = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)

    def start(self, app: QApplication) -> None:
        app.installEventFilter(self)
        self._timer.start(CHECK_EVERY_MS)
        self.check()

    def stop(self, app: QApplication) -> None:
        """The kiosk ends: the backlight on again, for whoever looks at the machine next."""
        self._timer.stop()
        app.removeEventFilter(self)
        self._backlight.on()

    def used(self) -> None:
        """A touch, a card, the door: lit for the rule's ``awake`` time."""
        self._last_use = self._now()
        if self.blank:
            self.check()

    def view_shown(self, view: object) -> None:
        if isinstance(view, SessionView) and view.screen is not Screen.START:  # a card, the door
            self.used()

    def check(self) -> None:
        now = self._now()
        try:
            state = self._state_at(now)
            blank = state is not None and self._rule.blank(state, now, self._last_use)
        except Exception:  # a calendar that cannot answer leaves the screen lit
            log.exception("screen blanking: the calendar could not say")
            blank = False
        if blank == self.blank:
            return
        self.blank = blank
        if blank:
            log.info("screen blanked: the branch is closed")
            self.overlay.blank()
            self._backlight.off()
        else:
            log.info("screen lit again")
            self._backlight.on()
            self.overlay.unblank()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USE and not self.blank:
            self._last_use = self._now()
        return False


def screen_blanking(settings: Settings, window: QWidget, now: Callable[[], dt.datetime],
                    calendar: Callable[[], BranchCalendar | None],
                    sysfs: Path = SYSFS) -> ScreenBlanking | None:
    """The blanking of a fullscreen kiosk's window, or None (turned off). ``calendar``: the branch
    calendar in force (the central system's when it sent one); without one the screen stays lit."""
    terminal = settings.terminal
    if not terminal.blank_when_closed:
        return None

    def state_at(when: dt.datetime) -> OpeningState | None:
        current = calendar()
        return current.state_at(when) if current is not None else None

    rule = BlankingRule(grace=dt.timedelta(minutes=terminal.blank_after_min))
    return ScreenBlanking(window, state_at=state_at, now=now, rule=rule,
                          backlight=Backlight.from_setting(terminal.backlight, sysfs))
