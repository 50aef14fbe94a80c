"""`library-kiosk sip2`: an operator's probe, against the emulator over real TCP."""

from __future__ import annotations

import json

import pytest

from kiosk.cli.main import main
from tests.sync.sip2.conftest import ANNA, BOOK, INSTITUTION, PINS, EmulatorFactory


def connection(port: int) -> list[str]:
    return ["sip2", "--port", str(port), "--user", "kiosk", "--password", "kiosk",
            "--institution", INSTITUTION, "--timeout", "2"]


def test_checkout_then_item_as_json(make_emulator: EmulatorFactory,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    port = make_emulator().address[1]
    assert main([*connection(port), "--json", "checkout", ANNA, BOOK, "--pin", PINS[ANNA]]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["item_id"] == BOOK and out["due_date"]
    assert main([*connection(port), "--json", "item", BOOK]) == 0
    assert json.loads(capsys.readouterr().out)["circulation_status"] == "charged"
    assert main([*connection(port), "checkin", BOOK]) == 0
    assert "ok: True" in capsys.readouterr().out


def test_trace_masks_the_pin_and_the_password(make_emulator: EmulatorFactory,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    port = make_emulator().address[1]
    assert main([*connection(port), "--trace", "patron", ANNA, "--pin", PINS[ANNA]]) == 0
    captured = capsys.readouterr()
    assert "-> 93" in captured.err and "-> 63" in captured.err
    assert "COkiosk" not in captured.err and f"AD{PINS[ANNA]}" not in captured.err
    assert "outcome: ok" in captured.out


def test_a_refusal_exits_non_zero_and_no_server_is_a_clear_error(
        make_emulator: EmulatorFactory, capsys: pytest.CaptureFixture[str]) -> None:
    port = make_emulator().address[1]
    assert main([*connection(port), "patron", ANNA, "--pin", "0000"]) == 1
    assert "wrong_pin" in capsys.readouterr().out
    emulator = make_emulator()
    closed = emulator.address[1]
    emulator.stop()
    assert main([*connection(closed), "status"]) == 2
    assert "cannot connect" in capsys.readouterr().err
