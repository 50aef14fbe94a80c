"""A real door terminal on a real (simulated) relay board: for end-to-end door tests and the door bench.

The settings are the demo door terminal's (``config/demo/door.toml``: the opening calendar, the
access rules, the built-in SIP2 LMS emulator on TCP) with the door lock on an LCUS or Numato board
at the device end of a pty pair, validated by the same :func:`kiosk.settings.parse_settings` that
reads a terminal's file. The relay simulator sits on the far end and records every command.

The kiosk runs as the product runs it: ``build()`` then ``start()`` (the core thread, the ticker,
the worker pool). Its clock is a :class:`~kiosk.testing.memory.ManualClock` standing at Wednesday 25 November
2026, 20:15: unstaffed hours, when the door asks for card and PIN.

``python -m tests.door.fixtures --folder F --board lcus --port P --pulse 20`` runs that door terminal
as a process of its own (for kill -9 tests): it prints :data:`READY` once started, then reads
commands on stdin: ``enter`` (the adult patron's card and PIN), ``hang`` (the core thread gets stuck
in a handler, the process lives on), ``stop`` (an orderly stop). ``--heartbeat S`` shortens the
crash watchdog's patience with a silent core (15 s in production) for the tests.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hardware.door import watchdog as crash_watchdog
from hardware.door.relay_protocols import lcus_frame, numato_relay
from hardware.door.relay_sim import LcusSimulator, NumatoSimulator, RelaySimulator
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.model import Credential, CredentialKind
from kiosk.settings import DEMO_DOOR_SETTINGS, Settings, parse_settings
from kiosk.testing.memory import ManualClock, MemoryCardReader, in_memory

REPO = Path(__file__).resolve().parents[2]
READY = "door terminal started"
START_S = 30.0  # a cold Python start with every import, migrations and the LMS emulator, on a loaded machine
WAIT_S = 5.0


@dataclass(frozen=True)
class DoorPatron:
    credential: Credential
    pin: str


# From config/demo/lms.toml. Anna Jensen (born 1988) may come in; Mads Nielsen (born 2013) is 13,
# too young after 20:00 on a weekday (the age band in config/demo/door.toml).
ADULT = DoorPatron(Credential(CredentialKind.CARD_UID, "1000000001"), "1234")
CHILD = DoorPatron(Credential(CredentialKind.CARD_UID, "1000000002"), "2468")


class ObservedSimulator(RelaySimulator):
    """A relay simulator that calls ``on_switch(channel, on)`` on its reading thread the moment a
    switch command has arrived, before it is recorded: a test can check what else was true then
    (was the entry already journaled when the relay was told ON?)."""

    on_switch: Callable[[int, bool], None] | None = None

    def _record(self, channel: int, on: bool) -> None:
        if self.on_switch is not None:
            self.on_switch(channel, on)
        super()._record(channel, on)


class ObservedLcus(ObservedSimulator, LcusSimulator):
    pass


class ObservedNumato(ObservedSimulator, NumatoSimulator):
    pass


@dataclass(frozen=True)
class Board:
    """A relay board as the settings name it, its simulator, and the channel the door is wired to.
    The channel is not the board's first, so that a test sees the configured one being used."""

    kind: str
    simulator: type[ObservedSimulator]
    channel: int

    def start_simulator(self, port: Path, *, initial_on: bool = False) -> ObservedSimulator:
        return self.simulator(port, channels=2, initial_on=initial_on).start()

    def command(self, on: bool) -> bytes:
        """The bytes the board receives for switching the door's channel."""
        return lcus_frame(self.channel, on) if self.kind == "lcus" else numato_relay(self.channel, on)


BOARDS = {"lcus": Board("lcus", ObservedLcus, 2), "numato": Board("numato", ObservedNumato, 1)}


def door_settings(folder: Path, board: Board, port: Path | str, *, pulse_s: float,
                  watchdog: bool = True) -> Settings:
    """The demo door terminal's settings, its data and logs in ``folder``, its lock on ``port``."""
    data = tomllib.loads(DEMO_DOOR_SETTINGS.read_text(encoding="utf-8"))
    data["paths"] = {"data_dir": str(folder / "data"), "log_dir": str(folder / "log")}
    data["logging"] = {"level": "INFO", "console": False}
    data["central"] = {"kind": "none"}
    data["devices"]["door"] = {"kind": board.kind, "port": str(port), "channel": board.channel,
                               "pulse_s": pulse_s, "watchdog": watchdog}
    settings = parse_settings(data, DEMO_DOOR_SETTINGS)  # relative paths as in the demo's own file
    return settings.model_copy(update={"devices": in_memory(settings.devices)})


