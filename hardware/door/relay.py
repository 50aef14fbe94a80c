"""Door relay drivers: the LCUS and Numato USB relay boards, a door lock and relay outputs on them
(the door contact on a Numato input is :mod:`hardware.door.contact`).

What a caller may rely on (DESIGN invariant 2, the door is never left unlocked by the software):

- the relay channel is switched OFF whenever the board is (re)opened, before any other command;
- :meth:`RelayDoorLock.pulse` switches ON and the driver's own timer thread switches OFF when the
  pulse ends, however busy the caller is; a pulse during a pulse extends it, it never stacks;
- :meth:`RelayDoorLock.lock` and :meth:`RelayDoorLock.close` switch OFF at once;
- an OFF that could not be sent (board gone) is retried until the board is back, and losing the
  board while the relay is ON ends the pulse: the board is switched OFF as soon as it returns.

A crash of the process is covered by :mod:`hardware.door.watchdog`, which also gives the hardware
advice (a door controller's REX input, a hardware monostable) that is stronger than any software.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import serial

from hardware.door.relay_protocols import (
    NUMATO_PROMPT,
    RelayProtocolError,
    lcus_frame,
    numato_command,
    numato_relay,
    parse_gpio_level,
    parse_numato_reply,
    parse_relay_state,
)
from hardware.link import DEVICE_FAILURES, DeviceLink
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

# A door relay must be back within a second of a replug, so the back-off stays short.
DOOR_BACKOFF_S = (0.1, 0.2, 0.5, 1.0)


@dataclass(frozen=True)
class _Port:
    serial: serial.Serial
    rdev: int  # device number when opened: a replugged board gets a new one


class RelayBoard:
    """One relay board on one serial port, kept open by a :class:`DeviceLink`. Thread-safe: one
    command (and its answer) at a time. Channels registered with :meth:`keep_off` are switched
    OFF by every (re)open before anything else is sent."""

    kind: ClassVar[str] = ""
    baudrate: ClassVar[int] = 9600

    def __init__(self, port: str, *, timeout_s: float = 0.5,
                 backoff_s: Sequence[float] = DOOR_BACKOFF_S) -> None:
        self.port = str(port)
        self._timeout = timeout_s
        self._io = threading.RLock()
        self._off_on_open: set[int] = set()
        self._opens = 0
        self._link: DeviceLink[_Port] = DeviceLink(
            f"{self.kind} relay board on {self.port}", self._open, self._close_port,
            # DEVICE_FAILURES: tcflush on a vanished device fails without being an OSError
            backoff_s=backoff_s, failures=(*DEVICE_FAILURES, RelayProtocolError),
        )

    def keep_off(self, channel: int) -> None:
        """Switch ``channel`` OFF now, and on every future (re)open. :class:`DeviceUnavailable`
        if it cannot be sent now (it will be on the next open)."""
        with self._io:
            self._off_on_open.add(channel)
            self.switch(channel, False)

    def switch(self, channel: int, on: bool) -> None:
        """Energise (``on``) or release ``channel``. :class:`DeviceUnavailable` if not sent."""
        with self._io:
            opens = self._opens
            self._link.get()
            if not on and channel in self._off_on_open and self._opens != opens:
                return  # the (re)open has just switched it off
            self._link.run(lambda port: self._switch(port.serial, channel, on))

    def check(self) -> None:
        """Reopen the board if it is closed, and notice if it was unplugged or replugged while
        idle (a write-only board would not tell otherwise). :class:`DeviceUnavailable` if gone."""
        with self._io:
            self._link.run(self._probe)

    def health(self) -> DeviceHealth:
        return self._link.health()

    def close(self) -> None:
        with self._io:
            self._link.close()

    def _switch(self, port: serial.Serial, channel: int, on: bool) -> None:
        raise NotImplementedError

    def _open(self) -> _Port:
        handle = serial.Serial(self.port, self.baudrate, timeout=self._timeout,
                               write_timeout=self._timeout)
        try:
            port = _Port(handle, os.fstat(handle.fileno()).st_rdev)
            for channel in sorted(self._off_on_open):
                self._switch(handle, channel, False)
        except BaseException:
            handle.close()
            raise
        self._opens += 1
        if self._off_on_open:
            log.info("%s opened: channel(s) %s switched off first", self._link.name,
                     ",".join(map(str, sorted(self._off_on_open))))
        return port

    def _probe(self, port: _Port) -> None:
        try:
            rdev = os.stat(self.port).st_rdev
        except FileNotFoundError:
            raise OSError(f"unplugged: {self.port} is gone") from None
        if rdev != port.rdev:
            raise OSError(f"replugged: {self.port} is a new device")
        port.serial.in_waiting  # noqa: B018 - an ioctl that fails (EIO) once the device has vanished

    @staticmethod
    def _close_port(port: _Port) -> None:
        port.serial.close()


class LcusBoard(RelayBoard):
    """LCUS-1/2/4/8 (CH340, 9600 8N1). Channels are 1-based. The board never answers."""

    kind = "LCUS"
    baudrate = 9600

    def _switch(self, port: serial.Serial, channel: int, on: bool) -> None:
        port.write(lcus_frame(channel, on))
        port.flush()


class NumatoBoard(RelayBoard):
    """Numato USB relay module (CDC-ACM). Relays and GPIOs are 0-based. Every command is
    checked against the board's echo and prompt."""

    kind = "Numato"
    baudrate = 19200  # CDC-ACM ignores the rate

    def relay_state(self, channel: int) -> bool:
        """Is ``channel`` energised, as the board reports it?"""
        return parse_relay_state(self._ask(numato_command("relay read", channel)))

    def gpio(self, pin: int) -> bool:
        """The level of GPIO ``pin``: True is high."""
        return parse_gpio_level(self._ask(numato_command("gpio read", pin)))

    def version(self) -> str:
        return self._ask(numato_command("ver")) or ""

    def _ask(self, command: bytes) -> str | None:
        with self._io:
            return self._link.run(lambda port: self._transact(port.serial, command))

    def _switch(self, port: serial.Serial, channel: int, on: bool) -> None:
        self._transact(port, numato_relay(channel, on))

    def _transact(self, port: serial.Serial, command: bytes) -> str | None:
        port.reset_input_buffer()  # drop anything unasked (another process's echo, line noise)
        port.write(command)
        port.flush()
        reply = port.read_until(NUMATO_PROMPT, 256)
        if not reply.endswith(NUMATO_PROMPT):
            raise TimeoutError(f"no answer to {command.rstrip()!r} within {self._timeout} s")
        return parse_numato_reply(command, reply)


