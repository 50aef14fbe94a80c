"""Simulated LCUS and Numato relay boards, on the far end of a serial port (a pty).

Each simulator reads the bytes a driver sends, checks every frame byte-exact against the board's
protocol (:mod:`hardware.door.relay_protocols`), records each switch with the time it arrived
(``time.monotonic()``, comparable across processes on one machine) and keeps each relay's state.
A bad frame is recorded in :attr:`RelaySimulator.errors` and otherwise ignored, as the boards do.
The Numato simulator answers like the real board and has GPIO inputs a test can set.

Run one against a socat pty pair for the demo or by hand::

    socat pty,raw,echo=0,link=/tmp/relay pty,raw,echo=0,link=/tmp/relay-sim &
    python -m hardware.door.relay_sim --board numato --port /tmp/relay-sim
    # then type "gpio 0 1" + Enter to raise GPIO 0 (door open), "gpio 0 0" to lower it
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import serial

from hardware.door.relay_protocols import (
    LCUS_FRAME_LEN,
    LCUS_HEADER,
    NumatoCommand,
    RelayProtocolError,
    numato_reply,
    parse_lcus_frame,
    parse_numato_command,
)

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.02


@dataclass(frozen=True)
class RelaySwitch:
    """One switch command as the board received it."""

    at: float  # time.monotonic() when the last byte arrived
    channel: int
    on: bool


class RelaySimulator:
    """Base of the two boards: the reading thread, the record, the relay states."""

    board: ClassVar[str] = ""
    first_channel: ClassVar[int] = 0

    def __init__(self, port: str | Path, *, channels: int = 1, initial_on: bool = False,
                 keep: int | None = None, reopen: bool = False) -> None:
        """``keep``: how many commands and switches the record holds (None: all, for tests).
        ``reopen``: after an unplug, wait for the port to come back and carry on (as a board that
        is plugged in again does); otherwise the simulator ends, :attr:`disconnected`."""
        self.port = str(port)
        self.keep = keep
        self.reopen = reopen
        self.switched_on: dict[int, int] = {}  # ON commands per channel, also those no longer in the record
        self.channels = range(self.first_channel, self.first_channel + channels)
        self.received: list[bytes] = []  # every frame or command line, as it arrived
        self.errors: list[str] = []
        self.disconnected = False
        self._switches: list[RelaySwitch] = []
        self._states = dict.fromkeys(self.channels, initial_on)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._serial: serial.Serial | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._serial = serial.Serial(self.port, 9600, timeout=READ_TIMEOUT_S)
        self._thread = threading.Thread(target=self._run, name=f"{self.board}-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._serial is not None:
            self._serial.close()

    @property
    def switches(self) -> list[RelaySwitch]:
        with self._cond:
            return list(self._switches)

    def is_on(self, channel: int) -> bool:
        with self._cond:
            return self._states[channel]

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``condition()`` holds (checked after every frame); False on timeout."""
        with self._cond:
            return self._cond.wait_for(condition, timeout)

    def _record(self, channel: int, on: bool) -> None:
        with self._cond:
            if channel not in self._states:
                self.errors.append(f"channel {channel} is not on this {len(self.channels)}-channel board")
                return
            self._switches.append(RelaySwitch(time.monotonic(), channel, on))
            self.switched_on[channel] = self.switched_on.get(channel, 0) + on
            self._trim(self._switches)
            self._states[channel] = on
            self._cond.notify_all()
        log.info("%s relay %d %s", self.board, channel, "ON" if on else "OFF")

    def _trim(self, record: list[Any]) -> None:
        if self.keep is not None and len(record) > self.keep:
            del record[0]

    def _error(self, message: str) -> None:
        with self._cond:
            self.errors.append(message)
            self._cond.notify_all()
        log.warning("%s: %s", self.board, message)

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            port = self._serial
            if port is None:
                port = self._serial = self._open_again()
                if port is None:
                    continue
            try:
                chunk = port.read(port.in_waiting or 1)
            except (OSError, serial.SerialException):
                with self._cond:
                    self.disconnected = True
                    self._cond.notify_all()
                if not self.reopen:
                    return
                port.close()
                self._serial, buffer = None, b""
                continue
            if chunk:
                buffer = self._consume(buffer + chunk, port)

    def _open_again(self) -> serial.Serial | None:
        """The port once it is back (None for now: try again)."""
        try:
            port = serial.Serial(self.port, 9600, timeout=READ_TIMEOUT_S)
        except (OSError, serial.SerialException):
            self._stop.wait(0.1)
            return None
        with self._cond:
            self.disconnected = False
        return port

    def _consume(self, buffer: bytes, port: serial.Serial) -> bytes:
        """Handle every complete frame in ``buffer``; return what is left."""
        raise NotImplementedError


