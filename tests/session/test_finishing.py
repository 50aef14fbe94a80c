"""A visit does not end while an item is being lent or returned: logging out, walking away or
pressing "Done" waits (visibly, and at most a bounded time) for the item in flight, and nobody
else can start meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.events import Core, Tick, WorkDone
from kiosk.domain.model import SecurityState
from kiosk.session.idle import FINISH_WAIT_S
from kiosk.session.service import Message, Screen
from kiosk.store import JournalState
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader
from tests.conftest import isolated_settings

BOOK, OTHER = "5010000001", "5010000003"


class HeldWorkers:
    """Workers that hold each job until the test lets it run: a slow LMS, without sleeping."""

    def __init__(self) -> None:
        self.core: Core | None = None
        self.held: list[tuple[Callable[[], Any], Callable[[Any, BaseException | None], None]]] = []
        self.holding = False

    def submit(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        if self.holding:
            self.held.append((fn, done))
            return
        self._run(fn, done)

    def release(self) -> None:
        held, self.held = self.held, []
        for fn, done in held:
            self._run(fn, done)

    def _run(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        assert self.core is not None
        try:
            self.core.post(WorkDone(done, fn(), None))
        except Exception as error:
            self.core.post(WorkDone(done, None, error))

    def shutdown(self) -> None:
        pass


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Kiosk, HeldWorkers, ManualClock]]:
    workers, clock = HeldWorkers(), ManualClock()
    kiosk = build(isolated_settings(tmp_path), profile="demo", clock=clock, workers=workers,
                  log_to_console=False)
    workers.core = kiosk.core
    kiosk.connect_devices()
    yield kiosk, workers, clock
    kiosk.close()


def lend_slowly(kiosk: Kiosk, workers: HeldWorkers, item: str = BOOK) -> MemoryItemReader:
    """Log in, put ``item`` on the pad, and hold its checkout at the LMS."""
    reader, pad = kiosk.card_reader, kiosk.devices.item_reader
    assert isinstance(reader, MemoryCardReader) and isinstance(pad, MemoryItemReader)
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.BORROW
    workers.holding = True
    pad.place(*(t for t in kiosk.demo_tags if t.item_id == item))
    kiosk.core.drain()
    assert workers.held, "the checkout is on its way"
    return pad


def outcome(kiosk: Kiosk, item: str) -> Outcome | None:
    visit = kiosk.session.view.visit
    return next((row.outcome for row in visit.items if row.item_id == item), None) if visit else None


def test_logging_out_during_a_checkout_waits_for_it_and_then_ends_the_session(
        held: tuple[Kiosk, HeldWorkers, ManualClock]) -> None:
    kiosk, workers, _clock = held
    pad = lend_slowly(kiosk, workers)
    kiosk.session.logout()
    kiosk.core.drain()
    view = kiosk.session.view
    assert view.screen is Screen.BORROW and view.finishing  # "one moment": not the start screen
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[1].credential)  # the next patron cannot start meanwhile
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.BORROW
    workers.holding = False
    workers.release()
    kiosk.core.drain()
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.GOODBYE)
    assert kiosk.journal.count(JournalState.DONE) == 1 and kiosk.journal.count(JournalState.PENDING) == 0
    assert pad.inventory()[0].security is SecurityState.UNSECURED  # lent, as the LMS has it


def test_the_items_still_waiting_on_the_pad_are_not_started_once_the_patron_has_logged_out(
        held: tuple[Kiosk, HeldWorkers, ManualClock]) -> None:
    kiosk, workers, _clock = held
    pad = lend_slowly(kiosk, workers)
    pad.place(*(t for t in kiosk.demo_tags if t.item_id == OTHER))
    kiosk.core.drain()
    kiosk.session.logout()
    kiosk.core.drain()
    workers.holding = False
    workers.release()
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START
    assert kiosk.journal.count(JournalState.DONE) == 1  # the book; the other item was never sent
    assert {t.item_id: t.security for t in pad.inventory()}[OTHER] is SecurityState.SECURED


def test_walking_away_during_a_checkout_waits_for_it_too(
        held: tuple[Kiosk, HeldWorkers, ManualClock]) -> None:
    kiosk, workers, clock = held
    lend_slowly(kiosk, workers)
    clock.advance(kiosk.settings.session.idle_timeout_s + 1)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert kiosk.session.view.finishing and kiosk.session.view.screen is Screen.BORROW
    workers.holding = False
    workers.release()
    kiosk.core.drain()
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.TIMED_OUT)


def test_an_item_that_never_comes_back_ends_the_session_after_the_bounded_wait(
        held: tuple[Kiosk, HeldWorkers, ManualClock]) -> None:
    kiosk, workers, clock = held
    lend_slowly(kiosk, workers)
    kiosk.session.logout()
    kiosk.core.drain()
    clock.advance(FINISH_WAIT_S - 1)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert kiosk.session.view.finishing
    clock.advance(2)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START and not kiosk.session.view.finishing
    workers.holding = False
    workers.release()  # the LMS answers at last: the journal has it; the screen is somebody else's now
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START and kiosk.session.view.visit is None
    assert kiosk.journal.count(JournalState.DONE) == 1


def test_done_during_a_checkout_waits_so_that_the_item_is_on_the_receipt(
        held: tuple[Kiosk, HeldWorkers, ManualClock]) -> None:
    kiosk, workers, _clock = held
    lend_slowly(kiosk, workers)
    kiosk.session.finish_visit()
    kiosk.core.drain()
    assert kiosk.session.view.finishing and kiosk.session.view.screen is Screen.BORROW
    workers.holding = False
    workers.release()
    kiosk.core.drain()
    view = kiosk.session.view
    assert view.screen is Screen.RECEIPT and not view.finishing and outcome(kiosk, BOOK) is Outcome.BORROWED
    kiosk.session.choose_receipt(ReceiptChoice.NONE)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START
