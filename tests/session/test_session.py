"""The session service: card, PIN, patron, logout, idle timeout; with fakes and a fake clock."""

from __future__ import annotations

import pytest

from kiosk.domain.events import Core, InlineWorkers, Tick
from kiosk.domain.inputs import CredentialPresented
from kiosk.domain.logs import SECRETS
from kiosk.domain.model import Credential, CredentialKind, Patron
from kiosk.session.service import (
    Message,
    Screen,
    SessionService,
    SessionView,
)
from kiosk.settings import SessionSettings
from kiosk.testing.memory import ManualClock, MemoryCardReader
from kiosk.testing.memory_lms import MemoryLibrarySystem

ANNA = Credential(CredentialKind.CARD_UID, "1000000001")
KAREN = Credential(CredentialKind.CARD_UID, "1000000003")


class Harness:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.core = Core(InlineWorkers())
        self.lms = MemoryLibrarySystem(self.clock)
        self.lms.add_patron(Patron("1000000001", "Jensen, Anna"), pin="1234")
        self.lms.add_patron(Patron("1000000003", "Holm, Karen", blocked=True), pin="1357")
        self.reader = MemoryCardReader()
        self.reader.start(lambda c: self.core.post(CredentialPresented(c)))
        self.session = SessionService.for_kiosk(self.core, self.lms, self.clock, SessionSettings(),
                                                card_reader_health=self.reader.health)
        self.views: list[SessionView] = []
        self.core.subscribe(lambda v: self.views.append(v) if isinstance(v, SessionView) else None)

    @property
    def view(self) -> SessionView:
        return self.views[-1]

    def present(self, credential: Credential = ANNA) -> None:
        self.reader.present(credential)
        self.core.drain()

    def pin(self, pin: str) -> None:
        self.session.submit_pin(pin)
        self.core.drain()

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.core.post(Tick())
        self.core.drain()


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_card_then_pin_shows_the_patrons_first_name(h: Harness) -> None:
    h.present()
    assert h.view.screen is Screen.PIN
    h.pin("1234")
    assert h.view.screen is Screen.PATRON
    assert h.view.greeting_name == "Anna"
    assert h.session.patron is not None


def test_the_lms_is_asked_off_the_core_thread_while_the_screen_says_wait(h: Harness) -> None:
    h.present()
    h.session.submit_pin("1234")
    h.core.drain(max_events=1)  # the PIN is handled; the LMS's answer is still queued
    assert h.view.screen is Screen.AUTHENTICATING
    h.core.drain()
    assert h.view.screen is Screen.PATRON


def test_wrong_pin_counts_down_then_ends_the_session(h: Harness) -> None:
    h.present()
    h.pin("0000")
    assert (h.view.screen, h.view.message, h.view.attempts_left) == (Screen.PIN, Message.WRONG_PIN, 2)
    h.pin("9999")
    assert h.view.attempts_left == 1
    h.pin("1111")
    assert h.view.screen is Screen.START
    assert h.view.message is Message.TOO_MANY_ATTEMPTS


def test_a_pin_of_the_wrong_length_is_a_wrong_pin_without_asking_the_lms(h: Harness) -> None:
    h.present()
    h.lms.online = False  # would give LMS_UNAVAILABLE if it were asked
    h.pin("12")
    assert (h.view.screen, h.view.message) == (Screen.PIN, Message.WRONG_PIN)


def test_unknown_card_is_refused_with_a_next_step(h: Harness) -> None:
    h.present(Credential(CredentialKind.CARD_UID, "999"))
    h.pin("1234")
    assert (h.view.screen, h.view.message) == (Screen.START, Message.UNKNOWN_CARD)


def test_blocked_patron_is_refused(h: Harness) -> None:
    h.present(KAREN)
    h.pin("1357")
    assert (h.view.screen, h.view.message) == (Screen.START, Message.BLOCKED)
    assert h.session.patron is None


def test_lms_down_gives_a_clear_message_and_a_clean_state(h: Harness) -> None:
    h.lms.online = False
    h.present()
    h.pin("1234")
    assert (h.view.screen, h.view.message) == (Screen.START, Message.LMS_UNAVAILABLE)
    assert h.session.patron is None


