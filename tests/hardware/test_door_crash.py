"""Crash safety for real: a kiosk process killed while the door is unlocked leaves it locked.

A child Python process opens the door lock on a pty (with the crash watchdog), pulses, and is
killed with SIGKILL or frozen with SIGSTOP; the LCUS simulator on the far end records what the
board would have done.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.door.relay import LcusBoard, RelayDoorLock
from hardware.door.relay_sim import LcusSimulator, NumatoSimulator, RelaySimulator
from hardware.door.watchdog import CrashWatchdog
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

REPO = Path(__file__).resolve().parents[2]
START_S = 15.0  # a cold Python start with imports, on a loaded CI machine

KIOSK = textwrap.dedent("""
    import sys
    from hardware.door.relay import LcusBoard, NumatoBoard, RelayDoorLock
    from hardware.door.watchdog import MARGIN_S, CrashWatchdog

    port, pulse, max_pulse, kind = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    board = LcusBoard(port) if kind == "LCUS" else NumatoBoard(port)
    channel = 1 if kind == "LCUS" else 0
    watchdog = CrashWatchdog(board, channel, max_open_s=max_pulse + MARGIN_S)
    assert watchdog.wait_ready(10)
    lock = RelayDoorLock(board, channel, max_pulse_s=max_pulse, watchdog=watchdog, owns_board=True)
    if pulse:
        lock.pulse(pulse)
    print(watchdog.pid, flush=True)  # the test may now kill or freeze this process
    sys.stdin.readline()  # the test says when to shut down cleanly
    lock.close()
