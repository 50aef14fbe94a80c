"""The service manager's notification protocol (sd_notify(3)), without libsystemd.

systemd passes ``$NOTIFY_SOCKET`` (a Unix datagram socket; a leading ``@`` means the abstract
namespace) and, with ``WatchdogSec=``, ``$WATCHDOG_USEC`` and ``$WATCHDOG_PID``. The kiosk tells it
``READY=1`` once its window is shown and its core runs, ``WATCHDOG=1`` from the GUI thread while
the core is alive, and ``STOPPING=1`` on a clean stop. Without ``$NOTIFY_SOCKET`` (the demo, a
terminal started by hand) every call does nothing.

The kiosk runs under ``cage``, which is the unit's main process and stays it: ``$WATCHDOG_PID``
naming the kiosk's parent (cage, which started it) counts as meant for the kiosk, as it does when it
names the kiosk itself. ``READY=1`` does not carry ``MAINPID=``: systemd cannot learn how a process
that is not its child ended, and cage 0.1.4 ends with status 0 whatever its client's was (measured),
so the one way the unit can tell the maintenance exit from a crash is how cage itself ends:
:func:`end_compositor` ends it with :data:`MAINTENANCE_SIGNAL` (``RestartPreventExitStatus=79
SIGUSR2``: 79 is the kiosk's own status, for a unit that runs it without cage).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAINTENANCE_SIGNAL = signal.SIGUSR2  # cage does not handle it: it ends, and the unit sees the signal
COMPOSITORS = ("cage",)
READY_FILE = "ready"  # in the data folder: the version and the time, for the updater's health check


@dataclass(frozen=True)
class ServiceNotifier:
    """Sends notifications to ``address`` (None: nowhere). ``watchdog_s``: how often the service
    manager wants ``WATCHDOG=1`` at the latest (None: no watchdog for this process)."""

    address: str | None = None
    watchdog_s: float | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, *, pid: int | None = None,
                         parent: int | None = None) -> ServiceNotifier:
        env = os.environ if environ is None else environ
        pid = os.getpid() if pid is None else pid
        parent = os.getppid() if parent is None else parent
        address = env.get("NOTIFY_SOCKET") or None
        watchdog_s = None
        try:
            usec = int(env.get("WATCHDOG_USEC", ""))
        except ValueError:
            usec = 0
        watchdog_pid = env.get("WATCHDOG_PID", "")
        meant_for_us = not watchdog_pid or watchdog_pid in (str(pid), str(parent))
        if usec > 0 and meant_for_us:
            watchdog_s = usec / 1_000_000
        return cls(address, watchdog_s)

    @property
    def active(self) -> bool:
        return self.address is not None

    @property
    def ping_every_s(self) -> float | None:
        """How often to send ``WATCHDOG=1``: a third of the watchdog's time, as systemd advises."""
        return None if self.watchdog_s is None else self.watchdog_s / 3

    def ready(self, status: str) -> bool:
        return self.send(f"READY=1\nSTATUS={status}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str) -> bool:
        return self.send(f"STOPPING=1\nSTATUS={status}")

    def status(self, status: str) -> bool:
        return self.send(f"STATUS={status}")

    def send(self, message: str) -> bool:
        """Send one datagram; False (and a log line) if it could not be sent, never an exception:
        a service manager that went away must not take the kiosk down."""
        if self.address is None:
            return False
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), address)
        except OSError as exc:
            log.warning("service manager notification %r not sent: %s", message.split("\n")[0], exc)
            return False
        return True


def write_ready_file(data_dir: Path, version: str, now: dt.datetime) -> Path:
    """Write ``data_dir/ready`` (``version`` and ``now``, one per line) through a temporary file, so
    that the updater never reads half of it."""
    path = data_dir / READY_FILE
    temporary = path.with_name(f".{READY_FILE}.{os.getpid()}")
    temporary.write_text(f"{version}\n{now.isoformat(timespec='seconds')}\n", encoding="utf-8")
    temporary.chmod(0o644)
    os.replace(temporary, path)
    return path


def end_compositor(parent: int | None = None, *, names: tuple[str, ...] = COMPOSITORS) -> bool:
    """After the maintenance exit: end the kiosk compositor this process runs under (its parent, if
    it is one of ``names``) with :data:`MAINTENANCE_SIGNAL`, so that the service manager sees a
    maintenance exit and does not restart the unit. False when the parent is no compositor (the
    kiosk started by hand, or as the unit's main process itself)."""
    parent = os.getppid() if parent is None else parent
    try:
        name = Path(f"/proc/{parent}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return False
    if name not in names:
        return False
    log.warning("maintenance exit: ending %s (pid %d) with %s", name, parent, MAINTENANCE_SIGNAL.name)
    try:
        os.kill(parent, MAINTENANCE_SIGNAL)
    except OSError as exc:
        log.error("%s (pid %d) could not be ended: %s", name, parent, exc)
        return False
    return True