class RelayWatchdog(Protocol):
    """Something outside this process that switches the relay OFF if the process dies while it
    is ON (see :mod:`hardware.door.watchdog`)."""

    def relay_switching(self, on: bool) -> None: ...

    def core_alive(self) -> None:
        """The kiosk's core thread is alive (a heartbeat)."""
        ...

    def running(self) -> bool: ...

    def ensure_running(self) -> bool:
        """Start the watchdog again if it has gone; True once it is watching."""
        ...

    def close(self, relay_off: bool) -> None: ...

    def down_reason(self, failed: bool) -> str:
        """Why the door is not watched (``failed``: and could not be watched before an unlock)."""
        ...


class RelayDoorLock:
    """The :class:`kiosk.domain.ports.DoorLock` on one relay channel. Thread-safe."""

    def __init__(self, board: RelayBoard, channel: int, *, max_pulse_s: float = 30.0,
                 watchdog: RelayWatchdog | None = None, owns_board: bool = False,
                 probe_interval_s: float = 0.5, retry_interval_s: float = 0.1,
                 monotonic: Callable[[], float] = time.monotonic, name: str = "door_lock") -> None:
        self.name = name
        self.max_pulse_s = max_pulse_s
        self._board, self._channel, self._watchdog = board, channel, watchdog
        self._owns_board = owns_board
        self._probe_s, self._retry_s = probe_interval_s, retry_interval_s
        self._mono = monotonic
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._relay_on = False
        self._off_pending = True
        self._closed = False
        self._watchdog_failed = False
        self._next_beat = 0.0
        with self._cond:
            try:
                board.keep_off(channel)
                self._off_pending = False
                log.info("%s: locked at start (%s channel %d off)", name, board.kind, channel)
            except DeviceUnavailable as exc:
                log.warning("%s: could not lock at start, retrying: %s", name, exc)
        self._thread = threading.Thread(target=self._run, name=f"{name}-timer", daemon=True)
        self._thread.start()

    def pulse(self, seconds: float) -> None:
        """Unlock now and lock again ``seconds`` later (0 < seconds <= ``max_pulse_s``). A pulse
        while unlocked moves the end to whichever is later. :class:`DeviceUnavailable` if the
        board is away (the relay is then switched off as soon as it is back)."""
        if not 0 < seconds <= self.max_pulse_s:
            raise ValueError(f"pulse must last 0-{self.max_pulse_s} s, not {seconds}")
        if self._watchdog is not None:  # no unlock without someone outside to lock again
            self._watchdog_failed = not self._watchdog.ensure_running()
            if self._watchdog_failed:
                raise DeviceUnavailable(f"{self.name}: {self._watchdog.down_reason(True)}")
        with self._cond:
            if self._closed:
                raise DeviceUnavailable(f"{self.name}: closed")
            end = self._mono() + seconds
            if self._watchdog is not None:  # every pulse restarts the watchdog's max-open clock
                self._watchdog.relay_switching(True)
            if self._relay_on and self._deadline is not None:
                self._deadline = max(self._deadline, end)
                self._cond.notify_all()
                return
            self._deadline, self._relay_on = end, True  # from here on an OFF is owed, whatever happens
            self._cond.notify_all()
            try:
                self._board.switch(self._channel, True)
            except DeviceUnavailable:
                self._deadline, self._off_pending = None, True
                raise
            self._off_pending = False  # an OFF owed from an outage is now the deadline's job
            log.info("%s: unlocked for %.1f s", self.name, seconds)

    def lock(self) -> None:
        """Lock at once, ending any pulse. :class:`DeviceUnavailable` if the OFF could not be sent;
        it is then retried until the board is back."""
        with self._cond:
            self._deadline, self._off_pending = None, True
            self._cond.notify_all()
            self._send_off()

    def health(self) -> DeviceHealth:
        board = self._board.health()
        with self._cond:
            owed = self._off_pending
        if not board.ok:
            detail = board.detail + ("; relay OFF not confirmed, retrying" if owed else "")
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, f"{board.device}: {detail}")
        if self._watchdog is not None and not self._watchdog.running():
            state = DeviceState.UNAVAILABLE if self._watchdog_failed else DeviceState.DEGRADED
            return DeviceHealth(self.name, state, self._watchdog.down_reason(self._watchdog_failed))
        return DeviceHealth(self.name, DeviceState.OK)

    def core_alive(self) -> None:
        """Pass the core's heartbeat on to the watchdog (at most once a second)."""
        now = self._mono()
        if self._watchdog is not None and now >= self._next_beat:
            self._next_beat = now + 1.0
            self._watchdog.core_alive()

    def close(self) -> None:
        """Lock, stop the timer and the watchdog; close the board if this lock owns it."""
        with self._cond:
            if self._closed:
                return
            self._closed, self._deadline, self._off_pending = True, None, True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        with self._cond:
            try:
                self._send_off()
            except DeviceUnavailable as exc:
                log.error("%s: closed without confirming the relay is off: %s", self.name, exc)
            if self._watchdog is not None:
                self._watchdog.close(relay_off=not self._off_pending)
        if self._owns_board:
            self._board.close()

    def _send_off(self) -> None:
        """Switch OFF; call with ``_cond`` held. Clears the debt only once the board took it."""
        self._board.switch(self._channel, False)
        was_on, self._relay_on, self._off_pending = self._relay_on, False, False
        if self._watchdog is not None:
            self._watchdog.relay_switching(False)
        if was_on:
            log.info("%s: locked", self.name)

    def _run(self) -> None:
        next_probe = self._mono() + self._probe_s
        outage = False
        with self._cond:
            while not self._closed:
                now = self._mono()
                if self._deadline is not None and now >= self._deadline:
                    self._deadline, self._off_pending = None, True
                if self._off_pending:
                    try:
                        self._send_off()
                        if outage:
                            log.info("%s: board back, relay switched off", self.name)
                        outage = False
                    except DeviceUnavailable as exc:
                        if not outage:
                            log.warning("%s: relay OFF not sent, retrying: %s", self.name, exc)
                        outage = True
                elif now >= next_probe:
                    next_probe = now + self._probe_s
                    try:
                        self._board.check()
                    except DeviceUnavailable:
                        if self._relay_on:  # lost the board while unlocked: the pulse is over
                            self._deadline, self._off_pending = None, True
                waits = [next_probe - now]
                if self._deadline is not None:
                    waits.append(self._deadline - now)
                if self._off_pending:
                    waits.append(self._retry_s)
                self._cond.wait(max(0.0, min(waits)))


class RelayChannelOutput:
    """The :class:`kiosk.domain.ports.RelayOutput` on one relay channel: lights, the intruder alarm's arming.

    It is left as it is at start (the opening schedule sets it from the calendar straight away)."""

    def __init__(self, board: RelayBoard, channel: int, name: str) -> None:
        self._board, self._channel, self.name = board, channel, name

    def set(self, on: bool) -> None:
        self._board.switch(self._channel, on)
        log.info("%s: %s (%s channel %d)", self.name, "on" if on else "off", self._board.kind, self._channel)

    def health(self) -> DeviceHealth:
        board = self._board.health()
        if board.ok:
            return DeviceHealth(self.name, DeviceState.OK)
        return DeviceHealth(self.name, DeviceState.UNAVAILABLE, f"{board.device}: {board.detail}")
