"""The receipt printer driver against a simulated ESC/POS printer on a real pty (and on TCP, and a file)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.printers.escpos_sim import (
    EscPosNetworkSimulator,
    EscPosParser,
    EscPosSimulator,
    PaperStatus,
    PrintedLine,
)
from hardware.printers.receipt import (
    EscPosReceiptPrinter,
    FileConnection,
    NetworkConnection,
    SerialConnection,
    UsbConnection,
    connection_from_settings,
)
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState, Receipt, ReceiptLine
from kiosk.settings import ReceiptPrinterSettings
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

ESC_T_PC865 = b"\x1b\x74\x05"

LOAN_RECEIPT = Receipt(
    title="Lånekvittering",
    lines=(
        ReceiptLine("Æblekagens hemmelighed"),
        ReceiptLine("Afleveres senest 12.03.2025", bold=True),
        ReceiptLine("Gebyr for sen aflevering: 12,50 kr."),
    ),
    footer="Tak for besøget – Østerbro Bibliotek",
)


@pytest.fixture
def simulator(pty_pair: PtyPair) -> Iterator[EscPosSimulator]:
    sim = EscPosSimulator(pty_pair.simulator).start()
    yield sim
    sim.stop()


@pytest.fixture
def printer(pty_pair: PtyPair) -> Iterator[EscPosReceiptPrinter]:
    driver = EscPosReceiptPrinter(SerialConnection(str(pty_pair.device)), backoff_s=(0.0,))
    yield driver
    driver.close()


def test_a_danish_receipt_reads_back_in_cp865_with_bold_title_and_lines_and_is_cut(
    simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    printer.print_receipt(LOAN_RECEIPT)

    [receipt] = simulator.wait_for_receipts(1)
    assert receipt.lines == (
        PrintedLine("Lånekvittering", bold=True, centred=True),
        PrintedLine("Æblekagens hemmelighed"),
        PrintedLine("Afleveres senest 12.03.2025", bold=True),
        PrintedLine("Gebyr for sen aflevering: 12,50 kr."),
        PrintedLine(""),
        PrintedLine("Tak for besøget - Østerbro Bibliotek", centred=True),
    )
    # asked DLE EOT 1 (online?) and 4 (paper?) first, then ESC @ and ESC t 5; after the cut, asked again
    assert simulator.received.startswith(b"\x10\x04\x01\x10\x04\x04\x1b@" + ESC_T_PC865)
    assert simulator.received.endswith(b"\x1dV\x00\x10\x04\x01\x10\x04\x04")
    assert "Lånekvittering".encode("cp865") in simulator.received  # å is 0x86 in PC865
    assert simulator.errors == []


def test_every_receipt_selects_the_code_table_again_after_initialising(
    simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    printer.print_receipt(LOAN_RECEIPT)
    printer.print_receipt(Receipt("Afleveret", (ReceiptLine("Ærø"),)))

    receipts = simulator.wait_for_receipts(2)
    assert receipts[1].text == ["Afleveret", "Ærø"]
    assert simulator.received.count(b"\x1b@" + ESC_T_PC865) == 2


@pytest.mark.parametrize("columns", [42, 48])
def test_long_lines_wrap_at_the_paper_width(pty_pair: PtyPair, simulator: EscPosSimulator,
                                            columns: int) -> None:
    title = "Kvittering for lån på Hovedbiblioteket i Københavns Kommune, Krystalgade 15"
    text = "Søren Kierkegaards samlede værker, bind 1–28, med kommentarer og efterord af redaktionen"
    printer = EscPosReceiptPrinter(SerialConnection(str(pty_pair.device)), columns=columns)
    try:
        printer.print_receipt(Receipt(title, (ReceiptLine(text),)))
    finally:
        printer.close()

    [receipt] = simulator.wait_for_receipts(1)
    assert all(len(line) <= columns for line in receipt.text)
    title_lines = [line.text for line in receipt.lines if line.centred]
    body_lines = [line.text for line in receipt.lines if not line.centred]
    assert " ".join(title_lines) == title
    assert " ".join(body_lines) == text.replace("–", "-")
    assert len(body_lines) > 1


def test_paper_low_is_degraded_and_still_prints(
    simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    simulator.set_status(paper=PaperStatus.LOW)

    assert (printer.health().state, printer.health().detail) == (DeviceState.DEGRADED, "paper low")
    printer.print_receipt(LOAN_RECEIPT)
    assert len(simulator.wait_for_receipts(1)) == 1


def test_paper_out_is_unavailable_and_nothing_is_printed(
    simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    simulator.set_status(paper=PaperStatus.OUT)

    health = printer.health()
    with pytest.raises(DeviceUnavailable, match="paper out"):
        printer.print_receipt(LOAN_RECEIPT)

    assert (health.state, health.detail) == (DeviceState.UNAVAILABLE, "paper out")
    assert simulator.receipts == []
    assert simulator.errors == []  # nothing was sent to print on an empty roll
    simulator.set_status(paper=PaperStatus.OK)
    printer.print_receipt(LOAN_RECEIPT)
    assert printer.health().ok
    assert len(simulator.wait_for_receipts(1)) == 1


def test_an_offline_printer_is_unavailable(simulator: EscPosSimulator,
                                           printer: EscPosReceiptPrinter) -> None:
    simulator.set_status(online=False)

    health = printer.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "offline" in health.detail


def test_unplugged_mid_receipt_is_unavailable_and_after_replug_the_torn_receipt_is_cut_off(
    pty_pair: PtyPair, simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    unplugged = threading.Event()

    def pull_the_cable() -> None:
        pty_pair.unplug()
        unplugged.set()

    simulator.pull_cable_at("Æblekagens hemmelighed", pull_the_cable)

    with pytest.raises(DeviceUnavailable):
        printer.print_receipt(LOAN_RECEIPT)
    health = printer.health()
    assert unplugged.wait(5)  # the driver may notice before socat is fully gone
    pty_pair.replug()
    printer.print_receipt(Receipt("Afleveret", (ReceiptLine("Ærø"),)))

    assert health.state is DeviceState.UNAVAILABLE
    torn, whole = simulator.wait_for_receipts(2)
    assert torn.text == ["Lånekvittering", "Æblekagens hemmelighed"]
    assert whole.text == ["Afleveret", "Ærø"]
    assert printer.health().ok


def test_a_printer_unplugged_while_idle_is_unavailable_and_closes_without_an_error(
    pty_pair: PtyPair, simulator: EscPosSimulator, printer: EscPosReceiptPrinter
) -> None:
    # The tty vanishes between two receipts: pyserial's buffer reset then raises termios.error,
    # which is not an OSError and must not escape as a crash.
    assert printer.health().ok
    pty_pair.unplug()

    with pytest.raises(DeviceUnavailable):
        printer.print_receipt(LOAN_RECEIPT)
    assert printer.health().state is DeviceState.UNAVAILABLE
    printer.close()


def test_a_printer_that_is_not_there_is_unavailable_with_the_port_named(tmp_path: Path) -> None:
    printer = EscPosReceiptPrinter(SerialConnection(str(tmp_path / "ttyUSB9")))

    health = printer.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "ttyUSB9" in health.detail
    with pytest.raises(DeviceUnavailable, match="ttyUSB9"):
        printer.print_receipt(LOAN_RECEIPT)


def test_the_file_connection_writes_the_receipt_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = EscPosReceiptPrinter(FileConnection(str(device)), columns=48)
    try:
        printer.print_receipt(LOAN_RECEIPT)
        health = printer.health()
    finally:
        printer.close()

    parser = EscPosParser()
    parser.feed(device.read_bytes())
    assert device.read_bytes().startswith(b"\x1b@" + ESC_T_PC865)
    assert parser.receipts[0].text[0] == "Lånekvittering"
    assert parser.errors == []
    assert health.ok


def test_a_file_connection_to_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    printer = EscPosReceiptPrinter(FileConnection(str(tmp_path / "no" / "lp0")))

    assert printer.health().state is DeviceState.UNAVAILABLE


def test_a_network_printer_prints_and_reports_paper_low() -> None:
    sim = EscPosNetworkSimulator(paper=PaperStatus.LOW).start()
    host, port = sim.address
    printer = EscPosReceiptPrinter(NetworkConnection(host, port))
    try:
        printer.print_receipt(LOAN_RECEIPT)
        health = printer.health()
        [receipt] = sim.wait_for_receipts(1)
    finally:
        printer.close()
        sim.stop()

    assert receipt.text[-1] == "Tak for besøget - Østerbro Bibliotek"
    assert health.detail == "paper low"
    assert sim.errors == []


def test_a_network_printer_that_is_switched_off_is_unavailable_and_recovers() -> None:
    sim = EscPosNetworkSimulator().start()
    host, port = sim.address
    sim.stop()
    printer = EscPosReceiptPrinter(NetworkConnection(host, port), backoff_s=(0.0,))
    try:
        down = printer.health()
        sim = EscPosNetworkSimulator(host, port).start()
        printer.print_receipt(LOAN_RECEIPT)
        sim.wait_for_receipts(1)
    finally:
        printer.close()
        sim.stop()

    assert down.state is DeviceState.UNAVAILABLE
    assert f"{host}:{port}" in down.detail


def test_a_printer_that_does_not_answer_is_unavailable(pty_pair: PtyPair) -> None:
    printer = EscPosReceiptPrinter(SerialConnection(str(pty_pair.device)), timeout_s=0.2)
    try:
        health = printer.health()  # the cable is there, nothing answers on the far end
    finally:
        printer.close()

    assert (health.state, health.detail) == (DeviceState.UNAVAILABLE, "not answering")


@pytest.mark.parametrize(
    ("section", "connection"),
    [
        ({"kind": "serial", "port": "/dev/ttyUSB2", "baudrate": 38400},
         SerialConnection("/dev/ttyUSB2", 38400)),
        ({"kind": "usb", "usb_vendor": 0x04B8, "usb_product": 0x0E15}, UsbConnection(0x04B8, 0x0E15)),
        ({"kind": "network", "host": "10.0.0.7"}, NetworkConnection("10.0.0.7", 9100)),
        ({"kind": "file", "port": "/dev/usb/lp0"}, FileConnection("/dev/usb/lp0")),
    ],
)
def test_settings_name_the_connection(section: dict[str, object], connection: object) -> None:
    assert connection_from_settings(ReceiptPrinterSettings.model_validate(section)) == connection


def _in_a_new_process(program: str) -> list[str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in __import__("os").environ.items()
                               if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_python_escpos_is_loaded_at_the_first_receipt_and_its_cache_kept_in_the_kiosks_folder(
        tmp_path: Path) -> None:
    """Not at start (0.2 s, 14 MB); and its printer database is parsed once, not on every start into
    a new temporary folder that stays behind."""
    cache = tmp_path / "cache"
    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hardware.printers.receipt import EscPosReceiptPrinter, FileConnection\n"
        "from kiosk.domain.model import Receipt\n"
        f"printer = EscPosReceiptPrinter(FileConnection({str(tmp_path / 'lp0')!r}),\n"
        f"                               cache_dir=Path({str(cache)!r}))\n"
        "print('escpos' in sys.modules)\n"
        "printer.print_receipt(Receipt(title='Kvittering', lines=()))\n"
        "printer.close()\n"
        "print('escpos' in sys.modules)\n"
    )
    assert _in_a_new_process(program) == ["False", "True"]
    pickles = list(cache.glob("*.capabilities.pickle"))
    assert len(pickles) == 1
    assert cache.stat().st_mode & 0o777 == 0o700
    made = pickles[0].stat().st_mtime_ns
    assert _in_a_new_process(program) == ["False", "True"]
    assert pickles[0].stat().st_mtime_ns == made  # read, not made again
    assert b"Kvittering" in (tmp_path / "lp0").read_bytes()


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path) -> None:
    """A pickle is code: one planted by another user would run as the kiosk."""
    from hardware.printers.escpos_lib import _own_folder

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    mine = tmp_path / "mine"

    assert _own_folder(mine) == mine
    chosen = _own_folder(shared)
    assert chosen != shared
    assert chosen.stat().st_mode & 0o777 == 0o700
