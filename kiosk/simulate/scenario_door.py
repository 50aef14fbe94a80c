"""The door terminal's steps for ``library-kiosk simulate``: the door contact, and what the entrance
did (the lock's pulses, the entry log, door alarms). A scenario asks for the door panel with
``terminal = "door"`` and may set the clock with ``start`` (local time at the branch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from kiosk.domain.errors import ConfigError
from kiosk.door.supervision import ALARM_KIND, DoorAlarmKind
from kiosk.store import JournalState
from kiosk.testing.memory import MemoryDoorLock, MemoryDoorSensor, MemoryExitButton

if TYPE_CHECKING:
    from kiosk.bootstrap.kiosk import Kiosk

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(config=_STRICT)
class DoorContact:
    """The door is pushed open (``open = true``) or falls shut."""

    open: bool


@dataclass(config=_STRICT)
class ExitButton:
    """Someone inside presses the exit (request-to-exit) button."""


@dataclass(config=_STRICT)
class ExpectEntry:
    """The latest entry-log row: allowed or refused, and if given its reason, children and offline flag."""

    decision: Literal["allowed", "refused"]
    reason: str | None = Field(default=None, min_length=1)
    children: int | None = Field(default=None, ge=0)
    offline: bool | None = None


@dataclass(config=_STRICT)
class ExpectDoor:
    """The lock was pulsed exactly ``pulses`` times so far."""

    pulses: int = Field(ge=0)


@dataclass(config=_STRICT)
class ExpectAlarm:
    """A door alarm of this kind was raised (journaled, whether or not it has been sent since), by
    the names the kiosk raises: held_open, forced_open, tailgating_hint, still_inside."""

    alarm: DoorAlarmKind = Field(strict=False)
    present: bool = True


DOOR_ACTIONS: dict[str, type[Any]] = {"door_contact": DoorContact, "exit_button": ExitButton,
                                      "expect_entry": ExpectEntry, "expect_door": ExpectDoor,
                                      "expect_alarm": ExpectAlarm}
DOOR_EXPECTATIONS = (ExpectEntry, ExpectDoor, ExpectAlarm)


def set_door_contact(kiosk: Kiosk, action: DoorContact) -> None:
    sensor = kiosk.devices.door_sensor
    if not isinstance(sensor, MemoryDoorSensor):
        raise ConfigError("door_contact: this terminal has no simulated door contact (terminal = \"door\")")
    sensor.set_open(action.open)


def press_exit_button(kiosk: Kiosk) -> None:
    button = kiosk.devices.exit_button
    if not isinstance(button, MemoryExitButton):
        raise ConfigError("exit_button: this terminal has no simulated exit button (terminal = \"door\")")
    button.press()


def check_door(kiosk: Kiosk, expectation: ExpectEntry | ExpectDoor | ExpectAlarm) -> tuple[bool, Any, Any]:
    """(held, expected, actual) for an expectation on the entrance."""
    if isinstance(expectation, ExpectDoor):
        lock = kiosk.devices.door_lock
        if not isinstance(lock, MemoryDoorLock):
            raise ConfigError("expect_door: this terminal has no simulated door lock (terminal = \"door\")")
        done = len(lock.pulses)
        return done == expectation.pulses, {"pulses": expectation.pulses}, {"pulses": done}
    if isinstance(expectation, ExpectAlarm):
        every_state = tuple(v for k, v in vars(JournalState).items() if k.isupper())
        rows = kiosk.journal.in_states(every_state, kinds=(ALARM_KIND,), limit=100_000)
        alarms = sorted({str(row.payload.get("alarm")) for row in rows})
        held = (expectation.alarm.value in alarms) == expectation.present
        return held, {"alarm": expectation.alarm.value, "present": expectation.present}, {"alarms": alarms}
    from kiosk.store.entry_log import EntryLog

    log = EntryLog(kiosk.store, kiosk.clock.now)
    latest = log.latest()
    if latest is None:
        return False, _wanted(expectation), "no entry logged"
    actual = {"decision": latest.decision.value, "reason": latest.reason, "children": latest.children,
              "offline": "offline" in latest.flags}
    wanted = _wanted(expectation)
    return all(actual[key] == value for key, value in wanted.items()), wanted, actual


def _wanted(expectation: ExpectEntry) -> dict[str, Any]:
    wanted: dict[str, Any] = {"decision": expectation.decision}
    for key in ("reason", "children", "offline"):
        if getattr(expectation, key) is not None:
            wanted[key] = getattr(expectation, key)
    return wanted
