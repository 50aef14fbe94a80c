"""DeviceLink: open on demand, health, back-off, and recovery after an unplug."""

from __future__ import annotations

import pytest

from hardware.link import DeviceLink
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState


class Device:
    def __init__(self) -> None:
        self.plugged = True
        self.opened = 0
        self.closed = 0

    def open(self) -> str:
        if not self.plugged:
            raise OSError(2, "No such file or directory: '/dev/ttyUSB0'")
        self.opened += 1
        return f"handle{self.opened}"

    def close(self, _handle: str) -> None:
        self.closed += 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_unplug_then_replug_recovers_without_a_restart() -> None:
    device, clock = Device(), Clock()
    link = DeviceLink("pad", device.open, device.close, backoff_s=(1.0, 5.0), monotonic=clock)
    assert link.run(lambda h: h) == "handle1"
    assert link.health().state is DeviceState.OK

    device.plugged = False

    def broken(_h: str) -> str:
        raise OSError(5, "Input/output error")

    with pytest.raises(DeviceUnavailable, match="Input/output error"):
        link.run(broken)
    assert link.health().state is DeviceState.UNAVAILABLE
    assert device.closed == 1
    with pytest.raises(DeviceUnavailable):
        link.get()  # still within the back-off: not even tried
    assert device.opened == 1

    clock.now = 1.5
    with pytest.raises(DeviceUnavailable, match="No such file"):
        link.get()  # tried, still unplugged; the next wait is longer
    clock.now = 3.0
    device.plugged = True
    with pytest.raises(DeviceUnavailable):
        link.get()
    clock.now = 7.0
    assert link.get() == "handle2"
    assert link.health().state is DeviceState.OK


def test_an_error_that_is_not_a_device_failure_passes_through() -> None:
    device = Device()
    link = DeviceLink("pad", device.open, device.close)

    def bug(_h: str) -> str:
        raise ValueError("a bug, not an unplug")

    with pytest.raises(ValueError):
        link.run(bug)
    assert link.health().state is DeviceState.OK
