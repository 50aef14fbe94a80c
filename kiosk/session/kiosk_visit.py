"""The self-service kiosk's side of a session: the LMS checks the card and PIN, then the patron
borrows, returns, looks at their account and takes a receipt (the flows are
:class:`~kiosk.circulation.visit.VisitController`'s; this class connects them to the session)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.circulation.view import (
    AnswerFee,
    ChooseReceipt,
    Purpose,
    ReceiptChoice,
    StartVisit,
    ToggleRenewal,
    VisitView,
)
from kiosk.circulation.visit import VisitController
from kiosk.domain.errors import LmsError
from kiosk.domain.events import Core
from kiosk.domain.inputs import TagsOnPad
from kiosk.domain.logs import SecretRegistry
from kiosk.domain.model import AuthOutcome, AuthResult, Credential
from kiosk.domain.ports import AuthObserver, LibrarySystem
from kiosk.session.display import Display
from kiosk.session.identification import Identification
from kiosk.session.idle import IdleWatch, PrivacyReset
from kiosk.session.presence import Presence
from kiosk.session.view import Message, Screen

log = logging.getLogger("kiosk.session")

VISIT_SCREENS = {Purpose.BORROW: Screen.BORROW, Purpose.RETURN: Screen.RETURN,
                 Purpose.ACCOUNT: Screen.ACCOUNT}
VisitFactory = Callable[[Callable[[VisitView | None], None]], VisitController]


class KioskVisit:
    """``visits`` is None on a kiosk without a pad: patrons can log in, and nothing more."""

    def __init__(self, core: Core, lms: LibrarySystem, display: Display, presence: Presence,
                 identification: Identification, idle: IdleWatch, reset: PrivacyReset,
                 secrets: SecretRegistry, visits: VisitFactory | None, observe: AuthObserver | None = None,
                 languages: tuple[str, ...] = ()) -> None:
        self._core, self._lms, self._display, self._presence = core, lms, display, presence
        self._observe = observe  # told what the LMS answered (the learned access list)
        self._identification, self._idle, self._reset, self._secrets = identification, idle, reset, secrets
        self._visits = visits(self._publish_visit) if visits is not None else None
        self._languages = languages  # those the terminal offers
        # What else a patron may have logged in for (printing): the first that takes it over says True.
        self.after_login: list[Callable[[], bool]] = []
        identification.verify = self._authenticate
        if self._visits is not None:
            visits_ = self._visits
            display.visit = lambda: visits_.view
            reset.forgetting(visits_.end)
            reset.waiting_for(visits_.close)  # an item being lent or returned is finished first

    # -- the card and PIN, checked by the LMS ---------------------------------------------------
    def _authenticate(self, credential: Credential, pin: str) -> None:
        generation = self._presence.generation
        self._core.run_in_worker(lambda: self._ask(credential, pin),
                                 lambda result, error: self._answered(generation, result, error))

    def _ask(self, credential: Credential, pin: str) -> AuthResult:
        """On a worker: the LMS's answer (which the observer hears of before the patron sees it)."""
        result = self._lms.authenticate_patron(credential, pin)
        if self._observe is not None:
            self._observe(credential, pin, result)
        return result

    def _answered(self, generation: int, result: AuthResult | None, error: BaseException | None) -> None:
        display, presence = self._display, self._presence
        if generation != presence.generation or display.view.screen is not Screen.AUTHENTICATING:
            return  # the patron cancelled or timed out meanwhile
        if error is not None or result is None:
            if not isinstance(error, LmsError):
                log.error("authentication failed unexpectedly", exc_info=error)
            else:
                log.warning("LMS unavailable during authentication: %s", error)
            self._reset(Message.LMS_UNAVAILABLE, "lms unavailable")
            return
        messages = result.screen_messages
        if result.outcome is AuthOutcome.OK and result.patron is not None:
            presence.patron = result.patron
            self._identification.accepted()
            self._secrets.add(result.patron.name)
            log.info("patron authenticated")
            display.show(screen=Screen.PATRON, message=None, lms_messages=messages,
                         greeting_name=result.patron.first_name, language=self._language_after_login())
            if presence.purpose in (Purpose.BORROW, Purpose.ACCOUNT):
                self._begin(presence.purpose)
            else:
                for wanted in self.after_login:
                    if wanted():
                        break
        elif result.outcome is AuthOutcome.WRONG_PIN:
            self._identification.wrong_pin(messages)
        elif result.outcome is AuthOutcome.BLOCKED:
            log.info("patron refused: blocked")
            self._reset(Message.BLOCKED, "blocked", lms_messages=messages)
        else:
            log.info("credential refused: unknown patron")
            self._reset(Message.UNKNOWN_CARD, "unknown card", lms_messages=messages)

    def _language_after_login(self) -> str:
        """The patron's language in the LMS, when the terminal offers it and the patron has not
        chosen the one on the screen during this visit; otherwise the one on the screen."""
        shown, patron = self._display.view.language, self._presence.patron
        if patron is None or self._presence.chosen_language == shown:
            return shown
        if patron.language and patron.language != shown and patron.language in self._languages:
            log.info("the patron's language in the LMS is taken: %s", patron.language)
            return patron.language
        return shown

    # -- the visit --------------------------------------------------------------------------------
    def on_tags(self, event: TagsOnPad) -> None:
        self._presence.tags = event.tags
        if self._display.view.screen in (Screen.BORROW, Screen.RETURN) and self._visits is not None:
            self._idle.touch()
            self._visits.on_tags(event.tags)

    def on_start(self, event: StartVisit) -> None:
        display, presence = self._display, self._presence
        if self._visits is None or display.view.screen not in (Screen.START, Screen.PATRON):
            return
        self._idle.touch()
        presence.purpose = event.purpose
        if event.purpose is Purpose.RETURN or presence.patron is not None:
            self._begin(event.purpose)
        else:
            # The identify screen says what the card is for; the visit itself starts after the PIN.
            display.show(screen=Screen.IDENTIFY, message=None, lms_messages=(),
                         visit=VisitView(event.purpose))

    def _begin(self, purpose: Purpose) -> None:
        assert self._visits is not None
        log.info("visit started (%s)", purpose.value)
        presence = self._presence
        self._visits.begin(purpose, presence.patron, presence.pin, presence.tags, self._display.view.language)
        self._display.show(screen=VISIT_SCREENS[purpose], message=None)

    def _publish_visit(self, _visit: VisitView | None) -> None:
        """The visit changed on its own (an item handled, the account loaded): show it."""
        if self._display.view.screen in (Screen.BORROW, Screen.RETURN, Screen.ACCOUNT, Screen.RECEIPT):
            self._display.show()

    def call(self, action: Callable[[VisitController], None]) -> None:
        """Pass a patron's choice (a fee answer, a renewal) to the visit in progress, if any."""
        if self._visits is not None and self._visits.active:
            self._idle.touch()
            action(self._visits)

    def on_fee(self, event: AnswerFee) -> None:
        self.call(lambda visit: visit.answer_fee(event.accept))

    def on_toggle(self, event: ToggleRenewal) -> None:
        self.call(lambda visit: visit.toggle_renewal(event.item_id))

    def on_back_to_menu(self) -> None:
        if self._presence.patron is None:
            self._reset(None, "back to start")
            return
        self._idle.touch()
        self._presence.purpose = None
        if self._visits is not None:
            self._visits.end()
        self._display.show(screen=Screen.PATRON, message=None)

    def on_finish(self) -> None:
        visits = self._visits
        if visits is None or not visits.active:
            return
        if self._display.view.screen not in (Screen.BORROW, Screen.RETURN):
            return
        self._idle.touch()
        if visits.close(self.on_finish):  # an item is still being handled: it belongs on the receipt
            self._display.show(finishing=True)
            return
        if visits.finish(self._presence.tags):
            self._display.show(screen=Screen.RECEIPT, finishing=False)
        else:
            self._end(None)

    def on_receipt(self, event: ChooseReceipt) -> None:
        visits = self._visits
        if visits is None or self._display.view.screen is not Screen.RECEIPT:
            return
        self._idle.touch()
        generation, emailed = self._presence.generation, event.choice is ReceiptChoice.EMAIL

        def delivered(done: bool | None) -> None:
            if generation == self._presence.generation:
                self._end(done, emailed)

        visits.choose_receipt(event.choice, delivered)

    def _end(self, delivered: bool | None, emailed: bool = False) -> None:
        if delivered is False:
            message = Message.RECEIPT_FAILED
        elif self._presence.patron is None:
            message = Message.RETURNED
        elif delivered:
            message = Message.GOODBYE_EMAIL if emailed else Message.GOODBYE_RECEIPT
        else:
            message = Message.GOODBYE
        self._reset(message, "visit finished")