""")


class Kiosk:
    """A kiosk-like child process holding the door lock; stopped by process id."""

    def __init__(self, port: Path, pulse: float = 0.0, max_pulse: float = 60.0,
                 board: str = "LCUS") -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.process = subprocess.Popen(
            [sys.executable, "-c", KIOSK, str(port), str(pulse), str(max_pulse), board],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO, env=env,
        )
        self.watchdog_pid = int(self._read_line(START_S))

    def _read_line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise TimeoutError("the kiosk process did not start")
        return self.process.stdout.readline().decode().strip()

    def shut_down(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(b"\n")
        self.process.stdin.close()
        return self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        if watchdog_alive(self.watchdog_pid):
            os.kill(self.watchdog_pid, signal.SIGKILL)


def watchdog_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for_exit(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while watchdog_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def board(pty_pair: PtyPair) -> Iterator[LcusSimulator]:
    sim = LcusSimulator(pty_pair.simulator)
    sim.start()
    yield sim
    sim.stop()
    assert sim.errors == []


@pytest.fixture
def kiosks() -> Iterator[list[Kiosk]]:
    started: list[Kiosk] = []
    yield started
    for kiosk in started:
        kiosk.stop()


@pytest.mark.parametrize("simulator", [LcusSimulator, NumatoSimulator])
def test_kill_9_while_unlocked_locks_the_door_within_a_second(
        pty_pair: PtyPair, kiosks: list[Kiosk], simulator: type[RelaySimulator]) -> None:
    board = simulator(pty_pair.simulator).start()
    channel = board.first_channel
    try:
        kiosk = Kiosk(pty_pair.device, pulse=30, board=board.board)
        kiosks.append(kiosk)
        assert board.wait_until(lambda: board.is_on(channel), START_S)

        killed = time.monotonic()
        os.kill(kiosk.process.pid, signal.SIGKILL)
        kiosk.process.wait(timeout=5)

        assert board.wait_until(lambda: not board.is_on(channel), 3.0)
        assert board.switches[-1].at - killed < 1.5
        assert [s.on for s in board.switches] == [False, True, False]
        assert wait_for_exit(kiosk.watchdog_pid)  # its job done, the watchdog leaves
        assert board.errors == []
    finally:
        board.stop()


def test_a_restart_after_a_crash_switches_off_before_anything_else(
        pty_pair: PtyPair, board: LcusSimulator, kiosks: list[Kiosk]) -> None:
    crashed = Kiosk(pty_pair.device, pulse=30)
    kiosks.append(crashed)
    assert board.wait_until(lambda: board.is_on(1), START_S)
    os.kill(crashed.watchdog_pid, signal.SIGKILL)  # even without its watchdog...
    os.kill(crashed.process.pid, signal.SIGKILL)
    crashed.process.wait(timeout=5)
    assert board.is_on(1)  # ...the door is open until the kiosk comes back

    restarted_at = time.monotonic()
    restarted = Kiosk(pty_pair.device)
    kiosks.append(restarted)
    assert board.wait_until(lambda: not board.is_on(1), START_S)
    after = [s for s in board.switches if s.at > restarted_at]
    assert [s.on for s in after] == [False]
    assert restarted.shut_down() == 0


def test_a_frozen_kiosk_is_locked_by_the_watchdog_after_the_longest_pulse(
        pty_pair: PtyPair, board: LcusSimulator, kiosks: list[Kiosk]) -> None:
    kiosk = Kiosk(pty_pair.device, pulse=1.0, max_pulse=1.0)
    kiosks.append(kiosk)
    os.kill(kiosk.process.pid, signal.SIGSTOP)  # hung: its own timer cannot fire
    try:
        assert board.wait_until(lambda: len(board.switches) >= 3, START_S)
        _, on, off = board.switches[:3]
        assert on.on and not off.on
        assert 2.5 <= off.at - on.at <= 4.5  # the longest pulse (1 s) + the watchdog's margin (2 s)
    finally:
        os.kill(kiosk.process.pid, signal.SIGCONT)


def test_a_clean_shutdown_locks_and_stops_the_watchdog(
        pty_pair: PtyPair, board: LcusSimulator, kiosks: list[Kiosk]) -> None:
    kiosk = Kiosk(pty_pair.device, pulse=30)
    kiosks.append(kiosk)
    assert board.wait_until(lambda: board.is_on(1), START_S)
    assert kiosk.shut_down() == 0
    assert not board.is_on(1)
    assert wait_for_exit(kiosk.watchdog_pid)
    time.sleep(0.3)
    assert [s.on for s in board.switches] == [False, True, False]


def test_stopping_the_watchdog_with_sigterm_locks_the_door(
        pty_pair: PtyPair, board: LcusSimulator, kiosks: list[Kiosk]) -> None:
    kiosk = Kiosk(pty_pair.device, pulse=30)  # systemd stopping the whole unit signals every process
    kiosks.append(kiosk)
    assert board.wait_until(lambda: board.is_on(1), START_S)
    os.kill(kiosk.watchdog_pid, signal.SIGTERM)
    assert board.wait_until(lambda: not board.is_on(1), 3.0)
    assert wait_for_exit(kiosk.watchdog_pid)


def test_no_unlock_when_the_watchdog_is_gone_and_cannot_be_started(
        pty_pair: PtyPair, board: LcusSimulator, tmp_path: Path) -> None:
    relay = LcusBoard(str(pty_pair.device))
    missing = tmp_path / "no-python-here"  # what a broken interpreter or a full process table would do
    watchdog = CrashWatchdog(relay, 1, max_open_s=3.0)
    assert watchdog.wait_ready(START_S)
    lock = RelayDoorLock(relay, 1, max_pulse_s=1.0, watchdog=watchdog, owns_board=True)
    try:
        watchdog._command[0] = str(missing)  # the next start fails
        os.kill(watchdog.pid, signal.SIGKILL)
        assert wait_for_exit(watchdog.pid)

        with pytest.raises(DeviceUnavailable, match="watchdog"):
            lock.pulse(1.0)

        health = lock.health()
        assert health.state is DeviceState.UNAVAILABLE and "watchdog" in health.detail
        time.sleep(0.3)
        assert all(not s.on for s in board.switches)  # the relay was never told ON
    finally:
        lock.close()
