"""Crash safety for the door relay: a small supervisor process that locks the door if the kiosk dies.

USB relay boards latch: they hold the last state they were told, and none has a pulse timer. If the
kiosk process is killed (kill -9, a segfault, the OOM killer) between ON and OFF, a fail-secure strike
stays unlocked. :class:`CrashWatchdog` therefore starts ``python -m hardware.door.watchdog`` beside
the kiosk, in a session of its own (so that killing the kiosk's process group, as the OOM killer
or a ``kill -9 -PGID`` do, leaves it running). The kiosk tells it over a pipe (its stdin) whenever
a pulse starts or is extended (``1``), when the relay is OFF again (``0``) and, from the core
thread's tick, that the core is alive (``h``); it says goodbye (``q``) on a clean shutdown with
the relay OFF. The supervisor switches the relay OFF itself when:

- the pipe closes without a goodbye, or the parent process is gone (it is checked every 50 ms);
- the relay has been ON for ``--max-open-seconds`` since the last pulse (the longest pulse plus
  :data:`MARGIN_S`: a hung kiosk whose own timer never fires);
- the core's heartbeat has stopped for ``--heartbeat-seconds`` (a core thread that is stuck or
  dead while the process lives on). It then also ends the kiosk (SIGABRT, SIGKILL if that is not
  enough), so that the service manager starts it again;
- it is stopped with SIGTERM or SIGINT (systemd stopping the whole unit).

The kiosk does not unlock while its watchdog is not running: it starts a new one first, and if that
fails the pulse is refused (:class:`kiosk.domain.errors.DeviceUnavailable`) and the lock reports it.

It opens the port only when it has to, and retries the OFF until the board answers or
``--retry-for`` seconds have passed. Run by hand::

    python -m hardware.door.watchdog --board lcus --port /dev/ttyUSB0 --channel 1 \\
        --parent-pid 1234 --max-open-seconds 5 --heartbeat-seconds 15

Hardware beats software (research/hardware.md §4.3). Software alone cannot lock a door whose relay
board has lost its USB link while ON, nor one whose computer has frozen. Better, strongest first:
wire the kiosk relay to the door controller's REX ("request to exit/open") input, so the
controller applies its own strike time and alarms; or put a hardware monostable (a time-delay
relay module) between the USB relay and the strike, so that ON can never last longer than its
set time. Use this watchdog in addition to either, with systemd ``Restart=always`` so that a
restarted kiosk switches the relay OFF first.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from hardware.door.relay import LcusBoard, NumatoBoard, RelayBoard, RelayDoorLock
from kiosk.domain.errors import DeviceUnavailable

log = logging.getLogger(__name__)

BOARDS: dict[str, type[RelayBoard]] = {"lcus": LcusBoard, "numato": NumatoBoard}
CHECK_INTERVAL_S = 0.05
READY = b"ready\n"
MARGIN_S = 2.0  # the watchdog's limit sits this far above the longest pulse the driver allows
HEARTBEAT_S = 15.0  # a core silent this long is stuck (it beats every tick, a quarter second)
ABORT_GRACE_S = 3.0  # after SIGABRT, how long a stuck kiosk has before SIGKILL
_REPO = Path(__file__).resolve().parents[2]


class CrashWatchdog:
    """The kiosk's side of the supervisor: starts it and tells it the relay's state.
    Implements :class:`hardware.door.relay.RelayWatchdog`."""

    def __init__(self, board: RelayBoard, channel: int, *, max_open_s: float,
                 retry_for_s: float = 600.0, heartbeat_s: float | None = None) -> None:
        heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self._command = [
            sys.executable, "-m", "hardware.door.watchdog", "--board", board.kind.lower(),
            "--port", board.port, "--channel", str(channel), "--parent-pid", str(os.getpid()),
            "--max-open-seconds", str(max_open_s), "--retry-for", str(retry_for_s),
            "--heartbeat-seconds", str(heartbeat_s),
        ]
        self._lock = threading.Lock()
        self._process = self._start()
        self.pid = self._process.pid

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO), env.get("PYTHONPATH")) if p)
        # A session of its own: neither a Ctrl-C meant for the kiosk nor a kill of the kiosk's whole
        # process group reaches it.
        process = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   env=env, start_new_session=True)
        assert process.stdin is not None
        os.set_blocking(process.stdin.fileno(), False)  # a stuck watchdog must not block the core
        log.info("door crash watchdog started (pid %d)", process.pid)
        return process

    def ensure_running(self, timeout: float = 5.0) -> bool:
        """Start a new supervisor if this one has gone; True once one is watching."""
        with self._lock:
            if self._running():
                return True
            with contextlib.suppress(subprocess.TimeoutExpired):  # a zombie still closing its threads
                self._process.wait(timeout=timeout)
            log.error("door crash watchdog (pid %d) has gone (status %s); starting a new one",
                      self.pid, self._process.returncode)
            self._close_pipes()
            try:
                self._process = self._start()
            except OSError as exc:
                log.error("door crash watchdog could not be started: %s", exc)
                return False
            self.pid = self._process.pid
        return self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until the supervisor is watching (its signal handlers are in place)."""
        stdout = self._process.stdout
        if stdout is None or stdout.closed:
            return self.running()
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            ready = bool(selector.select(timeout)) and stdout.readline() == READY
        stdout.close()
        if not ready:
            log.error("door crash watchdog (pid %d) did not start within %.0f s", self.pid, timeout)
        return ready

    def relay_switching(self, on: bool) -> None:
        self._send(b"1\n" if on else b"0\n")

    def core_alive(self) -> None:
        self._send(b"h\n")

    def running(self) -> bool:
        with self._lock:
            return self._running()

    def _running(self) -> bool:
        """Alive, not a zombie (a killed process stays unreapable while its threads end)."""
        return self._process.poll() is None and _state(self._process.pid) not in ("Z", "X", "")

    def close(self, relay_off: bool) -> None:
        """Stop the supervisor if the relay is known to be OFF; otherwise close the pipe and leave
        it running, so that it keeps trying to switch the relay off."""
        if relay_off:
            self._send(b"q\n")
        with self._lock:
            self._close_pipes()
        if not relay_off:
            log.warning("door crash watchdog (pid %d) left running to switch the relay off", self.pid)
            return
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=2)

    def down_reason(self, failed: bool) -> str:
        if failed:
            return "crash watchdog could not be started: the door is not unlocked"
        return "crash watchdog is not running; it is started again before the next unlock"

    def _close_pipes(self) -> None:
        """Close the pipes to the supervisor; call with ``_lock`` held."""
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):  # the supervisor is gone: nobody reads the pipe
                    stream.close()

    def _send(self, message: bytes) -> None:
        """One message, whole or not at all (it is shorter than PIPE_BUF), without ever waiting."""
        with self._lock:
            stdin = self._process.stdin
            if stdin is None or stdin.closed:
                return
            try:
                os.write(stdin.fileno(), message)
            except BlockingIOError:  # the pipe is full: the supervisor has stopped reading
                log.error("door crash watchdog (pid %d) is not reading its pipe", self.pid)
            except OSError as exc:  # broken pipe: running() says it is gone, a pulse restarts it
                log.error("door crash watchdog (pid %d) unreachable: %s", self.pid, exc)


