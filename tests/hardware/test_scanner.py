"""The serial barcode scanner driver, against a simulated scanner on the far end of a real pty."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.scanner.classify import ClassifierRules
from hardware.scanner.scanner_sim import ScannerSimulator, health_card_track2, main
from hardware.scanner.serial_scanner import ScannerSettings, SerialBarcodeScanner
from kiosk.bootstrap.log_files import setup_logging
from kiosk.domain.model import Credential, CredentialKind, DeviceState
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

CPR = "0707614285"
WAIT_S = 5.0


class Received:
    """What the scanner handed to its listener, in order."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Credential] = queue.Queue()

    def __call__(self, credential: Credential) -> None:
        self.queue.put(credential)

    def next(self) -> Credential:
        return self.queue.get(timeout=WAIT_S)

    def nothing_more(self, within_s: float = 0.3) -> bool:
        try:
            self.queue.get(timeout=within_s)
        except queue.Empty:
            return True
        return False


def eventually(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def simulator(pty_pair: PtyPair) -> Iterator[ScannerSimulator]:
    sim = ScannerSimulator(pty_pair.simulator)
    yield sim
    sim.close()


@pytest.fixture
def scanner(pty_pair: PtyPair) -> Iterator[SerialBarcodeScanner]:
    driver = SerialBarcodeScanner(ScannerSettings(port=str(pty_pair.device)), backoff_s=(0.05, 0.1))
    yield driver
    driver.stop()


@pytest.fixture
def received(scanner: SerialBarcodeScanner) -> Received:
    listener = Received()
    scanner.start(listener)
    assert eventually(lambda: scanner.health().ok), scanner.health()
    return listener


def test_a_scanned_library_card_reaches_the_listener_as_a_barcode_credential(
    simulator: ScannerSimulator, received: Received
) -> None:
    simulator.scan("3274001234567")
    credential = received.next()
    assert (credential.kind, credential.value) == (CredentialKind.BARCODE, "3274001234567")


def test_codes_split_across_reads_with_any_line_end_each_arrive_once(
    simulator: ScannerSimulator, received: Received
) -> None:
    simulator.send_raw(b"1234")
    time.sleep(0.15)  # longer than the driver's read timeout: the code arrives in two reads
    simulator.send_raw(b"5678\r")
    simulator.send_raw(b"\n87654321\n11112222\r")
    assert [received.next().value for _ in range(3)] == ["12345678", "87654321", "11112222"]
    assert received.nothing_more()


def test_the_configured_prefix_and_suffix_are_removed(pty_pair: PtyPair) -> None:
    settings = ScannerSettings(port=str(pty_pair.device), prefix="\x02", suffix="#")
    driver = SerialBarcodeScanner(settings, ClassifierRules(barcode_patterns=(r"LB\d{6}",)))
    listener = Received()
    sim = ScannerSimulator(pty_pair.simulator, prefix=b"\x02", suffix=b"#", terminator=b"\r")
    try:
        driver.start(listener)
        assert eventually(lambda: driver.health().ok)  # opening the port discards what came before
        sim.scan("LB123456")
        assert listener.next().value == "LB123456"
    finally:
        driver.stop()
        sim.close()


def test_a_health_card_swipe_gives_the_cpr_and_the_log_file_never_holds_it(
    tmp_path: Path, simulator: ScannerSimulator, received: Received, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = setup_logging(tmp_path / "log", console=False, level="DEBUG")
    caplog.set_level(logging.DEBUG)

    simulator.swipe_health_card(CPR, with_lrc=True, with_track1=True)
    credential = received.next()
    simulator.scan(health_card_track2(CPR, with_lrc=True)[:-1] + "9")  # a misread: the LRC is wrong
    simulator.scan(health_card_track2(CPR)[:14] + "X" + health_card_track2(CPR)[15:])
    simulator.scan("4242")  # a code that is nothing: proves both refusals were handled first
    assert received.nothing_more()

    assert (credential.kind, credential.value) == (CredentialKind.HEALTH_CARD, CPR)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "read a health_card credential" in text
    assert "scan refused (bad_lrc)" in text and "scan refused (bad_character)" in text
    assert CPR not in text and CPR[:6] not in text and CPR[6:] not in text
    # Not even the unredacted records hold it: the driver does not rely on the log's redaction.
    raw = "\n".join(record.getMessage() for record in caplog.records)
    assert "scan refused" in raw and CPR not in raw and CPR[6:] not in raw


def test_garbled_input_produces_no_credential_and_the_scanner_keeps_reading(
    simulator: ScannerSimulator, received: Received, scanner: SerialBarcodeScanner
) -> None:
    for garbled in (":" + health_card_track2(CPR)[1:],  # bad start sentinel
                    health_card_track2("3102612345"),  # 31 February
                    health_card_track2("07X7614285"),  # a letter in the CPR
                    "\x00\xff\x13",
                    "x" * 2000):  # far longer than any code
        simulator.scan(garbled)
    simulator.send_raw(b"\xff\xfe\r\n")  # not even text
    simulator.scan("3274001234567")
    assert received.next().value == "3274001234567"
    assert received.nothing_more()
    assert scanner.health().ok


def test_a_listener_that_raises_does_not_stop_the_scanner(
    pty_pair: PtyPair, simulator: ScannerSimulator
) -> None:
    good = Received()
    calls = 0

    def flaky(credential: Credential) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("listener bug")
        good(credential)

    driver = SerialBarcodeScanner(ScannerSettings(port=str(pty_pair.device)))
    try:
        driver.start(flaky)
        assert eventually(lambda: driver.health().ok)
        simulator.scan("11111111")
        simulator.scan("22222222")
        assert good.next().value == "22222222"
    finally:
        driver.stop()


def test_unplug_shows_unavailable_and_replug_recovers_by_itself(
    pty_pair: PtyPair, simulator: ScannerSimulator, received: Received, scanner: SerialBarcodeScanner
) -> None:
    simulator.scan("11111111")
    assert received.next().value == "11111111"

    pty_pair.unplug()
    assert eventually(lambda: scanner.health().state is DeviceState.UNAVAILABLE)
    health = scanner.health()
    assert health.device == "barcode_scanner" and health.detail  # says why, for staff

    pty_pair.replug()
    assert eventually(lambda: scanner.health().ok), scanner.health()
    simulator.scan("22222222")
    assert received.next().value == "22222222"


def test_a_scanner_that_is_not_plugged_in_at_start_is_picked_up_when_it_appears(
    pty_pair: PtyPair, simulator: ScannerSimulator
) -> None:
    pty_pair.unplug()
    driver = SerialBarcodeScanner(ScannerSettings(port=str(pty_pair.device)), backoff_s=(0.05,))
    listener = Received()
    try:
        driver.start(listener)
        time.sleep(0.2)
        health = driver.health()
        assert health.state is DeviceState.UNAVAILABLE and "No such file" in health.detail
        pty_pair.replug()
        assert eventually(lambda: driver.health().ok), driver.health()
        simulator.scan("33333333")
        assert listener.next().value == "33333333"
    finally:
        driver.stop()


def test_stop_closes_the_port(scanner: SerialBarcodeScanner, received: Received) -> None:
    scanner.stop()
    assert scanner.health().state is DeviceState.UNAVAILABLE
    assert scanner.health().detail == "closed"


def test_the_simulator_command_sends_codes_and_health_card_swipes(
    pty_pair: PtyPair, received: Received
) -> None:
    assert main([str(pty_pair.simulator), "3274001234567", f"health:{CPR}"]) == 0
    assert received.next().value == "3274001234567"
    swipe = received.next()
    assert (swipe.kind, swipe.value) == (CredentialKind.HEALTH_CARD, CPR)
