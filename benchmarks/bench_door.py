"""The door's answer time: what a patron outside waits for after typing their PIN (target: 1 s).

The demo door terminal as the product runs it (core thread, workers, the built-in SIP2 LMS emulator
over TCP, the access rules, the entry log and journal with fsync, the crash watchdog), its lock on
an LCUS board at the far end of a real pty. The clock stands at Wednesday 20:15 (unstaffed hours).

* PIN -> unlock: from the moment the PIN is submitted (the card was read before) until the relay
  simulator has received the ON command;
* PIN -> refusal on screen: the same for a 13-year-old after 20:00, until the refusal is published
  to the screen;
* PIN -> unlock from the cached access list: the LMS does not answer (nothing listens on its port),
  so the door decides from the municipality's access list (the demo's central system emulator),
  which costs one scrypt check of the PIN on purpose; the reference, alternating with it, is that
  check alone (the same verifier), and the difference is what the door adds.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Result
from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.events import Tick
from kiosk.domain.pins import verify_pin
from kiosk.session.service import Screen, SessionView
from kiosk.settings import Settings, parse_settings
from kiosk.testing.memory import ManualClock
from tests.door.fixtures import (
    ADULT,
    BOARDS,
    CHILD,
    DoorPatron,
    ObservedSimulator,
    door_settings,
    eventually,
    present_card,
    start_door,
)
from tests.hardware.ptys import PtyPair
from tests.net import free_port

ENTRIES = 50
WARM_UP = 3
TARGET_MS = 1000.0
PULSE_S = 0.1
WAIT_S = 10.0
MESSAGE_S = 9.0  # the door's answer stays on screen 8 s; then the panel is ready for the next card


@dataclass(frozen=True)
class AnswerTime(Result):
    """A :class:`Result` with the 95th percentile and its ratio to the target."""

    p95: float = 0.0
    target: float = TARGET_MS

    def line(self) -> str:
        return (f"{super().line()}   p95 {self.p95:,.1f} {self.unit},"
                f" {self.p95 / self.target:.3f}× the {self.target:,.0f} {self.unit} target")


class _Screen:
    """The views the door publishes, with the time each was published (on the core thread)."""

    def __init__(self, kiosk: Kiosk) -> None:
        self._lock = threading.Lock()
        self._refusals: list[float] = []
        kiosk.core.subscribe(self._published)

    def _published(self, notification: object) -> None:
        if (isinstance(notification, SessionView) and notification.screen is Screen.DOOR
                and notification.entry is not None and not notification.entry.allowed):
            with self._lock:
                self._refusals.append(time.monotonic())

    def refusals(self) -> list[float]:
        with self._lock:
            return list(self._refusals)


def _ready_for_next_card(kiosk: Kiosk, clock: ManualClock) -> None:
    clock.advance(MESSAGE_S)
    kiosk.core.post(Tick())
    assert eventually(lambda: kiosk.session.view.screen is Screen.START, WAIT_S), kiosk.session.view


def _pin_screen(kiosk: Kiosk, patron: DoorPatron) -> None:
    present_card(kiosk, patron)
    assert eventually(lambda: kiosk.session.view.screen is Screen.PIN, WAIT_S), kiosk.session.view


def _unlock_ms(kiosk: Kiosk, clock: ManualClock, relay: ObservedSimulator, channel: int) -> float:
    _ready_for_next_card(kiosk, clock)
    _pin_screen(kiosk, ADULT)
    switches = len(relay.switches)
    asked = time.monotonic()
    kiosk.session.submit_pin(ADULT.pin)
    assert relay.wait_until(lambda: len(relay.switches) > switches, WAIT_S), "the door did not unlock"
    on = relay.switches[switches]
    assert on.on and on.channel == channel, on
    assert relay.wait_until(lambda: not relay.is_on(channel), WAIT_S), "the pulse did not end"
    return (on.at - asked) * 1000


def _refusal_ms(kiosk: Kiosk, clock: ManualClock, screen: _Screen) -> float:
    _ready_for_next_card(kiosk, clock)
    _pin_screen(kiosk, CHILD)
    refusals = len(screen.refusals())
    asked = time.monotonic()
    kiosk.session.submit_pin(CHILD.pin)
    assert eventually(lambda: len(screen.refusals()) > refusals, WAIT_S), "no refusal was shown"
    return (screen.refusals()[refusals] - asked) * 1000


def _answer_time(name: str, measure: Callable[[], float]) -> AnswerTime:
    for _ in range(WARM_UP):
        measure()
    times = [measure() for _ in range(ENTRIES)]
    p95 = statistics.quantiles(times, n=20)[18]
    return AnswerTime(name, "ms", statistics.median(times), min(times), max(times), len(times), p95=p95)


def _offline_door_settings(folder: Path, port: Path) -> Settings:
    """The demo door, its LMS gone, the demo's central system emulator serving the access list."""
    settings = door_settings(folder, BOARDS["lcus"], port, pulse_s=PULSE_S)
    data = settings.model_dump(exclude_defaults=True)
    data["lms"] = {"kind": "sip2", "sip2": {"host": "127.0.0.1", "port": free_port(), "retries": 0,
                                            "connect_timeout_s": 1.0}}
    data["central"] = {"kind": "emulator", "seed": str(settings.source.parent / "central.toml")
                       if settings.source else ""}
    return parse_settings(data, settings.source)