def supervised_door_lock(board: RelayBoard, channel: int, *, max_pulse_s: float,
                         owns_board: bool = True) -> RelayDoorLock:
    """A :class:`RelayDoorLock` with a :class:`CrashWatchdog` beside it (the production wiring):
    the watchdog locks at most :data:`MARGIN_S` after the longest pulse the lock allows."""
    watchdog = CrashWatchdog(board, channel, max_open_s=max_pulse_s + MARGIN_S)
    watchdog.wait_ready()
    return RelayDoorLock(board, channel, max_pulse_s=max_pulse_s, watchdog=watchdog,
                         owns_board=owns_board)


def _state(pid: int) -> str:
    """The process's state letter from /proc ("" if it is gone, "?" without /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "" if Path("/proc/self").exists() else "?"
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def _parent_alive(pid: int) -> bool:
    if os.getppid() == pid:
        return True
    return _state(pid) not in ("Z", "X", "")  # a zombie is dead


def _read_pipe(stream: IO[bytes], messages: queue.Queue[str]) -> None:
    for line in stream:
        messages.put(line.strip().decode("ascii", "replace"))
    messages.put("eof")


def switch_off(board: RelayBoard, channel: int, retry_for_s: float) -> bool:
    """Switch ``channel`` OFF, retrying while the board is away; True once it is done."""
    deadline = time.monotonic() + retry_for_s
    while True:
        try:
            board.keep_off(channel)
            return True
        except DeviceUnavailable as exc:
            if time.monotonic() > deadline:
                log.error("door watchdog: gave up switching the relay off: %s", exc)
                return False
            time.sleep(0.1)


def end_stuck_kiosk(pid: int) -> None:
    """SIGABRT (a stack dump, if the kiosk has one set up), then SIGKILL if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGABRT)
        deadline = time.monotonic() + ABORT_GRACE_S
        while _parent_alive(pid) and time.monotonic() < deadline:
            time.sleep(CHECK_INTERVAL_S)
        if _parent_alive(pid):
            os.kill(pid, signal.SIGKILL)


