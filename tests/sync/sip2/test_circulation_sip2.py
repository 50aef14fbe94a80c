"""Circulation through the real SIP2 client against the LMS emulator: fees, routing, an LMS gone."""

from __future__ import annotations

from pathlib import Path

from kiosk.circulation.results import Outcome, Routing
from kiosk.circulation.service import CirculationService
from kiosk.domain.model import SecurityState, Tag
from kiosk.domain.privacy import Pseudonymizer
from kiosk.settings import Sip2Settings
from kiosk.store import Journal, open_store
from kiosk.testing.memory import ManualClock, MemoryItemReader
from sync.sip2.client import Sip2Client
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.library import Sip2LibrarySystem
from tests.sync.sip2.conftest import (
    ANNA,
    BOOK,
    BOOK2,
    HOLD_QUEUED,
    INSTITUTION,
    OTHER_BRANCH,
    PINS,
    RENTAL,
    EmulatorFactory,
)


def service_for(emulator: Sip2Emulator, pad: MemoryItemReader, tmp_path: Path) -> CirculationService:
    host, port = emulator.address
    lms = Sip2LibrarySystem(Sip2Client(Sip2Settings(host=host, port=port, user="kiosk", password="kiosk",
                                                   institution=INSTITUTION, timeout_s=0.5, retries=1,
                                                   keepalive_s=0)))
    return CirculationService(lms, pad, Journal(open_store(tmp_path / "k.sqlite3")), terminal_id="t1",
                              institution=INSTITUTION, pseudonym=Pseudonymizer(b"k" * 32),
                              now=ManualClock().now)


def on_pad(pad: MemoryItemReader, item_id: str, n: int) -> Tag:
    tag = Tag(uid=f"E00401500000{n:04X}", item_id=item_id, security=SecurityState.SECURED)
    pad.place(tag)
    return tag


def test_a_rental_needs_the_fee_accepted_first(make_emulator: EmulatorFactory, tmp_path: Path) -> None:
    pad = MemoryItemReader()
    service = service_for(make_emulator(), pad, tmp_path)
    rental = on_pad(pad, RENTAL, 1)
    first = service.checkout(ANNA, [rental], pin=PINS[ANNA])
    assert first.outcome is Outcome.FEE_REQUIRED and first.fee_amount is not None
    assert pad.inventory()[0].security is SecurityState.SECURED
    second = service.checkout(ANNA, [rental], pin=PINS[ANNA], fee_acknowledged=True)
    assert second.outcome is Outcome.BORROWED
    assert pad.inventory()[0].security is SecurityState.UNSECURED


def test_returns_are_routed_to_the_hold_shelf_or_in_transit(make_emulator: EmulatorFactory,
                                                           tmp_path: Path) -> None:
    pad = MemoryItemReader()
    service = service_for(make_emulator(), pad, tmp_path)
    held = service.checkin([on_pad(pad, HOLD_QUEUED, 1)])
    assert held.outcome is Outcome.RETURNED and held.routing is Routing.HOLD_SHELF
    foreign = on_pad(pad, OTHER_BRANCH, 2)
    assert service.checkout(ANNA, [foreign], pin=PINS[ANNA]).outcome is Outcome.BORROWED
    assert service.checkin([foreign]).routing is Routing.TRANSIT


def test_the_lms_stopping_in_the_middle_of_a_stack(make_emulator: EmulatorFactory, tmp_path: Path) -> None:
    pad = MemoryItemReader()
    emulator = make_emulator()
    service = service_for(emulator, pad, tmp_path)
    first, second = on_pad(pad, BOOK, 1), on_pad(pad, BOOK2, 2)
    assert service.checkout(ANNA, [first], pin=PINS[ANNA]).outcome is Outcome.BORROWED
    emulator.stop()
    result = service.checkout(ANNA, [second], pin=PINS[ANNA])
    assert result.outcome is Outcome.LMS_UNAVAILABLE
    assert {t.uid: t.security for t in pad.inventory()} == {first.uid: SecurityState.UNSECURED,
                                                            second.uid: SecurityState.SECURED}