def test_idle_warning_comes_ten_seconds_before_the_timeout(h: Harness) -> None:
    h.present()
    h.pin("1234")
    h.wait(49)
    assert not h.view.idle_warning
    h.wait(2)
    assert h.view.idle_warning and h.view.seconds_left == 9
    h.wait(9)
    assert h.view.screen is Screen.START
    assert h.view.message is Message.TIMED_OUT
    assert h.view.greeting_name == ""
    assert h.session.patron is None


def test_a_touch_during_the_warning_keeps_the_session(h: Harness) -> None:
    h.present()
    h.pin("1234")
    h.wait(55)
    assert h.view.idle_warning
    h.session.activity()
    h.core.drain()
    assert not h.view.idle_warning
    h.wait(55)
    assert h.view.screen is Screen.PATRON


def test_walking_away_from_the_pin_pad_also_times_out(h: Harness) -> None:
    h.present()
    h.wait(61)
    assert (h.view.screen, h.view.message) == (Screen.START, Message.TIMED_OUT)


def test_logout_clears_the_patron_and_the_known_secrets(h: Harness) -> None:
    h.present()
    h.pin("1234")
    assert SECRETS.redact("Anna 1234") == "*** ***"
    h.session.logout()
    h.core.drain()
    assert (h.view.screen, h.view.message) == (Screen.START, Message.GOODBYE)
    assert h.session.patron is None
    assert SECRETS.redact("Anna 1234") == "Anna 1234"


def test_the_goodbye_message_fades_after_a_while(h: Harness) -> None:
    h.present()
    h.pin("1234")
    h.session.logout()
    h.core.drain()
    h.wait(9)
    assert h.view.message is None


def test_an_answer_arriving_after_cancel_is_ignored(h: Harness) -> None:
    h.present()
    h.session.submit_pin("1234")
    h.core.drain(max_events=1)
    h.session.cancel()
    h.core.drain()
    assert h.view.screen is Screen.START
    assert h.session.patron is None


def test_a_second_card_during_a_session_does_not_take_it_over(h: Harness) -> None:
    h.present()
    h.pin("1234")
    h.present(KAREN)
    assert h.view.screen is Screen.PATRON
    assert h.view.greeting_name == "Anna"


def test_language_choice_lasts_until_the_goodbye_has_been_read(h: Harness) -> None:
    h.session.choose_language("en")
    h.core.drain()
    h.present()
    assert h.view.language == "en"
    h.pin("1234")
    h.session.logout()
    h.core.drain()
    assert (h.view.message, h.view.language) == (Message.GOODBYE, "en")  # said in their language
    h.wait(9)
    assert (h.view.message, h.view.language) == (None, "da")  # the next person starts in Danish


def test_a_locked_card_cannot_guess_on_by_being_presented_again(h: Harness) -> None:
    h.present()
    for wrong in ("0000", "1111", "2222"):
        h.pin(wrong)
    assert h.view.message is Message.TOO_MANY_ATTEMPTS and h.view.lockout_minutes == 15
    h.wait(9)
    h.present()
    assert (h.view.screen, h.view.message) == (Screen.START, Message.TOO_MANY_ATTEMPTS)
    h.wait(15 * 60)
    h.present()
    assert h.view.screen is Screen.PIN
    h.pin("1234")
    assert h.view.screen is Screen.PATRON


def test_the_wrong_pin_count_survives_a_cancel_but_a_right_pin_clears_it(h: Harness) -> None:
    h.present()
    h.pin("0000")
    h.session.cancel()
    h.core.drain()
    h.present()
    assert h.view.attempts_left == 2
    h.pin("1234")
    h.session.logout()
    h.core.drain()
    h.present()
    assert h.view.attempts_left == 3


def test_a_language_chosen_on_the_start_screen_returns_to_danish_when_idle(h: Harness) -> None:
    h.session.choose_language("en")
    h.core.drain()
    h.wait(30)
    assert h.view.language == "en"
    h.wait(31)
    assert h.view.language == "da"


def test_an_unplugged_card_reader_is_shown_and_its_return_too(h: Harness) -> None:
    h.wait(3)
    assert h.session.view.card_reader_ok
    h.reader.unplug()
    h.wait(3)
    assert not h.view.card_reader_ok
    h.reader.replug()
    h.wait(3)
    assert h.view.card_reader_ok
