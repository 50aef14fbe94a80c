"""Offline mode against the SIP2 emulator over TCP: the LMS goes away in the middle of a stack,
the kiosk lends within its limits, and replays everything in order, with no-block and the original
dates, once the LMS is back; refusals land in the staff report; the seal never leaves the kiosk."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.errors import StoreError
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Tag
from kiosk.offline.replay import staff_report
from kiosk.offline.sealing import Sealer
from kiosk.session.service import Screen
from kiosk.settings import LmsSettings, OfflineSettings, Sip2Settings
from kiosk.simulate.build import DEMO_SEED
from kiosk.store import Journal, JournalState
from kiosk.store.keys import sealing_key
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.conftest import isolated_settings

BOOK, OTHER, THIRD, FOURTH = "5010000001", "5010000003", "5010000006", "5010000009"


@dataclass
class World:
    kiosk: Kiosk
    clock: ManualClock
    emulator: Sip2Emulator
    port: int

    def lms_down(self) -> None:
        self.emulator.stop()

    def lms_up(self) -> None:
        self.emulator = Sip2Emulator(self.emulator.data, port=self.port, clock=self.clock.now).start()

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        self.kiosk.core.post(Tick())
        self.kiosk.core.drain()

    def checkouts(self) -> list[tuple[str, bool, str]]:
        return [(t.item, t.ok, t.detail) for t in self.emulator.transactions
                if t.command in ("11", "checkout")]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock()
    emulator = Sip2Emulator(load_data(DEMO_SEED), clock=clock.now).start()
    port = emulator.address[1]
    base = isolated_settings(tmp_path)
    account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": port, "keepalive_s": 0.0,
                                           "user": "kiosk", "password": "kiosk",
                                           "timeout_s": 2.0, "retries": 1})
    settings = base.model_copy(update={
        "lms": LmsSettings(kind="sip2", sip2=account),
        "offline": OfflineSettings(max_items_per_patron=2, probe_interval_s=15.0)})
    kiosk = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed

    seed = read_seed(DEMO_SEED)
    kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
    kiosk.connect_devices()
    world = World(kiosk, clock, emulator, port)
    yield world
    kiosk.close()
    world.emulator.stop()


def tags(kiosk: Kiosk, item_id: str) -> list[Tag]:
    return [t for t in kiosk.demo_tags if t.item_id == item_id]


def login_to_borrow(kiosk: Kiosk, patron: int = 0) -> None:
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[patron].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[patron].pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.BORROW


def place(kiosk: Kiosk, *item_ids: str) -> dict[str, Outcome]:
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.place(*[t for item in item_ids for t in tags(kiosk, item)])
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None
    return {row.item_id: row.outcome for row in visit.items}


def test_the_lms_goes_away_mid_stack_and_the_rest_is_lent_offline_then_replayed(world: World) -> None:
    kiosk = world.kiosk
    login_to_borrow(kiosk)
    assert place(kiosk, BOOK)[BOOK] is Outcome.BORROWED
    world.lms_down()
    outcomes = place(kiosk, OTHER, THIRD, FOURTH)
    # The first offline item switched the mode; two offline loans is this kiosk's limit.
    assert [outcomes[i] for i in (OTHER, THIRD, FOURTH)] == [
        Outcome.BORROWED, Outcome.BORROWED, Outcome.OFFLINE_REFUSED]
    assert kiosk.mode is not None and not kiosk.mode.online
    assert kiosk.session.view.lms_offline is True
    visit = kiosk.session.view.visit
    assert visit is not None
    rows = {row.item_id: row for row in visit.items}
    assert rows[OTHER].offline and rows[OTHER].due_date is not None
    assert rows[OTHER].due_date.date() == (world.clock.now() + dt.timedelta(days=14)).date()
    journal = Journal(kiosk.store)
    assert journal.count(JournalState.OFFLINE) == 2
    lent_at = world.clock.now()

    world.clock.advance(3600)  # an hour later the LMS is back; the next probe replays
    world.lms_up()
    before = len(world.checkouts())
    world.tick(16)
    assert kiosk.mode.online and kiosk.session.view.lms_offline is False
    replayed = world.checkouts()[before:]
    assert [(item, ok) for item, ok, _ in replayed] == [(OTHER, True), (THIRD, True)]
    assert all("no block" in detail for _, _, detail in replayed)
    assert journal.count(JournalState.OFFLINE) == 0 and journal.count(JournalState.DONE) == 3
    with world.emulator.lock:
        loan = world.emulator.data.items[OTHER].loan
        assert loan is not None and abs((loan.since - lent_at).total_seconds()) < 60  # the original date
    rejected, waiting = staff_report(journal)
    assert (rejected, waiting) == ([], [])
    for row in journal.in_states((JournalState.DONE,), kinds=("checkout",)):
        assert "patron_sealed" not in row.payload  # erased once the LMS has the loan


def test_offline_loans_go_only_to_the_categories_allowed(tmp_path: Path) -> None:
    clock = ManualClock()
    emulator = Sip2Emulator(load_data(DEMO_SEED), clock=clock.now).start()
    try:
        account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": emulator.address[1],
                                               "user": "kiosk", "password": "kiosk", "keepalive_s": 0.0,
                                               "timeout_s": 2.0, "retries": 1})
        kiosk = build(isolated_settings(tmp_path).model_copy(update={
            "lms": LmsSettings(kind="sip2", sip2=account),
            "offline": OfflineSettings(categories=("adult",))}),
            profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
        from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed

        seed = read_seed(DEMO_SEED)
        kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
        kiosk.connect_devices()
        try:
            login_to_borrow(kiosk, patron=0)  # Anna: adult
            emulator.stop()
            assert place(kiosk, OTHER)[OTHER] is Outcome.BORROWED
            kiosk.session.logout()
            kiosk.core.drain()
            emulator = Sip2Emulator(emulator.data, port=account.port, clock=clock.now).start()
            clock.advance(16)
            kiosk.core.post(Tick())
            kiosk.core.drain()
            login_to_borrow(kiosk, patron=1)  # Mads: child
            emulator.stop()
            assert place(kiosk, THIRD)[THIRD] is Outcome.OFFLINE_REFUSED
        finally:
            kiosk.close()
    finally:
        emulator.stop()


def test_a_replay_the_lms_refuses_is_in_the_staff_report(world: World) -> None:
    kiosk = world.kiosk
    login_to_borrow(kiosk)
    world.lms_down()
    assert place(kiosk, OTHER)[OTHER] is Outcome.BORROWED
    with world.emulator.lock:  # meanwhile the item was withdrawn from the catalogue
        del world.emulator.data.items[OTHER]
    world.lms_up()
    world.tick(16)
    rejected, waiting = staff_report(Journal(kiosk.store))
    assert [(r.kind, r.item, r.state) for r in rejected] == [
        ("checkout", OTHER, JournalState.REPLAY_REJECTED)]
    assert rejected[0].error and waiting == []
    assert kiosk.mode is not None and kiosk.mode.online


def test_a_checkout_whose_reply_was_lost_is_not_lent_twice(world: World) -> None:
    kiosk = world.kiosk
    login_to_borrow(kiosk)
    # The LMS lends the item, its reply never arrives, and then the LMS is gone altogether: the
    # kiosk cannot tell whether the loan was made.
    emulator = world.emulator
    emulator.update_quirks(lost_reply_commands=frozenset({"11"}))

    def stop_once_lent() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not world.checkouts():
            time.sleep(0.01)
        emulator.stop()

    killer = threading.Thread(target=stop_once_lent)
    killer.start()
    outcome = place(kiosk, OTHER)[OTHER]
    killer.join()
    assert outcome is Outcome.BORROWED  # in doubt, lent offline; the replay asks the LMS first
    journal = Journal(kiosk.store)
    [row] = journal.in_states((JournalState.OFFLINE,), kinds=("checkout",))
    assert row.payload["in_doubt"] is True
    world.lms_up()
    world.tick(16)
    replayed = [(item, ok) for item, ok, _ in world.checkouts()]
    assert replayed == []  # the LMS had it already: nothing sent again
    done = journal.get(row.id)
    assert done is not None
    assert (done.state, done.last_error) == (JournalState.DONE, "already done in the LMS")
    with world.emulator.lock:
        assert world.emulator.data.items[OTHER].loan is not None


def test_returns_work_offline_and_are_replayed(world: World) -> None:
    kiosk = world.kiosk
    login_to_borrow(kiosk)
    assert place(kiosk, BOOK)[BOOK] is Outcome.BORROWED
    kiosk.session.logout()
    kiosk.core.drain()
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.remove(*[t.uid for t in pad.inventory()])
    world.lms_down()
    kiosk.session.start_visit(Purpose.RETURN)
    kiosk.core.drain()
    pad.place(*tags(kiosk, BOOK))
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None and [(r.item_id, r.outcome, r.offline) for r in visit.items] == [
        (BOOK, Outcome.RETURNED, True)]
    world.lms_up()
    world.tick(16)
    checkins = [(t.item, t.ok) for t in world.emulator.transactions if t.command in ("09", "checkin")]
    assert checkins[-1] == (BOOK, True)
    with world.emulator.lock:
        assert world.emulator.data.items[BOOK].loan is None


def test_the_seal_needs_its_key_and_the_key_file_is_private(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "offline.key"
    sealer = Sealer(sealing_key(key_file))
    sealed = sealer.seal("0101901234")
    assert "0101901234" not in sealed and Sealer(sealing_key(key_file)).unseal(sealed) == "0101901234"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with pytest.raises(StoreError, match="cannot be opened"):
        Sealer(bytes(32)).unseal(sealed)


def test_no_card_number_is_in_the_database_file_after_an_offline_loan(world: World) -> None:
    kiosk = world.kiosk
    login_to_borrow(kiosk)
    world.lms_down()
    assert place(kiosk, OTHER)[OTHER] is Outcome.BORROWED
    card = kiosk.demo_cards[0].credential.value
    kiosk.store.dispose()
    raw = b"".join(p.read_bytes() for p in kiosk.locations.data_dir.glob("kiosk.sqlite3*"))
    assert card.encode() not in raw
