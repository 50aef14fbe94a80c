"""The service manager's notifications, read from a real datagram socket as systemd reads them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.notify import MAINTENANCE_SIGNAL, ServiceNotifier, end_compositor, write_ready_file


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A notify socket on a path, as systemd makes one."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield str(path), sock
    sock.close()


def test_ready_carries_the_status_and_leaves_cage_the_main_process(
        manager: tuple[str, socket.socket]) -> None:
    address, sock = manager
    assert ServiceNotifier.from_environment({"NOTIFY_SOCKET": address}).ready("ready: kiosk-1")
    assert sock.recv(4096) == b"READY=1\nSTATUS=ready: kiosk-1"


def test_an_abstract_socket_is_reached_by_its_at_sign_name() -> None:
    name = f"library-kiosk-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert ServiceNotifier.from_environment({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_stopping_is_said_with_why(manager: tuple[str, socket.socket]) -> None:
    address, sock = manager
    ServiceNotifier(address).stopping("maintenance exit")
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=maintenance exit"


def test_without_a_notify_socket_nothing_is_sent_and_nothing_fails() -> None:
    notifier = ServiceNotifier.from_environment({})
    assert not notifier.active and notifier.ping_every_s is None
    assert notifier.ready("ready") is False


def test_a_socket_that_has_gone_is_not_an_error(tmp_path: Path) -> None:
    assert ServiceNotifier(str(tmp_path / "gone")).watchdog() is False


@pytest.mark.parametrize(("watchdog_pid", "expected"), [
    ("", 10.0),  # WatchdogSec=30 without a pid: for whoever reads it
    ("100", 10.0),  # the kiosk itself
    ("50", 10.0),  # cage, the unit's main process, which started the kiosk
    ("7", None),  # another process's watchdog, inherited
])
def test_the_watchdog_is_pinged_every_third_of_its_time_when_it_is_meant_for_the_kiosk(
        watchdog_pid: str, expected: float | None) -> None:
    env = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"}
    if watchdog_pid:
        env["WATCHDOG_PID"] = watchdog_pid
    assert ServiceNotifier.from_environment(env, pid=100, parent=50).ping_every_s == expected


def test_a_bad_watchdog_time_means_no_watchdog() -> None:
    env = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "thirty"}
    assert ServiceNotifier.from_environment(env).ping_every_s is None


def test_the_ready_file_holds_the_version_and_the_time(tmp_path: Path) -> None:
    at = dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC)
    path = write_ready_file(tmp_path, "0.2.0", at)
    assert path == tmp_path / "ready"
    assert path.read_text() == "0.2.0\n2026-12-05T20:00:00+00:00\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["ready"]  # no temporary file left


def test_the_maintenance_exit_ends_the_compositor_with_its_own_signal(tmp_path: Path) -> None:
    cage = tmp_path / "cage"  # a process named cage, as the kiosk's parent is on a terminal
    sleep = shutil.which("sleep")
    assert sleep is not None
    shutil.copy(sleep, cage)
    with subprocess.Popen([str(cage), "30"]) as process:
        comm = Path(f"/proc/{process.pid}/comm")
        deadline = time.monotonic() + 5
        while comm.read_text().strip() != "cage" and time.monotonic() < deadline:
            time.sleep(0.01)  # until the child has exec'd: before that it is named after its parent
        assert end_compositor(process.pid) is True
        assert process.wait(5) == -MAINTENANCE_SIGNAL == -signal.SIGUSR2


def test_a_parent_that_is_no_compositor_is_left_alone() -> None:
    with subprocess.Popen(["sleep", "30"]) as process:
        try:
            assert end_compositor(process.pid) is False
            assert process.poll() is None
        finally:
            process.kill()


def test_the_updater_reads_the_version_the_kiosk_writes_in_its_ready_file(tmp_path: Path) -> None:
    """The two ends of the health check after an update: what the kiosk writes, the updater reads."""
    from kiosk.bootstrap.notify import write_ready_file
    from kiosk.cli.update import ready_version

    since = time.time()
    stamp = write_ready_file(tmp_path, "0.9.1", dt.datetime.now(dt.UTC))
    assert ready_version(stamp, since) == "0.9.1"
