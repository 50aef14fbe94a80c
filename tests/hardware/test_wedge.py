"""The keyboard-wedge filter: a scanner's burst becomes a signal, a person's typing reaches the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from hardware.scanner.classify import classify
from hardware.scanner.scanner_sim import health_card_track2
from kiosk.domain.model import CredentialKind
from ui.wedge import WedgeFilter, WedgeThresholds


class SteppedClock:
    """Seconds that move only when a test says so, so each gap between keys is exact."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance_ms(self, ms: float) -> None:
        self.now += ms / 1000.0


class Screen:
    """A window with a text field that has focus, as a kiosk screen with a search box would."""

    def __init__(self, qtbot: QtBot) -> None:
        self.window = QWidget()
        self.field = QLineEdit(self.window)
        QVBoxLayout(self.window).addWidget(self.field)
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.field.setFocus()
        self.scans: list[str] = []
        self.returns = 0
        self.field.returnPressed.connect(self._on_return)

    def _on_return(self) -> None:
        self.returns += 1


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def screen(qtbot: QtBot) -> Screen:
    return Screen(qtbot)


@contextmanager
def installed(wedge: WedgeFilter, screen: Screen) -> Iterator[WedgeFilter]:
    """``wedge`` filtering the whole application, its scans collected in ``screen.scans``."""
    app = QApplication.instance()
    assert app is not None
    wedge.scanned.connect(screen.scans.append)
    app.installEventFilter(wedge)
    try:
        yield wedge
    finally:
        app.removeEventFilter(wedge)


@pytest.fixture
def wedge(screen: Screen, clock: SteppedClock) -> Iterator[WedgeFilter]:
    with installed(WedgeFilter(WedgeThresholds(max_gap_ms=30, min_length=4), clock=clock), screen) as w:
        yield w


def type_keys(screen: Screen, clock: SteppedClock, text: str, gap_ms: float, *, enter: bool = True) -> None:
    """Key presses ``gap_ms`` apart, as the filter's clock sees them, optionally ending in Enter."""
    for char in text:
        clock.advance_ms(gap_ms)
        QTest.keyClicks(screen.field, char)
    if enter:
        clock.advance_ms(gap_ms)
        QTest.keyClick(screen.field, Qt.Key.Key_Return)


def test_a_fast_burst_ending_in_enter_is_a_scan_and_never_reaches_the_field(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "3274001234567", gap_ms=8)
    assert screen.scans == ["3274001234567"]
    assert screen.field.text() == ""
    assert screen.returns == 0  # the scanner's Enter was swallowed too


def test_slow_typing_reaches_the_field_and_is_no_scan(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "harry potter", gap_ms=120)
    assert screen.field.text() == "harry potter"
    assert screen.scans == []
    assert screen.returns == 1


def test_a_short_fast_run_is_a_persons_key_rollover_not_a_scan(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "ab", gap_ms=5)
    assert screen.field.text() == "ab"
    assert screen.scans == [] and screen.returns == 1


def test_a_burst_that_slows_down_midway_is_typing(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "1234", gap_ms=5, enter=False)
    type_keys(screen, clock, "5678", gap_ms=200)
    assert screen.field.text() == "12345678"
    assert screen.scans == []


def test_keys_held_back_are_delivered_when_no_more_follow(
    qtbot: QtBot, screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "12", gap_ms=5, enter=False)
    assert wedge.holding == "12"  # held for at most the gap, in case a scan is starting
    qtbot.waitUntil(lambda: screen.field.text() == "12", timeout=2000)
    assert wedge.holding == "" and screen.scans == []


def test_an_editing_key_releases_held_keys_first(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    type_keys(screen, clock, "abc", gap_ms=5, enter=False)
    clock.advance_ms(5)
    QTest.keyClick(screen.field, Qt.Key.Key_Backspace)
    assert screen.field.text() == "ab"


def test_a_magstripe_swipe_is_emitted_raw_and_the_caller_classifies_it(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    swipe = health_card_track2("0707614285")
    type_keys(screen, clock, swipe, gap_ms=3)
    assert screen.scans == [swipe] and screen.field.text() == ""
    credential = classify(screen.scans[0])
    assert (credential.kind, credential.value) == (CredentialKind.HEALTH_CARD, "0707614285")


def test_thresholds_are_configurable(screen: Screen, clock: SteppedClock) -> None:
    strict = WedgeFilter(WedgeThresholds(max_gap_ms=5, min_length=10), clock=clock)
    with installed(strict, screen):
        type_keys(screen, clock, "12345678", gap_ms=10)  # fast, but not fast enough for this scanner
        type_keys(screen, clock, "123456789", gap_ms=1)  # fast enough, but too short
        type_keys(screen, clock, "1234567890", gap_ms=1)
    assert screen.field.text() == "12345678123456789"
    assert screen.scans == ["1234567890"]


def test_a_disabled_filter_lets_a_burst_through(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    wedge.enabled = False
    type_keys(screen, clock, "3274001234567", gap_ms=1)
    assert screen.field.text() == "3274001234567" and screen.scans == []


def test_shortcuts_with_control_are_not_part_of_a_scan(
    screen: Screen, clock: SteppedClock, wedge: WedgeFilter
) -> None:
    screen.field.setText("abc")
    screen.field.selectAll()
    clock.advance_ms(1)
    QTest.keyClick(screen.field, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)  # cut
    assert screen.field.text() == "" and wedge.holding == ""


def test_with_the_real_clock_a_burst_is_a_scan_and_slow_typing_is_not(qtbot: QtBot, screen: Screen) -> None:
    # Generous thresholds: QTest's own burst has ~0 ms gaps and the slow typing 250 ms, so a busy CI
    # machine cannot blur the two.
    with installed(WedgeFilter(WedgeThresholds(max_gap_ms=100)), screen):
        QTest.keyClicks(screen.field, "5701234567892")
        QTest.keyClick(screen.field, Qt.Key.Key_Enter)
        QTest.keyClicks(screen.field, "bog", delay=250)
        qtbot.waitUntil(lambda: screen.field.text() == "bog", timeout=3000)
    assert screen.scans == ["5701234567892"]
