"""Door lock and door contact drivers against simulated LCUS and Numato boards on real ptys."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from hardware.door.contact import NumatoDoorSensor, NumatoExitButton
from hardware.door.relay import LcusBoard, NumatoBoard, RelayBoard, RelayDoorLock
from hardware.door.relay_sim import LcusSimulator, NumatoSimulator, RelaySimulator
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState
from kiosk.domain.ports import DoorLock, DoorSensor, ExitButton
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

WAIT_S = 3.0
TOLERANCE_S = 0.15
LCUS_OFF, LCUS_ON = bytes.fromhex("a0 01 00 a1"), bytes.fromhex("a0 01 01 a2")

Boards = tuple[type[RelaySimulator], Callable[[str], RelayBoard], int]
BOARDS: dict[str, Boards] = {
    "lcus": (LcusSimulator, LcusBoard, 1),
    "numato": (NumatoSimulator, NumatoBoard, 0),
}


def wait_for(condition: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture(params=sorted(BOARDS))
def board_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def simulator(pty_pair: PtyPair, board_kind: str) -> Iterator[RelaySimulator]:
    sim = BOARDS[board_kind][0](pty_pair.simulator, initial_on=True).start()
    yield sim
    sim.stop()
    assert sim.errors == []


@pytest.fixture
def door_lock(pty_pair: PtyPair, board_kind: str, simulator: RelaySimulator) -> Iterator[RelayDoorLock]:
    _, board, channel = BOARDS[board_kind]
    lock: DoorLock = RelayDoorLock(board(str(pty_pair.device)), channel, owns_board=True)
    assert isinstance(lock, RelayDoorLock)
    yield lock
    lock.close()


def unlocked(sim: RelaySimulator) -> Callable[[], bool]:
    """The board was told ON (the simulators start ON, as a board that kept its relay energised)."""
    return lambda: bool(sim.switches) and sim.switches[-1].on


def test_the_lock_switches_the_relay_off_before_anything_else(door_lock: RelayDoorLock,
                                                             simulator: RelaySimulator) -> None:
    assert simulator.wait_until(lambda: len(simulator.switches) == 1, WAIT_S)
    assert simulator.received == ([LCUS_OFF] if simulator.board == "LCUS" else [b"relay off 0\r"])
    assert simulator.is_on(simulator.first_channel) is False
    assert door_lock.health().state is DeviceState.OK


@pytest.mark.parametrize("seconds", [0.3, 1.0])
def test_a_pulse_unlocks_then_locks_after_the_requested_time(door_lock: RelayDoorLock,
                                                           simulator: RelaySimulator,
                                                           seconds: float) -> None:
    door_lock.pulse(seconds)  # returns at once: the driver's own timer locks again
    assert simulator.wait_until(lambda: len(simulator.switches) == 3, seconds + WAIT_S)
    _, on, off = simulator.switches
    assert (on.on, off.on) == (True, False)
    assert off.at - on.at == pytest.approx(seconds, abs=TOLERANCE_S)
    if simulator.board == "LCUS":
        assert simulator.received == [LCUS_OFF, LCUS_ON, LCUS_OFF]
    else:
        assert simulator.received == [b"relay off 0\r", b"relay on 0\r", b"relay off 0\r"]


def test_a_pulse_during_a_pulse_extends_it_rather_than_stacking(door_lock: RelayDoorLock,
                                                                simulator: RelaySimulator) -> None:
    door_lock.pulse(0.6)
    time.sleep(0.3)
    door_lock.pulse(0.6)
    assert simulator.wait_until(lambda: len(simulator.switches) >= 3, WAIT_S)
    time.sleep(0.3)  # nothing more may follow
    _, on, off = simulator.switches
    assert (on.on, off.on) == (True, False)
    assert off.at - on.at == pytest.approx(0.9, abs=TOLERANCE_S)


def test_lock_ends_a_pulse_at_once(door_lock: RelayDoorLock, simulator: RelaySimulator) -> None:
    door_lock.pulse(10)
    assert simulator.wait_until(unlocked(simulator), WAIT_S)
    asked = time.monotonic()
    door_lock.lock()
    assert simulator.wait_until(lambda: len(simulator.switches) == 3, WAIT_S)
    assert simulator.switches[-1].on is False
    assert simulator.switches[-1].at - asked < 0.1
    time.sleep(0.2)
    assert len(simulator.switches) == 3


def test_close_locks_the_door(pty_pair: PtyPair, board_kind: str, simulator: RelaySimulator) -> None:
    _, board, channel = BOARDS[board_kind]
    lock = RelayDoorLock(board(str(pty_pair.device)), channel, owns_board=True)
    lock.pulse(10)
    assert simulator.wait_until(unlocked(simulator), WAIT_S)
    lock.close()
    assert simulator.wait_until(lambda: not simulator.is_on(channel), WAIT_S)
    with pytest.raises(DeviceUnavailable, match="closed"):
        lock.pulse(1)


def test_a_pulse_longer_than_allowed_is_refused(door_lock: RelayDoorLock) -> None:
    with pytest.raises(ValueError, match="0-30"):
        door_lock.pulse(31)


def test_unplug_while_unlocked_is_unavailable_and_replug_locks_at_once(
        pty_pair: PtyPair, board_kind: str, door_lock: RelayDoorLock,
        simulator: RelaySimulator) -> None:
    sim_class, _, channel = BOARDS[board_kind]
    door_lock.pulse(20)
    assert simulator.wait_until(unlocked(simulator), WAIT_S)
    pty_pair.unplug()
    assert wait_for(lambda: door_lock.health().state is DeviceState.UNAVAILABLE)
    detail = door_lock.health().detail
    assert "relay board on" in detail and "relay OFF not confirmed" in detail
    with pytest.raises(DeviceUnavailable):
        door_lock.pulse(1)

    pty_pair.replug()
    back = sim_class(pty_pair.simulator, initial_on=True).start()  # a board that kept its relay on
    try:
        replugged = time.monotonic()
        assert back.wait_until(lambda: not back.is_on(channel), WAIT_S)
        assert back.switches[0].on is False and back.switches[0].at - replugged < 1.5
        assert wait_for(lambda: door_lock.health().state is DeviceState.OK)
        door_lock.pulse(0.2)  # works again, nobody restarted anything
        assert back.wait_until(lambda: len(back.switches) == 3, WAIT_S)
        assert [s.on for s in back.switches] == [False, True, False]
        assert back.errors == []
    finally:
        back.stop()


def test_an_idle_board_that_is_unplugged_reports_why(pty_pair: PtyPair, door_lock: RelayDoorLock,
                                                     simulator: RelaySimulator) -> None:
    assert simulator.wait_until(lambda: len(simulator.switches) == 1, WAIT_S)
    pty_pair.unplug()
    assert wait_for(lambda: door_lock.health().state is DeviceState.UNAVAILABLE)
    assert door_lock.health().detail.startswith(f"{simulator.board} relay board on {pty_pair.device}")


def test_a_bad_frame_is_caught_by_the_simulator(pty_pair: PtyPair) -> None:
    sim = LcusSimulator(pty_pair.simulator).start()
    try:
        with serial.Serial(str(pty_pair.device), 9600) as port:
            port.write(bytes.fromhex("a0 01 01 a3"))
        assert sim.wait_until(lambda: bool(sim.errors), WAIT_S)
        assert "checksum" in sim.errors[0] and sim.switches == []
    finally:
        sim.stop()


# --- Numato: relay state read back, door contact on a GPIO -----------------------------------------


@pytest.fixture
def numato(pty_pair: PtyPair) -> Iterator[tuple[NumatoSimulator, NumatoBoard]]:
    sim = NumatoSimulator(pty_pair.simulator, channels=2, gpios=4)
    sim.start()
    board = NumatoBoard(str(pty_pair.device))
    yield sim, board
    board.close()
    sim.stop()
    assert sim.errors == []


def test_numato_reports_relay_state_and_version(numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    board.switch(1, True)
    assert board.relay_state(1) is True and board.relay_state(0) is False
    assert board.version() == NumatoSimulator.VERSION
    assert sim.received == [b"relay on 1\r", b"relay read 1\r", b"relay read 0\r", b"ver\r"]


def test_door_contact_opening_and_closing_are_reported(numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    sensor: DoorSensor = NumatoDoorSensor(board, 2, debounce_s=0.05)
    changes: queue.Queue[bool] = queue.Queue()
    sensor.start(changes.put)
    try:
        assert wait_for(lambda: b"gpio read 2\r" in sim.received)
        assert sensor.is_open() is False
        sim.set_input(2, True)
        assert changes.get(timeout=WAIT_S) is True
        assert sensor.is_open() is True
        sim.set_input(2, False)
        assert changes.get(timeout=WAIT_S) is False
        assert sensor.health().state is DeviceState.OK
    finally:
        sensor.stop()


def test_door_contact_polarity_is_configurable(numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    sensor = NumatoDoorSensor(board, 0, open_level=False)
    assert sensor.is_open() is True  # input low: open, on a contact wired the other way round
    sim.set_input(0, True)
    assert sensor.is_open() is False


def test_each_press_of_the_exit_button_is_one_exit_request(
        numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    button: ExitButton = NumatoExitButton(board, 3, pressed_level=False, debounce_s=0.05)
    sim.set_input(3, True)  # wired to pull the input low while pressed: high is at rest
    presses: queue.Queue[str] = queue.Queue()
    button.start(lambda: presses.put("press"))
    try:
        assert wait_for(lambda: b"gpio read 3\r" in sim.received)
        sim.set_input(3, False)  # pressed, and held
        assert presses.get(timeout=WAIT_S) == "press"
        time.sleep(0.3)
        sim.set_input(3, True)  # released: not a press
        time.sleep(0.3)
        assert presses.empty()
        sim.set_input(3, False)
        assert presses.get(timeout=WAIT_S) == "press"
        assert button.health().state is DeviceState.OK
    finally:
        button.stop()


def test_a_bounce_shorter_than_the_debounce_is_not_reported(
        numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    sensor = NumatoDoorSensor(board, 1, debounce_s=0.4)
    changes: queue.Queue[bool] = queue.Queue()
    sensor.start(changes.put)
    try:
        assert wait_for(lambda: b"gpio read 1\r" in sim.received)
        sim.set_input(1, True)
        time.sleep(0.1)
        sim.set_input(1, False)
        with pytest.raises(queue.Empty):
            changes.get(timeout=0.8)
    finally:
        sensor.stop()


def test_door_contact_comes_back_after_a_replug(pty_pair: PtyPair,
                                                numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    sensor = NumatoDoorSensor(board, 0)
    changes: queue.Queue[bool] = queue.Queue()
    sensor.start(changes.put)
    try:
        assert wait_for(lambda: b"gpio read 0\r" in sim.received)
        pty_pair.unplug()
        assert wait_for(lambda: sensor.health().state is DeviceState.UNAVAILABLE)
        assert "relay board on" in sensor.health().detail
        pty_pair.replug()
        back = NumatoSimulator(pty_pair.simulator).start()
        try:
            back.set_input(0, True)  # the door was opened while the board was away
            # The board is opened again on the driver's reconnect backoff: on a loaded machine
            # (the full suite) more than WAIT_S can pass before the next try.
            assert changes.get(timeout=4 * WAIT_S) is True
            assert sensor.health().state is DeviceState.OK
        finally:
            back.stop()
    finally:
        sensor.stop()


def test_lock_and_contact_share_one_numato_board_without_garbling_it(
        numato: tuple[NumatoSimulator, NumatoBoard]) -> None:
    sim, board = numato
    sensor = NumatoDoorSensor(board, 0, poll_interval_s=0.005)
    changes: queue.Queue[bool] = queue.Queue()
    sensor.start(changes.put)
    lock = RelayDoorLock(board, 0)
    try:
        lock.pulse(0.5)
        sim.set_input(0, True)
        assert changes.get(timeout=WAIT_S) is True
        assert sim.wait_until(lambda: len(sim.switches) == 3, WAIT_S)
        _, on, off = sim.switches
        assert off.at - on.at == pytest.approx(0.5, abs=TOLERANCE_S)
    finally:
        lock.close()
        sensor.stop()
