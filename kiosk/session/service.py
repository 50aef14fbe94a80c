"""The session: who is at the terminal and what they see, composed of small parts with one job each.

* :class:`~kiosk.session.identification.Identification`: card, PIN, lock-out;
* :class:`~kiosk.session.idle.IdleWatch` and :class:`~kiosk.session.idle.PrivacyReset`: idle time,
  and the reset that leaves nothing of the patron behind;
* :class:`~kiosk.session.kiosk_visit.KioskVisit` (borrow, return, account, receipt) or
  :class:`~kiosk.session.door_visit.DoorVisit` (the door's decision), by the terminal's role;
* :class:`~kiosk.session.staff_visit.StaffVisit`: a staff card and PIN open staff mode instead;
* :class:`~kiosk.session.status.TerminalStatus`: card reader, opening hours, LMS online.

Runs on the core thread only. Inputs are events (a card presented, a PIN submitted, a button, a
tick), routed by one table in :meth:`SessionService.attach`; output is a
:class:`~kiosk.session.view.SessionView` published after every change, which the UI renders. The
screens call the methods at the bottom, which post events and return at once (any thread).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

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
)
from kiosk.domain.central import DefaultLanguageChosen
from kiosk.domain.events import Core, Tick
from kiosk.domain.inputs import CredentialPresented, TagsOnPad
from kiosk.domain.logs import SECRETS, SecretRegistry
from kiosk.domain.model import DeviceHealth, Patron
from kiosk.domain.ports import AuthObserver, Clock, LibrarySystem
from kiosk.door.calendar import KioskHours, Opening
from kiosk.offline.mode import LmsModeChanged
from kiosk.printing.events import (
    PrintBack,
    PrintChoiceChanged,
    PrintCodeEntered,
    PrintCodeWanted,
    PrintConfirmed,
    PrintJobChosen,
    PrintPayByCard,
    PrintReceiptWanted,
    StartPrint,
)
from kiosk.session.display import MESSAGE_SECONDS, Display
from kiosk.session.door_visit import DoorVisit, EntryFactory
from kiosk.session.events import (
    CancelPressed,
    ChildrenChanged,
    DisplayChoicesShown,
    HeadsetChanged,
    HighContrastChosen,
    LanguageChosen,
    LargeTextChosen,
    LogoutPressed,
    PinSubmitted,
    ReachLayoutChosen,
    SpeechToggled,
    UserActivity,
)
from kiosk.session.identification import Identification, PinFailures
from kiosk.session.idle import IdleWatch, PrivacyReset
from kiosk.session.kiosk_visit import KioskVisit, VisitFactory
from kiosk.session.presence import Presence
from kiosk.session.print_visit import DeskFactory, PrintVisit
from kiosk.session.speech import SpeechMode
from kiosk.session.staff_visit import ModeFactory, StaffVisit
from kiosk.session.status import TerminalStatus
from kiosk.session.view import Message, Screen, SessionView
from kiosk.settings import Role, SessionSettings
from kiosk.staff.directory import StaffDirectory
from kiosk.staff.events import (
    StaffActionChosen,
    StaffDoorAction,
    StaffLanguageChosen,
    StaffPageChosen,
    StaffTaskResolved,
    StaffTestRequested,
)
from kiosk.staff.view import DoorAction, Resolution, StaffPage, TerminalAction

__all__ = ["MESSAGE_SECONDS", "Message", "Screen", "SessionService", "SessionView"]

log = logging.getLogger("kiosk.session")


class SessionService:
    def __init__(self, core: Core, lms: LibrarySystem, clock: Clock, settings: SessionSettings, *,
                 language: str = "da", secrets: SecretRegistry = SECRETS, role: Role = Role.KIOSK,
                 max_children: int = 0, card_reader_health: Callable[[], DeviceHealth] | None = None,
                 opening_now: Callable[[], Opening] | None = None,
                 kiosk_hours: Callable[[dt.datetime], KioskHours] | None = None,
                 pin_failures: PinFailures | None = None) -> None:
        """The parts every session has; :meth:`for_kiosk` and :meth:`for_door` add the visit.
        ``pin_failures`` keeps the wrong PINs per card (default: in memory)."""
        self._core = core
        blank = SessionView(screen=Screen.START, language=language, role=role, max_children=max_children,
                            pin_min_length=settings.pin_min_length, pin_max_length=settings.pin_max_length)
        self.display = Display(core, clock, blank)
        self.presence = Presence()
        self.reset = PrivacyReset(core, lms, self.display, self.presence, secrets, settings, clock)
        self.idle = IdleWatch(clock, self.display, settings, language, self.reset)
        self.identification = Identification(clock, self.display, self.presence, settings, secrets, self.idle,
                                             self.reset, pin_failures)
        hours_now = None
        if kiosk_hours is not None:
            def hours_now() -> tuple[KioskHours, dt.datetime]:
                now = clock.now()
                return kiosk_hours(now), now
        self.status = TerminalStatus(self.display, clock.monotonic, card_reader_health, opening_now,
                                     hours_now)
        self.speech = SpeechMode(self.display, self.idle)
        self.kiosk: KioskVisit | None = None
        self.door: DoorVisit | None = None
        self.staff: StaffVisit | None = None
        self.printing: PrintVisit | None = None

    @classmethod
    def for_kiosk(cls, core: Core, lms: LibrarySystem, clock: Clock, settings: SessionSettings, *,
                  visits: VisitFactory | None = None, language: str = "da", secrets: SecretRegistry = SECRETS,
                  card_reader_health: Callable[[], DeviceHealth] | None = None,
                  kiosk_hours: Callable[[dt.datetime], KioskHours] | None = None,
                  pin_failures: PinFailures | None = None, observe: AuthObserver | None = None,
                  staff: tuple[StaffDirectory, ModeFactory] | None = None,
                  printing: DeskFactory | None = None, languages: tuple[str, ...] = ()) -> SessionService:
        """The self-service kiosk's session; ``visits`` makes the borrow/return/account flows
        (None: a kiosk without a pad, where patrons can only log in). ``kiosk_hours`` (the branch
        calendar's) stops new visits outside the kiosk's hours; the visit in progress finishes.
        ``staff``: the staff lists and staff mode (a staff card and PIN open the staff screens);
        ``printing`` makes the print desk (print release: the "Print" tile). ``languages``: those
        the terminal offers; after login the patron's language in the LMS is taken when it is one
        of them and the patron has not chosen one on the screen."""
        session = cls(core, lms, clock, settings, language=language, secrets=secrets,
                      card_reader_health=card_reader_health, kiosk_hours=kiosk_hours,
                      pin_failures=pin_failures)
        session.kiosk = KioskVisit(core, lms, session.display, session.presence, session.identification,
                                   session.idle, session.reset, secrets, visits, observe, languages)
        if printing is not None:
            session.printing = PrintVisit(session.display, session.presence, session.idle, session.reset,
                                          session.kiosk, printing)
        if staff is not None:
            session.staff = StaffVisit(core, session.display, session.presence, session.identification,
                                       session.reset, *staff)
        session.attach()
        return session

    @classmethod
    def for_door(cls, core: Core, lms: LibrarySystem, clock: Clock, settings: SessionSettings, *,
                 entry: EntryFactory, opening_now: Callable[[], Opening], language: str = "da",
                 secrets: SecretRegistry = SECRETS, max_children: int = 0,
                 card_reader_health: Callable[[], DeviceHealth] | None = None,
                 pin_failures: PinFailures | None = None,
                 staff: tuple[StaffDirectory, ModeFactory] | None = None) -> SessionService:
        """The entrance panel's session: card and PIN, then the door's decision; a card on a staff
        list (with a staff-mode role) opens staff mode instead, whose first page is the door's."""
        session = cls(core, lms, clock, settings, language=language, secrets=secrets, role=Role.DOOR,
                      max_children=max_children, card_reader_health=card_reader_health,
                      opening_now=opening_now, pin_failures=pin_failures)
        session.door = DoorVisit(clock, session.display, session.identification, session.reset, entry)
        if staff is not None:
            session.staff = StaffVisit(core, session.display, session.presence, session.identification,
                                       session.reset, *staff)
        session.attach()
        return session

    def attach(self) -> None:
        """Route the core's events to the parts: the session's one table of handlers."""
        kiosk, door = self.kiosk, self.door
        handlers: dict[type, Callable[[Any], None]] = {
            CredentialPresented: self._on_credential,
            PinSubmitted: self.identification.on_pin,
            CancelPressed: lambda _e: self.reset(None, "cancelled"),
            LogoutPressed: lambda _e: self.reset(Message.GOODBYE, "logout"),
            UserActivity: lambda _e: self.idle.touch(),
            LanguageChosen: self._on_language,
            DisplayChoicesShown: lambda event: self._on_display(display_choices=event.shown),
            HighContrastChosen: lambda event: self._on_display(high_contrast=event.on),
            LargeTextChosen: lambda event: self._on_display(large_text=event.on),
            ReachLayoutChosen: lambda event: self._on_display(reach=event.on),
            DefaultLanguageChosen: self._on_default_language,
            LmsModeChanged: self.status.on_lms_mode,
            SpeechToggled: self.speech.on_toggle,
            HeadsetChanged: self.speech.on_headset,
            Tick: self._on_tick,
        }
        if kiosk is not None:
            handlers |= {
                TagsOnPad: kiosk.on_tags,
                StartVisit: lambda event: self._new_visit(event, kiosk.on_start),
                BackToMenu: lambda _e: kiosk.on_back_to_menu(),
                FinishVisit: lambda _e: kiosk.on_finish(),
                ChooseReceipt: kiosk.on_receipt,
                AnswerFee: kiosk.on_fee,
                ToggleRenewal: kiosk.on_toggle,
                RenewSelected: lambda _e: kiosk.call(lambda visit: visit.renew(everything=False)),
                RenewAll: lambda _e: kiosk.call(lambda visit: visit.renew(everything=True)),
            }
        if door is not None:
            handlers[ChildrenChanged] = door.on_children
        if self.printing is not None:
            printing = self.printing
            handlers |= {
                StartPrint: lambda event: self._new_visit(event, lambda _e: printing.on_start()),
                PrintCodeWanted: lambda _e: printing.on_code_wanted(),
                PrintCodeEntered: printing.on_code,
                PrintJobChosen: lambda event: printing.call(lambda desk: desk.select(event.job_id)),
                PrintChoiceChanged: printing.on_choice,
                PrintConfirmed: lambda _e: printing.call(lambda desk: desk.confirm()),
                PrintPayByCard: lambda _e: printing.call(lambda desk: desk.pay_by_card()),
                PrintBack: printing.on_back,
                PrintReceiptWanted: lambda _e: printing.call(
                    lambda desk: desk.print_receipt(self.display.view.language)),
            }
        if self.staff is not None:
            mode = self.staff.mode
            handlers |= {
                StaffPageChosen: lambda event: mode.choose(event.page),
                StaffTestRequested: lambda event: mode.run_test(event.test, self.display.view.language),
                StaffTaskResolved: lambda event: mode.resolve(event.entry_id, event.resolution),
                StaffActionChosen: lambda event: mode.act(event.action),
                StaffDoorAction: lambda event: mode.door_action(event.action),
                StaffLanguageChosen: lambda event: mode.choose_language(event.language),
            }
        for event_type, handler in handlers.items():
            self._core.on(event_type, handler)

    def _on_credential(self, event: CredentialPresented) -> None:
        staff = self.staff
        if staff is not None and staff.mode.active:
            staff.mode.on_card(event.credential)  # the card test's card; never a patron's session
            return
        if staff is not None and self.display.view.screen is Screen.START and staff.knows(event.credential):
            self.identification.on_credential(event)  # staff may log in when the kiosk is closed
            return
        if self.kiosk is not None and self.display.view.screen is Screen.START:
            self._new_visit(event, self.identification.on_credential)  # a card on the start screen
        else:
            self.identification.on_credential(event)

    def _new_visit(self, event: Any, start: Callable[[Any], None]) -> None:
        """Start a visit if the kiosk is within its hours; otherwise say so, and when it opens."""
        if self.display.view.screen is not Screen.START or self.status.kiosk_open():
            start(event)
            return
        log.info("no new visit: the kiosk is closed (calendar)")
        self.display.show(message=Message.KIOSK_CLOSED, lms_messages=())
        self.display.hold_message()

    def _on_default_language(self, event: DefaultLanguageChosen) -> None:
        self.idle.set_default_language(event.language)
        self.display.set_default_language(event.language)
        log.info("default language: %s", event.language)

    def _on_language(self, event: LanguageChosen) -> None:
        self.idle.touch()
        self.presence.chose_language(event.language)
        self.display.show(language=event.language)

    def _on_display(self, *, display_choices: bool | None = None, **mode: bool) -> None:
        """A display choice (opened, closed, or one of the three turned on or off): for this visit."""
        self.idle.touch()
        view = self.display.view
        shown = view.display_choices if display_choices is None else display_choices
        self.display.show(display_mode=replace(view.display_mode, **mode), display_choices=shown)

    def _on_tick(self, _event: Tick) -> None:
        self.status.tick()
        if self.door is not None:
            self.door.tick()
        if self.staff is not None:
            self.staff.mode.tick()
        self.idle.tick()

    # -- what the rest of the kiosk reads -------------------------------------------------------
    @property
    def view(self) -> SessionView:
        return self.display.view

    @property
    def patron(self) -> Patron | None:
        return self.presence.patron

    def publish(self) -> None:
        """Publish the current view (for a UI that has just connected)."""
        self.display.publish()

    # -- what the screens call (any thread: each posts an event and returns) --------------------
    def submit_pin(self, pin: str) -> None:
        self._core.post(PinSubmitted(pin))

    def change_children(self, step: int) -> None:
        """At the door: one child more (1) or fewer (-1) comes in with the patron."""
        self._core.post(ChildrenChanged(step))

    def cancel(self) -> None:
        self._core.post(CancelPressed())

    def logout(self) -> None:
        self._core.post(LogoutPressed())

    def activity(self) -> None:
        self._core.post(UserActivity())

    def choose_language(self, language: str) -> None:
        self._core.post(LanguageChosen(language))

    def toggle_speech(self) -> None:
        """The speech key: speech mode on, or off."""
        self._core.post(SpeechToggled())

    def headset_changed(self, plugged: bool) -> None:
        """The headset jack (any thread): a headset plugged in (True) or pulled out."""
        self._core.post(HeadsetChanged(plugged))
    def show_display_choices(self, shown: bool) -> None:
        """Open (True) or close the display choices: high contrast, large text, reach layout."""
        self._core.post(DisplayChoicesShown(shown))

    def choose_high_contrast(self, on: bool) -> None:
        self._core.post(HighContrastChosen(on))

    def choose_large_text(self, on: bool) -> None:
        self._core.post(LargeTextChosen(on))

    def choose_reach_layout(self, on: bool) -> None:
        self._core.post(ReachLayoutChosen(on))

    def start_visit(self, purpose: Purpose) -> None:
        self._core.post(StartVisit(purpose))

    def finish_visit(self) -> None:
        self._core.post(FinishVisit())

    def choose_receipt(self, choice: ReceiptChoice) -> None:
        self._core.post(ChooseReceipt(choice))

    def answer_fee(self, accept: bool) -> None:
        self._core.post(AnswerFee(accept))

    def toggle_renewal(self, item_id: str) -> None:
        self._core.post(ToggleRenewal(item_id))

    def renew_selected(self) -> None:
        self._core.post(RenewSelected())

    def renew_all(self) -> None:
        self._core.post(RenewAll())

    def back_to_menu(self) -> None:
        self._core.post(BackToMenu())

    def start_print(self) -> None:
        self._core.post(StartPrint())

    def print_code_wanted(self) -> None:
        self._core.post(PrintCodeWanted())

    def enter_print_code(self, code: str) -> None:
        self._core.post(PrintCodeEntered(code))

    def choose_print_job(self, job_id: str) -> None:
        self._core.post(PrintJobChosen(job_id))

    def change_print_choice(self, *, copies_step: int = 0, duplex: bool | None = None,
                            black_and_white: bool | None = None) -> None:
        self._core.post(PrintChoiceChanged(copies_step, duplex, black_and_white))

    def confirm_print(self) -> None:
        self._core.post(PrintConfirmed())

    def print_back(self) -> None:
        self._core.post(PrintBack())

    def pay_print_by_card(self) -> None:
        self._core.post(PrintPayByCard())

    def print_payment_receipt(self) -> None:
        self._core.post(PrintReceiptWanted())

    def staff_page(self, page: StaffPage) -> None:
        self._core.post(StaffPageChosen(page))

    def staff_test(self, test: str) -> None:
        self._core.post(StaffTestRequested(test))

    def staff_resolve(self, entry_id: str, resolution: Resolution) -> None:
        self._core.post(StaffTaskResolved(entry_id, resolution))

    def staff_action(self, action: TerminalAction) -> None:
        self._core.post(StaffActionChosen(action))

    def staff_door(self, action: DoorAction) -> None:
        self._core.post(StaffDoorAction(action))

    def staff_language(self, language: str) -> None:
        """Staff mode: the language each visit starts in."""
        self._core.post(StaffLanguageChosen(language))
