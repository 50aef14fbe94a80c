"""Doors built from settings: relay off first, a timed pulse, and a contact on the same board."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hardware.door.relay_sim import LcusSimulator, NumatoSimulator
from kiosk.bootstrap.devices import build_devices
from kiosk.domain.errors import ConfigError
from kiosk.settings import DeviceSettings, DoorSensorSettings, DoorSettings, RelayOutputSettings
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair


def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def close_all(closers: list[Callable[[], None]]) -> None:
    for closer in reversed(closers):
        closer()


def test_an_lcus_door_from_settings_starts_locked_and_pulses(pty_pair: PtyPair) -> None:
    simulator = LcusSimulator(str(pty_pair.simulator), initial_on=True).start()
    closers: list[Callable[[], None]] = []
    try:
        devices = build_devices(DeviceSettings(door=DoorSettings(kind="lcus", port=str(pty_pair.device),
                                                                 channel=1, watchdog=True)), closers)
        lock = devices.door_lock
        assert lock is not None
        assert eventually(lambda: not simulator.is_on(1))  # off before anything else
        lock.pulse(0.3)
        assert eventually(lambda: [s.on for s in simulator.switches][-2:] == [True, False])
    finally:
        close_all(closers)
        simulator.stop()
    assert simulator.switches[-1].on is False and simulator.errors == []


def test_a_numato_board_serves_the_lock_and_the_door_contact(pty_pair: PtyPair) -> None:
    simulator = NumatoSimulator(str(pty_pair.simulator)).start()
    closers: list[Callable[[], None]] = []
    changes: list[bool] = []
    try:
        devices = build_devices(DeviceSettings(
            door=DoorSettings(kind="numato", port=str(pty_pair.device), channel=0, watchdog=False),
            door_sensor=DoorSensorSettings(kind="numato", port=str(pty_pair.device), pin=1)), closers)
        sensor = devices.door_sensor
        assert sensor is not None and devices.door_lock is not None
        sensor.start(changes.append)
        time.sleep(0.2)
        simulator.set_input(1, True)
        assert eventually(lambda: changes == [True])
        devices.door_lock.pulse(0.2)
        assert eventually(lambda: [s.on for s in simulator.switches][-2:] == [True, False])
    finally:
        close_all(closers)
        simulator.stop()
    assert simulator.errors == []


def test_lights_and_alarm_share_the_doors_board_on_their_own_channels(pty_pair: PtyPair) -> None:
    simulator = LcusSimulator(str(pty_pair.simulator), channels=4).start()
    closers: list[Callable[[], None]] = []
    port = str(pty_pair.device)
    try:
        devices = build_devices(DeviceSettings(
            door=DoorSettings(kind="lcus", port=port, channel=1, watchdog=False),
            lights=RelayOutputSettings(kind="lcus", port=port, channel=2),
            alarm=RelayOutputSettings(kind="lcus", port=port, channel=3)), closers)
        outputs = devices.outputs()
        assert sorted(outputs) == ["alarm", "lights"]
        outputs["lights"].set(True)
        outputs["alarm"].set(True)
        outputs["lights"].set(False)
        assert eventually(lambda: [(s.channel, s.on) for s in simulator.switches][-3:]
                          == [(2, True), (3, True), (2, False)])
        assert all(health.ok for health in (outputs["lights"].health(), outputs["alarm"].health()))
    finally:
        close_all(closers)
        simulator.stop()
    assert simulator.is_on(3) and not simulator.is_on(1) and simulator.errors == []


def test_an_output_on_the_doors_own_channel_is_refused(pty_pair: PtyPair) -> None:
    port = str(pty_pair.device)
    with pytest.raises(ConfigError, match=r"devices.lights: channel 1 on .* is the door's"):
        build_devices(DeviceSettings(door=DoorSettings(kind="lcus", port=port, channel=1, watchdog=False),
                                     lights=RelayOutputSettings(kind="lcus", port=port, channel=1)), [])
