"""After login the kiosk speaks the patron's language as the LMS holds it, unless the patron chose
one on the screen during this visit or the terminal does not offer it."""

from __future__ import annotations

from kiosk.domain.events import Core, InlineWorkers, Tick
from kiosk.domain.inputs import CredentialPresented
from kiosk.domain.model import Credential, CredentialKind, Patron
from kiosk.session.service import Screen, SessionService, SessionView
from kiosk.settings import SessionSettings
from kiosk.testing.memory import ManualClock, MemoryCardReader
from kiosk.testing.memory_lms import MemoryLibrarySystem

OFFERED = ("da", "en", "ar", "uk", "tr", "pl", "so", "fa")
PATRONS = {"1": "ar", "2": "", "3": "de", "4": "pl"}  # card -> the LMS's language ("" unknown, 000)


class Terminal:
    def __init__(self, offered: tuple[str, ...] = OFFERED) -> None:
        self.clock = ManualClock()
        self.core = Core(InlineWorkers())
        lms = MemoryLibrarySystem(self.clock)
        for card, language in PATRONS.items():
            lms.add_patron(Patron(card, f"Patron {card}", language=language), pin="1234")
        self.reader = MemoryCardReader()
        self.reader.start(lambda c: self.core.post(CredentialPresented(c)))
        self.session = SessionService.for_kiosk(self.core, lms, self.clock, SessionSettings(),
                                                card_reader_health=self.reader.health, languages=offered)
        self.views: list[SessionView] = []
        self.core.subscribe(lambda v: self.views.append(v) if isinstance(v, SessionView) else None)

    def log_in(self, card: str) -> SessionView:
        self.reader.present(Credential(CredentialKind.CARD_UID, card))
        self.core.drain()
        self.session.submit_pin("1234")
        self.core.drain()
        assert self.views[-1].screen is Screen.PATRON
        return self.views[-1]

    def choose(self, language: str) -> None:
        self.session.choose_language(language)
        self.core.drain()

    def leave(self) -> None:
        self.session.logout()
        self.core.drain()
        self.clock.advance(60)
        self.core.post(Tick())
        self.core.drain()


def test_the_patrons_lms_language_is_taken_after_login() -> None:
    assert Terminal().log_in("1").language == "ar"


def test_a_language_chosen_on_the_screen_before_login_wins() -> None:
    terminal = Terminal()
    terminal.choose("en")
    assert terminal.log_in("1").language == "en"


def test_choosing_the_default_language_on_the_screen_counts_as_a_choice() -> None:
    terminal = Terminal()
    terminal.choose("da")
    assert terminal.log_in("4").language == "da"


def test_an_unknown_or_unoffered_lms_language_keeps_the_screens() -> None:
    terminal = Terminal()
    assert terminal.log_in("2").language == "da"  # 000: unknown
    terminal.leave()
    assert terminal.log_in("3").language == "da"  # German: not offered
    terminal.leave()
    assert Terminal(offered=("da", "en")).log_in("1").language == "da"


def test_the_next_patron_starts_in_the_default_language_again() -> None:
    terminal = Terminal()
    assert terminal.log_in("4").language == "pl"
    terminal.leave()
    assert terminal.views[-1].language == "da"
    terminal.choose("en")
    terminal.leave()  # walked away: the chooser's choice is forgotten with them
    assert terminal.log_in("1").language == "ar"
