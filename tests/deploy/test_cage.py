"""The real kiosk (``library-kiosk run``, fullscreen) under headless ``cage`` as a user that is not
root, supervised as its unit supervises it: it says READY=1 on a notify socket, keeps pinging,
stops pinging when it hangs (SIGSTOP), is ended and started again, and the new one says READY=1.

There is no systemd as PID 1 on CI nor here, so :class:`Supervisor` applies the unit's semantics
itself: ``Type=notify`` (started once READY=1 arrives), ``WatchdogSec`` (no WATCHDOG=1 for that long:
SIGABRT to the main process, cage, then SIGKILL to the whole process group as systemd kills the
unit's control group) and ``Restart=always`` (start again). It sets
``$WATCHDOG_PID`` to cage's process id, as systemd sets it to the unit's main process.

As root the test makes a throwaway system user (and removes it); as any other user it runs as that
user. cage refuses to run as root."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WATCHDOG_S = 4.0  # the unit's WatchdogSec, short for the test: a ping every 1.3 s
READY_WITHIN_S = 90.0  # Qt, the database and the LMS emulator start on a busy two-core machine
ABORT_GRACE_S = 2.0  # after SIGABRT, the group is killed (systemd: TimeoutAbortSec)

pytestmark = pytest.mark.skipif(shutil.which("cage") is None or shutil.which("Xwayland") is None,
                                reason="needs cage and xwayland (apt: cage xwayland; make test installs)")

SETTINGS = """\
[terminal]
id = "cage-1"
branch = "hovedbiblioteket"
fullscreen = true
[paths]
data_dir = "{root}/data"
log_dir = "{root}/log"
key_dir = "{root}/keys"
[logging]
console = true
[lms]
kind = "memory"
seed = "{repo}/config/demo/lms.toml"
[devices.card_reader]
kind = "memory"
[devices.rfid_pad]
kind = "memory"
"""


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int


@pytest.fixture(scope="module")
def user() -> Iterator[User]:
    """Not root: a throwaway system user when the test runs as root, else the test's own user."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        yield User(entry.pw_name, entry.pw_uid, entry.pw_gid)
        return
    if shutil.which("useradd") is None or shutil.which("setpriv") is None:
        pytest.skip("as root the test needs useradd (passwd) and setpriv (util-linux)")
    name = f"lk-cage-{os.getpid()}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", name], check=True)
    entry = pwd.getpwnam(name)
    try:
        yield User(name, entry.pw_uid, entry.pw_gid)
    finally:
        # Xwayland's socket and lock of a killed cage stay behind: they are this user's.
        for leftover in (*Path("/tmp/.X11-unix").glob("X*"), *Path("/tmp").glob(".X*-lock")):
            with contextlib.suppress(OSError):
                if leftover.lstat().st_uid == entry.pw_uid:
                    leftover.unlink()
        subprocess.run(["userdel", name], check=False)


@pytest.fixture(scope="module")
def x11_sockets() -> None:
    """Xwayland's socket folder, as systemd-tmpfiles makes it at boot (x11.conf): root's, 1777. Made
    by whoever comes first otherwise, it is that user's, and Xwayland refuses it for any other."""
    path = Path("/tmp/.X11-unix")
    if os.geteuid() == 0 and not path.exists():
        path.mkdir()
        path.chmod(0o1777)


