"""Door supervision: forced and held-open doors, tailgating hints, children, occupancy, closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.domain.errors import StoreError
from kiosk.door.supervision import ALARM_ANNOUNCEMENTS, DoorAlarmEvent, DoorAlarmKind, DoorSupervisor
from kiosk.settings import DoorSupervisionSettings
from kiosk.store import Journal, JournalState, Store, open_store
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.testing.memory import ManualClock
from kiosk.texts import text

ANNA = "a" * 32
BO = "b" * 32


class Door:
    """A supervisor with a real store, the alarms it raised, and a hand on the door."""

    def __init__(self, store: Store, clock: ManualClock, settings: DoorSupervisionSettings,
                 **kwargs: bool) -> None:
        self.clock = clock
        self.journal = Journal(store, now=clock.now)
        self.log = EntryLog(store, clock.now)
        self.alarms: list[DoorAlarmEvent] = []
        self.supervisor = DoorSupervisor(clock, settings, self.journal, self.log, self.alarms.append,
                                         terminal="door-1", **kwargs)

    @property
    def kinds(self) -> list[DoorAlarmKind]:
        return [a.kind for a in self.alarms]

    def wait(self, seconds: float) -> None:
        """Let time pass with a tick every second, as the core does."""
        for _ in range(int(seconds)):
            self.clock.advance(1)
            self.supervisor.tick()

    def passage(self, open_for: float = 3) -> None:
        self.supervisor.door_changed(True)
        self.wait(open_for)
        self.supervisor.door_changed(False)

    def journaled(self, kind: str) -> list[dict[str, object]]:
        return [e.payload for e in self.journal.in_state(JournalState.PENDING) if e.kind == kind]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def door(store: Store, clock: ManualClock) -> Door:
    return Door(store, clock, DoorSupervisionSettings())


def test_a_granted_entry_is_logged_and_journaled_before_the_caller_unlocks(door: Door) -> None:
    record = door.supervisor.granted(ANNA, children=2)
    assert door.log.get(record.id) == record
    [payload] = door.journaled("entry")
    assert payload["entry_id"] == record.id
    assert payload["token"] == ANNA
    assert payload["decision"] == "allowed"
    assert payload["children"] == 2
    assert payload["terminal"] == "door-1"


def test_the_journal_and_the_entry_log_are_written_together_or_not_at_all(door: Door, store: Store) -> None:
    # The entry log's table refuses the row (as a full disk or a broken file would, between the two).
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON entry_log "
                             "BEGIN SELECT RAISE(ABORT, 'entry log unwritable'); END")
    with pytest.raises(StoreError):
        door.supervisor.granted(ANNA)
    assert door.journaled("entry") == []  # no "allowed" row for an entry the log does not have
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    record = door.supervisor.granted(ANNA)
    assert door.log.get(record.id) == record and len(door.journaled("entry")) == 1


def test_a_normal_passage_raises_nothing_and_counts_the_patron_inside(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.wait(2)
    door.passage(open_for=4)
    door.wait(60)
    assert door.alarms == []
    assert door.supervisor.occupancy == 1


def test_an_opening_with_no_grant_is_forced_and_journaled(door: Door) -> None:
    door.supervisor.door_changed(True)
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]
    [payload] = door.journaled("door_alarm")
    assert payload["alarm"] == "forced_open"
    assert door.supervisor.occupancy == 0


def test_a_grant_does_not_explain_an_opening_after_its_window(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.wait(11)
    door.supervisor.door_changed(True)
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]
    assert door.supervisor.occupancy == 0


def test_locking_early_ends_the_window_of_an_unused_grant(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.wait(1)
    door.supervisor.locked()
    door.wait(2)
    door.supervisor.door_changed(True)
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]


def test_an_opening_just_after_an_early_lock_is_within_the_grace(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.supervisor.locked()
    door.supervisor.door_changed(True)
    assert door.alarms == []
    assert door.supervisor.occupancy == 1


def test_each_opening_gets_its_own_held_open_timer(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.passage(open_for=2)
    door.wait(20)
    door.supervisor.granted(BO)
    door.supervisor.door_changed(True)
    door.wait(29)
    assert DoorAlarmKind.HELD_OPEN not in door.kinds
    door.wait(1)
    assert door.kinds.count(DoorAlarmKind.HELD_OPEN) == 1


def test_a_door_held_open_is_reported_once_and_flags_the_entry(door: Door) -> None:
    record = door.supervisor.granted(ANNA)
    door.supervisor.door_changed(True)
    door.wait(29)
    assert DoorAlarmKind.HELD_OPEN not in door.kinds
    door.wait(60)
    assert door.kinds.count(DoorAlarmKind.HELD_OPEN) == 1
    held = door.alarms[-1]
    assert held.announcement == "door.held_open"
    assert held.entry_ids == (record.id,)
    flagged = door.log.get(record.id)
    assert flagged is not None and "held_open" in flagged.flags


def test_a_second_opening_for_one_grant_is_a_tailgating_hint(door: Door) -> None:
    record = door.supervisor.granted(ANNA)
    door.passage(open_for=2)
    door.supervisor.door_changed(True)
    [hint] = door.alarms
    assert hint.kind is DoorAlarmKind.TAILGATING_HINT
    assert hint.announcement == "door.tailgating"
    assert hint.entry_ids == (record.id,)
    assert door.log.count(flag="tailgating") == 1
    [payload] = door.journaled("door_alarm")
    assert payload["alarm"] == "tailgating_hint"
    assert payload["tokens"] == [ANNA]


def test_an_opening_much_longer_than_a_passage_is_a_tailgating_hint(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.passage(open_for=12)
    assert door.kinds == [DoorAlarmKind.TAILGATING_HINT]
    assert door.log.count(flag="tailgating", token=ANNA) == 1


def test_children_with_the_patron_earn_a_longer_passage_and_count_inside(door: Door) -> None:
    record = door.supervisor.granted(ANNA, children=2)
    door.passage(open_for=12)
    assert door.alarms == []
    assert door.supervisor.occupancy == 3
    assert door.log.get(record.id) is not None
    assert door.log.count(decision=EntryDecision.ALLOWED) == 1


def test_more_children_than_allowed_are_refused_before_anything_is_written(door: Door) -> None:
    assert door.supervisor.max_children == 3
    with pytest.raises(ValueError, match="children"):
        door.supervisor.granted(ANNA, children=4)
    assert door.log.count() == 0
    assert door.journaled("entry") == []


def test_max_children_zero_turns_the_option_off(store: Store, clock: ManualClock) -> None:
    door = Door(store, clock, DoorSupervisionSettings(max_children=0))
    with pytest.raises(ValueError, match="children"):
        door.supervisor.granted(ANNA, children=1)


def test_patrons_who_badge_in_together_may_walk_in_together(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.supervisor.granted(BO, children=1)
    door.passage(open_for=6)
    assert door.alarms == []
    assert door.supervisor.occupancy == 3


def test_an_exit_request_explains_the_next_opening_and_lowers_the_occupancy(door: Door) -> None:
    door.supervisor.granted(ANNA, children=1)
    door.passage()
    door.wait(120)
    door.supervisor.exited()
    door.passage()
    assert door.alarms == []
    assert door.supervisor.occupancy == 1


def test_an_exit_press_with_no_opening_counts_nobody_out(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.passage()
    door.supervisor.exited()  # pressed, then changed their mind
    door.wait(60)
    assert door.supervisor.occupancy == 1
    door.supervisor.door_changed(True)  # the request has expired: this opening is forced
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]
    assert door.supervisor.occupancy == 1


def test_people_who_press_to_leave_together_go_out_by_one_opening(door: Door) -> None:
    door.supervisor.granted(ANNA, children=2)
    door.passage()
    door.wait(60)
    for _ in range(3):
        door.supervisor.exited()
    door.passage(open_for=5)
    assert door.alarms == [] and door.supervisor.occupancy == 0


def test_an_exit_press_while_the_door_is_open_counts_out_at_once(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.supervisor.granted(BO)
    door.supervisor.door_changed(True)  # both come in...
    door.supervisor.exited()  # ...while someone inside presses to leave through the same opening
    door.wait(3)
    door.supervisor.door_changed(False)
    assert door.alarms == [] and door.supervisor.occupancy == 1


def test_one_coming_in_as_another_leaves_share_one_opening(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.passage()
    door.wait(60)
    door.supervisor.exited()
    door.supervisor.granted(BO)
    door.passage()
    door.wait(60)
    door.supervisor.door_changed(True)  # the exit was counted with Bo's opening, not this one
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]
    assert door.supervisor.occupancy == 1


def test_a_refusal_is_logged_with_its_reason_and_opens_nothing(door: Door) -> None:
    door.supervisor.refused(BO, "underage")
    [payload] = door.journaled("entry")
    assert (payload["decision"], payload["reason"]) == ("refused", "underage")
    assert door.log.count(decision=EntryDecision.REFUSED, reason="underage") == 1
    door.supervisor.door_changed(True)
    assert door.kinds == [DoorAlarmKind.FORCED_OPEN]


def test_people_still_inside_at_closing_raise_an_alert_then_the_count_resets(door: Door) -> None:
    door.supervisor.granted(ANNA, children=2)
    door.passage()
    door.supervisor.exited()
    door.passage()
    door.supervisor.closing(door.clock.now() + dt.timedelta(minutes=10))
    door.wait(9 * 60)
    assert door.alarms == []
    door.wait(60)
    [alert] = door.alarms
    assert alert.kind is DoorAlarmKind.STILL_INSIDE
    assert alert.occupancy == 2
    assert alert.announcement == "door.still_inside"
    assert door.supervisor.occupancy == 0
    assert door.journaled("door_alarm")[0]["alarm"] == "still_inside"


def test_an_empty_library_at_closing_raises_nothing(door: Door) -> None:
    door.supervisor.granted(ANNA)
    door.passage()
    door.supervisor.exited()
    door.passage()
    door.supervisor.closing(door.clock.now())
    assert door.alarms == []


def test_free_passage_in_staffed_hours_raises_no_door_alarms(door: Door) -> None:
    door.supervisor.set_free_passage(True)
    door.passage(open_for=120)
    assert door.alarms == []


def test_without_a_door_sensor_grants_count_inside_at_once(store: Store, clock: ManualClock) -> None:
    door = Door(store, clock, DoorSupervisionSettings(), has_sensor=False)
    door.supervisor.granted(ANNA, children=1)
    assert door.supervisor.occupancy == 2


def test_a_door_found_open_at_start_is_held_open_if_it_stays_open(store: Store,
                                                                   clock: ManualClock) -> None:
    door = Door(store, clock, DoorSupervisionSettings(), door_open=True)
    door.wait(30)
    assert door.kinds == [DoorAlarmKind.HELD_OPEN]


def test_settings_name_the_problem() -> None:
    with pytest.raises(ValidationError, match="passage_s must be shorter than held_open_after_s"):
        DoorSupervisionSettings(passage_s=30, held_open_after_s=20)
    with pytest.raises(ValidationError, match="held_open_s"):
        DoorSupervisionSettings.model_validate({"held_open_s": 10})
    assert DoorSupervisionSettings.model_validate({"held_open_after_s": 45}).held_open_after_s == 45


def test_every_announcement_is_in_danish_and_english() -> None:
    keys = {key for key in ALARM_ANNOUNCEMENTS.values() if key is not None}
    assert keys == {"door.tailgating", "door.held_open", "door.still_inside"}
    assert all(text(key, language) != key for key in keys for language in ("da", "en"))
