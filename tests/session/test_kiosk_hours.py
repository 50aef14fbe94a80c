"""The branch calendar governs the self-service kiosk: it shows until when it is open, warns before
its cut-off (5 minutes before closing in the demo calendar), starts no new visit after it and
lets the visit in progress finish. The demo branch closes at 22.00 on weekdays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import SecurityState
from kiosk.session.service import Message, Screen
from kiosk.settings import CalendarSettings
from kiosk.store import JournalState
from kiosk.testing.memory import COPENHAGEN, ManualClock, MemoryCardReader, MemoryItemReader
from tests.conftest import isolated_settings

BOOK = "5010000001"


def kiosk_at(tmp_path: Path, when: dt.datetime) -> tuple[Kiosk, ManualClock]:
    settings = isolated_settings(tmp_path)
    calendar = CalendarSettings(file=settings.calendar.file, kiosk_hours=True)  # as a real kiosk
    clock = ManualClock(when)
    kiosk = build(settings.model_copy(update={"calendar": calendar}), profile="demo", clock=clock,
                  workers=InlineWorkers(), log_to_console=False)
    kiosk.connect_devices()
    kiosk.core.post(Tick())
    kiosk.core.drain()
    return kiosk, clock


@pytest.fixture
def evening(tmp_path: Path) -> Iterator[tuple[Kiosk, ManualClock]]:
    kiosk, clock = kiosk_at(tmp_path, dt.datetime(2026, 11, 25, 21, 40, tzinfo=COPENHAGEN))  # Wednesday
    yield kiosk, clock
    kiosk.close()


def tick(kiosk: Kiosk, clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    kiosk.core.post(Tick())
    kiosk.core.drain()


def stay(kiosk: Kiosk, clock: ManualClock, minutes: int) -> None:
    """The patron keeps using the kiosk (a touch every half minute) for ``minutes``."""
    for _ in range(minutes * 2):
        kiosk.session.activity()
        tick(kiosk, clock, 30)


def log_in(kiosk: Kiosk, purpose: Purpose = Purpose.BORROW) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    kiosk.session.start_visit(purpose)
    kiosk.core.drain()
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()


def test_the_start_screen_knows_until_when_the_kiosk_is_open(evening: tuple[Kiosk, ManualClock]) -> None:
    kiosk, _clock = evening
    hours = kiosk.session.view.hours
    assert hours is not None and hours.open
    assert hours.closes is not None and (hours.closes.hour, hours.closes.minute) == (21, 55)
    assert not kiosk.session.view.closing_soon


def test_ten_minutes_before_the_cut_off_the_patron_is_told_to_finish(
        evening: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = evening
    log_in(kiosk)
    assert kiosk.session.view.screen is Screen.BORROW
    stay(kiosk, clock, 6)  # 21.46
    assert kiosk.session.view.closing_soon


def test_after_the_cut_off_no_new_visit_starts_but_the_one_in_progress_finishes(
        evening: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = evening
    log_in(kiosk)
    stay(kiosk, clock, 17)  # 21.57: past the cut-off, the patron is still borrowing
    assert kiosk.session.view.screen is Screen.BORROW
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.place(*(t for t in kiosk.demo_tags if t.item_id == BOOK))
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None and [row.outcome for row in visit.items] == [Outcome.BORROWED]
    assert pad.inventory()[0].security is SecurityState.UNSECURED
    kiosk.session.logout()
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START

    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[1].credential)  # the next patron: a card on the start screen
    kiosk.core.drain()
    view = kiosk.session.view
    assert (view.screen, view.message) == (Screen.START, Message.KIOSK_CLOSED)
    kiosk.session.start_visit(Purpose.RETURN)  # or a return, which needs no card
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START
    hours = kiosk.session.view.hours
    assert hours is not None and not hours.open
    assert hours.opens is not None and (hours.opens.date(), hours.opens.hour) == (dt.date(2026, 11, 26), 7)
    assert hours.opens_in_days == 1


@pytest.mark.parametrize("when", [dt.datetime(2026, 11, 26, 3, 14), dt.datetime(2026, 12, 25, 12, 0)],
                         ids=["night", "christmas-day"])
def test_a_closed_branch_lends_nothing(tmp_path: Path, when: dt.datetime) -> None:
    kiosk, _clock = kiosk_at(tmp_path, when.replace(tzinfo=COPENHAGEN))
    try:
        log_in(kiosk)
        view = kiosk.session.view
        assert (view.screen, view.message) == (Screen.START, Message.KIOSK_CLOSED)
        assert kiosk.journal.count(JournalState.PENDING) == kiosk.journal.count(JournalState.DONE) == 0
    finally:
        kiosk.close()


def test_the_kiosk_opens_by_itself_in_the_morning(tmp_path: Path) -> None:
    kiosk, clock = kiosk_at(tmp_path, dt.datetime(2026, 11, 26, 6, 50, tzinfo=COPENHAGEN))
    try:
        hours = kiosk.session.view.hours
        assert hours is not None and not hours.open and hours.opens_in_days == 0
        tick(kiosk, clock, 11 * 60)  # 07.01
        log_in(kiosk)
        assert kiosk.session.view.screen is Screen.BORROW
    finally:
        kiosk.close()


def test_without_a_calendar_the_kiosk_is_always_open(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    kiosk = build(settings.model_copy(update={"calendar": CalendarSettings()}), profile="demo",
                  clock=ManualClock(dt.datetime(2026, 11, 26, 3, 14, tzinfo=COPENHAGEN)),
                  workers=InlineWorkers(), log_to_console=False)
    kiosk.connect_devices()
    try:
        log_in(kiosk)
        assert kiosk.session.view.screen is Screen.BORROW and kiosk.session.view.hours is None
    finally:
        kiosk.close()