def start_door(settings: Settings, clock: ManualClock | None = None) -> Kiosk:
    """Build the door terminal and start it as the product does (core thread, ticker, workers)."""
    kiosk = build(settings, clock=clock or ManualClock(), log_to_console=False)
    kiosk.start()
    return kiosk


def present_card(kiosk: Kiosk, patron: DoorPatron) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(patron.credential)


def enter(kiosk: Kiosk, patron: DoorPatron, pin: str | None = None) -> None:
    """The patron holds their card to the reader and types their PIN (or ``pin``)."""
    present_card(kiosk, patron)
    kiosk.session.submit_pin(pin or patron.pin)


def eventually(condition: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the door's crash watchdog)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def read_line(stream: IO[bytes], timeout: float) -> str:
    """A child process's next line, stripped; "" when none comes within ``timeout`` seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return stream.readline().decode().strip()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


class DoorProcess:
    """The door terminal in a process of its own (``python -m tests.door.fixtures``); stopped by
    process id. Its crash watchdog, if any, is found as its child and stopped by id too."""

    def __init__(self, folder: Path, board: Board, port: Path, *, pulse_s: float, watchdog: bool,
                 heartbeat_s: float | None = None) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self._stderr = (folder / "door-process.err").open("ab")
        beat = ["--heartbeat", str(heartbeat_s)] if heartbeat_s is not None else []
        self.process = subprocess.Popen(  # a process group of its own, as under a service manager
            [sys.executable, "-m", "tests.door.fixtures", "--folder", str(folder), "--board", board.kind,
             "--port", str(port), "--pulse", str(pulse_s), *(["--watchdog"] if watchdog else []), *beat],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=REPO, env=env,
            start_new_session=True)
        self.watchdogs: list[int] = []
        line = self._read_line(START_S)
        if line != READY:
            self.close()
            raise RuntimeError(f"the door process did not start: {line!r}, see {self._stderr.name}")
        self.watchdogs = child_pids(self.process.pid)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        self.process.stdin.flush()

    def kill(self) -> None:
        """kill -9, as the OOM killer or a crash would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)

    def kill_group(self) -> None:
        """kill -9 of the whole process group, as ``kill -9 -PGID`` would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)

    def stop_cleanly(self) -> int:
        self.send("stop")
        return self.process.wait(timeout=START_S)

    def current_watchdogs(self) -> list[int]:
        """The crash watchdogs running now (a restarted one included); remembered for close()."""
        now = child_pids(self.process.pid)
        self.watchdogs += [pid for pid in now if pid not in self.watchdogs]
        return now

    def close(self) -> None:
        if self.process.poll() is None:
            self.current_watchdogs()
            self.process.kill()
            self.process.wait(timeout=WAIT_S)
        for pid in self.watchdogs:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def _read_line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        return read_line(self.process.stdout, timeout)


@dataclass(frozen=True)
class Hang:
    """An event whose handler never returns: a stuck core thread."""


def _hang(_event: Hang) -> None:
    threading.Event().wait()


def _serve(kiosk: Kiosk, commands: IO[str]) -> None:
    for line in commands:
        command = line.strip()
        if command == "enter":
            enter(kiosk, ADULT)
        elif command == "hang":
            kiosk.core.on(Hang, _hang)
            kiosk.core.post(Hang())
        elif command == "stop":
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.door.fixtures")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--board", choices=sorted(BOARDS), required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--pulse", type=float, required=True)
    parser.add_argument("--watchdog", action="store_true")
    parser.add_argument("--heartbeat", type=float, default=None)
    args = parser.parse_args(argv)
    if args.heartbeat is not None:
        crash_watchdog.HEARTBEAT_S = args.heartbeat
    kiosk = start_door(door_settings(args.folder, BOARDS[args.board], args.port, pulse_s=args.pulse,
                                     watchdog=args.watchdog))
    print(READY, flush=True)
    _serve(kiosk, sys.stdin)
    kiosk.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
