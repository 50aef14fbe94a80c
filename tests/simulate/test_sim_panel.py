"""The demo's simulator panel acts on the byte simulators behind the demo's simulated devices, and
through the real drivers on in-process serial cables reaches the kiosk, as ``make demo`` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hardware.rfid.feig import FeigReader
from hardware.scanner.serial_scanner import SerialBarcodeScanner
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.model import DeviceState, SecurityState
from kiosk.session.service import Screen
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, CentralSettings, Settings, load_settings
from kiosk.simulate.panel import SimulatorPanel
from kiosk.store import Journal, JournalState
from kiosk.testing.memory import ManualClock, MemoryCardReader

WAIT_MS = 10_000
BOOK = "5010000001"


def demo_settings(tmp_path: Path, source: Path = DEMO_SETTINGS) -> Settings:
    """The demo's own settings (simulated devices), with its files in ``tmp_path``."""
    settings = load_settings(source)
    paths = settings.paths.model_copy(update={"data_dir": tmp_path / "data", "log_dir": tmp_path / "log"})
    logging = settings.logging.model_copy(update={"console": False})
    return settings.model_copy(update={"paths": paths, "logging": logging, "central": CentralSettings()})


@pytest.fixture
def demo(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Kiosk, SimulatorPanel]]:
    kiosk = build(demo_settings(tmp_path), profile="demo")
    panel = SimulatorPanel.beside(kiosk)
    qtbot.addWidget(panel)
    kiosk.start()
    yield kiosk, panel
    kiosk.stop()


def tick(panel: SimulatorPanel, item_id: str, checked: bool = True) -> None:
    for row in range(panel.pad_list.count()):
        entry = panel.pad_list.item(row)
        if f"· {item_id} ·" in entry.text():
            entry.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)


def test_the_demo_runs_the_real_drivers(demo: tuple[Kiosk, SimulatorPanel]) -> None:
    kiosk, _panel = demo
    assert isinstance(kiosk.devices.item_reader, FeigReader)
    assert isinstance(kiosk.devices.barcode_scanner, SerialBarcodeScanner)
    assert isinstance(kiosk.card_reader, MemoryCardReader)  # the PC/SC reader stays in memory


