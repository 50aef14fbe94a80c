"""The kiosk's window under a service manager: READY=1 once it is shown, WATCHDOG=1 while the core is
well, none once the core has died, and the maintenance exit's own status with STOPPING=1. The
notifications are read from a real datagram socket; the kiosk is the demo's, with its devices in
memory."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.gui import EXIT_CORE_FAILED, EXIT_MAINTENANCE, run_gui
from kiosk.bootstrap.kiosk import build
from kiosk.bootstrap.notify import ServiceNotifier
from kiosk.staff.events import MaintenanceExitWanted
from tests.conftest import isolated_settings


class Manager:
    """The service manager's end: every datagram received, with when it came."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.received: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.received.append((time.monotonic(), data.decode()))

    def messages(self, first: str) -> list[float]:
        return [at for at, text in self.received if text.split("\n")[0] == first]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[Manager]:
    manager = Manager(tmp_path / "notify")
    yield manager
    manager.close()


@dataclass(frozen=True)
class Boom:
    """An event whose handler ends the core thread."""


class Fatal(BaseException):
    pass


def test_ready_then_pings_then_the_maintenance_exit_with_its_own_status(
        tmp_path: Path, qtbot: QtBot, manager: Manager) -> None:
    kiosk = build(isolated_settings(tmp_path), log_to_console=False)
    notifier = ServiceNotifier(str(manager.path), watchdog_s=0.6)  # a ping every 0.2 s
    QTimer.singleShot(2000, lambda: kiosk.core.post(MaintenanceExitWanted("test")))
    status = run_gui(kiosk, fullscreen=True, notifier=notifier)
    time.sleep(0.2)
    assert status == EXIT_MAINTENANCE == 79
    ready, pings, stopping = (manager.messages("READY=1"), manager.messages("WATCHDOG=1"),
                              manager.messages("STOPPING=1"))
    assert len(ready) == 1 and len(stopping) == 1
    assert len(pings) >= 5 and ready[0] < pings[0] and pings[-1] < stopping[0]
    lines = (tmp_path / "data" / "ready").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("20")


def test_a_core_that_died_gets_no_more_pings(tmp_path: Path, qtbot: QtBot, manager: Manager) -> None:
    kiosk = build(isolated_settings(tmp_path), log_to_console=False)
    kiosk.core.on(Boom, lambda _e: (_ for _ in ()).throw(Fatal("gone")))
    notifier = ServiceNotifier(str(manager.path), watchdog_s=0.3)  # a ping every 0.1 s
    died_at: list[float] = []
    QTimer.singleShot(800, lambda: (died_at.append(time.monotonic()), kiosk.core.post(Boom())))
    status = run_gui(kiosk, fullscreen=False, notifier=notifier)
    assert status == EXIT_CORE_FAILED
    pings = manager.messages("WATCHDOG=1")
    assert pings and all(at < died_at[0] + 0.15 for at in pings)  # the last one was before it died
    assert manager.messages("STOPPING=1") == []  # a failure, to be restarted: no clean stop


def test_a_window_that_hangs_sends_no_pings_while_it_hangs(tmp_path: Path, qtbot: QtBot,
                                                         manager: Manager) -> None:
    kiosk = build(isolated_settings(tmp_path), log_to_console=False)
    notifier = ServiceNotifier(str(manager.path), watchdog_s=0.6)  # a ping every 0.2 s
    QTimer.singleShot(1000, lambda: time.sleep(1.5))  # the event loop blocked, the core well
    QTimer.singleShot(3500, lambda: kiosk.core.post(MaintenanceExitWanted("test")))
    run_gui(kiosk, fullscreen=False, notifier=notifier)
    time.sleep(0.2)
    pings = manager.messages("WATCHDOG=1")
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    assert max(gaps) >= 1.4  # none while it hung
    assert sum(1 for gap in gaps if gap < 0.5) >= 5  # and on time before and after
