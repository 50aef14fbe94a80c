"""The demo's simulator panel drives the simulated devices, and through them the kiosk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import DeviceState
from kiosk.session.service import Screen
from kiosk.simulate.panel import SimulatorPanel
from kiosk.testing.memory import FakeCardReader, FakeClock, FakeDoorSensor, FakeItemReader
from tests.conftest import isolated_settings


@pytest.fixture
def demo(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Kiosk, SimulatorPanel]]:
    clock = FakeClock()
    kiosk = build(isolated_settings(tmp_path), profile="demo", clock=clock, workers=InlineWorkers(),
                  log_to_console=False)
    kiosk.connect_devices()
    panel = SimulatorPanel(kiosk.devices, kiosk.demo_cards, kiosk.demo_tags, clock, kiosk.demo_titles)
    qtbot.addWidget(panel)
    yield kiosk, panel
    kiosk.close()


def test_a_card_button_starts_a_session(demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    qtbot.mouseClick(panel.card_buttons[0], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.PIN


def test_ticking_an_item_puts_its_tag_on_the_pad(demo: tuple[Kiosk, SimulatorPanel]) -> None:
    kiosk, panel = demo
    pad = kiosk.devices.item_reader
    assert isinstance(pad, FakeItemReader)
    first_set = next(t.item_id for t in kiosk.demo_tags if t.parts_in_set == 3)
    set_parts = [i for i, t in enumerate(kiosk.demo_tags) if t.item_id == first_set]
    assert len(set_parts) == 3  # a 3-disc set has a tag per disc
    panel.pad_list.item(set_parts[0]).setCheckState(Qt.CheckState.Checked)
    panel.pad_list.item(set_parts[1]).setCheckState(Qt.CheckState.Checked)
    assert len(pad.inventory()) == 2
    panel.clear_pad()
    assert pad.inventory() == []


def test_unplugging_the_card_reader_silences_it(demo: tuple[Kiosk, SimulatorPanel], qtbot: QtBot) -> None:
    kiosk, panel = demo
    panel.unplug_boxes["card_reader"].setChecked(True)
    reader = kiosk.card_reader
    assert isinstance(reader, FakeCardReader)
    assert reader.health().state is DeviceState.UNAVAILABLE
    qtbot.mouseClick(panel.card_buttons[0], Qt.MouseButton.LeftButton)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.START
    panel.unplug_boxes["card_reader"].setChecked(False)
    assert reader.health().state is DeviceState.OK


def test_the_door_button_opens_and_closes_the_door(demo: tuple[Kiosk, SimulatorPanel]) -> None:
    kiosk, panel = demo
    sensor = kiosk.devices.door_sensor
    assert isinstance(sensor, FakeDoorSensor)
    panel.door_button.setChecked(True)
    assert sensor.is_open()
    panel.door_button.setChecked(False)
    assert not sensor.is_open()


def test_the_door_panel_shows_the_lights_and_the_alarm(tmp_path: Path, qtbot: QtBot) -> None:
    from kiosk.settings import DEMO_DOOR_SETTINGS

    clock = FakeClock()
    kiosk = build(isolated_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=clock,
                  workers=InlineWorkers(), log_to_console=False)
    panel = SimulatorPanel(kiosk.devices, kiosk.demo_cards, kiosk.demo_tags, kiosk.clock, kiosk.demo_titles)
    qtbot.addWidget(panel)
    try:
        panel.refresh()
        assert panel.relays.text() == "alarm frakoblet / disarmed · lys tændt / lights on"  # 20.15
    finally:
        kiosk.close()
