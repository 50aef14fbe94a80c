"""Staff mode's side of a session: a card on a staff list is checked against its own PIN verifier
(on a worker: it is slow on purpose), not by the LMS, and opens the staff screens
(:class:`~kiosk.staff.mode.StaffMode`) instead of a patron's visit. Staff mode ends like a patron's
session: logging out, or the idle timeout's privacy reset. A card that is on no staff list goes on
to the patron's check, unchanged."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.domain.events import Core
from kiosk.domain.model import Credential
from kiosk.session.display import Display
from kiosk.session.identification import Identification, Verify
from kiosk.session.idle import PrivacyReset
from kiosk.session.presence import Presence
from kiosk.session.view import Screen
from kiosk.staff.directory import StaffCard, StaffDirectory
from kiosk.staff.mode import StaffMode
from kiosk.staff.view import StaffView

log = logging.getLogger("kiosk.session")

ModeFactory = Callable[[Callable[[StaffView | None], None]], StaffMode]
"""Makes the staff mode, given what shows its view."""


class StaffVisit:
    def __init__(self, core: Core, display: Display, presence: Presence, identification: Identification,
                 reset: PrivacyReset, directory: StaffDirectory, mode: ModeFactory) -> None:
        self._core, self._display, self._presence = core, display, presence
        self._identification, self._directory = identification, directory
        self.mode = mode(self._show)
        reset.forgetting(self.mode.end)
        patron_check = identification.verify
        identification.verify = self._verify_or(patron_check)

    def knows(self, credential: Credential) -> bool:
        """Is this a staff card (it may then log in when the kiosk is closed to patrons)?"""
        return self._directory.find(credential) is not None

    def _verify_or(self, patron_check: Verify) -> Verify:
        def verify(credential: Credential, pin: str) -> None:
            card = self._directory.find(credential)
            if card is None:
                patron_check(credential, pin)
                return
            generation = self._presence.generation
            self._core.run_in_worker(lambda: card.pin_matches(pin),
                                     lambda ok, error: self._answered(generation, card, ok, error))

        return verify

    def _answered(self, generation: int, card: StaffCard, ok: object, error: BaseException | None) -> None:
        if generation != self._presence.generation or self._display.view.screen is not Screen.AUTHENTICATING:
            return  # cancelled or timed out meanwhile
        if error is not None:
            log.error("staff card: the PIN could not be checked", exc_info=error)
        if ok is True:
            self._identification.accepted()
            self._presence.pin = None  # staff mode needs no PIN after this
            self.mode.begin(card)
        else:
            self._identification.wrong_pin(())

    def _show(self, view: StaffView | None) -> None:
        if view is not None:
            self._display.show(screen=Screen.STAFF, staff=view, message=None, lms_messages=())
