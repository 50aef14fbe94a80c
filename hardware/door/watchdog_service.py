"""The door relay's crash watchdog as a service of its own (``library-kiosk-door.service``).

Under systemd a restart of the kiosk's unit kills every process in its cgroup, a watchdog the kiosk
started itself included (:mod:`hardware.door.watchdog`, the "spawn" mode). In the "service" mode the
watchdog runs in a unit of its own and the kiosk connects to it over a Unix stream socket
(``/run/library-kiosk/door.sock``). The service applies exactly the spawn mode's rules
(:func:`hardware.door.watchdog.supervise`) to one kiosk connection at a time:

- the kiosk sends the spawn mode's lines: ``1`` (a pulse started or extended), ``0`` (relay OFF),
  ``h`` (the core is alive), ``q`` (goodbye, the relay is OFF);
- the service answers ``ready`` once it has taken the connection and is watching it, or
  ``busy PID`` (and hangs up) while it watches another kiosk, the process PID;
- the connection closing without a goodbye, or the peer process (its pid from ``SO_PEERCRED``) gone:
  the relay is switched OFF at once;
- ON for longer than ``--max-open-seconds``: OFF; no heartbeat for ``--heartbeat-seconds``: OFF,
  and the kiosk is ended (SIGABRT, then SIGKILL), so that systemd starts it again;
- SIGTERM or SIGINT: OFF and exit. At start the relay is switched OFF.

After a kiosk has gone the service stays up and takes the next kiosk's connection. Like the spawn
mode it opens the serial port only to switch the relay OFF and closes it again, so that it never
holds the port while the kiosk drives the relay.

Run by hand (the unit runs ``library-kiosk door-watchdog --config FILE``, which reads these from the
settings' ``[devices.door]``)::

    python -m hardware.door.watchdog_service --socket /run/library-kiosk/door.sock \\
        --board lcus --port /dev/ttyUSB0 --channel 1 --max-open-seconds 7 --heartbeat-seconds 15
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import queue
import selectors
import signal
import socket
import stat
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hardware.door.relay import RelayBoard
from hardware.door.watchdog import BOARDS, CHECK_INTERVAL_S, HEARTBEAT_S, MARGIN_S, supervise, switch_off

log = logging.getLogger(__name__)

READY = b"ready\n"
SOCKET_MODE = 0o660  # the kiosk's user (or group) connects; nobody else
READY_WAIT_S = 2.0  # how long a pulse waits for the service to answer a fresh connection
BUSY_RETRY_S = 0.2  # how soon a kiosk turned away asks again, while it waits


class ServiceWatchdog:
    """The kiosk's side of the service: a connection to its socket. Implements
    :class:`hardware.door.relay.RelayWatchdog`; it never blocks except in :meth:`ensure_running`.

    It connects when made, and again (without waiting) on each heartbeat while it is not connected,
    so that a restarted service is found within a second; :meth:`ensure_running` (before every
    unlock) connects and waits up to ``ready_wait_s`` for the service to take the connection."""

    def __init__(self, socket_path: Path, *, ready_wait_s: float = READY_WAIT_S) -> None:
        self.socket_path = Path(socket_path)
        self._ready_wait = ready_wait_s
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._answer = b""
        self._ready = self._closed = self._relay_on = self._busy = False
        self._problem = "not connected yet"
        with self._lock:
            self._connect()

    def ensure_running(self, timeout: float | None = None) -> bool:
        with self._lock:
            if self._socket is None:
                self._connect()
            deadline = time.monotonic() + (self._ready_wait if timeout is None else timeout)
            while True:
                if self._socket is None and self._busy:  # its last kiosk may be ending: ask again
                    time.sleep(BUSY_RETRY_S)
                    self._connect()
                if self._socket is not None and self._poll():
                    return True
                left = deadline - time.monotonic()
                if self._socket is None and not (self._busy and left > 0):
                    return False
                if left <= 0:
                    if not self._busy:
                        self._problem = "the service has not answered"
                    return False
                if self._socket is not None:
                    with selectors.DefaultSelector() as selector:
                        selector.register(self._socket, selectors.EVENT_READ)
                        selector.select(left)

    def running(self) -> bool:
        with self._lock:
            return self._socket is not None and self._poll()

    def relay_switching(self, on: bool) -> None:
        with self._lock:
            self._relay_on = on
            if self._socket is not None and self._poll():
                self._send(b"1\n" if on else b"0\n")

    def core_alive(self) -> None:
        with self._lock:
            if self._socket is None:
                self._connect()
            elif self._poll():
                self._send(b"h\n")

    def close(self, relay_off: bool) -> None:
        """Say goodbye if the relay is known to be OFF; otherwise just hang up, and the service
        switches it off."""
        with self._lock:
            if relay_off and self._socket is not None and self._poll():
                self._send(b"q\n")
            self._closed = True
            self._drop("closed")

    def down_reason(self, failed: bool) -> str:
        """Why the door is not watched, for the lock's health (staff status, doctor)."""
        where = f"door watchdog service ({self.socket_path}: {self._problem})"
        if failed:
            return f"{where} not reachable: the door is not unlocked; is library-kiosk-door.service running?"
        return f"{where} not connected; it is connected again before the next unlock"

    def _connect(self) -> None:
        """Start a connection without waiting; call with ``_lock`` held."""
        if self._closed:
            return
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.setblocking(False)
        try:
            connection.connect(str(self.socket_path))
        except OSError as exc:
            connection.close()
            problem = exc.strerror or str(exc)
            if problem != self._problem:
                log.error("door watchdog service at %s: %s; the door is not unlocked until it answers",
                          self.socket_path, problem)
            self._problem = problem
            return
        self._socket, self._answer, self._ready = connection, b"", False
        if not self._busy:  # otherwise the service's last answer stays the reason
            self._problem = "connected, waiting for the service to answer"

    def _poll(self) -> bool:
        """Read what the service said without waiting; True while it is watching. Call with
        ``_lock`` held and a socket."""
        assert self._socket is not None
        try:
            data = self._socket.recv(64)
        except BlockingIOError:
            return self._ready
        except OSError as exc:
            self._drop(f"connection lost: {exc.strerror or exc}")
            return False
        if not data:
            self._drop("the service closed the connection")
            return False
        self._answer += data
        if self._answer.startswith(b"busy"):
            pid = self._answer.split(b"\n")[0].removeprefix(b"busy").strip().decode("ascii", "replace")
            self._drop(f"the service is watching another kiosk process ({pid})")
            self._busy = True
            return False
        if not self._ready and READY in self._answer:
            self._ready, self._busy, self._problem = True, False, "connected"
            log.info("door watchdog service at %s is watching this kiosk", self.socket_path)
            if self._relay_on:  # the relay is still ON from before: its max-open clock starts now
                self._send(b"1\n")
        return self._ready

    def _send(self, message: bytes) -> None:
        assert self._socket is not None
        try:
            self._socket.send(message, socket.MSG_NOSIGNAL)
        except BlockingIOError:  # its buffer is full: the service has stopped reading
            log.error("door watchdog service at %s is not reading", self.socket_path)
        except OSError as exc:
            self._drop(f"connection lost: {exc.strerror or exc}")

    def _drop(self, problem: str) -> None:
        if self._socket is not None:
            self._socket.close()
            if self._ready and not self._closed:
                log.error("door watchdog service at %s: %s", self.socket_path, problem)
        self._socket, self._ready, self._problem = None, False, problem


