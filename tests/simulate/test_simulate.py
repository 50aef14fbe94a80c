"""``library-kiosk simulate``: every scenario in tests/scenarios passes against the real window, a
failed expectation exits 1, a bad scenario file exits 2 naming the step, and ``--sip2`` reaches an
outside SIP2 server."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.cli import simulate as simulation
from kiosk.simulate.scenario import load_scenario
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml"))
PINS = ("1234", "2468", "1357", "1111", "5555", "6666", "0000", "9999", "4321")


def simulate(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    simulation.add_arguments(parser)
    return simulation.run(parser.parse_args(list(argv)))


def log_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def outside_lms() -> Iterator[Sip2Emulator]:
    server = Sip2Emulator(load_data(simulation.DEMO_SEED), user="term7", password="s3cret")
    server.start()
    yield server
    server.stop()


def test_there_is_a_scenario_for_each_flow() -> None:
    assert len(SCENARIOS) >= 11


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_scenario_passes(path: Path, tmp_path: Path, qapp: QApplication,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code = simulate(str(path), "--screenshots", str(tmp_path))
    lines = log_lines(capsys.readouterr().out)
    failed = [line for line in lines if line["event"] in ("failed", "expect") and not line.get("ok", False)]
    assert code == 0, failed
    assert lines[-1]["event"] == "result" and lines[-1]["ok"] is True
    wanted = {s.screenshot for s in load_scenario(path).steps if s.screenshot}
    assert {p.stem for p in tmp_path.glob("*.png")} == wanted


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_scenario_passes_with_the_kiosk_configured_for_fbs(path: Path, qapp: QApplication,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Every scenario again, against the FBS emulator (SIP2 in FBS's XML over HTTP, FBS's fields)."""
    code = simulate(str(path), "--fbs")
    lines = log_lines(capsys.readouterr().out)
    failed = [line for line in lines if line["event"] in ("failed", "expect") and not line.get("ok", False)]
    assert code == 0, failed
    assert lines[-1]["event"] == "result" and lines[-1]["ok"] is True


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_log_never_shows_a_pin(path: Path, qapp: QApplication,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    simulate(str(path))
    output = capsys.readouterr().out
    assert not [pin for pin in PINS if f'"{pin}"' in output]


def test_a_failed_expectation_exits_1_with_a_clear_line(tmp_path: Path, qapp: QApplication,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "wrong.toml", """
        [[step]]
        do = "press"
        button = "Lån"

        [[step]]
        do = "expect_screen"
        screen = "account"

        [[step]]
        do = "press"
        button = "Annuller"
    """)
    code = simulate(str(scenario), "--screenshots", str(tmp_path / "shots"))
    lines = log_lines(capsys.readouterr().out)
    assert code == 1
    [expect] = [line for line in lines if line["event"] == "expect"]
    assert expect == {"step": 2, "event": "expect", "ok": False, "expected": "account",
                      "actual": "identify"}
    assert lines[-1] == {"step": 2, "event": "result", "scenario": "wrong", "ok": False, "failed_step": 2}
    assert (tmp_path / "shots" / "failed-step-2.png").exists()
    assert not any(line.get("do") == "press" and line["step"] == 3 for line in lines)


def test_a_button_that_is_not_there_fails_the_step(tmp_path: Path, qapp: QApplication,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "nobutton.toml", '[[step]]\ndo = "press"\nbutton = "Forny alle"\n')
    assert simulate(str(scenario)) == 1
    [failed] = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "failed"]
    assert failed["reason"].startswith("press: no visible button reads 'Forny alle'; visible: [")
    assert "Aflever" in failed["reason"]


def test_no_entry_at_the_kiosk_and_a_pad_step_at_the_door_fail_clearly(
        tmp_path: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    kiosk = write(tmp_path, "kiosk.toml", '[[step]]\ndo = "expect_entry"\ndecision = "allowed"\n')
    door = write(tmp_path, "door.toml", 'terminal = "door"\n[[step]]\ndo = "place"\nitem = "5010000001"\n')
    reasons = []
    for scenario in (kiosk, door):
        assert simulate(str(scenario)) == 1
        out = capsys.readouterr().out
        reasons += [line["reason"] for line in log_lines(out) if line["event"] == "failed"]
    assert reasons == ["expected {'decision': 'allowed'}, got no entry logged",
                       "this terminal has no RFID pad (the door panel lends nothing)"]


def test_a_bad_scenario_file_exits_2_naming_the_step_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "bad.toml", """
        [[step]]
        do = "press"
        button = "Lån"

        [[step]]
        do = "place"
        item = "5010000001"
        colour = "red"
    """)
    assert simulate(str(scenario)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == "library-kiosk simulate: bad.toml: step 2 (place): colour: unknown key"


def test_an_item_that_is_not_in_the_seed_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "unknown.toml", '[[step]]\ndo = "place"\nitem = "999"\n')
    assert simulate(str(scenario)) == 2
    assert "unknown.toml: step 1 (place): item: 999 is not in the seed's items" in capsys.readouterr().err


def test_a_run_against_an_outside_sip2_server(tmp_path: Path, qapp: QApplication, outside_lms: Sip2Emulator,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "outside.toml", """
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
        item = "5010000003"

        [[step]]
        do = "expect_item"
        item = "5010000003"
        outcome = "borrowed"

        [[step]]
        do = "press"
        button = "Færdig"

        [[step]]
        do = "press"
        button = "Ingen kvittering"

        [[step]]
        do = "expect_screen"
        screen = "start"
    """)
    host, port = outside_lms.address
    code = simulate(str(scenario), "--sip2", f"{host}:{port}", "--user", "term7", "--password", "s3cret",
                    "--institution", "DK-775100", "--location", "hovedbiblioteket")
    output = capsys.readouterr().out
    assert code == 0, output
    assert ("11", "5010000003", True) in [(t.command, t.item, t.ok) for t in outside_lms.transactions]
    assert log_lines(output)[0]["lms"] == "sip2"
    assert "s3cret" not in output


