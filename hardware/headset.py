"""The headphone jack: Linux reports plugging a headset in as an input switch event.

The sound card's jack appears as an evdev device (``/dev/input/eventN``, named like "HDA Intel PCH
Headphone"; stable under ``/dev/input/by-path/``) that sends ``struct input_event`` records:
``EV_SW`` with ``SW_HEADPHONE_INSERT`` (or ``SW_JACK_PHYSICAL_INSERT``), value 1 plugged, 0 pulled
out (linux/input-event-codes.h). :class:`HeadsetJack` reads those records raw from a thread (no
python-evdev), asks the device for the switch's state at the start (``EVIOCGSW``), and calls
``on_change(plugged)`` on every change. A file that is no evdev device (a FIFO in the tests) starts
"not plugged". The kiosk's user needs read access to the device (the ``input`` group).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.domain.model import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

EV_SW = 0x05
SW_HEADPHONE_INSERT = 0x02
SW_JACK_PHYSICAL_INSERT = 0x07
JACK_SWITCHES = frozenset({SW_HEADPHONE_INSERT, SW_JACK_PHYSICAL_INSERT})
EVENT = struct.Struct("@llHHi")  # struct input_event: struct timeval, __u16 type, __u16 code, __s32 value
SW_CNT = 0x11
_IOC_READ = 2


def eviocgsw(length: int) -> int:
    """The ioctl request that reads the state of every switch (``EVIOCGSW(len)``)."""
    return (_IOC_READ << 30) | (length << 16) | (ord("E") << 8) | 0x1B


def input_event(code: int, value: int, kind: int = EV_SW, when: float | None = None) -> bytes:
    """One ``struct input_event`` as the kernel writes it (for simulators and tests)."""
    moment = time.time() if when is None else when
    return EVENT.pack(int(moment), int(moment % 1 * 1_000_000), kind, code, value)


class HeadsetJack:
    name = "headset"

    def __init__(self, device: Path, on_change: Callable[[bool], None]) -> None:
        self.device = device
        self._on_change = on_change
        self.plugged = False
        self._error = ""
        self._stop = threading.Event()
        self.listening = threading.Event()  # the device is open: what it sends now is read
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="headset", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def health(self) -> DeviceHealth:
        if self._error:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, self._error)
        return DeviceHealth(self.name, DeviceState.OK, "plugged in" if self.plugged else "")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.device, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as exc:
                self._fail(f"{self.device}: {exc.strerror}")
                self._stop.wait(2.0)
                continue
            try:
                self._error = ""
                self._set(_switch_state(fd))
                self.listening.set()
                self._read(fd)
            except OSError as exc:
                if exc.errno != errno.ENODEV:
                    self._fail(f"{self.device}: {exc.strerror}")
                self._stop.wait(1.0)
            finally:
                self.listening.clear()
                os.close(fd)

    def _read(self, fd: int) -> None:
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, EVENT.size * 64)
            except BlockingIOError:
                continue
            if not data:  # a FIFO whose writer has gone: wait for the next one
                self._stop.wait(0.05)
                continue
            pending += data
            while len(pending) >= EVENT.size:
                _sec, _usec, kind, code, value = EVENT.unpack_from(pending)
                pending = pending[EVENT.size:]
                if kind == EV_SW and code in JACK_SWITCHES:
                    self._set(bool(value))

    def _set(self, plugged: bool | None) -> None:
        if plugged is None or plugged == self.plugged:
            return
        self.plugged = plugged
        log.info("headset %s", "plugged in" if plugged else "pulled out")
        self._on_change(plugged)

    def _fail(self, why: str) -> None:
        if why != self._error:
            log.warning("headset jack: %s", why)
        self._error = why


def _switch_state(fd: int) -> bool | None:
    """Whether the jack's switch is on now; None when the file is no evdev device."""
    buffer = bytearray((SW_CNT + 7) // 8)
    try:
        fcntl.ioctl(fd, eviocgsw(len(buffer)), buffer)
    except OSError:
        return None
    return any(buffer[code // 8] >> (code % 8) & 1 for code in JACK_SWITCHES)
