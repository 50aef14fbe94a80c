"""The door terminal end to end: card and PIN in unstaffed hours, the access rules, the SIP2 LMS
emulator over TCP, the entry log, and the door lock on an LCUS or Numato relay board at the far end
of a real pty (DESIGN invariant 2: relay off at start, after each pulse, on shutdown, after a crash).

Every kiosk here is built from settings by the product's ``build()`` and started as the product
starts it; the relay simulator records each command with the time it arrived. Wednesday 20:15.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.door.entry import EntryView
from kiosk.session.service import Message, Screen
from kiosk.store import Journal, JournalState, open_store
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.store.keys import pseudonymizer
from kiosk.testing.memory import ManualClock
from tests.door.fixtures import (
    ADULT,
    BOARDS,
    CHILD,
    START_S,
    WAIT_S,
    Board,
    DoorPatron,
    DoorProcess,
    ObservedSimulator,
    alive,
    door_settings,
    enter,
    eventually,
    start_door,
)
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

PULSE_S = 0.4
TOLERANCE_S = 0.15
LONG_PULSE_S = 20.0  # longer than any test waits: only a stop, a crash handler or a restart ends it
QUIET_S = 0.5  # how long "nothing more arrives" is watched for


@pytest.fixture(params=sorted(BOARDS))
def board(request: pytest.FixtureRequest) -> Board:
    return BOARDS[str(request.param)]


@pytest.fixture
def simulator(pty_pair: PtyPair, board: Board) -> Iterator[ObservedSimulator]:
    sim = board.start_simulator(pty_pair.simulator, initial_on=True)  # a board that kept its relay on
    yield sim
    sim.stop()
    assert sim.errors == []


@pytest.fixture
def door(tmp_path: Path, pty_pair: PtyPair, board: Board,
         simulator: ObservedSimulator) -> Iterator[Callable[[float], Kiosk]]:
    """Starts the door terminal with the given pulse; stopped at the end (before the simulator)."""
    started: list[Kiosk] = []

    def start(pulse_s: float) -> Kiosk:
        kiosk = start_door(door_settings(tmp_path, board, pty_pair.device, pulse_s=pulse_s))
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.stop()


@pytest.fixture
def processes() -> Iterator[list[DoorProcess]]:
    started: list[DoorProcess] = []
    yield started
    for process in started:
        process.close()


def answer(kiosk: Kiosk) -> EntryView | None:
    """The door's answer on screen, if it shows one."""
    view = kiosk.session.view
    return view.entry if view.screen is Screen.DOOR else None


def token(kiosk: Kiosk, patron: DoorPatron) -> str:
    return pseudonymizer(kiosk.store)(patron.credential.value)


def allowed_entries(kiosk: Kiosk) -> tuple[int, int]:
    """Allowed entries in the entry log, and allowed entries in the journal (the outbox)."""
    logged = EntryLog(kiosk.store, kiosk.clock.now).count(decision=EntryDecision.ALLOWED)
    journaled = [e for e in Journal(kiosk.store).in_state(JournalState.PENDING, limit=1000)
                 if e.kind == "entry" and e.payload["decision"] == "allowed"]
    return logged, len(journaled)


def test_the_relay_is_switched_off_before_anything_else_when_the_door_terminal_starts(
        door: Callable[[float], Kiosk], board: Board, simulator: ObservedSimulator) -> None:
    door(PULSE_S)
    assert simulator.wait_until(lambda: len(simulator.received) >= 1, WAIT_S)
    assert simulator.received[0] == board.command(False)
    assert simulator.is_on(board.channel) is False
    time.sleep(QUIET_S)
    assert simulator.received == [board.command(False)]


def test_card_and_pin_in_unstaffed_hours_unlock_the_door_for_the_configured_pulse(
        door: Callable[[float], Kiosk], board: Board, simulator: ObservedSimulator) -> None:
    kiosk = door(PULSE_S)
    assert simulator.wait_until(lambda: len(simulator.switches) == 1, WAIT_S)
    entries_when_on: list[tuple[int, int]] = []
    simulator.on_switch = lambda _channel, on: entries_when_on.append(allowed_entries(kiosk)) if on else None

    enter(kiosk, ADULT)

    assert simulator.wait_until(lambda: len(simulator.switches) == 3, WAIT_S + PULSE_S)
    _, on, off = simulator.switches
    assert simulator.received == [board.command(False), board.command(True), board.command(False)]
    assert off.at - on.at == pytest.approx(PULSE_S, abs=TOLERANCE_S)
    assert entries_when_on == [(1, 1)]  # logged and journaled before the relay was told ON
    [logged] = EntryLog(kiosk.store, kiosk.clock.now).between(kiosk.clock.now().replace(hour=0),
                                                               kiosk.clock.now().replace(hour=23))
    assert (logged.decision, logged.reason, logged.children) == (EntryDecision.ALLOWED, "ok", 0)
    assert logged.token == token(kiosk, ADULT) != ADULT.credential.value
    assert eventually(lambda: (shown := answer(kiosk)) is not None and shown.door_unlocked is True)