def serve(board: RelayBoard, channel: int, socket_path: Path, *, max_open_s: float, heartbeat_s: float,
          retry_for_s: float, stopped: threading.Event) -> int:
    """Watch kiosk connections on ``socket_path`` until ``stopped``; the exit status (0 once the relay
    was switched OFF on the way out)."""
    switched = switch_off(board, channel, retry_for_s)
    board.close()
    log.info("door watchdog service: relay %s at start; listening on %s",
             "switched off" if switched else "NOT confirmed off", socket_path)
    with _listen(socket_path) as listener:
        reception = _Reception(listener, stopped)
        notify_ready()
        while not stopped.is_set():
            connection = reception.next_kiosk()
            if connection is None:
                continue
            with connection:
                _watch(connection, board, channel, max_open_s=max_open_s, heartbeat_s=heartbeat_s,
                       retry_for_s=retry_for_s, stopped=stopped)
            board.close()
            reception.done()
        reception.close()
    if stopped.is_set():
        log.warning("door watchdog service: stopped by a signal; switching the relay off")
    ok = switch_off(board, channel, retry_for_s)
    board.close()
    return 0 if ok else 1


def _watch(connection: socket.socket, board: RelayBoard, channel: int, *, max_open_s: float,
           heartbeat_s: float, retry_for_s: float, stopped: threading.Event) -> None:
    """One kiosk's connection, under the spawn mode's rules, until it ends."""
    pid = peer_pid(connection)
    log.info("door watchdog service: watching kiosk process %d", pid)
    messages: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(connection, messages), daemon=True)
    reader.start()
    with contextlib.suppress(OSError):  # gone already: supervise() sees its lines end, switches off
        connection.sendall(READY)
    supervise(board, channel, pid, max_open_s, retry_for_s, messages, stopped, heartbeat_s)
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)  # ends the reader's recv
    reader.join(timeout=1)


def _read_lines(connection: socket.socket, messages: queue.Queue[str]) -> None:
    buffered = b""
    with contextlib.suppress(OSError):
        while chunk := connection.recv(256):
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                messages.put(line.strip().decode("ascii", "replace"))
    messages.put("eof")


