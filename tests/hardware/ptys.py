"""Serial port pairs for device tests: a real pty pair made by socat, unpluggable and replugable.

The driver under test opens ``pair.device`` exactly as it would open /dev/ttyUSB0; a simulator
opens ``pair.simulator`` and speaks the device's byte protocol. :meth:`PtyPair.unplug` kills socat
(both ends vanish, as when a USB cable is pulled) and :meth:`PtyPair.replug` brings the same paths
back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT_S = 5.0


class PtyPair:
    def __init__(self, folder: Path, name: str = "tty") -> None:
        socat = shutil.which("socat")
        if socat is None:
            raise RuntimeError("socat is not installed (make test installs it)")
        self.socat = socat
        self.device = folder / f"{name}-device"
        self.simulator = folder / f"{name}-simulator"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def plugged(self) -> bool:
        return self._process is not None

    def replug(self) -> PtyPair:
        if self._process is not None:
            return self
        self._process = subprocess.Popen(
            [self.socat, "-d", "-d",
             f"pty,raw,echo=0,link={self.device}", f"pty,raw,echo=0,link={self.simulator}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (self.device.exists() and self.simulator.exists()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.unplug()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)
        return self

    def unplug(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for link in (self.device, self.simulator):
            deadline = time.monotonic() + START_TIMEOUT_S
            while link.is_symlink() and time.monotonic() < deadline:
                time.sleep(0.01)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[PtyPair]:
    """A plugged-in pty pair; stopped by process id at the end of the test."""
    pair = PtyPair(tmp_path).replug()
    yield pair
    pair.unplug()
