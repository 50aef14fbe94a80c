"""The operator tools are reachable through library-kiosk itself."""

from __future__ import annotations

import pytest

from kiosk.cli.main import main


def test_access_check_explains_a_refused_13_year_old(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "check", "--credential", "1000000002", "--pin", "2468",
                 "--at", "2026-11-25T20:15"]) == 1
    out = capsys.readouterr().out
    assert "too_young_at_this_time" in out and "2468" not in out


def test_calendar_prints_a_week(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "--week", "--from", "2026-12-21"]) == 0
    out = capsys.readouterr().out
    assert "21.45        sidste adgang" in out and "Juledag" in out