def supervise(board: RelayBoard, channel: int, parent_pid: int, max_open_s: float,
              retry_for_s: float, messages: queue.Queue[str], stopped: threading.Event,
              heartbeat_s: float = 0.0) -> int:
    """The supervisor's loop; returns the process exit status. ``heartbeat_s`` 0 watches no heartbeat;
    otherwise the first ``h`` arms the heartbeat watch."""
    on_since: float | None = None
    last_beat: float | None = None
    while True:
        parent_gone = False
        try:
            while True:
                message = messages.get_nowait()
                if message == "1":  # a pulse: ON, or a pulse extended while ON
                    on_since = time.monotonic()
                elif message == "0":
                    on_since = None
                elif message == "h":
                    last_beat = time.monotonic()
                elif message == "q":
                    log.info("door watchdog: kiosk shut down cleanly")
                    return 0
                elif message == "eof":
                    parent_gone = True
        except queue.Empty:
            pass
        reason = ""
        if stopped.is_set():
            reason = "stopped by a signal"
        elif parent_gone or not _parent_alive(parent_pid):
            reason = f"kiosk process {parent_pid} is gone"
        if reason:
            log.warning("door watchdog: %s; switching the relay off", reason)
            return 0 if switch_off(board, channel, retry_for_s) else 1
        now = time.monotonic()
        if on_since is not None and now - on_since > max_open_s:
            log.warning("door watchdog: relay on for more than %.0f s; switching it off", max_open_s)
            switch_off(board, channel, retry_for_s)
            board.close()  # hold the port only while it must: the kiosk still owns the board
            on_since = None
        if heartbeat_s > 0 and last_beat is not None and now - last_beat > heartbeat_s:
            log.error("door watchdog: the kiosk's core has been silent for %.0f s; switching the relay "
                      "off and ending the kiosk (pid %d) so that it is restarted", heartbeat_s, parent_pid)
            switch_off(board, channel, retry_for_s)
            board.close()
            on_since = last_beat = None
            end_stuck_kiosk(parent_pid)  # the next round sees it gone, switches off once more, leaves
            continue
        stopped.wait(CHECK_INTERVAL_S)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.door.watchdog",
                                     description="Switch the door relay off if the kiosk dies.")
    parser.add_argument("--board", choices=sorted(BOARDS), required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--channel", type=int, default=None,
                        help="relay channel (default: 1 on LCUS, 0 on Numato)")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--max-open-seconds", type=float, default=30.0 + MARGIN_S)
    parser.add_argument("--retry-for", type=float, default=600.0)
    parser.add_argument("--heartbeat-seconds", type=float, default=0.0,
                        help="end the kiosk when its core has not beaten this long (0: do not watch)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    board = BOARDS[args.board](args.port)
    channel = args.channel if args.channel is not None else (1 if args.board == "lcus" else 0)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    messages: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_pipe, args=(sys.stdin.buffer, messages), daemon=True).start()
    with contextlib.suppress(OSError):  # nobody may be waiting for it
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
    try:
        return supervise(board, channel, args.parent_pid, args.max_open_seconds, args.retry_for,
                         messages, stopped, args.heartbeat_seconds)
    finally:
        board.close()


if __name__ == "__main__":
    sys.exit(main())
