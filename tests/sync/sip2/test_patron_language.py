"""The patron's language travels from the LMS over SIP2 (the 3-digit field of the 64 response) to
the kiosk's screen: a session over real TCP against the emulator."""

from __future__ import annotations

from kiosk.domain.events import Core, InlineWorkers, Tick
from kiosk.domain.inputs import CredentialPresented
from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.session.service import Screen, SessionService, SessionView
from kiosk.settings import SessionSettings
from kiosk.testing.memory import ManualClock
from sync.sip2.emulator_data import parse_data
from sync.sip2.languages import patron_language
from tests.sync.sip2.conftest import EmulatorFactory
from tests.sync.sip2.test_client_emulator import lms_for

SEED = {"patrons": [{"id": "2000000001", "pin": "1234", "name": "Haddad, Layla", "language": "ara"},
                    {"id": "2000000002", "pin": "1234", "name": "Nowak, Piotr", "language": "pol"},
                    {"id": "2000000003", "pin": "1234", "name": "Berg, Ida"}]}  # no language: 000


def test_the_sip2_language_codes_become_the_kiosks() -> None:
    assert [patron_language(code) for code in ("001", "009", "016", "017", "024", "000", "", "999")] == [
        "en", "da", "ar", "pl", "en", "", "", ""]


def test_the_patrons_language_comes_over_sip2_into_the_session(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator(parse_data(SEED, "seed")))
    auth = lms.authenticate_patron(Credential(CredentialKind.CARD_UID, "2000000001"), "1234")
    assert auth.outcome is AuthOutcome.OK and auth.patron is not None and auth.patron.language == "ar"
    core, clock = Core(InlineWorkers()), ManualClock()
    session = SessionService.for_kiosk(core, lms, clock, SessionSettings(),
                                       languages=("da", "en", "ar", "pl"))
    views: list[SessionView] = []
    core.subscribe(lambda v: views.append(v) if isinstance(v, SessionView) else None)
    seen = []
    for card in ("2000000001", "2000000002", "2000000003"):
        core.post(CredentialPresented(Credential(CredentialKind.CARD_UID, card)))
        core.drain()
        session.submit_pin("1234")
        core.drain()
        assert views[-1].screen is Screen.PATRON
        seen.append(views[-1].language)
        session.logout()
        clock.advance(60)  # the goodbye is read; the next patron finds the terminal in Danish
        core.post(Tick())
        core.drain()
        assert views[-1].language == "da"
    assert seen == ["ar", "pl", "da"]
