"""The session: who is at the kiosk, their PIN attempts, the idle timeout and the privacy reset.

Runs on the core thread only. Inputs are events (a card presented, a PIN submitted, a button, a
tick); output is a :class:`SessionView` published after every change, which the UI renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import replace

from kiosk.circulation.service import CirculationService
from kiosk.circulation.view import (
    AnswerFee,
    BackToMenu,
    ChooseReceipt,
    FinishVisit,
    Purpose,
    ReceiptChoice,
    RenewAll,
    RenewSelected,
    StartVisit,
    ToggleRenewal,
    VisitView,
)
from kiosk.circulation.visit import VisitController
from kiosk.domain.errors import LmsError
from kiosk.domain.events import Core, Tick
from kiosk.domain.logs import SECRETS, SecretRegistry
from kiosk.domain.model import AuthOutcome, AuthResult, Credential, DeviceHealth, Patron, Tag
from kiosk.domain.ports import Clock, LibrarySystem, ReceiptMailer, ReceiptPrinter
from kiosk.door.entry import EntryController, EntryView
from kiosk.offline.mode import LmsModeChanged
from kiosk.session.actions import SessionActions
from kiosk.session.events import (
    CancelPressed,
    ChildrenChanged,
    CredentialPresented,
    LanguageChosen,
    LogoutPressed,
    PinSubmitted,
    TagsOnPad,
    UserActivity,
)
from kiosk.session.status import SessionStatus
from kiosk.session.view import Message, Screen, SessionView
from kiosk.settings import SessionSettings

log = logging.getLogger(__name__)

__all__ = ["MESSAGE_SECONDS", "Message", "Screen", "SessionService", "SessionView"]

MESSAGE_SECONDS = 8.0

EntryFactory = Callable[[Callable[[EntryView], None]], EntryController]


class SessionService(SessionActions, SessionStatus):
    def __init__(
        self,
        core: Core,
        lms: LibrarySystem,
        clock: Clock,
        settings: SessionSettings,
        *,
        language: str = "da",
        secrets: SecretRegistry = SECRETS,
        circulation: CirculationService | None = None,
        receipt_printer: ReceiptPrinter | None = None,
        mailer: ReceiptMailer | None = None,
        library_name: str = "",
        card_reader_health: Callable[[], DeviceHealth] | None = None,
        entry: EntryFactory | None = None,
        opening_now: Callable[[], tuple[str, dt.datetime | None]] | None = None,
    ) -> None:
        self._core = core
        self._lms = lms
        self._clock = clock
        self._settings = settings
        self._default_language = language
        self._secrets = secrets
        self._credential: Credential | None = None
        self._patron: Patron | None = None
        self._pin: str | None = None
        self._attempts = 0
        # Wrong PINs per card, kept across sessions (in memory, by a hash of the card number).
        self._failures: dict[str, tuple[int, float]] = {}
        self._generation = 0
        self._last_activity = clock.monotonic()
        self._message_until = 0.0
        self._purpose: Purpose | None = None
        # Without a pad (a door terminal) there is no borrowing or returning: no visits.
        self._visits = VisitController(
            core, lms, circulation, receipt_printer, mailer=mailer, publish=self._publish_visit,
            now=clock.now, library_name=library_name) if circulation is not None else None
        self._tags: tuple[Tag, ...] = ()
        self._card_reader_health = card_reader_health
        self._card_reader_ok = True
        self._next_health_check = 0.0
        # The door terminal: entries are decided by the access rules, not by a visit.
        self._entry = entry(self._on_entry) if entry is not None else None
        self._opening_now = opening_now
        # At the door: the opening state's kind and until when, shown from the first view on.
        self._opening: tuple[str, dt.datetime | None] = opening_now() if opening_now else ("", None)
        self._next_opening_check = 0.0
        self._lms_online = True
        self.view = self._blank_view(language)
        core.on(CredentialPresented, self._on_credential)
        core.on(PinSubmitted, self._on_pin)
        core.on(CancelPressed, lambda _e: self._reset(None, "cancelled"))
        core.on(ChildrenChanged, lambda e: self._show(
            children=max(0, min(self.view.children + e.step, self.view.max_children)))
            if self.view.screen is Screen.PIN else None)
        core.on(LogoutPressed, self._on_logout)
        core.on(UserActivity, lambda _e: self._touch())
        core.on(LanguageChosen, self._on_language)
        core.on(Tick, self._on_tick)
        core.on(LmsModeChanged, self._on_lms_mode)
        core.on(TagsOnPad, self._on_tags)
        core.on(StartVisit, self._on_start_visit)
        core.on(BackToMenu, self._on_back_to_menu)
        core.on(FinishVisit, self._on_finish)
        core.on(ChooseReceipt, self._on_receipt)
        core.on(AnswerFee, lambda e: self._visit_call(lambda v: v.answer_fee(e.accept)))
        core.on(ToggleRenewal, lambda e: self._visit_call(lambda v: v.toggle_renewal(e.item_id)))
        core.on(RenewSelected, lambda _e: self._visit_call(lambda v: v.renew(everything=False)))
        core.on(RenewAll, lambda _e: self._visit_call(lambda v: v.renew(everything=True)))

    @property
    def patron(self) -> Patron | None:
        return self._patron

    # -- handlers -------------------------------------------------------------------------------
    def _on_credential(self, event: CredentialPresented) -> None:
        if self.view.screen not in (Screen.START, Screen.IDENTIFY, Screen.PIN):
            log.info("credential ignored: a session is in progress")
            return
        if self.view.screen is Screen.START:
            self._purpose = None  # a card on the start screen: the patron's menu after the PIN
        self._forget_secrets()
        self._credential = event.credential
        self._attempts = self._failures_of(event.credential)
        if self._attempts >= self._settings.max_pin_attempts:
            log.info("credential refused: locked after too many wrong PINs")
            self._reset(Message.TOO_MANY_ATTEMPTS, "card locked for now")
            return
        self._touch()
        log.info("credential presented (%s)", event.credential.kind.value)
        self._show(screen=Screen.PIN, message=None, lms_messages=(), attempts_left=self._attempts_left)

    def _on_pin(self, event: PinSubmitted) -> None:
        if self.view.screen is not Screen.PIN or self._credential is None:
            return
        pin = event.pin
        self._secrets.add(pin)
        self._touch()
        if not (self._settings.pin_min_length <= len(pin) <= self._settings.pin_max_length
                and pin.isdigit()):
            self._wrong_pin(())
            return
        self._pin = pin
        self._generation += 1
        generation, credential = self._generation, self._credential
        self._show(screen=Screen.AUTHENTICATING, message=None)
        if self._entry is not None:
            self._entry.begin(credential, pin, self.view.language, self.view.children)
            return
        self._core.run_in_worker(
            lambda: self._lms.authenticate_patron(credential, pin),
            lambda result, error: self._on_auth(generation, result, error),
        )

    def _on_auth(self, generation: int, result: AuthResult | None, error: BaseException | None) -> None:
        if generation != self._generation or self.view.screen is not Screen.AUTHENTICATING:
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
            self._patron = result.patron
            if self._credential is not None:
                self._failures.pop(self._card_key(self._credential), None)
            self._secrets.add(result.patron.name)
            log.info("patron authenticated")
            self._show(screen=Screen.PATRON, message=None, lms_messages=messages,
                       greeting_name=result.patron.first_name)
            if self._purpose in (Purpose.BORROW, Purpose.ACCOUNT):
                self._begin_visit(self._purpose)
        elif result.outcome is AuthOutcome.WRONG_PIN:
            self._wrong_pin(messages)
        elif result.outcome is AuthOutcome.BLOCKED:
            log.info("patron refused: blocked")
            self._reset(Message.BLOCKED, "blocked", lms_messages=messages)
        else:
            log.info("credential refused: unknown patron")
            self._reset(Message.UNKNOWN_CARD, "unknown card", lms_messages=messages)

    def _card_key(self, credential: Credential) -> str:
        return hashlib.sha256(f"{credential.kind}:{credential.value}".encode()).hexdigest()

    def _failures_of(self, credential: Credential) -> int:
        now = self._clock.monotonic()
        self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
        count, _until = self._failures.get(self._card_key(credential), (0, 0.0))
        return count

    def _wrong_pin(self, messages: tuple[str, ...]) -> None:
        self._attempts += 1
        if self._credential is not None:
            until = self._clock.monotonic() + self._settings.pin_lockout_s
            self._failures[self._card_key(self._credential)] = (self._attempts, until)
        log.info("wrong PIN (attempt %d of %d)", self._attempts, self._settings.max_pin_attempts)
        if self._attempts >= self._settings.max_pin_attempts:
            self._reset(Message.TOO_MANY_ATTEMPTS, "too many PIN attempts")
            return
        self._show(screen=Screen.PIN, message=Message.WRONG_PIN, lms_messages=messages,
                   attempts_left=self._attempts_left)

    def _on_logout(self, _event: LogoutPressed) -> None:
        self._reset(Message.GOODBYE, "logout")

    def _on_language(self, event: LanguageChosen) -> None:
        self._touch()
        self._show(language=event.language)

    def _on_entry(self, view: EntryView) -> None:
        """The door's answer (and, later, whether the lock opened)."""
        if self.view.screen not in (Screen.AUTHENTICATING, Screen.DOOR):
            return
        if view.reason == "wrong_pin":
            self._show(screen=Screen.PIN)
            self._wrong_pin(())
            return
        if self.view.screen is Screen.AUTHENTICATING:
            self._message_until = self._clock.monotonic() + MESSAGE_SECONDS
        self._show(screen=Screen.DOOR, entry=view)

    def _on_tick(self, _event: Tick) -> None:
        now = self._clock.monotonic()
        self._check_card_reader(now)
        self._check_opening(now)
        if self._entry is not None:
            self._entry.tick()
            if self.view.screen is Screen.DOOR and now >= self._message_until:
                self._reset(None, "entry done")
                return
        idle = now - self._last_activity
        timeout, warning = self._settings.idle_timeout_s, self._settings.idle_warning_s
        if self.view.screen is Screen.START:
            if self.view.message is not None and now >= self._message_until:
                self._show(message=None, lms_messages=(), language=self._default_language)
            elif self.view.language != self._default_language and idle >= timeout:
                self._show(language=self._default_language)  # the next person starts in Danish
            return
        if idle >= timeout:
            self._reset(Message.TIMED_OUT, "idle timeout")
        elif idle >= timeout - warning:
            self._show(idle_warning=True, seconds_left=max(1, math.ceil(timeout - idle)))

    # -- visits ---------------------------------------------------------------------------------
    def _on_tags(self, event: TagsOnPad) -> None:
        self._tags = event.tags
        if self.view.screen in (Screen.BORROW, Screen.RETURN) and self._visits is not None:
            self._touch()
            self._visits.on_tags(event.tags)

    def _on_start_visit(self, event: StartVisit) -> None:
        if self._visits is None or self.view.screen not in (Screen.START, Screen.PATRON):
            return
        self._touch()
        self._purpose = event.purpose
        if event.purpose is Purpose.RETURN or self._patron is not None:
            self._begin_visit(event.purpose)
        else:
            # The identify screen says what the card is for; the visit itself starts after the PIN.
            self._show(screen=Screen.IDENTIFY, message=None, lms_messages=(),
                       visit=VisitView(event.purpose))

    def _begin_visit(self, purpose: Purpose) -> None:
        assert self._visits is not None
        screen = {Purpose.BORROW: Screen.BORROW, Purpose.RETURN: Screen.RETURN,
                  Purpose.ACCOUNT: Screen.ACCOUNT}[purpose]
        log.info("visit started (%s)", purpose.value)
        self._visits.begin(purpose, self._patron, self._pin, self._tags, self.view.language)
        self._show(screen=screen, message=None)

    def _publish_visit(self, _visit: VisitView | None) -> None:
        """The visit changed on its own (an item handled, the account loaded): show it."""
        if self.view.screen in (Screen.BORROW, Screen.RETURN, Screen.ACCOUNT, Screen.RECEIPT):
            self._show()

    def _visit_call(self, action: Callable[[VisitController], None]) -> None:
        if self._visits is not None and self._visits.active:
            self._touch()
            action(self._visits)

    def _on_back_to_menu(self, _event: BackToMenu) -> None:
        if self._patron is None:
            self._reset(None, "back to start")
            return
        self._touch()
        self._purpose = None
        if self._visits is not None:
            self._visits.end()
        self._show(screen=Screen.PATRON, message=None)

    def _on_finish(self, _event: FinishVisit) -> None:
        visits = self._visits
        if visits is None or not visits.active or self.view.screen not in (Screen.BORROW, Screen.RETURN):
            return
        self._touch()
        if visits.finish(self._tags):
            self._show(screen=Screen.RECEIPT)
        else:
            self._end_visit(None)

    def _on_receipt(self, event: ChooseReceipt) -> None:
        visits = self._visits
        if visits is None or self.view.screen is not Screen.RECEIPT:
            return
        self._touch()
        generation, emailed = self._generation, event.choice is ReceiptChoice.EMAIL
        visits.choose_receipt(event.choice, lambda done: self._receipt_done(generation, done, emailed))

    def _receipt_done(self, generation: int, delivered: bool | None, emailed: bool) -> None:
        if generation == self._generation:
            self._end_visit(delivered, emailed)

    def _end_visit(self, delivered: bool | None, emailed: bool = False) -> None:
        returning = self._patron is None
        if delivered is False:
            message = Message.RECEIPT_FAILED
        elif returning:
            message = Message.RETURNED
        elif delivered:
            message = Message.GOODBYE_EMAIL if emailed else Message.GOODBYE_RECEIPT
        else:
            message = Message.GOODBYE
        self._reset(message, "visit finished")

    # -- state ----------------------------------------------------------------------------------
    @property
    def _attempts_left(self) -> int:
        return self._settings.max_pin_attempts - self._attempts

    def _touch(self) -> None:
        self._last_activity = self._clock.monotonic()
        if self.view.idle_warning:
            self._show(idle_warning=False, seconds_left=0)

    def _reset(self, message: Message | None, why: str, lms_messages: tuple[str, ...] = ()) -> None:
        """Back to the start screen with every trace of the patron gone (invariant 4)."""
        was_active = self.view.screen is not Screen.START
        patron = self._patron
        self._generation += 1
        self._credential = None
        self._patron = None
        self._pin = None
        self._attempts = 0
        self._purpose = None
        if self._visits is not None:
            self._visits.end()
        if self._entry is not None:
            self._entry.cancel()
        self._forget_secrets()
        if patron is not None:
            patron_id = patron.patron_id
            self._core.run_in_worker(lambda: self._lms.end_session(patron_id), _log_end_session)
        if was_active:
            log.info("session ended (%s)", why)
        self._message_until = self._clock.monotonic() + MESSAGE_SECONDS
        # The farewell is said in the patron's language; the next person starts in the default.
        self.view = self._blank_view(self.view.language)
        self._show(message=message, lms_messages=lms_messages,
                   lockout_minutes=math.ceil(self._settings.pin_lockout_s / 60))

    def _forget_secrets(self) -> None:
        self._secrets.clear()

    def _blank_view(self, language: str) -> SessionView:
        return SessionView(
            screen=Screen.START,
            language=language,
            card_reader_ok=self._card_reader_ok,
            role="door" if self._entry is not None else "kiosk",
            opening_kind=self._opening[0],
            opening_until=self._opening[1],
            lms_offline=not self._lms_online,
            max_children=self._entry.max_children if self._entry is not None else 0,
            pin_min_length=self._settings.pin_min_length,
            pin_max_length=self._settings.pin_max_length,
        )

    def _show(self, **changes: object) -> None:
        changes.setdefault("visit", self._visits.view if self._visits is not None else None)
        view = replace(self.view, **changes)  # type: ignore[arg-type]
        if view.screen is not Screen.PATRON:
            view = replace(view, greeting_name="")
        if view.screen is not Screen.DOOR:
            view = replace(view, entry=None)
        if not view.idle_warning or view.screen is Screen.START:
            view = replace(view, idle_warning=False, seconds_left=0)
        self.view = view
        self._core.publish(view)

    def publish(self) -> None:
        """Publish the current view (for a UI that has just connected)."""
        self._core.publish(self.view)


def _log_end_session(_result: object, error: BaseException | None) -> None:
    if error is not None:
        log.warning("ending the LMS session failed: %s", error)