def test_a_13_year_old_after_20_is_refused_and_the_relay_is_never_told_on(
        door: Callable[[float], Kiosk], board: Board, simulator: ObservedSimulator) -> None:
    kiosk = door(PULSE_S)

    enter(kiosk, CHILD)

    assert eventually(lambda: answer(kiosk) is not None)
    shown = answer(kiosk)
    assert shown is not None and not shown.allowed and shown.reason == "too_young_at_this_time"
    time.sleep(QUIET_S)
    assert simulator.received == [board.command(False)]
    assert EntryLog(kiosk.store, kiosk.clock.now).count(
        decision=EntryDecision.REFUSED, reason="too_young_at_this_time", token=token(kiosk, CHILD)) == 1


def test_a_wrong_pin_sends_nothing_to_the_relay_and_the_right_one_unlocks(
        door: Callable[[float], Kiosk], board: Board, simulator: ObservedSimulator) -> None:
    kiosk = door(PULSE_S)

    enter(kiosk, ADULT, pin="0000")

    assert eventually(lambda: kiosk.session.view.message is Message.WRONG_PIN)
    assert kiosk.session.view.screen is Screen.PIN
    time.sleep(QUIET_S)
    assert simulator.received == [board.command(False)]
    kiosk.session.submit_pin(ADULT.pin)
    assert simulator.wait_until(lambda: len(simulator.switches) == 3, WAIT_S + PULSE_S)
    assert [s.on for s in simulator.switches] == [False, True, False]


def test_an_orderly_stop_while_unlocked_switches_the_relay_off(
        door: Callable[[float], Kiosk], board: Board, simulator: ObservedSimulator) -> None:
    kiosk = door(LONG_PULSE_S)
    enter(kiosk, ADULT)
    assert simulator.wait_until(lambda: simulator.is_on(board.channel), WAIT_S)

    kiosk.stop()

    assert simulator.wait_until(lambda: not simulator.is_on(board.channel), WAIT_S)
    _, on, off = simulator.switches
    assert off.at - on.at < LONG_PULSE_S / 2  # the stop ended the pulse, not the pulse's own timer
    assert simulator.received == [board.command(False), board.command(True), board.command(False)]


@pytest.mark.parametrize(("kind", "watchdog"), [("lcus", False), ("numato", False), ("lcus", True)],
                         ids=["lcus", "numato", "lcus-with-watchdog"])
def test_kill_9_while_unlocked_then_the_restarted_door_terminal_switches_off_first(
        tmp_path: Path, pty_pair: PtyPair, processes: list[DoorProcess], kind: str, watchdog: bool) -> None:
    board = BOARDS[kind]
    sim = board.start_simulator(pty_pair.simulator)
    off, on = board.command(False), board.command(True)
    try:
        crashed = DoorProcess(tmp_path, board, pty_pair.device, pulse_s=LONG_PULSE_S, watchdog=watchdog)
        processes.append(crashed)
        assert len(crashed.watchdogs) == (1 if watchdog else 0)
        crashed.send("enter")
        assert sim.wait_until(lambda: sim.is_on(board.channel), START_S)

        crashed.kill()

        if watchdog:  # the crash watchdog locks at once, and leaves
            assert sim.wait_until(lambda: not sim.is_on(board.channel), WAIT_S)
            assert eventually(lambda: not alive(crashed.watchdogs[0]))
        else:  # the board latches: nothing is left to switch it off until the kiosk is back
            assert sim.is_on(board.channel)
        before_restart, switches_before = len(sim.received), len(sim.switches)
        restarting = time.monotonic()
        restarted = DoorProcess(tmp_path, board, pty_pair.device, pulse_s=LONG_PULSE_S, watchdog=watchdog)
        processes.append(restarted)

        assert sim.wait_until(lambda: len(sim.received) > before_restart, WAIT_S)
        assert sim.received[before_restart] == off
        assert all(s.at > restarting for s in sim.switches[switches_before:])
        assert not sim.is_on(board.channel)
        time.sleep(QUIET_S)
        assert restarted.stop_cleanly() == 0
        assert on not in sim.received[before_restart:] and not sim.is_on(board.channel)
    finally:
        sim.stop()
    assert sim.errors == []
    store = open_store(tmp_path / "data" / "kiosk.sqlite3")
    try:  # the crashed terminal journaled the entry before it unlocked: the kill did not lose it
        assert EntryLog(store, ManualClock().now).count(decision=EntryDecision.ALLOWED) == 1
    finally:
        store.close()


