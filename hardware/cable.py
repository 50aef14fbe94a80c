"""A serial null-modem cable inside the process, for the ``simulated`` devices.

Two pty pairs (:func:`os.openpty`) and a thread that copies bytes between their master ends: a
driver opens :attr:`SerialCable.device` exactly as it opens /dev/ttyUSB0 on a kiosk, and a byte
simulator opens :attr:`SerialCable.simulator` and answers as the device would. Both paths are
symlinks to the ptys' slave ends, so :meth:`unplug` and :meth:`plug` keep them while the ptys
behind them are made new, as when a USB cable is pulled and put back. Both ends are raw (no echo,
no line editing), like ``socat pty,raw,echo=0``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import tty
from pathlib import Path

log = logging.getLogger(__name__)

POLL_S = 0.1
CHUNK = 4096


class SerialCable:
    def __init__(self, folder: Path, name: str) -> None:
        self.name = name
        self.device = folder / f"{name}-device"
        self.simulator = folder / f"{name}-simulator"
        self._fds: tuple[int, int, int, int] | None = None  # device master/slave, simulator master/slave
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def plugged(self) -> bool:
        return self._fds is not None

    def plug(self) -> SerialCable:
        """Make the ptys and the paths to them; the bytes flow until :meth:`unplug`."""
        if self._fds is not None:
            return self
        self.device.parent.mkdir(parents=True, exist_ok=True)
        device_master, device_slave = os.openpty()
        simulator_master, simulator_slave = os.openpty()
        for slave in (device_slave, simulator_slave):
            tty.setraw(slave)  # the slave ends stay open here too, so their settings hold
        self._fds = (device_master, device_slave, simulator_master, simulator_slave)
        _link(self.device, os.ttyname(device_slave))
        _link(self.simulator, os.ttyname(simulator_slave))
        self._stop.clear()
        self._thread = threading.Thread(target=self._copy, args=(device_master, simulator_master),
                                        name=f"cable-{self.name}", daemon=True)
        self._thread.start()
        return self

    def unplug(self) -> None:
        """Cut the line: both ends fail as with a pulled USB cable, and the paths are gone."""
        fds, self._fds = self._fds, None
        if fds is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for path in (self.device, self.simulator):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    close = unplug

    def _copy(self, device: int, simulator: int) -> None:
        other = {device: simulator, simulator: device}
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select(list(other), [], [], POLL_S)
                for source in ready:
                    data = os.read(source, CHUNK)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(other[source], view):]
            except OSError as exc:
                if not self._stop.is_set():
                    log.warning("simulated cable %s: %s", self.name, exc)
                return


def _link(path: Path, target: str) -> None:
    """Point ``path`` at ``target``, replacing what was there in one step."""
    temporary = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, path)
