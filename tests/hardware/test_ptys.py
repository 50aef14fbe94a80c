"""The pty pair itself: bytes cross it, and unplugging makes both ends vanish."""

from __future__ import annotations

import serial

from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair


def test_bytes_cross_and_unplug_closes_both_ends(pty_pair: PtyPair) -> None:
    with serial.Serial(str(pty_pair.device), 9600, timeout=1) as device, \
            serial.Serial(str(pty_pair.simulator), 9600, timeout=1) as simulator:
        device.write(b"\xa0\x01\x01\xa2")
        assert simulator.read(4) == b"\xa0\x01\x01\xa2"
    pty_pair.unplug()
    assert not pty_pair.device.exists()
    pty_pair.replug()
    assert pty_pair.device.exists()
