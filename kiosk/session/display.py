"""The session's one way to the screen: the view as it is now, and :meth:`Display.show`, which keeps
the view's rules (no greeting after the patron screen, no door answer on another screen, no idle
warning on the start screen) and publishes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kiosk.circulation.view import VisitView
from kiosk.domain.events import Core
from kiosk.domain.ports import Clock
from kiosk.printing.view import PrintView
from kiosk.session.view import PLAIN_DISPLAY, DisplayMode, Screen, SessionView

MESSAGE_SECONDS = 8.0  # how long a farewell, a refusal or the door's answer stays on the screen


class Display:
    def __init__(self, core: Core, clock: Clock, blank: SessionView) -> None:
        self._core = core
        self._clock = clock
        self._blank = blank
        self.view = blank
        self.visit: Callable[[], VisitView | None] = lambda: None  # the visit's view, shown with the session
        self.printing: Callable[[], PrintView | None] = lambda: None  # the print desk's, likewise
        self.message_until = 0.0  # the message on the screen stays until then (monotonic)
        self.speech_after_reset: Callable[[], bool] = lambda: False  # a headset still plugged in

    def show(self, **changes: object) -> None:
        changes.setdefault("visit", self.visit())
        changes.setdefault("printing", self.printing())
        view = replace(self.view, **changes)  # type: ignore[arg-type]
        if view.screen is not Screen.PATRON:
            view = replace(view, greeting_name="")
        if view.screen is not Screen.DOOR:
            view = replace(view, entry=None)
        if view.screen is not Screen.STAFF:
            view = replace(view, staff=None)
        if view.screen not in (Screen.PRINT, Screen.PRINT_CODE):
            view = replace(view, printing=None)
        if not view.idle_warning or view.screen is Screen.START:
            view = replace(view, idle_warning=False, seconds_left=0)
        self.view = view
        self._core.publish(view)

    def set_default_language(self, language: str) -> None:
        self._blank = replace(self._blank, language=language)

    def offer_printing(self) -> None:
        """This terminal releases print jobs: every session starts with the "Print" tile."""
        self._blank = replace(self._blank, printing_offered=True)
        self.view = replace(self.view, printing_offered=True)

    def hold_message(self) -> None:
        """Keep what the screen says now for :data:`MESSAGE_SECONDS`."""
        self.message_until = self._clock.monotonic() + MESSAGE_SECONDS

    def blank(self, language: str, display_mode: DisplayMode = PLAIN_DISPLAY) -> None:
        """Back to the start screen in ``language`` and ``display_mode`` (default: the plain display),
        nothing of the patron left; what the terminal knows about itself (card reader, opening hours,
        LMS) stays. Not published: :meth:`show` next."""
        now = self.view
        self.view = replace(self._blank, language=language, display_mode=display_mode,
                            card_reader_ok=now.card_reader_ok,
                            opening=now.opening, lms_offline=now.lms_offline, hours=now.hours,
                            closing_soon=now.closing_soon, speech=self.speech_after_reset())

    def publish(self) -> None:
        self._core.publish(self.view)