def peer_pid(connection: socket.socket) -> int:
    """The process id of the kiosk at the other end (``SO_PEERCRED``, from when it connected)."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, _uid, _gid = struct.unpack("3i", credentials)
    return int(pid)


@contextlib.contextmanager
def _listen(path: Path) -> Iterator[socket.socket]:
    """A listening Unix stream socket at ``path`` (mode 0660), removed again at the end."""
    path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):  # left by a service that was killed
            path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        os.chmod(path, SOCKET_MODE)
        listener.listen(4)
        yield listener
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()


class _Reception:
    """Takes connections in a thread of its own and hands them to the service one at a time; one
    that comes while a kiosk is watched is answered ``busy PID`` (that kiosk) and closed, so that
    it can say so at once (``doctor`` beside a running kiosk) or try again (a restarted kiosk whose
    predecessor's end is still being handled)."""

    def __init__(self, listener: socket.socket, stopped: threading.Event) -> None:
        self._listener, self._stopped = listener, stopped
        self._turn = threading.Condition()
        self._waiting: socket.socket | None = None
        self._watching = self._turned_away = 0
        self._thread = threading.Thread(target=self._run, name="door-reception", daemon=True)
        self._thread.start()

    def next_kiosk(self) -> socket.socket | None:
        """The next kiosk's connection (None if there is none yet); it is being watched from now."""
        with self._turn:
            self._turn.wait_for(lambda: self._waiting is not None, timeout=CHECK_INTERVAL_S)
            connection, self._waiting = self._waiting, None
            if connection is not None:
                self._watching = peer_pid(connection)
            return connection

    def done(self) -> None:
        with self._turn:
            self._watching = 0

    def close(self) -> None:
        self._thread.join(timeout=1)
        with self._turn:
            if self._waiting is not None:
                self._waiting.close()
                self._waiting = None

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stopped.is_set():
                if not selector.select(CHECK_INTERVAL_S):
                    continue
                try:
                    connection, _ = self._listener.accept()
                except OSError:  # gone before it was taken, or the listener closed
                    continue
                connection.setblocking(True)
                with self._turn:
                    if self._waiting is None and not self._watching and not self._stopped.is_set():
                        self._waiting = connection
                        self._turn.notify_all()
                        continue
                    busy = self._watching
                if peer_pid(connection) != self._turned_away:  # once, not every retry
                    self._turned_away = peer_pid(connection)
                    log.warning("door watchdog service: kiosk process %d turned away: watching process %d",
                                self._turned_away, busy)
                with contextlib.suppress(OSError), connection:
                    connection.sendall(f"busy {busy}\n".encode())


def notify_ready() -> None:
    """Tell systemd (``Type=notify``) that the socket is listening, so that the kiosk's unit, ordered
    after this one, finds it."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.sendto(b"READY=1", address)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.door.watchdog_service",
                                     description="Switch the door relay off when a kiosk dies, as a service.")
    add_arguments(parser)
    parser.add_argument("--board", choices=sorted(BOARDS), required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--channel", type=int, default=None,
                        help="relay channel (default: 1 on LCUS, 0 on Numato)")
    parser.add_argument("--max-open-seconds", type=float, default=30.0 + MARGIN_S)
    args = parser.parse_args(argv)
    channel = args.channel if args.channel is not None else (1 if args.board == "lcus" else 0)
    return run_service(args.board, args.port, channel, args.socket, max_open_s=args.max_open_seconds,
                       heartbeat_s=args.heartbeat_seconds, retry_for_s=args.retry_for)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options the service takes however its board is named."""
    parser.add_argument("--socket", type=Path, default=Path("/run/library-kiosk/door.sock"),
                        help="the Unix socket the kiosk connects to")
    parser.add_argument("--heartbeat-seconds", type=float, default=HEARTBEAT_S,
                        help="end a kiosk whose core has not beaten this long (0: do not watch)")
    parser.add_argument("--retry-for", type=float, default=600.0,
                        help="how long to keep trying to switch the relay off while the board is away")


def run_service(board_kind: str, port: str, channel: int, socket_path: Path, *, max_open_s: float,
                heartbeat_s: float, retry_for_s: float) -> int:
    """The service's process: logging, signal handlers, then :func:`serve`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    board = BOARDS[board_kind](port)
    started = time.monotonic()
    try:
        return serve(board, channel, socket_path, max_open_s=max_open_s, heartbeat_s=heartbeat_s,
                     retry_for_s=retry_for_s, stopped=stopped)
    finally:
        board.close()
        log.info("door watchdog service: ended after %.0f s", time.monotonic() - started)


if __name__ == "__main__":
    raise SystemExit(main())