def test_under_sip2_a_scenario_can_lend_the_servers_own_items(
        tmp_path: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    own = write(tmp_path, "server.toml", simulation.DEMO_SEED.read_text(encoding="utf-8")
                + '\n[[items]]\nid = "7770000001"\ntitle = "Serverens egen bog"\n')
    server = Sip2Emulator(load_data(own), user="term7", password="s3cret").start()
    scenario = write(tmp_path, "own.toml", "".join(
        f'[[step]]\n{body}\n\n' for body in (
            'do = "press"\nbutton = "Lån"', 'do = "present_card"\npatron = 1', 'do = "type_pin"',
            'do = "place"\nitem = "7770000001"',
            'do = "expect_item"\nitem = "7770000001"\noutcome = "borrowed"')))
    try:
        host, port = server.address
        code = simulate(str(scenario), "--sip2", f"{host}:{port}", "--user", "term7", "--password",
                        "s3cret", "--institution", "DK-775100", "--location", "hovedbiblioteket")
        assert code == 0, capsys.readouterr().out
        assert ("11", "7770000001", True) in [(t.command, t.item, t.ok) for t in server.transactions]
    finally:
        server.stop()
    assert simulate(str(scenario)) == 2  # against the seed's own emulator, the item is unknown
    assert "item: 7770000001 is not in the seed's items" in capsys.readouterr().err


def test_with_data_dir_an_offline_loan_left_by_one_run_is_replayed_by_the_next(
        tmp_path: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]) -> None:
    def steps(*bodies: str) -> str:
        return "".join(f"[[step]]\n{body}\n\n" for body in bodies)

    offline = write(tmp_path, "offline.toml", steps(
        'do = "press"\nbutton = "Lån"', 'do = "present_card"\npatron = 1', 'do = "type_pin"',
        'do = "stop_lms"', 'do = "place"\nitem = "5010000003"',
        'do = "expect_item"\nitem = "5010000003"\noutcome = "borrowed"',
        'do = "expect_journal"\nstate = "offline"\ncount = 1'))
    later = write(tmp_path, "later.toml", steps(
        'do = "advance"\nseconds = 120',
        'do = "expect_transaction"\ncommand = "checkout"\nitem = "5010000003"\nok = true\ncount = 1',
        'do = "expect_journal"\nstate = "offline"\ncount = 0'))
    data = tmp_path / "terminal-data"
    assert simulate(str(offline), "--data-dir", str(data)) == 0, capsys.readouterr().out
    assert (data / "kiosk.sqlite3").exists()
    assert simulate(str(later), "--data-dir", str(data)) == 0, capsys.readouterr().out
    assert simulate(str(later)) == 1  # without it, the next run starts empty: nothing to replay


def test_steps_that_need_the_emulator_are_refused_with_sip2(
        tmp_path: Path, outside_lms: Sip2Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "stop.toml", '[[step]]\ndo = "press"\nbutton = "Lån"\n\n'
                     '[[step]]\ndo = "stop_lms"\n')
    host, port = outside_lms.address
    assert simulate(str(scenario), "--sip2", f"{host}:{port}") == 2
    assert "stop.toml: step 2 (stop_lms): needs the built-in LMS emulator" in capsys.readouterr().err


def test_english_labels_with_lang_en(tmp_path: Path, qapp: QApplication,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "english.toml", """
        [[step]]
        do = "press"
        button = "Return"

        [[step]]
        do = "place"
        item = "5010000006"

        [[step]]
        do = "expect_text"
        text = "Returned"

        [[step]]
        do = "language"
        language = "da"

        [[step]]
        do = "expect_text"
        text = "Afleveret"
    """)
    assert simulate(str(scenario), "--lang", "en") == 0, capsys.readouterr().out


def test_a_health_card_the_lms_does_not_know(tmp_path: Path, qapp: QApplication,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path, "cpr.toml", """
        [[step]]
        do = "present_card"
        cpr = "0101901234"

        [[step]]
        do = "type_pin"
        pin = "1234"

        [[step]]
        do = "expect_text"
        text = "Vi kan ikke finde kortet"
    """)
    code = simulate(str(scenario))
    output = capsys.readouterr().out
    assert code == 0, output
    assert "0101901234" not in output and '"1234"' not in output


@pytest.mark.parametrize(("text", "message"), [
    ('[[step]]\ndo = []\n', "hostile.toml: step 1: do: the name of a step, in quotes (got [])"),
    ('lms = "~nosuchuser-kiosk/lms.toml"\n[[step]]\ndo = "wait"\nseconds = 1\n',
     "hostile.toml: lms: '~nosuchuser-kiosk/lms.toml': there is no such user, so no home folder"),
    ('[[step]]\ndo = "type_pin"\npin = 918273\n',
     "hostile.toml: step 1 (type_pin): pin: Input should be a valid string"),
])
def test_a_hostile_scenario_file_exits_2_with_a_message_and_no_secret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    scenario = write(tmp_path, "hostile.toml", text)
    assert simulate(str(scenario)) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"library-kiosk simulate: {message}"
