"""Staff mode at the entrance panel: a staff card and PIN open the door page, whose actions go through
door supervision (an unlock from staff mode is a staff entry, so opening the door then raises no
alarm), a staffed event opens the door to everyone for its minutes and ends by itself, and "lock
now" ends it early. The demo door terminal on a Wednesday at 20.15 (unstaffed hours), its devices in
memory, the real journal and entry log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Credential, CredentialKind
from kiosk.session.service import Screen
from kiosk.settings import DEMO_DOOR_SETTINGS
from kiosk.staff.view import DoorAction, StaffPage, StaffView
from kiosk.store import JournalState
from kiosk.store.entry_log import EntryDecision
from kiosk.testing.memory import COPENHAGEN, ManualClock, MemoryCardReader, MemoryDoorLock, MemoryDoorSensor
from tests.conftest import isolated_settings

ADMIN, ADMIN_PIN = "9900000001", "1357"  # config/demo/staff.toml
LIBRARIAN, LIBRARIAN_PIN = "9900000002", "2468"
ANNA, ANNA_PIN = "1000000001", "1234"


@pytest.fixture
def door(tmp_path: Path, clock: ManualClock) -> Iterator[Kiosk]:
    terminal = build(isolated_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=clock,
                     workers=InlineWorkers(), log_to_console=False)
    terminal.connect_devices()
    terminal.core.post(Tick())
    terminal.core.drain()
    yield terminal
    terminal.close()


def present(door: Kiosk, card: str, pin: str) -> None:
    reader = door.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(Credential(CredentialKind.CARD_UID, card))
    door.core.drain()
    door.session.submit_pin(pin)
    door.core.drain()


def staff_view(door: Kiosk) -> StaffView:
    door.core.drain()
    view = door.session.view.staff
    assert view is not None, door.session.view
    return view


def tick(door: Kiosk, clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    door.session.activity()
    door.core.post(Tick())
    door.core.drain()


def alarms(door: Kiosk) -> list[dict[str, object]]:
    return [row.payload for row in door.journal.in_states((JournalState.PENDING, JournalState.DONE),
                                                          kinds=("door_alarm",))]


def test_a_librarian_unlocks_the_door_from_staff_mode_and_opening_it_raises_no_alarm(
        door: Kiosk, clock: ManualClock) -> None:
    present(door, LIBRARIAN, LIBRARIAN_PIN)
    staff = staff_view(door)
    assert door.session.view.screen is Screen.STAFF
    assert staff.pages == (StaffPage.DOOR, StaffPage.STATUS, StaffPage.TASKS) and staff.page is StaffPage.DOOR
    assert staff.door is not None and staff.door.opening == "unstaffed" and staff.door.entries_today == 0
    door.session.staff_door(DoorAction.UNLOCK)
    staff = staff_view(door)
    lock, sensor = door.devices.door_lock, door.devices.door_sensor
    assert isinstance(lock, MemoryDoorLock) and isinstance(sensor, MemoryDoorSensor)
    assert lock.pulses == [door.settings.devices.door.pulse_s]
    assert staff.notice == "staff.notice.door_unlocked" and staff.door is not None
    assert staff.door.entries_today == 1  # a staff entry in the entry log
    sensor.set_open(True)
    tick(door, clock, 2)
    sensor.set_open(False)
    tick(door, clock, 2)
    assert alarms(door) == []  # expected: not "forced open"
    actions = [row.payload["action"] for row in door.journal.in_states((JournalState.DONE,),
                                                                        kinds=("staff_action",))]
    assert actions == ["staff_login", "door_unlock"]


def test_a_staffed_event_opens_the_door_to_everyone_until_it_ends(door: Kiosk, clock: ManualClock) -> None:
    present(door, ADMIN, ADMIN_PIN)
    door.session.staff_door(DoorAction.STAFFED_30)
    staff = staff_view(door)
    assert staff.door is not None and staff.door.staffed_until == "20.45" and staff.door.opening == "staffed"
    door.session.logout()
    door.core.drain()
    tick(door, clock, 21)  # the panel looks at the opening state again
    opening = door.session.view.opening
    assert opening is not None and opening.kind.value == "staffed"
    sensor = door.devices.door_sensor
    assert isinstance(sensor, MemoryDoorSensor)
    sensor.set_open(True)  # people walk in: staffed hours, no alarm
    tick(door, clock, 60)
    sensor.set_open(False)
    assert alarms(door) == []
    tick(door, clock, 30 * 60)  # the event is over: unstaffed hours by the calendar again
    opening = door.session.view.opening
    assert opening is not None and opening.kind.value == "unstaffed"
    sensor.set_open(True)  # now an opening without a grant is forced
    tick(door, clock, 2)
    assert [payload["alarm"] for payload in alarms(door)] == ["forced_open"]


def test_lock_now_ends_the_staffed_event_and_locks(door: Kiosk, clock: ManualClock) -> None:
    present(door, ADMIN, ADMIN_PIN)
    door.session.staff_door(DoorAction.STAFFED_60)
    door.session.staff_door(DoorAction.LOCK)
    staff = staff_view(door)
    assert staff.door is not None and staff.door.staffed_until == "" and staff.door.opening == "unstaffed"
    assert staff.notice == "staff.notice.door_locked"
    assert door.session.view.screen is Screen.STAFF


def test_the_door_page_counts_the_days_entries_and_refusals(door: Kiosk, clock: ManualClock) -> None:
    present(door, ANNA, ANNA_PIN)  # let in
    tick(door, clock, 10)
    present(door, "1000000002", "0000")  # a wrong PIN is no entry decision; Mads (13) is refused after 20
    present(door, "1000000002", "2345")
    tick(door, clock, 10)
    present(door, ADMIN, ADMIN_PIN)
    info = staff_view(door).door
    assert info is not None
    assert (info.entries_today, info.refused_today) == (
        door_count(door, EntryDecision.ALLOWED), door_count(door, EntryDecision.REFUSED))
    assert info.entries_today == 1


def door_count(door: Kiosk, decision: EntryDecision) -> int:
    from kiosk.store.entry_log import EntryLog

    return EntryLog(door.store, door.clock.now).count(decision=decision)


def test_the_door_test_is_a_staff_entry_too(door: Kiosk, clock: ManualClock) -> None:
    present(door, ADMIN, ADMIN_PIN)
    door.session.staff_page(StaffPage.TESTS)
    door.session.staff_test("door")
    staff = staff_view(door)
    test = next(test for test in staff.tests if test.name == "door")
    assert test.key == "staff.test.door.ok"
    sensor = door.devices.door_sensor
    assert isinstance(sensor, MemoryDoorSensor)
    sensor.set_open(True)
    tick(door, clock, 2)
    sensor.set_open(False)
    assert alarms(door) == [] and door_count(door, EntryDecision.ALLOWED) == 1


def test_staff_leaving_early_make_it_unstaffed_until_the_calendars_staffed_hours_end(tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 25, 17, 0, tzinfo=COPENHAGEN))  # staffed until 19.00
    door = build(isolated_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=clock,
                 workers=InlineWorkers(), log_to_console=False)
    try:
        door.connect_devices()
        tick(door, clock, 1)
        opening = door.session.view.opening
        assert opening is not None and opening.kind.value == "staffed"
        present(door, LIBRARIAN, LIBRARIAN_PIN)
        door.session.staff_door(DoorAction.UNSTAFFED)
        staff = staff_view(door)
        assert staff.door is not None and staff.door.unstaffed_until == "19.00"
        assert staff.notice == "staff.notice.door_unstaffed"
        door.session.logout()
        tick(door, clock, 21)
        opening = door.session.view.opening
        assert opening is not None and opening.kind.value == "unstaffed"
        sensor = door.devices.door_sensor
        assert isinstance(sensor, MemoryDoorSensor)
        sensor.set_open(True)  # no grant: in unstaffed hours an alarm, as it should be
        tick(door, clock, 2)
        sensor.set_open(False)
        assert [payload["alarm"] for payload in alarms(door)] == ["forced_open"]
        tick(door, clock, 2 * 3600)  # past 19.00: the calendar's own unstaffed hours go on
        opening = door.session.view.opening
        assert opening is not None and opening.kind.value == "unstaffed" and door.session.view.opening
    finally:
        door.close()
