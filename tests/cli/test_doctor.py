"""`library-kiosk doctor` probes the LMS and every configured device and says what it found."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.doctor import examine
from kiosk.cli.main import main
from kiosk.domain.model import DeviceState
from kiosk.domain.ports import Devices
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS
from kiosk.testing.memory import MemoryCardReader
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair
from tests.net import free_port


def settings_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(
        '[terminal]\nid = "t1"\nbranch = "viby"\n'
        f'[paths]\ndata_dir = "{tmp_path}/data"\nlog_dir = "{tmp_path}/log"\n'
        f"[logging]\nconsole = false\n{extra}", encoding="utf-8")
    return path


def test_demo_terminal_is_healthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = tmp_path / "demo.toml"
    text = DEMO_SETTINGS.read_text()
    for name in ("lms.toml", "central.toml", "calendar.toml"):
        text = text.replace(f'"{name}"', f'"{DEMO_SETTINGS.parent / name}"')
    demo.write_text(text + f'\n[paths]\ndata_dir = "{tmp_path}/d"\nlog_dir = "{tmp_path}/l"\n')
    assert main(["doctor", "--config", str(demo)]) == 0
    out = capsys.readouterr().out
    for role in ("database", "lms", "card_reader", "item_reader", "barcode_scanner", "receipt_printer"):
        assert f"  {role}" in out
    assert "Aarhus Kommunes Biblioteker" in out


def test_the_demo_doors_simulated_relay_board_is_healthy(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    demo = tmp_path / "door.toml"
    text = DEMO_DOOR_SETTINGS.read_text()
    for name in ("lms.toml", "central.toml", "calendar.toml", "access.toml"):
        text = text.replace(f'"{name}"', f'"{DEMO_DOOR_SETTINGS.parent / name}"')
    demo.write_text(text + f'\n[paths]\ndata_dir = "{tmp_path}/d"\nlog_dir = "{tmp_path}/l"\n')
    assert main(["doctor", "--config", str(demo)]) == 0
    out = capsys.readouterr().out
    for role in ("door_lock", "door_sensor", "lights", "alarm"):  # one simulated Numato board
        line = next(line for line in out.splitlines() if line.strip().startswith(role))
        assert " ok " in line, line
    # what the crash watchdog guarantees (the default 5 s pulse + 2 s), and what it cannot
    assert "door watchdog: locks the door at once if the kiosk dies" in out
    assert "at most 7 s after an unlock if it hangs" in out
    assert "cannot lock a relay board that lost its USB link" in out


def test_an_unreachable_lms_is_reported_and_fails_the_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    path = settings_file(tmp_path, f'[lms.sip2]\nport = {port}\ntimeout_s = 0.5\nretries = 0\n')
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "lms" in out and "unavailable" in out and f"127.0.0.1:{port}" in out


def test_an_unplugged_device_is_unavailable() -> None:
    reader = MemoryCardReader()
    reader.unplug()
    [health] = examine(Devices(card_reader=reader))
    assert health.state is DeviceState.UNAVAILABLE and health.detail == "unplugged"


def test_real_devices_that_are_not_there_are_named_with_their_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-tty"
    path = settings_file(tmp_path, f'[lms]\nkind = "memory"\nseed = "{DEMO_SETTINGS.parent / "lms.toml"}"\n'
                         f'[devices.card_reader]\nkind = "memory"\n'
                         f'[devices.rfid_pad]\nkind = "feig"\nport = "{missing}"\n'
                         f'[devices.door]\nkind = "lcus"\nport = "{missing}"\nwatchdog = false\n'
                         f'[devices.receipt_printer]\nkind = "serial"\nport = "{missing}"\n')
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    for role in ("item_reader", "door_lock", "receipt_printer"):
        line = next(line for line in out.splitlines() if line.strip().startswith(role))
        assert "unavailable" in line and "no-such-tty" in line, line
    assert "door watchdog: off" in out and "stays unlocked" in out


MEMORY_LMS = f'[lms]\nkind = "memory"\nseed = "{DEMO_SETTINGS.parent / "lms.toml"}"\n'


def test_no_central_system_is_said_plainly_and_is_not_a_fault(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--config", str(settings_file(tmp_path, MEMORY_LMS))]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("central"))
    assert " off " in line and "no central system configured" in line


def test_an_unreachable_central_system_is_reported_and_fails_the_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    path = settings_file(tmp_path, MEMORY_LMS + f'[central]\nkind = "http"\n'
                                   f'url = "http://127.0.0.1:{port}"\ntoken = "t"\n')
    assert main(["doctor", "--config", str(path)]) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("central"))
    assert "unavailable" in line and f"127.0.0.1:{port}" in line


def test_a_door_without_its_watchdog_service_says_why_it_does_not_unlock(
        tmp_path: Path, pty_pair: PtyPair, capsys: pytest.CaptureFixture[str]) -> None:
    door_socket = tmp_path / "run" / "door.sock"  # library-kiosk-door.service is not running
    path = settings_file(tmp_path, MEMORY_LMS + f'[devices.door]\nkind = "lcus"\nport = "{pty_pair.device}"\n'
                         f'watchdog = "service"\nwatchdog_socket = "{door_socket}"\n')
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("door_lock"))
    assert "degraded" in line and f"door watchdog service ({door_socket}" in line, line
    assert "door watchdog: the door watchdog service (library-kiosk-door.service" in out
