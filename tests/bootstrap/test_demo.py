"""The demo terminal talks real SIP2 to the built-in LMS emulator over loopback."""

from __future__ import annotations

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.session.service import Message, Screen
from kiosk.testing.memory import MemoryCardReader
from sync.sip2.library import Sip2LibrarySystem


def login(kiosk: Kiosk, index: int, pin: str | None = None) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[index].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(pin or kiosk.demo_cards[index].pin)
    kiosk.core.drain()


def test_demo_login_goes_over_sip2_to_the_emulator(kiosk: Kiosk) -> None:
    assert isinstance(kiosk.lms, Sip2LibrarySystem)
    login(kiosk, 0)
    assert kiosk.session.view.screen is Screen.PATRON
    assert kiosk.session.view.greeting_name == "Anna"
    client = kiosk.lms.client
    assert client.connected and client.account.host == "127.0.0.1"
    assert client.acs_status is not None and client.acs_status.fixed["protocol_version"] == "2.00"


def test_demo_wrong_pin_and_blocked_patron_come_from_the_emulator(kiosk: Kiosk) -> None:
    login(kiosk, 0, pin="0000")
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.PIN, Message.WRONG_PIN)
    kiosk.session.cancel()
    kiosk.core.drain()
    blocked = next(i for i, card in enumerate(kiosk.demo_cards) if "spærret" in card.label)
    login(kiosk, blocked)
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.BLOCKED)
