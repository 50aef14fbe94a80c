"""The door watchdog as a service of its own: it outlives the kiosk and locks after each crash.

The service runs as a process of its own (as ``library-kiosk-door.service`` runs it) on one end of a
Unix socket; kiosk processes (a child Python process with the real relay driver and door lock) connect,
unlock, and are killed, frozen or shut down; the relay simulator on the far end of a pty records
what the board would have done.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.door.relay_sim import LcusSimulator, NumatoSimulator, RelaySimulator
from hardware.door.watchdog_service import ServiceWatchdog
from kiosk.bootstrap.devices import build_devices
from kiosk.cli.main import main
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState
from kiosk.settings import DeviceSettings, DoorSettings
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

REPO = Path(__file__).resolve().parents[2]
START_S = 15.0  # a cold Python start with imports, on a loaded CI machine

KIOSK = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hardware.door.relay import LcusBoard, NumatoBoard, RelayDoorLock
    from hardware.door.watchdog_service import ServiceWatchdog

    port, door_socket, pulse, kind = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    board = LcusBoard(port) if kind == "LCUS" else NumatoBoard(port)
    channel = 1 if kind == "LCUS" else 0
    watchdog = ServiceWatchdog(door_socket)
    lock = RelayDoorLock(board, channel, max_pulse_s=60, watchdog=watchdog, owns_board=True)
    assert watchdog.ensure_running(10)
    lock.core_alive()  # one heartbeat, and no more: the core is stuck unless the test says otherwise
    if pulse:
        lock.pulse(pulse)
    print("unlocked", flush=True)  # the test may now kill or freeze this process
    sys.stdin.readline()  # the test says when to shut down cleanly
    lock.close()
""")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Service:
    """The door watchdog service in a process of its own, with a systemd-like notify socket; stopped
    by process id."""

    def __init__(self, folder: Path, command: list[str]) -> None:
        self.socket = folder / "run" / "door.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_path = folder / f"notify-{time.monotonic_ns()}"
        self.notify.bind(str(notify_path))
        env = dict(os.environ, PYTHONPATH=str(REPO), NOTIFY_SOCKET=str(notify_path))
        self.process = subprocess.Popen([sys.executable, *command, "--socket", str(self.socket)],
                                        cwd=REPO, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        self.notify.settimeout(START_S)
        self.notified = self.notify.recv(64)  # READY=1 once it listens

    def stop(self) -> None:
        self.notify.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


class Kiosk:
    """A kiosk-like child process holding the door lock, in a session (process group) of its own."""

    def __init__(self, port: Path, door_socket: Path, board: str = "LCUS", pulse: float = 30.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", KIOSK, str(port), str(door_socket), str(pulse), board],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)), start_new_session=True,
        )
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            assert selector.select(START_S), "the kiosk process did not start"
        assert self.process.stdout.readline() == b"unlocked\n"

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


@pytest.fixture
def started() -> Iterator[list[Service | Kiosk]]:
    """Everything a test starts, stopped by process id at the end."""
    processes: list[Service | Kiosk] = []
    yield processes
    for process in reversed(processes):
        process.stop()


def start_service(tmp_path: Path, started: list[Service | Kiosk], simulator: RelaySimulator, port: Path, *,
                  heartbeat_s: float = 0.0, max_open_s: float = 60.0) -> Service:
    service = Service(tmp_path, ["-m", "hardware.door.watchdog_service", "--board", simulator.board.lower(),
                                 "--port", str(port), "--heartbeat-seconds", str(heartbeat_s),
                                 "--max-open-seconds", str(max_open_s)])
    started.append(service)
    return service


def start_kiosk(started: list[Service | Kiosk], port: Path, service: Service, board: str = "LCUS",
                pulse: float = 30.0) -> Kiosk:
    kiosk = Kiosk(port, service.socket, board, pulse)
    started.append(kiosk)
    return kiosk


def test_the_service_locks_at_start_listens_for_the_kiosk_only_and_tells_systemd(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    board = LcusSimulator(pty_pair.simulator, initial_on=True).start()
    try:
        service = start_service(tmp_path, started, board, pty_pair.device)
        assert service.notified == b"READY=1"
        assert board.wait_until(lambda: not board.is_on(1), 3.0)
        assert stat.S_ISSOCK(service.socket.stat().st_mode)
        assert stat.S_IMODE(service.socket.stat().st_mode) == 0o660
    finally:
        board.stop()


@pytest.mark.parametrize("simulator", [LcusSimulator, NumatoSimulator])
@pytest.mark.parametrize("kill", ["process", "process group"])
def test_a_killed_kiosk_is_locked_at_once_and_the_next_kiosk_is_watched(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk], simulator: type[RelaySimulator],
        kill: str) -> None:
    board = simulator(pty_pair.simulator).start()
    channel = board.first_channel
    try:
        service = start_service(tmp_path, started, board, pty_pair.device, heartbeat_s=15.0)
        first = start_kiosk(started, pty_pair.device, service, board.board)
        assert board.wait_until(lambda: board.is_on(channel), START_S)

        killed = time.monotonic()
        if kill == "process":
            os.kill(first.process.pid, signal.SIGKILL)
        else:  # the OOM killer, or systemd ending the kiosk's unit
            os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=5)

        assert board.wait_until(lambda: not board.is_on(channel), 3.0)
        assert board.switches[-1].at - killed < 1.5
        assert service.process.poll() is None  # it outlives the kiosk...

        second = start_kiosk(started, pty_pair.device, service, board.board)  # ...and watches the next one
        assert board.wait_until(lambda: board.is_on(channel), START_S)
        assert second.shut_down() == 0
        assert not board.is_on(channel)
        time.sleep(0.3)
        assert [s.on for s in board.switches][-2:] == [True, False]
        assert service.process.poll() is None
        assert board.errors == []
    finally:
        board.stop()


