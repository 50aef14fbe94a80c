"""The entrance panel through the real window: the "+N children" stepper and the answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.session.service import Screen as ScreenName
from kiosk.settings import DEMO_DOOR_SETTINGS
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryDoorLock
from tests.conftest import isolated_settings
from ui.bridge import CoreBridge
from ui.main_window import KioskWindow
from ui.screens.door import DoorScreen
from ui.screens.session import PinScreen


@pytest.fixture
def door(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Kiosk, KioskWindow]]:
    clock = ManualClock()
    kiosk = build(isolated_settings(tmp_path, DEMO_DOOR_SETTINGS), profile="demo", clock=clock,
                  log_to_console=False)
    window = KioskWindow(kiosk.session, title="Door", languages=("da", "en"), now=clock.now)
    qtbot.addWidget(window)
    bridge = CoreBridge(kiosk.core)
    bridge.notified.connect(window.show_view)
    window.resize(1080, 1920)
    window.show()
    kiosk.start()
    qtbot.waitUntil(lambda: window.view is not None)
    yield kiosk, window
    kiosk.stop()


def test_anna_taps_plus_twice_and_the_door_welcomes_her_and_two_children(
        door: tuple[Kiosk, KioskWindow], qtbot: QtBot) -> None:
    kiosk, window = door
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    pin = window.screens[ScreenName.PIN]
    assert isinstance(pin, PinScreen)
    qtbot.waitUntil(lambda: window.current_screen() is pin)
    stepper = pin.children_stepper
    assert stepper.isVisible() and stepper.caption.text() == "Børn med mig"
    assert not stepper.fewer.isEnabled()
    for _ in range(2):
        qtbot.mouseClick(stepper.more, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stepper.count.text() == "2")
    for digit in kiosk.demo_cards[0].pin:
        qtbot.mouseClick(pin.pad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pin.pad.ok_key, Qt.MouseButton.LeftButton)
    answer = window.screens[ScreenName.DOOR]
    assert isinstance(answer, DoorScreen)
    qtbot.waitUntil(lambda: window.current_screen() is answer)
    assert answer.message.text() == "Velkommen til dig og 2 børn – gå ind nu."
    lock = kiosk.devices.door_lock
    assert isinstance(lock, MemoryDoorLock)
    qtbot.waitUntil(lambda: lock.pulses == [5.0])
