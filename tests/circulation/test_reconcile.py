"""Loans and returns in doubt are settled with the LMS: at start, what a killed kiosk left pending;
later, what lost its answer. The tag is made to agree with the LMS, or the row goes to staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.reconcile import STALE_AFTER_S, Reconciler, Settled
from kiosk.circulation.view import Purpose
from kiosk.domain.errors import LmsUnavailable
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import CheckoutResult, Item, Patron, SecurityState, Tag
from kiosk.settings import LmsSettings, Settings, Sip2Settings
from kiosk.store import Journal, JournalState, Store, open_store
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader
from kiosk.testing.memory_lms import MemoryLibrarySystem
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.conftest import isolated_settings

BOOK = "5010000001"
UIDS = ("E004015000000001",)


class Lms(MemoryLibrarySystem):
    """The in-memory LMS that can be down."""

    down = False

    def item_info(self, item_id: str):  # type: ignore[no-untyped-def]
        if self.down:
            raise LmsUnavailable("down")
        return super().item_info(item_id)


World = tuple[Store, Journal, "Lms", MemoryItemReader, ManualClock]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    clock = ManualClock()
    lms = Lms(clock)
    lms.add_patron(Patron("1000000001", "Jensen, Anna"), pin="1234")
    lms.add_item(Item(BOOK, "Kongens Fald"))
    yield store, Journal(store, now=lambda: clock.now().astimezone(dt.UTC)), lms, MemoryItemReader(), clock
    store.close()


def tag(security: SecurityState) -> Tag:
    return Tag(UIDS[0], BOOK, security=security)


def row(journal: Journal, kind: str) -> str:
    return journal.append(kind, {"item": BOOK, "uids": list(UIDS), "terminal": "demo-1"}).id


def settle(journal: Journal, lms: Lms, pad: MemoryItemReader, clock: ManualClock) -> Settled:
    clock.advance(1)  # the rows were written before this process "started"
    return Reconciler(journal, lms, pad, clock, started_at=clock.now()).settle()


def test_a_loan_the_lms_has_gets_its_tag_unsecured_and_is_done(world: World) -> None:
    _store, journal, lms, pad, clock = world
    entry = row(journal, "checkout")
    lms.checkout("1000000001", BOOK)  # the LMS applied it; the kiosk died before the tag
    pad.place(tag(SecurityState.SECURED))
    assert settle(journal, lms, pad, clock) == Settled(done=1)
    assert pad.inventory()[0].security is SecurityState.UNSECURED
    assert (journal.get(entry) or pytest.fail()).state == JournalState.DONE


def test_a_pad_that_cannot_be_read_yet_is_waited_for_not_taken_for_an_empty_one(world: World) -> None:
    _store, journal, lms, pad, clock = world
    entry = row(journal, "checkout")
    lms.checkout("1000000001", BOOK)
    pad.place(tag(SecurityState.SECURED))
    pad.unplug()  # still opening after a restart, or its cable out
    reconciler = Reconciler(journal, lms, pad, clock, started_at=clock.now() + dt.timedelta(seconds=1))
    assert reconciler.settle() == Settled(waiting=1)
    assert (journal.get(entry) or pytest.fail()).state == JournalState.PENDING  # not sent to staff
    pad.replug()
    assert reconciler.settle() == Settled(done=1)
    assert pad.inventory()[0].security is SecurityState.UNSECURED


def test_a_return_the_lms_has_but_whose_tag_is_gone_goes_to_staff(world: World) -> None:
    _store, journal, lms, pad, clock = world
    lms.checkout("1000000001", BOOK)
    entry = row(journal, "checkin")
    lms.checkin(BOOK)  # returned in the LMS; the tag left the pad unsecured: it must not be shelved
    assert settle(journal, lms, pad, clock) == Settled(to_staff=1)
    settled = journal.get(entry) or pytest.fail()
    assert settled.state == "needs_attention" and "UNSECURED" in (settled.last_error or "")


def test_a_return_the_lms_has_gets_its_tag_secured(world: World) -> None:
    _store, journal, lms, pad, clock = world
    lms.checkout("1000000001", BOOK)
    row(journal, "checkin")
    lms.checkin(BOOK)
    pad.place(tag(SecurityState.UNSECURED))
    assert settle(journal, lms, pad, clock) == Settled(done=1)
    assert pad.inventory()[0].security is SecurityState.SECURED


def test_a_loan_the_lms_never_made_has_failed_and_its_tag_stays_secured(world: World) -> None:
    _store, journal, lms, pad, clock = world
    entry = row(journal, "checkout")
    pad.place(tag(SecurityState.SECURED))
    assert settle(journal, lms, pad, clock) == Settled(failed=1)
    assert pad.inventory()[0].security is SecurityState.SECURED
    assert (journal.get(entry) or pytest.fail()).state == JournalState.FAILED


def test_while_the_lms_does_not_answer_the_row_waits(world: World) -> None:
    _store, journal, lms, pad, clock = world
    entry = row(journal, "checkout")
    lms.down = True
    assert settle(journal, lms, pad, clock) == Settled(waiting=1)
    assert (journal.get(entry) or pytest.fail()).state == JournalState.PENDING


def test_a_row_of_this_process_is_left_alone_until_it_is_stale(world: World) -> None:
    _store, journal, lms, pad, clock = world
    reconciler = Reconciler(journal, lms, pad, clock, started_at=clock.now())
    clock.advance(1)
    row(journal, "checkout")  # a checkout under way right now
    assert reconciler.settle() == Settled()
    clock.advance(STALE_AFTER_S + 1)
    assert reconciler.settle() == Settled(failed=1)


def test_an_answer_lost_for_good_leaves_the_row_in_doubt_and_the_patron_told_to_see_staff(
        world: World) -> None:
    from kiosk.circulation.results import Outcome
    from kiosk.circulation.service import CirculationService
    from kiosk.domain.errors import LmsOutcomeUnknown

    _store, journal, _lms, pad, clock = world

    class Lost(Lms):
        def checkout(self, *args: object, **kwargs: object) -> CheckoutResult:
            super().checkout(*args, **kwargs)  # type: ignore[arg-type]
            raise LmsOutcomeUnknown("no readable answer, and none to the item lookup")

    lost = Lost(clock)
    lost.add_patron(Patron("1000000001", "Jensen, Anna"), pin="1234")
    lost.add_item(Item(BOOK, "Kongens Fald"))
    pad.place(tag(SecurityState.SECURED))
    service = CirculationService(lost, pad, journal, terminal_id="demo-1", pseudonym=lambda s: "t" * 32,
                                 now=clock.now)
    result = service.checkout("1000000001", pad.inventory())
    assert result.outcome is Outcome.NEEDS_STAFF
    assert journal.count(JournalState.IN_DOUBT) == 1
    assert pad.inventory()[0].security is SecurityState.SECURED  # the tag is not touched in doubt
    assert Reconciler(journal, lost, pad, clock, started_at=clock.now()).settle() == Settled(done=1)
    assert pad.inventory()[0].security is SecurityState.UNSECURED


# -- a kiosk killed between the LMS and the tag, built again on the same data ----------------------

class Killed(BaseException):
    """What kill -9 does to the worker: nothing after this point runs."""


def kiosk_on(tmp_path: Path, emulator: Sip2Emulator, clock: ManualClock) -> Kiosk:
    base = isolated_settings(tmp_path)
    host, port = emulator.address
    account = Sip2Settings(host=host, port=port, user="kiosk", password="kiosk", keepalive_s=0,
                           institution="DK-775100")
    settings: Settings = base.model_copy(update={"lms": LmsSettings(kind="sip2", sip2=account)})
    kiosk = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed

    seed = read_seed(base.lms.seed)
    kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
    kiosk.connect_devices()
    return kiosk


def test_a_kiosk_killed_after_the_lms_lent_the_item_sets_the_tag_when_it_starts_again(
        tmp_path: Path) -> None:
    seed = isolated_settings(tmp_path).lms.seed
    assert seed is not None
    emulator = Sip2Emulator(load_data(seed), host="127.0.0.1", port=0, user="kiosk", password="kiosk")
    emulator.start()
    try:
        clock = ManualClock()
        first = kiosk_on(tmp_path, emulator, clock)
        pad = first.devices.item_reader
        reader = first.card_reader
        assert isinstance(pad, MemoryItemReader) and isinstance(reader, MemoryCardReader)
        first.session.start_visit(Purpose.BORROW)
        first.core.drain()
        reader.present(first.demo_cards[0].credential)
        first.core.drain()
        first.session.submit_pin(first.demo_cards[0].pin)
        first.core.drain()
        book = [t for t in first.demo_tags if t.item_id == BOOK]

        def killed(_uid: str, _state: SecurityState) -> SecurityState:
            raise Killed

        pad.write_security = killed  # type: ignore[method-assign]
        with pytest.raises(Killed):
            pad.place(*book)
            first.core.drain()
        first.close()
        assert emulator.data.items[BOOK].loan is not None  # the LMS lent it; the tag never knew

        clock.advance(60)  # the kiosk comes back a minute later
        second = kiosk_on(tmp_path, emulator, clock)
        try:
            pad2 = second.devices.item_reader
            assert isinstance(pad2, MemoryItemReader)
            pad2.place(*book)  # the item still lies on the pad, secured
            second.core.post(_tick())
            second.core.drain()
            assert [t.security for t in pad2.inventory()] == [SecurityState.UNSECURED]
            assert second.journal.count(JournalState.PENDING) == 0
            assert second.journal.count(JournalState.DONE) == 1
        finally:
            second.close()
    finally:
        emulator.stop()


def _tick() -> object:
    from kiosk.domain.events import Tick

    return Tick()
