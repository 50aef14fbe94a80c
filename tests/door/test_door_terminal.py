"""The demo door terminal: card and PIN at the entrance, the rules decide, the door unlocks,
the entry is logged; the door held open afterwards raises an alarm. Wednesday 20:15."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.session.service import Message, Screen
from kiosk.settings import DEMO_DOOR_SETTINGS
from kiosk.store import Journal, JournalState
from kiosk.testing.memory import (
    ManualClock,
    MemoryCardReader,
    MemoryDoorLock,
    MemoryDoorSensor,
    MemoryExitButton,
)
from tests.conftest import isolated_settings


@pytest.fixture
def door(tmp_path: Path) -> Iterator[tuple[Kiosk, ManualClock]]:
    clock = ManualClock()
    kiosk = build(isolated_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=clock,
                  workers=InlineWorkers(), log_to_console=False)
    kiosk.connect_devices()
    kiosk.core.post(Tick())
    kiosk.core.drain()
    yield kiosk, clock
    kiosk.close()


def enter(kiosk: Kiosk, index: int, pin: str | None = None) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[index].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(pin or kiosk.demo_cards[index].pin)
    kiosk.core.drain()


def pulses(kiosk: Kiosk) -> list[float]:
    lock = kiosk.devices.door_lock
    assert isinstance(lock, MemoryDoorLock)
    return lock.pulses


def test_the_panel_shows_the_opening_state(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, _clock = door
    view = kiosk.session.view
    assert (view.role, view.opening.kind) == ("door", "unstaffed")
    assert view.opening.until is not None and view.opening.until.hour == 22


def test_an_adult_gets_in_and_the_panel_resets(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = door
    enter(kiosk, 0)
    view = kiosk.session.view
    assert view.screen is Screen.DOOR and view.entry is not None and view.entry.allowed
    assert view.entry.door_unlocked is True and pulses(kiosk) == [5.0]
    clock.advance(9)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START and kiosk.session.patron is None


def test_a_13_year_old_is_refused_after_20_and_the_door_stays_locked(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, _clock = door
    enter(kiosk, 1)
    entry = kiosk.session.view.entry
    assert entry is not None and not entry.allowed and entry.reason == "too_young_at_this_time"
    assert pulses(kiosk) == []


def test_a_wrong_pin_at_the_door_asks_again(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, _clock = door
    enter(kiosk, 0, pin="0000")
    view = kiosk.session.view
    assert (view.screen, view.message, view.attempts_left) == (Screen.PIN, Message.WRONG_PIN, 2)
    assert pulses(kiosk) == []


def test_a_door_held_open_after_an_entry_raises_an_alarm(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = door
    enter(kiosk, 0)
    sensor = kiosk.devices.door_sensor
    assert isinstance(sensor, MemoryDoorSensor)
    sensor.set_open(True)
    kiosk.core.drain()
    clock.advance(31)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    kinds = [e.kind for e in Journal(kiosk.store).in_state(JournalState.PENDING, limit=50)]
    assert kinds.count("entry") == 1 and "door_alarm" in kinds


def test_closing_announcements_are_spoken_in_both_languages(door: tuple[Kiosk, ManualClock]) -> None:
    from kiosk.testing.memory import MemoryAnnouncer

    kiosk, clock = door
    announcer = kiosk.devices.announcer
    assert isinstance(announcer, MemoryAnnouncer)
    clock.advance(86 * 60)  # 20:15 -> 21:41: nothing yet
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert announcer.spoken == []
    clock.advance(5 * 60)  # 21:46: the 15-minute announcement
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert announcer.spoken == [("Biblioteket lukker om 15 minutter.", "da"),
                                ("The library closes in 15 minutes.", "en")]


def test_someone_still_inside_at_closing_raises_an_alarm(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = door
    enter(kiosk, 0)
    sensor = kiosk.devices.door_sensor
    assert isinstance(sensor, MemoryDoorSensor)
    sensor.set_open(True)
    kiosk.core.drain()
    sensor.set_open(False)
    kiosk.core.drain()
    clock.advance(2 * 3600)  # past 22:00 with one person counted in
    kiosk.core.post(Tick())
    kiosk.core.drain()
    alarms = [e.payload for e in Journal(kiosk.store).in_state(JournalState.PENDING, limit=50)
              if e.kind == "door_alarm"]
    assert any(a.get("alarm") == "still_inside" for a in alarms), alarms


def test_leaving_by_the_exit_button_is_no_alarm_and_nobody_is_left_inside(
        door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = door
    sensor, button = kiosk.devices.door_sensor, kiosk.devices.exit_button
    assert isinstance(sensor, MemoryDoorSensor) and isinstance(button, MemoryExitButton)
    enter(kiosk, 0)
    sensor.set_open(True)
    kiosk.core.drain()
    sensor.set_open(False)
    kiosk.core.drain()
    tick(kiosk, clock, 3600)  # 21:15: time to go home
    button.press()
    kiosk.core.drain()
    sensor.set_open(True)
    kiosk.core.drain()
    sensor.set_open(False)
    kiosk.core.drain()
    tick(kiosk, clock, 3600)  # past 22:00, the library closed
    alarms = [e.payload["alarm"] for e in Journal(kiosk.store).in_state(JournalState.PENDING, limit=50)
              if e.kind == "door_alarm"]
    assert alarms == []  # neither forced_open on the way out nor still_inside at closing


def tick(kiosk: Kiosk, clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    kiosk.core.post(Tick())
    kiosk.core.drain()


def test_lights_and_alarm_follow_the_calendar(door: tuple[Kiosk, ManualClock]) -> None:
    from kiosk.testing.memory import MemoryRelayOutput

    kiosk, clock = door
    lights, alarm = kiosk.devices.lights, kiosk.devices.alarm
    assert isinstance(lights, MemoryRelayOutput) and isinstance(alarm, MemoryRelayOutput)
    assert (lights.on, alarm.on) == (True, False)  # set at start, from the calendar: open until 22
    tick(kiosk, clock, (22 * 60 + 6 - (20 * 60 + 15)) * 60)  # 22:06: lights off 5 min after closing
    assert (lights.on, alarm.on) == (False, False)
    tick(kiosk, clock, 10 * 60)  # 22:16: armed 15 min after closing
    assert (lights.on, alarm.on) == (False, True)
    tick(kiosk, clock, (8 * 60 + 40) * 60)  # Thursday 06:56: on and disarmed 5 min before 07:00
    assert (lights.on, alarm.on) == (True, False)


def test_a_relay_board_that_lost_power_is_set_again(door: tuple[Kiosk, ManualClock]) -> None:
    from kiosk.testing.memory import MemoryRelayOutput

    kiosk, clock = door
    lights = kiosk.devices.lights
    assert isinstance(lights, MemoryRelayOutput)
    lights.unplug()
    tick(kiosk, clock, 6 * 60)
    lights.replug()
    before = len(lights.states)
    tick(kiosk, clock, 6 * 60)
    assert lights.states[before:] == [True]


def test_nobody_new_comes_in_after_the_last_entry(door: tuple[Kiosk, ManualClock]) -> None:
    kiosk, clock = door
    tick(kiosk, clock, (21 * 60 + 46 - (20 * 60 + 15)) * 60)  # 21:46: last entry was 21:45
    enter(kiosk, 0)
    entry = kiosk.session.view.entry
    assert entry is not None and not entry.allowed and entry.reason == "after_last_entry"
    assert "lukker snart" in entry.message and pulses(kiosk) == []


def test_the_entry_log_is_purged_every_day(door: tuple[Kiosk, ManualClock]) -> None:
    from kiosk.store.entry_log import EntryLog

    kiosk, clock = door
    enter(kiosk, 0)
    log = EntryLog(kiosk.store, clock.now)
    assert len(log.between(clock.now() - dt.timedelta(days=1), clock.now() + dt.timedelta(days=1))) == 1
    for _day in range(31):  # the kiosk keeps running for a month: no restart purges for it
        tick(kiosk, clock, 24 * 3600)
    everything = log.between(clock.now() - dt.timedelta(days=400), clock.now())
    assert everything == []


def test_a_patron_brings_two_children_and_they_are_counted(door: tuple[Kiosk, ManualClock]) -> None:
    from kiosk.store.entry_log import EntryLog

    kiosk, clock = door
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    assert kiosk.session.view.max_children == 3
    for step in (1, 1, 1, 1, 1):  # more than the door allows stays at the most it allows
        kiosk.session.change_children(step)
    kiosk.core.drain()
    assert kiosk.session.view.children == 3
    kiosk.session.change_children(-1)
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()
    entry = kiosk.session.view.entry
    assert entry is not None and entry.allowed and entry.children == 2
    records = EntryLog(kiosk.store, clock.now).between(clock.now() - dt.timedelta(hours=1), clock.now()
                                                       + dt.timedelta(hours=1))
    assert [(r.decision.value, r.children) for r in records] == [("allowed", 2)]
    tick(kiosk, clock, 9)
    assert kiosk.session.view.children == 0  # the next person starts without children


def test_the_kiosk_does_not_offer_children(tmp_path: Path) -> None:
    from kiosk.settings import DEMO_SETTINGS

    kiosk = build(isolated_settings(tmp_path, DEMO_SETTINGS), profile="demo", clock=ManualClock(),
                  workers=InlineWorkers(), log_to_console=False)
    try:
        assert kiosk.session.view.max_children == 0
    finally:
        kiosk.close()
