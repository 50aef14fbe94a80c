"""Wrong PINs kept in the terminal's database: through a restart, shared by two processes on one
database (the kiosk and the door of a terminal), known only by a pseudonymous token."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.domain.model import Credential, CredentialKind
from kiosk.store import open_store
from kiosk.store.keys import pseudonymizer
from kiosk.store.pin_failures import StoredPinFailures
from kiosk.testing.memory import ManualClock

CARD = Credential(CredentialKind.CARD_UID, "04A1B2C3D4E5F6")


def test_wrong_pins_are_shared_by_two_processes_and_run_out(tmp_path: Path) -> None:
    clock = ManualClock()
    kiosk_store, door_store = open_store(tmp_path / "kiosk.sqlite3"), open_store(tmp_path / "kiosk.sqlite3")
    try:
        at_kiosk = StoredPinFailures(kiosk_store, pseudonymizer(kiosk_store), clock.now)
        at_door = StoredPinFailures(door_store, pseudonymizer(door_store), clock.now)
        at_kiosk.failed(CARD, 2, lockout_s=900)
        assert at_door.count(CARD) == 2
        at_door.failed(CARD, 3, lockout_s=900)
        clock.advance(899)
        assert at_kiosk.count(CARD) == 3
        clock.advance(2)
        assert at_kiosk.count(CARD) == 0 and at_door.count(CARD) == 0
        at_door.failed(CARD, 1, lockout_s=900)
        at_kiosk.clear(CARD)
        assert at_door.count(CARD) == 0
    finally:
        kiosk_store.close()
        door_store.close()


def test_the_card_number_is_not_in_the_database(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kiosk.sqlite3")
    try:
        StoredPinFailures(store, pseudonymizer(store), lambda: dt.datetime.now(dt.UTC)).failed(CARD, 1, 900)
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.sqlite3*"))
    assert CARD.value.encode() not in raw and CARD.value.lower().encode() not in raw
