"""A keyboard-wedge scan reaches the core as a credential; a refused one as nothing."""

from __future__ import annotations

from hardware.scanner.scanner_sim import health_card_track2
from hardware.scanner.wedge_source import KeyboardWedgeScanner
from kiosk.domain.model import Credential, CredentialKind


def test_bursts_become_credentials_and_junk_is_refused() -> None:
    received: list[Credential] = []
    scanner = KeyboardWedgeScanner()
    scanner.start(received.append)
    scanner.feed("1000000001")
    scanner.feed(health_card_track2("0101702345"))
    scanner.feed(";not a card?")
    assert [c.kind for c in received] == [CredentialKind.BARCODE, CredentialKind.HEALTH_CARD]
    assert received[0].value == "1000000001" and received[1].value == "0101702345"