@pytest.fixture
def lcus(pty_pair: PtyPair) -> Iterator[ObservedSimulator]:
    sim = BOARDS["lcus"].start_simulator(pty_pair.simulator)
    yield sim
    sim.stop()
    assert sim.errors == []


def test_a_killed_watchdog_is_started_again_before_the_door_unlocks(
        tmp_path: Path, pty_pair: PtyPair, processes: list[DoorProcess], lcus: ObservedSimulator) -> None:
    channel = BOARDS["lcus"].channel
    kiosk = DoorProcess(tmp_path, BOARDS["lcus"], pty_pair.device, pulse_s=LONG_PULSE_S, watchdog=True)
    processes.append(kiosk)
    [first] = kiosk.watchdogs
    os.kill(first, signal.SIGKILL)
    assert eventually(lambda: not alive(first))

    kiosk.send("enter")  # a patron comes in...
    assert lcus.wait_until(lambda: lcus.is_on(channel), START_S)
    [second] = kiosk.current_watchdogs()  # ...after a new watchdog was started
    assert second != first
    kiosk.kill()  # and the kiosk dies while the door is unlocked

    assert lcus.wait_until(lambda: not lcus.is_on(channel), WAIT_S)
    assert eventually(lambda: not alive(second))


def test_killing_the_kiosks_whole_process_group_locks_the_door(
        tmp_path: Path, pty_pair: PtyPair, processes: list[DoorProcess], lcus: ObservedSimulator) -> None:
    channel = BOARDS["lcus"].channel
    kiosk = DoorProcess(tmp_path, BOARDS["lcus"], pty_pair.device, pulse_s=LONG_PULSE_S, watchdog=True)
    processes.append(kiosk)
    kiosk.send("enter")
    assert lcus.wait_until(lambda: lcus.is_on(channel), START_S)

    killed = time.monotonic()
    kiosk.kill_group()  # kill -9 -PGID: every process of the kiosk's group at once

    assert lcus.wait_until(lambda: not lcus.is_on(channel), WAIT_S)
    assert lcus.switches[-1].at - killed < 1.5
    assert eventually(lambda: not any(alive(pid) for pid in kiosk.watchdogs))


def test_a_frozen_door_terminal_is_locked_by_the_watchdog_at_the_pulse_plus_its_margin(
        tmp_path: Path, pty_pair: PtyPair, processes: list[DoorProcess], lcus: ObservedSimulator) -> None:
    channel, pulse_s = BOARDS["lcus"].channel, 2.0
    kiosk = DoorProcess(tmp_path, BOARDS["lcus"], pty_pair.device, pulse_s=pulse_s, watchdog=True)
    processes.append(kiosk)
    kiosk.send("enter")
    assert lcus.wait_until(lambda: lcus.is_on(channel), START_S)
    os.kill(kiosk.process.pid, signal.SIGSTOP)  # hung: neither its core nor its relay timer runs
    try:
        assert lcus.wait_until(lambda: not lcus.is_on(channel), 3 * pulse_s + 5)
        on, off = lcus.switches[-2:]
        assert on.on and not off.on
        assert pulse_s + 1.5 <= off.at - on.at <= pulse_s + 4.0  # the pulse + the 2 s margin, not 32 s
    finally:
        os.kill(kiosk.process.pid, signal.SIGCONT)


def test_a_stuck_core_is_ended_by_the_watchdog_and_the_door_locks(
        tmp_path: Path, pty_pair: PtyPair, processes: list[DoorProcess], lcus: ObservedSimulator) -> None:
    channel, heartbeat_s = BOARDS["lcus"].channel, 3.0
    kiosk = DoorProcess(tmp_path, BOARDS["lcus"], pty_pair.device, pulse_s=LONG_PULSE_S, watchdog=True,
                        heartbeat_s=heartbeat_s)
    processes.append(kiosk)
    kiosk.send("enter")
    assert lcus.wait_until(lambda: lcus.is_on(channel), START_S)

    stuck = time.monotonic()
    kiosk.send("hang")  # the core thread never returns from a handler; the process lives on

    assert lcus.wait_until(lambda: not lcus.is_on(channel), heartbeat_s + 5)
    assert lcus.switches[-1].at - stuck < LONG_PULSE_S / 2  # the watchdog, not the pulse's timer
    status = kiosk.process.wait(timeout=heartbeat_s + 10)  # ended, so that the service manager restarts it
    assert status in (-signal.SIGABRT, -signal.SIGKILL)
