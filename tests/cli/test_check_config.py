"""What ``check-config`` passes, ``run`` accepts: one validation path for both, which also reads the
files the settings name (the door's calendar, the access lists, the seeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import build
from kiosk.cli.main import main
from kiosk.domain.errors import ConfigError
from kiosk.settings import DEMO_DOOR_SETTINGS, load_settings

DEMO = DEMO_DOOR_SETTINGS.parent


def door_settings(tmp_path: Path, calendar: str | None, branch: str = "hovedbiblioteket") -> Path:
    text = DEMO_DOOR_SETTINGS.read_text(encoding="utf-8")
    for name in ("lms.toml", "central.toml", "access.toml"):
        text = text.replace(f'"{name}"', f'"{DEMO / name}"')
    text = text.replace('branch = "hovedbiblioteket"', f'branch = "{branch}"')
    start = text.index("[calendar]")
    end = text.index("\n[", start + 1)
    section = f'[calendar]\nfile = "{calendar}"\n' if calendar is not None else ""
    text = text[:start] + section + text[end + 1:]
    text += f'\n[paths]\ndata_dir = "{tmp_path}/data"\nlog_dir = "{tmp_path}/log"\n'
    path = tmp_path / "door.toml"
    path.write_text(text, encoding="utf-8")
    return path


def broken_calendar(tmp_path: Path) -> str:
    good = (DEMO / "calendar.toml").read_text(encoding="utf-8")
    bad = tmp_path / "calendar.toml"
    bad.write_text(good.replace('"19:00-22:00 unstaffed"]', '"19:00-25:00 unstaffed"]', 1))
    assert bad.read_text(encoding="utf-8") != good
    return str(bad)


@pytest.mark.parametrize("case, problem", [
    ("no calendar", "calendar.file: the door terminal needs"),
    ("missing calendar file", "calendar file not found"),
    ("branch not in the calendar", "branches.risskov: no such branch"),
    ("25:00", "times run from 00:00 to 24:00"),
])
def test_what_run_refuses_check_config_refuses_with_the_same_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, problem: str) -> None:
    calendar = {"no calendar": None, "missing calendar file": str(tmp_path / "nowhere.toml"),
                "branch not in the calendar": str(DEMO / "calendar.toml"),
                "25:00": broken_calendar(tmp_path)}[case]
    path = door_settings(tmp_path, calendar, "risskov" if case == "branch not in the calendar" else
                         "hovedbiblioteket")
    assert main(["check-config", str(path)]) == 2
    assert problem in capsys.readouterr().err
    with pytest.raises(ConfigError, match=problem):
        build(load_settings(path), log_to_console=False)


def test_a_sound_door_terminal_passes_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = door_settings(tmp_path, str(DEMO / "calendar.toml"))
    assert main(["check-config", str(path)]) == 0
    assert "OK" in capsys.readouterr().out
    build(load_settings(path), log_to_console=False).close()
