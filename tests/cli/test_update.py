"""``library-kiosk update`` and ``rollback`` in a throwaway root, with real wheels of this tree
installed into real virtualenvs; only ``systemctl`` is stood in for, by a command that writes the
ready stamp as the started kiosk would (or never does)."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import build
from kiosk.central.releases import rollbacks
from kiosk.domain.events import InlineWorkers
from kiosk.settings import UpdateSettings
from kiosk.settings.layers import local_only
from kiosk.staff.view import StaffPage, TerminalAction
from kiosk.testing.memory import ManualClock
from tests.cli.kiosk_releases import (
    NEW,
    OLD,
    Terminal,
    build_wheel,
    installed_terminal,
    shared_dependencies,
)
from tests.conftest import REPO, isolated_settings
from tests.staff.test_staff_mode import log_in, settled, staff_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("wheels")
    return {version: build_wheel(version, work / "out", work) for version in (OLD, NEW)}


@pytest.fixture(scope="session")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_dependencies(tmp_path_factory.mktemp("shared") / "site-packages")


@pytest.fixture
def terminal(tmp_path: Path, wheels: dict[str, Path], dependencies: Path) -> Iterator[Terminal]:
    yield installed_terminal(tmp_path / "root", wheels[OLD], dependencies)


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def revision(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def journal_row(database: Path, entry_id: str) -> None:
    """A row the kiosk journaled (what must survive a rollback by hand)."""
    with sqlite3.connect(database) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(journal)")]
        values = {"id": entry_id, "kind": "checkout", "state": "done", "payload": "{}",
                  "created_at": "2026-12-05 20:00:00.000000", "updated_at": "2026-12-05 20:00:00.000000"}
        names = [name for name in columns if name in values]
        conn.execute(f"INSERT INTO journal ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     [values[name] for name in names])


def journal_ids(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM journal")}


def test_an_update_runs_the_new_release_on_the_migrated_database_and_keeps_the_old_one(
        terminal: Terminal, wheels: dict[str, Path]) -> None:
    assert "update_probe" not in tables(terminal.database)
    done = terminal.run("update", "--wheel", str(wheels[NEW]))
    assert done.returncode == 0, done.stderr
    assert (terminal.current(), terminal.previous()) == (f"releases/{NEW}", f"releases/{OLD}")
    assert terminal.restarts() == [NEW]
    assert (terminal.data / "ready").read_text().startswith(f"{NEW} ")
    assert "update_probe" in tables(terminal.database) and revision(terminal.database) == "0099"
    copy = terminal.data / "backups" / f"kiosk-{OLD}-before-{NEW}.sqlite3"
    assert "update_probe" not in tables(copy)
    assert copy.stat().st_mode & 0o777 == 0o600
    assert sorted(path.name for path in (terminal.home / "releases").iterdir()) == [OLD, NEW]
    assert f"current -> releases/{NEW}" in done.stdout and "reported ready" in done.stdout


def test_a_release_that_never_reports_ready_is_rolled_back_with_its_database(
        terminal: Terminal, wheels: dict[str, Path]) -> None:
    done = terminal.run("update", "--wheel", str(wheels[NEW]), never_ready=NEW, timeout=4)
    assert done.returncode == 1
    assert "ROLLED BACK" in done.stderr
    assert terminal.current() == f"releases/{OLD}" and terminal.previous() is None
    assert terminal.restarts() == [NEW, OLD]  # the new one started, then the old one again
    assert "update_probe" not in tables(terminal.database)
    (aside,) = (terminal.data / "backups").glob(f"kiosk-{NEW}-failed-*.sqlite3")
    assert "update_probe" in tables(aside)  # what the new version left, for staff to look into
    assert not (terminal.home / "releases" / NEW).exists()
    # Noted for the kiosk: it installs NEW no more by itself, and tells the central service.
    assert [(r.version, r.running) for r in rollbacks(terminal.data)] == [(NEW, OLD)]


def test_a_broken_wheel_changes_nothing(terminal: Terminal, wheels: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / f"library_kiosk-{NEW}-py3-none-any.whl"
    data = bytearray(wheels[NEW].read_bytes())
    data[len(data) // 2: len(data) // 2 + 4096] = bytes(4096)  # a download cut and padded
    broken.write_bytes(bytes(data))
    before = terminal.database.read_bytes()
    done = terminal.run("update", "--wheel", str(broken))
    assert done.returncode == 2, done.stdout
    assert "nothing was changed" in done.stderr or "not a readable wheel" in done.stderr
    assert terminal.current() == f"releases/{OLD}" and terminal.previous() is None
    assert terminal.restarts() == []
    assert terminal.database.read_bytes() == before
    assert sorted(path.name for path in (terminal.home / "releases").iterdir()) == [OLD]


def test_the_version_already_current_is_refused(terminal: Terminal, wheels: dict[str, Path]) -> None:
    done = terminal.run("update", "--wheel", str(wheels[OLD]))
    assert done.returncode == 2
    assert f"{OLD} is already the current release" in done.stderr
    assert terminal.restarts() == []


def test_a_second_update_while_one_runs_is_refused(terminal: Terminal, wheels: dict[str, Path]) -> None:
    stopping, go = terminal.root / "stopping", terminal.root / "go"
    hold = f"sh -c 'touch {stopping}; while [ ! -e {go} ]; do sleep 0.1; done'"
    first = subprocess.Popen(terminal.command("update", "--wheel", str(wheels[NEW]), stop=hold), cwd=REPO,
                             env=terminal.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not stopping.exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        second = terminal.run("update", "--wheel", str(wheels[NEW]))
        assert second.returncode == 2
        assert "another update or rollback is running" in second.stderr
        assert terminal.current() == f"releases/{OLD}"
        go.touch()
        _out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert terminal.current() == f"releases/{NEW}" and terminal.restarts() == [NEW]


def test_rollback_goes_back_to_the_previous_release_and_keeps_what_was_journaled_since(
        terminal: Terminal, wheels: dict[str, Path]) -> None:
    assert terminal.run("update", "--wheel", str(wheels[NEW])).returncode == 0
    journal_row(terminal.database, "after-the-update")
    done = terminal.run("rollback")
    assert done.returncode == 0, done.stderr
    assert (terminal.current(), terminal.previous()) == (f"releases/{OLD}", f"releases/{NEW}")
    assert terminal.restarts() == [NEW, OLD]
    assert "update_probe" not in tables(terminal.database) and revision(terminal.database) != "0099"
    assert "after-the-update" in journal_ids(terminal.database)


def test_rollback_without_a_previous_release_is_refused(terminal: Terminal) -> None:
    done = terminal.run("rollback")
    assert done.returncode == 2 and "no previous release" in done.stderr
    assert terminal.current() == f"releases/{OLD}"


def test_staff_install_the_waiting_update_from_the_terminal_page(
        terminal: Terminal, wheels: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PYTHONPATH", "PIP_NO_DEPS", "PIP_NO_INDEX"):  # what the update process inherits
        monkeypatch.setenv(name, terminal.env[name])
    monkeypatch.chdir(REPO)
    settings = isolated_settings(tmp_path / "kiosk")
    update = UpdateSettings(command=tuple(terminal.command("update")))  # --wheel PATH is added
    settings = settings.model_copy(update={"updates": update})
    assert settings.paths.data_dir is not None
    drop = settings.paths.data_dir / "updates"
    drop.mkdir(parents=True)
    (drop / wheels[NEW].name).write_bytes(wheels[NEW].read_bytes())
    kiosk = build(settings, profile="demo", clock=ManualClock(), workers=InlineWorkers(),
                  log_to_console=False)
    try:
        kiosk.connect_devices()
        log_in(kiosk)
        kiosk.session.staff_page(StaffPage.TERMINAL)
        staff = settled(kiosk)
        assert TerminalAction.INSTALL_UPDATE in staff.actions and staff.waiting_update == wheels[NEW].name
        kiosk.session.staff_action(TerminalAction.INSTALL_UPDATE)
        staff = settled(kiosk)
        assert staff.notice == "staff.notice.updating"
        journaled = staff_rows(kiosk)[-1]
        assert (journaled["action"], journaled["target"]) == ("install_update", wheels[NEW].name)
    finally:
        kiosk.close()
    log = tmp_path / "kiosk/log/update.log"
    deadline = time.monotonic() + 180
    # The detached update runs on: its own last word is that the new release reported ready (the
    # stamp comes first, and the update sees it at its next look).
    while "reported ready" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no update.log"
        time.sleep(0.2)
    assert terminal.restarts() == [NEW] and (terminal.data / "ready").exists()
    assert (terminal.current(), terminal.previous()) == (f"releases/{NEW}", f"releases/{OLD}")


def test_the_central_system_cannot_set_the_update_command() -> None:
    assert local_only({"updates": {"command": ["sh", "-c", "anything"]}}) == (
        "updates: only the terminal's own settings file says how it installs a new version")


def test_a_download_is_installed_from_the_request_only_as_the_central_service_offers_it(
        terminal: Terminal, wheels: dict[str, Path], tmp_path: Path) -> None:
    """What the path unit runs as root when the kiosk asks for the version it downloaded: the wheel
    is taken from the kiosk's downloads folder into root's only while the central service offers
    exactly it to this terminal."""
    from sync.central import admin_cli
    from sync.central.service import CentralService

    central = CentralService(tmp_path / "central.db")
    token = central.enrol("viby-1", "viby")
    central.set_terminal_config("viby-1", {"terminal": {"language": "da"}})
    central.start()
    try:
        config = terminal.root / "etc/library-kiosk/kiosk.toml"
        config.write_text(config.read_text() + f'\n[central]\nkind = "http"\nurl = "{central.url}"\n'
                                                f'token = "{token}"\n')
        name = wheels[NEW].name
        downloads, updates = terminal.data / "downloads", terminal.data / "updates"
        downloads.mkdir()
        updates.mkdir()
        (downloads / name).write_bytes(wheels[NEW].read_bytes())
        request = terminal.data / "update-request"
        assert admin_cli.main(["--db", str(tmp_path / "central.db"), "release", "add", str(wheels[NEW])]) == 0
        request.write_text(name + "\n")
        refused = terminal.run("update", "--request", str(request))
        assert refused.returncode == 2 and "does not offer 0.9.1 to this terminal" in refused.stderr
        assert not request.exists() and list(updates.iterdir()) == []
        assert terminal.current() == f"releases/{OLD}" and terminal.restarts() == []
        assert admin_cli.main(["--db", str(tmp_path / "central.db"), "release", "offer", NEW,
                               "--terminal", "viby-1"]) == 0
        request.write_text(name + "\n")
        done = terminal.run("update", "--request", str(request))
        assert done.returncode == 0, done.stderr
        assert (updates / name).read_bytes() == wheels[NEW].read_bytes()
        assert terminal.current() == f"releases/{NEW}" and terminal.restarts() == [NEW]
    finally:
        central.stop()