def _verifier(database: Path, timeout_s: float = 60.0) -> str:
    """ADULT's PIN verifier (one that takes the PIN) in the terminal's copy of the access list, once
    the first sync has brought it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(database) as conn:
                rows = conn.execute("SELECT pin_n, pin_salt, pin_hash FROM access_entry").fetchall()
        except sqlite3.OperationalError:
            rows = []
        for n, salt, digest in rows:
            verifier = f"scrypt${n}$8$1${bytes(salt).hex()}${bytes(digest).hex()}"
            if verify_pin(ADULT.pin, verifier):
                return verifier
        time.sleep(0.1)
    raise RuntimeError("the access list did not arrive")


def _cached(folder: Path) -> list[Result]:
    board = BOARDS["lcus"]
    pty = PtyPair(folder).replug()
    relay = board.start_simulator(pty.simulator)
    clock = ManualClock()
    kiosk: Kiosk | None = None
    try:
        kiosk = start_door(_offline_door_settings(folder, pty.device), clock)
        verifier = _verifier(kiosk.locations.database)
        door = kiosk
        for _ in range(WARM_UP):
            _unlock_ms(door, clock, relay, board.channel)
        unlock, check = [], []
        for _ in range(ENTRIES // 2):
            unlock.append(_unlock_ms(door, clock, relay, board.channel))
            started = time.perf_counter()
            assert verify_pin(ADULT.pin, verifier)
            check.append((time.perf_counter() - started) * 1000)
    finally:
        if kiosk is not None:
            kiosk.stop()
        relay.stop()
        pty.unplug()
    p95 = statistics.quantiles(unlock, n=20)[18]
    added = [a - b for a, b in zip(unlock, check, strict=True)]
    return [
        AnswerTime("door PIN -> unlock from the cached access list", "ms", statistics.median(unlock),
                   min(unlock), max(unlock), len(unlock), p95=p95),
        Result("  reference: the PIN verifier alone (scrypt)", "ms", statistics.median(check), min(check),
               max(check), len(check)),
        Result("  the door's own part (unlock - verifier)", "ms", statistics.median(added), min(added),
               max(added), len(added)),
    ]


def run() -> list[Result]:
    board = BOARDS["lcus"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pty = PtyPair(folder).replug()
        relay = board.start_simulator(pty.simulator)
        clock = ManualClock()
        kiosk: Kiosk | None = None
        try:
            kiosk = start_door(door_settings(folder, board, pty.device, pulse_s=PULSE_S), clock)
            screen = _Screen(kiosk)
            door = kiosk
            results: list[Result] = [
                _answer_time("door PIN -> unlock (SIP2 emulator, LCUS pty)",
                             lambda: _unlock_ms(door, clock, relay, board.channel)),
                _answer_time("door PIN -> refusal on screen (SIP2 emulator)",
                             lambda: _refusal_ms(door, clock, screen)),
            ]
        finally:
            if kiosk is not None:
                kiosk.stop()
            relay.stop()
            pty.unplug()
    assert relay.errors == [], relay.errors
    with tempfile.TemporaryDirectory() as tmp:
        results += _cached(Path(tmp))
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