@pytest.fixture
def root(user: User, x11_sockets: None) -> Iterator[Path]:
    """A folder the kiosk's user owns (pytest's own tmp folder is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="library-kiosk-cage-"))
    path.chmod(0o755)
    for name in ("data", "log", "keys", "runtime"):
        (path / name).mkdir(mode=0o700)
        os.chown(path / name, user.uid, user.gid)
    # As root the kiosk sees this tree where reachable() bind-mounts it.
    repo = path / "src" if os.geteuid() == 0 else REPO
    (path / "kiosk.toml").write_text(SETTINGS.format(root=path, repo=repo), encoding="utf-8")
    os.chmod(path / "kiosk.toml", 0o644)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_user(user: User) -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups"]


def reachable(user: User, root: Path) -> tuple[list[str], str, str]:
    """How the user's kiosk reaches this source tree and its packages: a command prefix, the Python
    to run and its PYTHONPATH. As root the tree and the site-packages are bind-mounted into ``root``
    in a mount namespace of the kiosk's own, since they may lie under folders only root may enter
    (a CI clone in a 0700 temporary folder, pyenv's Python in /root); the system's Python of the
    same version is used when this one cannot be run by the user."""
    site = sysconfig.get_paths()["purelib"]
    prefix: list[str] = []
    path = os.pathsep.join((str(REPO), site))
    if os.geteuid() == 0:
        for name in ("src", "site"):
            (root / name).mkdir(mode=0o755, exist_ok=True)
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  'mount --bind "$1" "$2" && mount --bind "$3" "$4" && shift 4 && exec "$@"', "sh",
                  str(REPO), str(root / "src"), site, str(root / "site")]
        path = os.pathsep.join((str(root / "src"), str(root / "site")))
    # Through a shell, as cage starts it: setpriv's own exec was seen to reach pyenv's Python in
    # /root where the user's shell could not.
    for python in (sys.executable,
                   shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}", path="/usr/bin")):
        if python is None:
            continue
        probe = subprocess.run([*prefix, *as_user(user), "sh", "-c", '"$@"', "sh", python, "-c",
                                "import PySide6, kiosk; print('ok')"],
                               capture_output=True, env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"})
        if probe.stdout.strip() == b"ok":
            return prefix, python, path
    pytest.skip(f"no Python that {user.name} may run finds this tree and its packages")


class NotifySocket:
    """The service manager's notify socket: every datagram, with when it came."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        path.chmod(0o666)  # the kiosk's user sends to it, as to systemd's
        self.received: list[tuple[float, dict[str, str]]] = []

    def read(self, seconds: float) -> None:
        """Collect what arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.received.append((time.monotonic(), fields))

    def since(self, when: float, name: str, until: float = float("inf")) -> list[dict[str, str]]:
        return [fields for at, fields in self.received if when <= at < until and name in fields]

    def close(self) -> None:
        self.sock.close()


class Supervisor:
    """``Type=notify``, ``WatchdogSec=`` and ``Restart=always`` applied to ``cage -- library-kiosk run``."""

    def __init__(self, command: list[str], env: dict[str, str], notify: NotifySocket, log: Path) -> None:
        self.command, self.env, self.notify, self.log = command, env, notify, log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            # $WATCHDOG_PID is the main process's (cage's: the shell execs it), as systemd sets it.
            self.process = subprocess.Popen(
                ["sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", *self.command],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()

    def wait_ready(self, within: float) -> dict[str, str]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.notify.read(0.5)
            ready = self.notify.since(self.started_at, "READY")
            if ready:
                return ready[0]
            assert self.process is not None and self.process.poll() is None, self.tail()
        raise AssertionError(f"no READY=1 within {within:.0f} s\n{self.tail()}")

    def kiosk_pid(self) -> int:
        """The kiosk: cage's child running ``kiosk.cli``."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(OSError):
                if b"kiosk.cli" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
        raise AssertionError(f"no kiosk among cage's children {children}")

    def watch_until_restart(self, within: float) -> float:
        """Read pings; once none came for WatchdogSec, abort the main process, kill the group and
        start again (what systemd does). Returns how long after the last ping it acted."""
        last = time.monotonic()
        deadline = last + within
        while time.monotonic() < deadline:
            self.notify.read(0.2)
            pings = [at for at, fields in self.notify.received if "WATCHDOG" in fields]
            if pings:
                last = max(last, pings[-1])
            if time.monotonic() - last >= WATCHDOG_S:
                silent = time.monotonic() - last
                assert self.process is not None
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.process.pid, signal.SIGABRT)  # WatchdogSignal, to the main process
                time.sleep(ABORT_GRACE_S)
                self.stop()
                self.start()
                return silent
        raise AssertionError("the pings never stopped")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def test_the_kiosk_under_cage_says_ready_pings_and_is_restarted_after_a_hang(user: User, root: Path) -> None:
    prefix, python, pythonpath = reachable(user, root)
    notify = NotifySocket(root / "notify")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(root / "data"),
        "XDG_RUNTIME_DIR": str(root / "runtime"),
        "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman",
        "QT_QPA_PLATFORM": "wayland", "PYTHONPATH": pythonpath,
        "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": str(int(WATCHDOG_S * 1_000_000)),
    }
    command = [*prefix, *as_user(user), "cage", "--", python, "-m", "kiosk.cli", "run",
               "--config", str(root / "kiosk.toml")]
    supervisor = Supervisor(command, env, notify, root / "cage.log")
    supervisor.start()
    try:
        ready = supervisor.wait_ready(READY_WITHIN_S)
        assert ready["STATUS"] == "ready: cage-1"
        kiosk_pid = supervisor.kiosk_pid()
        assert _owner(kiosk_pid) == user.uid  # not root
        assert (root / "data" / "ready").exists()
        since = time.monotonic()
        notify.read(WATCHDOG_S * 1.2)
        assert len(notify.since(since, "WATCHDOG")) >= 2, supervisor.tail()  # every WatchdogSec/3

        os.kill(kiosk_pid, signal.SIGSTOP)  # a hung kiosk: its event loop stops
        hung_at = time.monotonic()
        silent = supervisor.watch_until_restart(within=WATCHDOG_S * 4)
        # No ping from the hung kiosk, up to the moment it was started again.
        assert notify.since(hung_at + 0.5, "WATCHDOG", until=supervisor.started_at) == []
        assert silent >= WATCHDOG_S

        supervisor.wait_ready(READY_WITHIN_S)  # Restart=always: the new kiosk is ready
        assert supervisor.kiosk_pid() != kiosk_pid and supervisor.starts == 2
        since = time.monotonic()
        notify.read(WATCHDOG_S)
        assert notify.since(since, "WATCHDOG"), supervisor.tail()
    finally:
        supervisor.stop()
        notify.close()


def _owner(pid: int) -> int:
    return os.stat(f"/proc/{pid}").st_uid
