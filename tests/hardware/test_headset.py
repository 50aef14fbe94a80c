"""The headset jack driver reads real ``struct input_event`` records from a FIFO, as from
/dev/input/eventN."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.headset import EV_SW, SW_HEADPHONE_INSERT, HeadsetJack, input_event

EV_KEY = 0x01


@pytest.fixture
def jack(tmp_path: Path) -> Iterator[tuple[HeadsetJack, list[bool], threading.Event, Path]]:
    fifo = tmp_path / "event7"
    os.mkfifo(fifo)
    changes: list[bool] = []
    changed = threading.Event()

    def on_change(plugged: bool) -> None:
        changes.append(plugged)
        changed.set()

    driver = HeadsetJack(fifo, on_change)
    driver.start()
    assert driver.listening.wait(5)
    yield driver, changes, changed, fifo
    driver.close()


def _write(fifo: Path, data: bytes) -> None:
    with fifo.open("wb") as out:
        out.write(data)


def test_plugging_in_and_pulling_out_are_reported_in_order(jack) -> None:
    driver, changes, changed, fifo = jack
    _write(fifo, input_event(SW_HEADPHONE_INSERT, 1))
    assert changed.wait(3.0)
    changed.clear()
    _write(fifo, input_event(SW_HEADPHONE_INSERT, 0))
    assert changed.wait(3.0)
    assert changes == [True, False]
    assert not driver.plugged


def test_other_events_and_split_records_are_read_correctly(jack) -> None:
    driver, changes, changed, fifo = jack
    record = input_event(SW_HEADPHONE_INSERT, 1)
    noise = input_event(30, 1, kind=EV_KEY) + input_event(0x04, 1, kind=EV_SW)  # a key, the microphone
    with fifo.open("wb", buffering=0) as out:
        out.write(noise + record[:10])
        out.flush()
        out.write(record[10:])
    assert changed.wait(3.0)
    assert changes == [True]
    assert driver.plugged
    assert driver.health().detail == "plugged in"


def test_a_missing_device_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    driver = HeadsetJack(tmp_path / "no-such-event", lambda _p: None)
    driver.start()
    try:
        for _ in range(50):
            if driver.health().detail:
                break
            threading.Event().wait(0.05)
        assert driver.health().state.value == "unavailable"
        assert "no-such-event" in driver.health().detail
    finally:
        driver.close()