class LcusSimulator(RelaySimulator):
    """An LCUS-1/2/4/8 board: four-byte frames, channels from 1, never answers."""

    board = "LCUS"
    first_channel = 1

    def _consume(self, buffer: bytes, port: serial.Serial) -> bytes:
        while buffer:
            if buffer[0] != LCUS_HEADER:
                self._error(f"stray byte {buffer[0]:02x} outside a frame")
                buffer = buffer[1:]
                continue
            if len(buffer) < LCUS_FRAME_LEN:
                break
            frame, buffer = buffer[:LCUS_FRAME_LEN], buffer[LCUS_FRAME_LEN:]
            self.received.append(frame)
            self._trim(self.received)
            try:
                command = parse_lcus_frame(frame)
            except RelayProtocolError as exc:
                self._error(str(exc))
                continue
            self._record(command.channel, command.on)
        return buffer


class NumatoSimulator(RelaySimulator):
    """A Numato relay module: CR-terminated ASCII commands, echo, answer, prompt; relays and
    GPIOs from 0. ``set_input`` drives a GPIO input (e.g. a door contact)."""

    board = "Numato"
    first_channel = 0
    VERSION = "00000008"

    def __init__(self, port: str | Path, *, channels: int = 2, gpios: int = 4,
                 initial_on: bool = False, keep: int | None = None, reopen: bool = False) -> None:
        super().__init__(port, channels=channels, initial_on=initial_on, keep=keep, reopen=reopen)
        self._inputs = dict.fromkeys(range(gpios), False)

    def set_input(self, pin: int, high: bool) -> None:
        with self._cond:
            if pin not in self._inputs:
                raise ValueError(f"no GPIO {pin} on this board")
            self._inputs[pin] = high

    def _consume(self, buffer: bytes, port: serial.Serial) -> bytes:
        while b"\r" in buffer:
            line, buffer = buffer.split(b"\r", 1)
            self.received.append(line + b"\r")
            self._trim(self.received)
            try:
                command = parse_numato_command(line)
            except RelayProtocolError as exc:
                self._error(str(exc))
                port.write(numato_reply(line))  # the board echoes whatever was typed
                continue
            port.write(numato_reply(line, self._answer(command)))
        return buffer

    def _answer(self, command: NumatoCommand) -> str | None:
        if command.verb == "ver":
            return self.VERSION
        index = command.index
        assert index is not None
        if command.verb == "gpio read":
            with self._cond:
                level = self._inputs.get(index)
            if level is None:
                self._error(f"no GPIO {index} on this board")
                return None
            return "1" if level else "0"
        if command.verb == "relay read":
            with self._cond:
                state = self._states.get(index)
            if state is None:
                self._error(f"no relay {index} on this board")
                return None
            return "on" if state else "off"
        self._record(index, command.verb == "relay on")
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.door.relay_sim",
                                     description="Simulate a USB relay board on a serial port.")
    parser.add_argument("--board", choices=("lcus", "numato"), required=True)
    parser.add_argument("--port", required=True, help="the simulator end of a pty pair")
    parser.add_argument("--channels", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    simulator: RelaySimulator
    if args.board == "lcus":
        simulator = LcusSimulator(args.port, channels=args.channels or 1)
    else:
        simulator = NumatoSimulator(args.port, channels=args.channels or 2)
    simulator.start()
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    if isinstance(simulator, NumatoSimulator):
        threading.Thread(target=_read_inputs, args=(simulator, done), daemon=True).start()
    while not done.wait(0.2) and not simulator.disconnected:
        pass
    simulator.stop()
    return 1 if simulator.disconnected else 0


def _read_inputs(simulator: NumatoSimulator, done: threading.Event) -> None:
    """Lines ``gpio <pin> <0|1>`` on stdin set an input."""
    for line in sys.stdin:
        match line.split():
            case ["gpio", pin, ("0" | "1") as level] if pin.isdigit():
                simulator.set_input(int(pin), level == "1")
            case _:
                print("type: gpio <pin> <0|1>", file=sys.stderr)
    done.wait()


if __name__ == "__main__":
    sys.exit(main())