def test_a_book_ticked_on_the_panel_is_lent_through_the_feig_driver_and_its_tag_unsecured(
        demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    kiosk.session.start_visit(Purpose.BORROW)
    qtbot.mouseClick(panel.card_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.session.view.screen is Screen.PIN, timeout=WAIT_MS)
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    qtbot.waitUntil(lambda: kiosk.session.view.screen is Screen.BORROW, timeout=WAIT_MS)
    tick(panel, BOOK)

    def lent() -> bool:
        visit = kiosk.session.view.visit
        rows = [(row.item_id, row.outcome) for row in visit.items] if visit is not None else []
        return rows == [(BOOK, Outcome.BORROWED)]

    qtbot.waitUntil(lent, timeout=WAIT_MS)
    uid = next(t.uid for t in kiosk.demo_tags if t.item_id == BOOK)
    assert panel.security(uid) is SecurityState.UNSECURED  # written to the simulated tag, read back
    tick(panel, BOOK, checked=False)
    kiosk.session.finish_visit()
    qtbot.waitUntil(lambda: kiosk.session.view.screen is Screen.RECEIPT, timeout=WAIT_MS)
    kiosk.session.choose_receipt(ReceiptChoice.PRINT)
    qtbot.waitUntil(lambda: kiosk.session.view.screen is Screen.START, timeout=WAIT_MS)
    assert kiosk.simulators.printer.receipt_count == 1  # printed by the ESC/POS driver
    panel.refresh()
    assert panel.receipts.text().endswith(": 1")


def test_a_barcode_scanned_on_the_panel_reaches_the_session_through_the_serial_scanner(
        demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    panel.other.setText("1000000001")
    scan = next(b for b in panel.findChildren(type(panel.card_buttons[0])) if b.text() == "Scan stregkode")
    qtbot.mouseClick(scan, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.session.view.screen is Screen.PIN, timeout=WAIT_MS)


def test_pulling_the_pads_cable_makes_it_unavailable_until_it_is_back(
        demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    pad = kiosk.devices.item_reader
    assert pad is not None
    qtbot.waitUntil(lambda: pad.health().ok, timeout=WAIT_MS)
    panel.unplug_boxes["rfid_pad"].setChecked(True)
    qtbot.waitUntil(lambda: pad.health().state is DeviceState.UNAVAILABLE, timeout=WAIT_MS)
    panel.unplug_boxes["rfid_pad"].setChecked(False)
    tick(panel, BOOK)
    qtbot.waitUntil(lambda: pad.health().ok and any(t.item_id == BOOK for t in pad.inventory()),
                    timeout=WAIT_MS)


def test_unplugging_the_card_reader_silences_it(demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    panel.unplug_boxes["card_reader"].setChecked(True)
    reader = kiosk.card_reader
    assert reader.health().state is DeviceState.UNAVAILABLE
    qtbot.mouseClick(panel.card_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    assert kiosk.session.view.screen is Screen.START
    panel.unplug_boxes["card_reader"].setChecked(False)
    assert reader.health().state is DeviceState.OK


@pytest.fixture
def door(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Kiosk, SimulatorPanel]]:
    kiosk = build(demo_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=ManualClock())
    panel = SimulatorPanel.beside(kiosk)
    qtbot.addWidget(panel)
    kiosk.start()
    yield kiosk, panel
    kiosk.stop()


def test_the_door_button_opens_and_closes_the_door_through_the_numato_input(
        door: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = door
    sensor = kiosk.devices.door_sensor
    assert sensor is not None
    panel.door_button.setChecked(True)
    qtbot.waitUntil(sensor.is_open, timeout=WAIT_MS)
    panel.door_button.setChecked(False)
    qtbot.waitUntil(lambda: not sensor.is_open(), timeout=WAIT_MS)


def door_alarms(kiosk: Kiosk) -> list[object]:
    return [e.payload["alarm"] for e in Journal(kiosk.store).in_state(JournalState.PENDING, limit=100)
            if e.kind == "door_alarm"]


def test_the_exit_button_on_the_panel_makes_leaving_no_alarm(
        door: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = door
    sensor = kiosk.devices.door_sensor
    assert sensor is not None

    def open_and_close() -> None:
        panel.door_button.setChecked(True)
        qtbot.waitUntil(sensor.is_open, timeout=WAIT_MS)
        panel.door_button.setChecked(False)
        qtbot.waitUntil(lambda: not sensor.is_open(), timeout=WAIT_MS)

    qtbot.wait(300)  # the contact's first reading (its baseline) is taken
    open_and_close()  # nobody asked: forced
    qtbot.waitUntil(lambda: door_alarms(kiosk) == ["forced_open"], timeout=WAIT_MS)
    qtbot.mousePress(panel.exit_button, Qt.MouseButton.LeftButton)
    qtbot.wait(300)  # held down, through the Numato input's debounce
    qtbot.mouseRelease(panel.exit_button, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    open_and_close()  # someone leaving
    qtbot.wait(500)
    assert door_alarms(kiosk) == ["forced_open"]


def test_the_door_panel_shows_the_lights_and_the_alarm_as_the_relays_are(
        door: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    _kiosk, panel = door

    def shown() -> bool:
        panel.refresh()
        return panel.relays.text() == "lys tændt / lights on · alarm frakoblet / disarmed"  # 20.15

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    assert "Låst / locked · 0 oplåsninger" in panel.door_state.text()


def test_the_panels_headset_box_turns_speech_mode_on_through_the_real_jack_driver(
        demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    from kiosk.bootstrap.speech import headset_jack

    kiosk, panel = demo
    jack = headset_jack(kiosk.settings.speech, kiosk.locations.data_dir, kiosk.session.headset_changed)
    assert jack is not None
    try:
        assert jack.listening.wait(WAIT_MS / 1000)
        panel.headset.setChecked(True)
        qtbot.waitUntil(lambda: kiosk.session.view.speech, timeout=WAIT_MS)
        panel.headset.setChecked(False)
        qtbot.waitUntil(lambda: not kiosk.session.view.speech, timeout=WAIT_MS)
    finally:
        jack.close()