def test_a_second_kiosk_is_told_which_kiosk_the_service_is_watching(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    board = LcusSimulator(pty_pair.simulator).start()
    try:
        service = start_service(tmp_path, started, board, pty_pair.device)
        first = start_kiosk(started, pty_pair.device, service)
        second = ServiceWatchdog(service.socket)  # doctor, run beside the kiosk
        try:
            assert not second.ensure_running(0.5)
            assert f"watching another kiosk process ({first.process.pid})" in second.down_reason(True)
        finally:
            second.close(relay_off=True)
        assert board.is_on(1)  # the kiosk being watched is left alone
        assert first.shut_down() == 0
    finally:
        board.stop()


def test_a_kiosk_whose_core_is_stuck_is_locked_and_ended(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    board = LcusSimulator(pty_pair.simulator).start()
    try:
        service = start_service(tmp_path, started, board, pty_pair.device, heartbeat_s=1.5)
        kiosk = start_kiosk(started, pty_pair.device, service)  # one heartbeat, then silence
        assert board.wait_until(lambda: board.is_on(1), START_S)

        assert board.wait_until(lambda: not board.is_on(1), 5.0)
        assert kiosk.process.wait(timeout=10) in (-signal.SIGABRT, -signal.SIGKILL)
        assert service.process.poll() is None
    finally:
        board.stop()


def test_a_kiosk_frozen_while_unlocked_is_locked_after_the_longest_pulse(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    board = LcusSimulator(pty_pair.simulator).start()
    try:
        service = start_service(tmp_path, started, board, pty_pair.device, max_open_s=2.0)
        kiosk = start_kiosk(started, pty_pair.device, service)
        assert board.wait_until(lambda: board.is_on(1), START_S)  # unlocked before it hangs
        os.kill(kiosk.process.pid, signal.SIGSTOP)  # hung: its own timer cannot fire
        try:
            assert board.wait_until(lambda: not board.is_on(1), 5.0)
            on, off = [s for s in board.switches if s.on][-1], board.switches[-1]
            assert 1.5 <= off.at - on.at <= 3.5
        finally:
            os.kill(kiosk.process.pid, signal.SIGCONT)
    finally:
        board.stop()


def test_stopping_the_service_run_from_the_settings_file_locks_the_door(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    settings = tmp_path / "kiosk.toml"  # what library-kiosk-door.service runs
    settings.write_text(f'[terminal]\nid = "door-1"\nbranch = "viby"\n[devices.door]\nkind = "lcus"\n'
                        f'port = "{pty_pair.device}"\nchannel = 1\nwatchdog = "service"\n')
    board = LcusSimulator(pty_pair.simulator).start()
    try:
        service = Service(tmp_path, ["-m", "kiosk.cli", "door-watchdog", "--config", str(settings)])
        started.append(service)
        start_kiosk(started, pty_pair.device, service)
        assert board.wait_until(lambda: board.is_on(1), START_S)

        service.process.send_signal(signal.SIGTERM)  # systemctl stop library-kiosk-door
        assert board.wait_until(lambda: not board.is_on(1), 3.0)
        assert service.process.wait(timeout=5) == 0
        assert not service.socket.exists()
    finally:
        board.stop()


def test_the_service_refuses_settings_whose_kiosk_would_not_connect(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "kiosk.toml"
    settings.write_text('[terminal]\nid = "door-1"\nbranch = "viby"\n[devices.door]\nkind = "lcus"\n')
    assert main(["door-watchdog", "--config", str(settings)]) == 2
    assert 'devices.door.watchdog is \'spawn\': set it to "service"' in capsys.readouterr().err


def test_the_kiosk_unlocks_only_while_connected_to_the_service(
        tmp_path: Path, pty_pair: PtyPair, started: list[Service | Kiosk]) -> None:
    board = LcusSimulator(pty_pair.simulator).start()
    door_socket = tmp_path / "run" / "door.sock"
    closers: list[Callable[[], None]] = []
    try:
        door = DoorSettings(kind="lcus", port=str(pty_pair.device), watchdog="service",
                            watchdog_socket=door_socket)
        devices = build_devices(DeviceSettings(door=door), closers)
        lock = devices.door_lock
        assert lock is not None

        with pytest.raises(DeviceUnavailable, match=r"library-kiosk-door\.service"):  # no service yet
            lock.pulse(1.0)
        health = lock.health()
        assert health.state is DeviceState.UNAVAILABLE and str(door_socket) in health.detail
        assert not any(s.on for s in board.switches)

        service = start_service(tmp_path, started, board, pty_pair.device)
        lock.core_alive()  # the heartbeat finds the service (the core beats every tick)
        assert eventually(lambda: lock.health().state is DeviceState.OK)
        lock.pulse(0.3)
        assert board.wait_until(lambda: [s.on for s in board.switches][-2:] == [True, False], 3.0)

        service.process.send_signal(signal.SIGTERM)  # the service restarts...
        assert service.process.wait(timeout=5) == 0
        assert eventually(lambda: lock.health().state is DeviceState.DEGRADED)
        with pytest.raises(DeviceUnavailable):
            lock.pulse(1.0)
        start_service(tmp_path, started, board, pty_pair.device)
        time.sleep(1.0)  # the lock passes on at most one heartbeat a second
        lock.core_alive()  # ...and the kiosk connects again by itself
        assert eventually(lambda: lock.health().state is DeviceState.OK)
        unlocks = sum(s.on for s in board.switches)
        lock.pulse(0.3)
        assert board.wait_until(lambda: sum(s.on for s in board.switches) == unlocks + 1, 3.0)
    finally:
        for closer in reversed(closers):
            closer()
        board.stop()
