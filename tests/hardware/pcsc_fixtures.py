"""A real pcscd with vpcd virtual readers, and virtual cards to hold to them.

The ``pcscd`` fixture gives a running :class:`Pcscd` whose vpcd readers listen on free ports chosen
for this run (the Debian default, 35963, is left alone). pcscd is started as a subprocess with its
own reader configuration and stopped by process id; a test may stop or restart it and the fixture
puts it back for the next test. If a pcscd not started by the tests is already running (pcscd
allows one per machine: its socket is always /run/pcscd/pcscd.comm), the tests use it, find its vpcd
port from its configuration, and skip the tests that need to stop it.

Test runs on one machine take turns through a lock file (held per test module), since they would
share that pcscd.
Needs the Debian packages ``pcscd`` and ``vsmartcard-vpcd``, and root (pcscd creates /run/pcscd).

Import in a test module with ``from tests.hardware.pcsc_fixtures import pcscd as pcscd`` (and
``pcscd_daemon`` and ``virtual_card`` likewise).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from smartcard import scard
from smartcard.System import readers as pcsc_readers

from tests.hardware.vpcd_card import VirtualCard

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_CONFIG_DIR = Path("/etc/reader.conf.d")
PID_FILE = Path("/run/pcscd/pcscd.pid")
LOCK_FILE = Path("/tmp/library-kiosk-pcscd-tests.lock")
START_TIMEOUT_S = 10.0
LOCK_TIMEOUT_S = 300.0


def reader_names() -> list[str]:
    """The readers pcscd lists now; empty if pcscd is not running or has none."""
    try:
        return [str(r) for r in pcsc_readers()]
    except Exception:  # pyscard raises its own exception types for "no service"
        return []


def _free_port_pair() -> int:
    """A port p with p and p+1 free: vpcd listens on one port per slot, two slots per reader."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("0.0.0.0", 0))
            port = int(first.getsockname()[1])
            with socket.socket() as second:
                try:
                    second.bind(("0.0.0.0", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free TCP ports")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_pcscd() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip("\0 \n"))  # pcscd writes the pid NUL-terminated
    except (OSError, ValueError):
        return None
    try:  # a stale pid file may name a pid reused by another program
        is_pcscd = Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd"
    except OSError:
        return None
    return pid if is_pcscd and _alive(pid) else None


def _vpcd_port_of(pid: int) -> int | None:
    """The first vpcd port configured for a running pcscd (its --config folder or the default)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    folder = SYSTEM_CONFIG_DIR
    for flag, value in itertools.pairwise(args):
        if flag in ("-c", "--config"):
            folder = Path(value)
    for conf in sorted(folder.glob("*")) if folder.is_dir() else []:
        text = conf.read_text(errors="replace")
        if "libifdvpcd" in text and (m := re.search(r"DEVICENAME\s+\S*:(0x[0-9a-fA-F]+|\d+)", text)):
            return int(m.group(1), 0)
    return None


class Pcscd:
    """pcscd with one vpcd reader entry (two slots: ``reader``, on ``port``, and a second one)."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("pcscd") or next(
            (str(p) for p in (Path("/usr/sbin/pcscd"), Path("/sbin/pcscd")) if p.exists()), None)
        if binary is None:
            pytest.skip("pcscd is not installed (make test installs the Debian package pcscd)")
        if not VPCD_DRIVER.exists():
            pytest.skip("the vpcd driver is not installed (Debian package vsmartcard-vpcd)")
        self.binary = binary
        self.config_dir = folder / "reader.conf.d"
        self.log_path = folder / "pcscd.log"
        self.port = _free_port_pair()
        self.external_pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def reader(self) -> str:
        """The name of the reader in the first vpcd slot, as PC/SC lists it."""
        return "Virtual PCD 00 00"

    @property
    def running(self) -> bool:
        return self.external_pid is not None or (self._process is not None and self._process.poll() is None)

    def require_control(self) -> None:
        if self.external_pid is not None:
            pytest.skip(f"pcscd (pid {self.external_pid}) was already running, not started by the tests")

    def start(self, *, with_reader: bool = True) -> Pcscd:
        """Start pcscd (with the vpcd reader, or with no reader at all) and wait until it answers."""
        if self.running:
            return self
        other = _running_pcscd()
        if other is not None:
            port = _vpcd_port_of(other)
            if port is None:
                pytest.skip(f"a pcscd (pid {other}) not started by the tests runs without a vpcd reader")
            self.external_pid, self.port = other, port
            return self
        run_dir = PID_FILE.parent
        if os.geteuid() != 0 and not os.access(run_dir if run_dir.exists() else run_dir.parent, os.W_OK):
            pytest.skip(f"pcscd must run as root here: it writes {run_dir}")
        self.config_dir.mkdir(parents=True, exist_ok=True)
        conf = self.config_dir / "vpcd"
        if with_reader:  # the same lines as Debian's /etc/reader.conf.d/vpcd, on our port
            conf.write_text(f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{self.port}\n'
                            f"LIBPATH {VPCD_DRIVER}\nCHANNELID {self.port}\n")
        else:
            conf.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "--foreground", "--config", str(self.config_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        process = self._process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"pcscd exited with {process.returncode}:\n{self.log_text()[-2000:]}")
            return (self.reader in reader_names()) if with_reader else self._answers()

        self._wait_until(ready, "pcscd did not start")
        return self

    def stop(self) -> None:
        """Stop the pcscd we started (SIGTERM, then SIGKILL), and wait until clients see it gone."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self._wait_until(lambda: not self._answers(), "pcscd still answers after it stopped")

    def restart(self, *, with_reader: bool = True) -> Pcscd:
        self.require_control()
        self.stop()
        return self.start(with_reader=with_reader)

    def card(self, *, slot: int = 0, **card: Any) -> VirtualCard:
        """A virtual card for the reader in ``slot`` (not inserted yet)."""
        return VirtualCard(self.port + slot, **card)

    def wait_for_card(self, present: bool, *, slot: int = 0) -> None:
        """Waits until pcscd has seen the card in ``slot`` arrive or leave (it polls vpcd a few
        times a second), so that a test's next step is a separate presentation."""
        name = f"Virtual PCD 00 {slot:02d}"

        def seen() -> bool:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            try:
                hresult, states = scard.SCardGetStatusChange(context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
                if hresult != scard.SCARD_S_SUCCESS:
                    return False
                return bool(states[0][1] & scard.SCARD_STATE_PRESENT) == present
            finally:
                scard.SCardReleaseContext(context)

        self._wait_until(seen, f"pcscd did not see the card {'arrive' if present else 'leave'}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _answers(self) -> bool:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        scard.SCardReleaseContext(context)
        return True

    def _wait_until(self, condition: Callable[[], bool], failure: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{failure} within {START_TIMEOUT_S} s; log: {self.log_path}\n"
                                   f"{self.log_text()[-2000:]}")
            time.sleep(0.05)


@contextlib.contextmanager
def _machine_lock() -> Iterator[None]:
    with LOCK_FILE.open("a") as lock:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test run held {LOCK_FILE} for {LOCK_TIMEOUT_S} s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def pcscd_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """One pcscd for a test module, stopped by process id at its end. Holds the machine's lock
    meanwhile, so that test runs on one machine take turns."""
    with _machine_lock():
        daemon = Pcscd(tmp_path_factory.mktemp("pcscd"))
        try:
            yield daemon.start()
        finally:
            daemon.stop()


@pytest.fixture
def pcscd(pcscd_daemon: Pcscd) -> Iterator[Pcscd]:
    """The running pcscd with its vpcd reader; if a test stopped it or removed the reader, it is
    put back afterwards."""
    daemon = pcscd_daemon.start()
    yield daemon
    if daemon.external_pid is None and (not daemon.running or daemon.reader not in reader_names()):
        daemon.restart()


@pytest.fixture
def virtual_card(pcscd: Pcscd) -> Iterator[Callable[..., VirtualCard]]:
    """Makes virtual cards for the pcscd reader (``virtual_card(uid=..., memory=...)``); every card
    made is removed at the end of the test."""
    cards: list[VirtualCard] = []

    def make(**card: Any) -> VirtualCard:
        made = pcscd.card(**card)
        cards.append(made)
        return made

    yield make
    for made in cards:
        made.remove()
    if pcscd.running:  # the next test starts with empty readers, as pcscd sees them
        for slot in {made.port - pcscd.port for made in cards}:
            pcscd.wait_for_card(present=False, slot=slot)
