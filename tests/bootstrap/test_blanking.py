"""Screen blanking after closing time: the rule by the demo branch's calendar (closed 22:00-07:00 on
a Wednesday), the backlight in a sysfs-like folder, and the black window woken by a touch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hardware.display.backlight import Backlight
from kiosk.bootstrap.blanking import ScreenBlanking, screen_blanking
from kiosk.bootstrap.check import branch_calendar
from kiosk.door.calendar import BranchCalendar
from kiosk.session.blanking import BlankingRule
from kiosk.settings import Settings
from kiosk.testing.memory import COPENHAGEN
from tests.conftest import isolated_settings

WEDNESDAY = dt.date(2026, 11, 25)


def at(hour: int, minute: int = 0, day: dt.date = WEDNESDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), COPENHAGEN)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return isolated_settings(tmp_path)


@pytest.fixture
def calendar(settings: Settings) -> BranchCalendar:
    return branch_calendar(settings)


def sysfs_device(root: Path, *, bl_power: bool = True, brightness: str = "180") -> Path:
    device = root / "intel_backlight"
    device.mkdir(parents=True)
    (device / "brightness").write_text(brightness + "\n")
    (device / "max_brightness").write_text("255\n")
    if bl_power:
        (device / "bl_power").write_text("0\n")
    return device


@pytest.mark.parametrize(("when", "last_use", "dark"), [
    (at(21, 30), None, False),  # unstaffed hours: open
    (at(22, 10), None, False),  # closed, within the 15 minutes' grace
    (at(22, 20), None, True),  # closed, nobody there
    (at(23, 0), at(22, 59), False),  # closed, touched a minute ago
    (at(23, 0), at(22, 57), True),  # ... three minutes ago: dark again
    (at(7, 0, WEDNESDAY + dt.timedelta(days=1)), None, False),  # opening time
])
def test_the_screen_is_dark_after_closing_while_nobody_uses_it(
        calendar: BranchCalendar, when: dt.datetime, last_use: dt.datetime | None, dark: bool) -> None:
    assert BlankingRule().blank(calendar.state_at(when), when, last_use) is dark


def test_the_backlight_is_powered_down_and_up_by_bl_power(tmp_path: Path) -> None:
    device = sysfs_device(tmp_path)
    backlight = Backlight.from_setting("auto", tmp_path)
    assert backlight.off() and (device / "bl_power").read_text() == "4\n"
    assert (device / "brightness").read_text() == "180\n"  # untouched
    assert backlight.on() and (device / "bl_power").read_text() == "0\n"


def test_without_bl_power_the_brightness_goes_to_zero_and_back(tmp_path: Path) -> None:
    device = sysfs_device(tmp_path, bl_power=False, brightness="120")
    backlight = Backlight.from_setting(str(device))
    assert backlight.off() and (device / "brightness").read_text() == "0\n"
    assert backlight.on() and (device / "brightness").read_text() == "120\n"


def test_no_backlight_or_one_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    assert Backlight.from_setting("auto", tmp_path / "none").off() is False
    assert Backlight.from_setting("none").off() is False
    device = sysfs_device(tmp_path)
    (device / "bl_power").unlink()
    (device / "bl_power").mkdir()  # writing to it fails, as to a file root keeps
    backlight = Backlight(device)
    assert backlight.off() is False and backlight.is_off is False


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_touch_wakes_the_black_screen_without_pressing_what_is_under_it(
        qtbot: QtBot, tmp_path: Path, calendar: BranchCalendar) -> None:
    device = sysfs_device(tmp_path)
    window = QWidget()
    window.resize(400, 600)
    pressed: list[bool] = []
    button = QPushButton("Lån", window)
    button.setGeometry(0, 0, 400, 600)
    button.clicked.connect(lambda: pressed.append(True))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    clock = Clock(at(22, 20))
    blanking = ScreenBlanking(window, state_at=calendar.state_at, now=clock, rule=BlankingRule(),
                              backlight=Backlight(device))
    blanking.check()
    assert blanking.overlay.isVisible() and blanking.overlay.geometry() == window.rect()
    assert (device / "bl_power").read_text() == "4\n"

    handle = window.windowHandle()
    assert handle is not None
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, pos=QPoint(200, 300))  # as a touch arrives
    assert not blanking.overlay.isVisible() and (device / "bl_power").read_text() == "0\n"
    assert pressed == []  # the waking touch pressed nothing

    clock.now = at(22, 23)  # nobody for three minutes
    blanking.check()
    assert blanking.overlay.isVisible()
    clock.now = at(7, 0, WEDNESDAY + dt.timedelta(days=1))
    blanking.check()
    assert not blanking.overlay.isVisible() and (device / "bl_power").read_text() == "0\n"


def test_blanking_is_off_when_the_settings_say_so(settings: Settings, qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    terminal = settings.terminal.model_copy(update={"blank_when_closed": False})
    off = settings.model_copy(update={"terminal": terminal})
    calendar = branch_calendar(settings)
    assert screen_blanking(off, window, lambda: at(23, 0), lambda: calendar) is None
    assert screen_blanking(settings, window, lambda: at(23, 0), lambda: calendar) is not None


def test_the_calendar_in_force_is_the_one_the_central_system_sent_last(settings: Settings,
                                                                       qtbot: QtBot) -> None:
    """Blanking goes by the calendar a terminal has now: with none the screen stays lit; a calendar
    received from the central system replaces the file's at once."""
    from kiosk.bootstrap.kiosk import calendar_in_force
    from kiosk.domain.central import CalendarReceived
    from kiosk.domain.events import Core, InlineWorkers

    window = QWidget()
    qtbot.addWidget(window)
    none: list[BranchCalendar | None] = [None]
    blanking = screen_blanking(settings, window, lambda: at(23, 30), lambda: none[0])
    assert blanking is not None
    blanking.check()
    assert not blanking.blank  # no calendar: never dark
    core = Core(InlineWorkers())
    in_force = calendar_in_force(settings, core, None)
    file_calendar = in_force()
    assert file_calendar is not None
    evening = at(20, 30)
    assert file_calendar.state_at(evening).kind.is_open  # the file: unstaffed until 22.00
    # The service sends the branch with its evenings closed (no hours after 19.00 on a weekday).
    sent = {"name": "Dokk1", "zone": "Europe/Copenhagen",
            "week": {day: ["10:00-19:00 staffed"] for day in ("monday", "tuesday", "wednesday",
                                                             "thursday", "friday", "saturday", "sunday")}}
    core.post(CalendarReceived(sent))
    core.drain()
    received = in_force()
    assert received is not None and not received.state_at(evening).kind.is_open
