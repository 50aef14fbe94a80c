"""Print release's side of a session: the "Print" tile, the card and PIN (checked by the LMS as for
borrowing) or a release code, then the print desk (:class:`~kiosk.printing.desk.PrintDesk`) on the
print screens. Logging out or the idle timeout forgets the desk like everything else; a job already
at the printer finishes on its worker, its money settled there."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.printing.desk import PrintDesk
from kiosk.printing.events import PrintBack, PrintChoiceChanged, PrintCodeEntered
from kiosk.printing.view import RELEASE_CODE_LENGTH, PrintStage, PrintView
from kiosk.session.display import Display
from kiosk.session.idle import IdleWatch, PrivacyReset
from kiosk.session.kiosk_visit import KioskVisit
from kiosk.session.presence import Presence
from kiosk.session.view import Screen

log = logging.getLogger("kiosk.session")

DeskFactory = Callable[[Callable[[PrintView | None], None]], PrintDesk]
"""Makes the print desk, given what shows its view."""



class PrintVisit:
    def __init__(self, display: Display, presence: Presence, idle: IdleWatch, reset: PrivacyReset,
                 kiosk: KioskVisit, desk: DeskFactory) -> None:
        self._display, self._presence, self._idle, self._reset = display, presence, idle, reset
        self.desk = desk(self._publish)
        self._wanted = False  # "Print" was chosen before the card: the print screen after the PIN
        display.printing = lambda: self.desk.view
        display.offer_printing()
        reset.forgetting(self._forget)
        kiosk.after_login.append(self._after_login)

    def _forget(self) -> None:
        self._wanted = False
        self.desk.end()

    @property
    def _screen(self) -> Screen:
        return self._display.view.screen

    def on_start(self) -> None:
        if self._screen not in (Screen.START, Screen.PATRON):
            return
        self._idle.touch()
        if self._presence.patron is not None:
            self._open()
            return
        self._wanted = True
        self._display.show(screen=Screen.IDENTIFY, print_intent=True, message=None, lms_messages=(),
                           visit=None)

    def _after_login(self) -> bool:
        if not self._wanted:
            return False
        self._open()
        return True

    def _cards(self) -> tuple[str, ...]:
        credential, patron = self._presence.credential, self._presence.patron
        return tuple(value for value in (credential.value if credential else "",
                                         patron.patron_id if patron else "") if value)

    def _open(self) -> None:
        self._wanted = False
        log.info("print desk opened")
        self.desk.begin(self._cards())
        self._display.show(screen=Screen.PRINT, message=None, lms_messages=(), print_intent=False)

    def on_code_wanted(self) -> None:
        view = self._display.view
        if self._screen is Screen.PRINT or (self._screen is Screen.IDENTIFY and view.print_intent):
            self._idle.touch()
            self._display.show(screen=Screen.PRINT_CODE, message=None, lms_messages=())

    def on_code(self, event: PrintCodeEntered) -> None:
        if self._screen is not Screen.PRINT_CODE:
            return
        self._idle.touch()
        code = event.code.strip()
        if len(code) != RELEASE_CODE_LENGTH or not code.isascii() or not code.isdigit():
            return  # the pad sends six digits; anything else is not a code
        if self._presence.patron is not None:
            if not self.desk.active:
                self.desk.begin(self._cards())
            self.desk.add_code(code)
        else:
            self._wanted = False
            log.info("print desk opened with a release code")
            self.desk.begin_with_code(code)
        self._display.show(screen=Screen.PRINT, message=None, lms_messages=(), print_intent=False)

    def on_choice(self, event: PrintChoiceChanged) -> None:
        view = self.desk.view
        if view is None:
            return
        self._idle.touch()
        copies = view.choices.copies + event.copies_step if event.copies_step else None
        self.desk.change(copies=copies, duplex=event.duplex, black_and_white=event.black_and_white)

    def call(self, action: Callable[[PrintDesk], None]) -> None:
        """A touch on the print screen, passed to the desk."""
        if self._screen is Screen.PRINT and self.desk.active:
            self._idle.touch()
            action(self.desk)

    def on_back(self, _event: PrintBack) -> None:
        screen, view = self._screen, self.desk.view
        self._idle.touch()
        if screen is Screen.PRINT_CODE:
            if self.desk.active:
                self._display.show(screen=Screen.PRINT)
            else:
                self._display.show(screen=Screen.IDENTIFY, print_intent=True)
            return
        if screen is not Screen.PRINT or view is None or view.stage is PrintStage.PRINTING:
            return
        if view.stage is not PrintStage.LIST and view.stage is not PrintStage.LOADING:
            self.desk.back()
        elif self._presence.patron is not None:
            self.desk.end()
            self._display.show(screen=Screen.PATRON, message=None)
        else:
            self._reset(None, "back to start")

    def _publish(self, view: PrintView | None) -> None:
        if view is not None and view.stage is PrintStage.PRINTING:
            self._idle.touch()  # the patron waits at the printer: that is not walking away
        if self._screen in (Screen.PRINT, Screen.PRINT_CODE):
            self._display.show()
