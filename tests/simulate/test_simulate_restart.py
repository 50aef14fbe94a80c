"""``simulate``'s kill-and-restart step, ``expect_tag`` and ``central = true``: a kill at a named point
leaves what a kill -9 leaves, the restarted kiosk settles it, and the checks can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.simulate.test_simulate import log_lines, simulate, write

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BORROW = """
[[step]]
do = "press"
button = "Lån"

[[step]]
do = "present_card"
patron = 1

[[step]]
do = "type_pin"

[[step]]
do = "place"
item = "5010000001"
"""


def test_a_kill_between_steps_ends_the_visit_and_keeps_the_loan(tmp_path: Path, qapp: QApplication,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "now.toml", BORROW + """
[[step]]
do = "restart_kiosk"

[[step]]
do = "expect_screen"
screen = "start"

[[step]]
do = "expect_tag"
item = "5010000001"
secured = false

[[step]]
do = "expect_journal"
state = "done"
count = 1

[[step]]
do = "expect_transaction"
command = "checkout"
count = 1
""")
    assert simulate(str(scenario)) == 0
    events = [line["event"] for line in log_lines(capsys.readouterr().out)]
    assert events.index("kiosk_killed") < events.index("kiosk_restarted")


def test_expect_tag_fails_when_the_tag_says_otherwise(tmp_path: Path, qapp: QApplication,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "tag.toml", BORROW + """
[[step]]
do = "expect_tag"
item = "5010000001"
secured = true
""")
    assert simulate(str(scenario)) == 1
    [expect] = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "expect"]
    assert expect["ok"] is False and expect["actual"] == {"tags": ["unsecured"]}


def test_a_kill_point_the_terminal_does_not_have_fails_and_an_unknown_one_exits_2(
        tmp_path: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    door = write(tmp_path, "door.toml", '[[step]]\ndo = "restart_kiosk"\nat = "door_unlock"\n')
    assert simulate(str(door)) == 1
    [failed] = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "failed"]
    assert failed["reason"].startswith("restart_kiosk at door_unlock: this terminal has no simulated door")
    soon = write(tmp_path, "soon.toml", '[[step]]\ndo = "restart_kiosk"\nat = "soon"\n')
    assert simulate(str(soon)) == 2
    err = capsys.readouterr().err
    assert "soon.toml: step 1 (restart_kiosk): at:" in err and "'tag_write'" in err


def test_without_the_central_system_the_cached_door_decision_is_not_there(
        tmp_path: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SCENARIOS / "door_central_cached.toml").read_text(encoding="utf-8")
    assert "\ncentral = true\n" in text
    scenario = write(tmp_path, "no_central.toml", text.replace("\ncentral = true\n", "\n"))
    assert simulate(str(scenario)) == 1  # the door stays shut when the LMS is away
    [failed] = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "failed"]
    assert failed["reason"] == "expected {'pulses': 1}, got {'pulses': 0}"


def test_central_true_on_a_terminal_without_the_emulator_is_a_config_error(tmp_path: Path) -> None:
    settings = tmp_path / "kiosk.toml"
    settings.write_text('[terminal]\nid = "t"\nbranch = "b"\n', encoding="utf-8")
    from kiosk.domain.errors import ConfigError
    from kiosk.simulate.build import build_for_simulation

    with pytest.raises(ConfigError, match="central = true"):
        build_for_simulation(settings_path=settings, central=True)
