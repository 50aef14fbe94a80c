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


def test_every_command_the_config_files_and_docs_name_exists() -> None:
    import re
    from pathlib import Path

    from kiosk.cli.main import COMMANDS

    repo = Path(__file__).resolve().parents[2]
    files = [*repo.glob("config/**/*.toml"), repo / "README.md", *repo.glob("docs/*.md")]
    # As code: `library-kiosk X ...`, or a shell line starting with it.
    command = re.compile(r"(?:`|^\s*(?:\.venv/bin/)?)library-kiosk ([a-z][a-z0-9-]+)", re.MULTILINE)
    named = {(path.name, word) for path in files
             for word in command.findall(path.read_text(encoding="utf-8"))}
    assert named, "the files name commands"
    unknown = sorted((name, word) for name, word in named if word not in COMMANDS)
    assert unknown == []
