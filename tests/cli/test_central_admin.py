"""`library-kiosk central-admin` and `enrol`: the operator makes a one-time token on the central
service, the terminal trades it for a credential of its own (kept in its key folder), and a
revocation ends it; a branch's calendar is served from a calendar file, checked as kiosks read it."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.cli.main import main
from kiosk.settings import DEMO_SETTINGS
from sync.central.service import CentralService


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralService]:
    service = CentralService(tmp_path / "central.db")
    service.set_terminal_config("t1", {"central": {"heartbeat_every_s": 60}})
    service.start()
    yield service
    service.stop()


def settings_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(
        '[terminal]\nid = "t1"\nbranch = "viby"\n'
        f'[lms]\nkind = "memory"\nseed = "{DEMO_SETTINGS.parent / "lms.toml"}"\n'
        f'[central]\nkind = "http"\nurl = "{url}"\n'
        f'[paths]\ndata_dir = "{tmp_path}/data"\nlog_dir = "{tmp_path}/log"\nkey_dir = "{tmp_path}/keys"\n'
        "[logging]\nconsole = false\n", encoding="utf-8")
    return path


def admin(capsys: pytest.CaptureFixture[str], central: CentralService, *args: str) -> tuple[int, str]:
    code = main(["central-admin", "--db", str(central.database), *args])
    return code, capsys.readouterr().out.strip().splitlines()[-1] if code == 0 else ""


def central_line(capsys: pytest.CaptureFixture[str], settings: Path) -> str:
    main(["doctor", "--config", str(settings)])
    return next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("central"))


def test_a_terminal_enrols_once_calls_with_its_own_credential_and_is_shut_out_when_revoked(
        tmp_path: Path, central: CentralService, capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_file(tmp_path, central.url)
    assert " unavailable " in central_line(capsys, settings)  # not enrolled yet
    _, token = admin(capsys, central, "enrolment", "--terminal", "t1", "--branch", "viby")

    assert main(["enrol", "--config", str(settings), "--token", token]) == 0
    assert "terminal t1 enrolled" in capsys.readouterr().out
    kept = tmp_path / "keys" / "central.credential"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and token.encode() not in kept.read_bytes()
    assert " ok " in central_line(capsys, settings)

    assert main(["enrol", "--config", str(settings), "--token", token]) == 1  # a token works once
    assert "refused" in capsys.readouterr().err
    assert admin(capsys, central, "revoke", "--terminal", "t1")[0] == 0
    line = central_line(capsys, settings)
    assert " unavailable " in line and "401" in line


def test_a_token_made_for_another_terminal_is_refused(
        tmp_path: Path, central: CentralService, capsys: pytest.CaptureFixture[str]) -> None:
    _, token = admin(capsys, central, "enrolment", "--terminal", "t2", "--branch", "viby")
    assert main(["enrol", "--config", str(settings_file(tmp_path, central.url)), "--token", token]) == 1
    assert not (tmp_path / "keys" / "central.credential").exists()


def test_a_branch_calendar_is_served_from_a_calendar_file(
        central: CentralService, capsys: pytest.CaptureFixture[str]) -> None:
    calendar = DEMO_SETTINGS.parent / "calendar.toml"
    code, said = admin(capsys, central, "calendar", "--branch", "hovedbiblioteket", "--file", str(calendar))
    assert code == 0 and "served from now on" in said
    served = central.calendar_of("hovedbiblioteket")
    assert served is not None and served["zone"] == "Europe/Copenhagen"
    assert served["special"][0]["date"] == "2026-12-24"


def test_a_calendar_the_kiosks_could_not_use_is_not_served(
        tmp_path: Path, central: CentralService, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "calendar.toml"
    broken.write_text('[branches.viby]\nzone = "Europe/Atlantis"\n', encoding="utf-8")
    assert main(["central-admin", "--db", str(central.database), "calendar", "--branch", "viby",
                 "--file", str(broken)]) == 2
    assert "branches.viby.zone" in capsys.readouterr().err
    assert central.calendar_of("viby") is None


def test_a_configuration_layer_is_saved_from_a_file_or_refused_in_words(
        tmp_path: Path, central: CentralService, capsys: pytest.CaptureFixture[str]) -> None:
    layer = tmp_path / "layer.toml"
    layer.write_text("[session]\nidle_timeout_s = 45\n", encoding="utf-8")
    code, said = admin(capsys, central, "config", "--level", "branch", "--scope", "viby",
                       "--file", str(layer), "--author", "viby@aarhus.dk", "--reason", "slower patrons")
    assert code == 0 and said.startswith("branch viby: revision ")
    assert admin(capsys, central, "history", "--level", "branch", "--scope", "viby")[1].endswith(
        '{"session": {"idle_timeout_s": 45}}')
    layer.write_text("[session]\nidle_timeout_s = -1\n", encoding="utf-8")
    assert main(["central-admin", "--db", str(central.database), "config", "--level", "branch", "--scope",
                 "viby", "--file", str(layer), "--author", "x"]) == 2
    assert "refused" in capsys.readouterr().err and len(central.revisions("branch", "viby")) == 1


def test_a_staff_account_is_made_with_the_password_from_standard_input(
        central: CentralService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    code, said = admin(capsys, central, "account", "--user", "vibeke", "--role", "staff",
                       "--branches", "viby")
    assert code == 0 and said == "account vibeke (staff, branches viby) saved"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["central-admin", "--db", str(central.database), "account", "--user", "x", "--role",
                 "staff"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err


def test_a_database_that_is_not_there_is_not_made_by_a_typo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["central-admin", "--db", str(tmp_path / "centrl.db"), "alarms"]) == 2
    assert "no such database" in capsys.readouterr().err and not (tmp_path / "centrl.db").exists()


def test_a_print_balance_is_topped_up_by_card_number_and_audited(
        capsys: pytest.CaptureFixture[str], central: CentralService) -> None:
    code, out = admin(capsys, central, "top-up", "--card", "1000000001", "--amount", "50", "--reason",
                      "paid in cash at the desk")
    assert (code, out.strip()) == (0, "print balance topped up: now 50.00")
    code, _ = admin(capsys, central, "top-up", "--card", "1000000001", "--amount", "0.001", "--reason", "x")
    assert code == 2 and "top-up" in capsys.readouterr().err
    from sync.central.client import CentralClient

    with CentralClient(central.url, central.enrol("kiosk-9", "viby")) as client:
        assert str(client.balance(central.patron_token("1000000001"))) == "50.00"
