"""``library-kiosk install`` into a throwaway root, checked from outside: the users in its /etc files,
the owners and modes of what it made, the settings file, the release and its ``current`` link, the
lockdown, and a second run that changes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.settings import load_settings
from tests.deploy.roots import REPO, empty_root, install, library_kiosk, needs_root, terminal_settings

DEVICE_GROUPS = {"dialout", "plugdev", "video", "render", "input", "lp"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if os.geteuid() != 0:
        pytest.skip("the installer sets owners (chown) and edits a root's users with useradd --prefix: "
                    "run as root (CI does)")
    folder = tmp_path_factory.mktemp("installed")
    root = empty_root(folder / "root")
    done = install(root, "--config", terminal_settings(folder))
    assert done.returncode == 0, done.stderr
    return root, done.stdout


def _lines(root: Path, table: str) -> dict[str, list[str]]:
    return {fields[0]: fields for fields in
            (line.split(":") for line in (root / "etc" / table).read_text().splitlines())}


def _owner(root: Path, path: Path) -> tuple[str, str, int]:
    users = {int(fields[2]): name for name, fields in _lines(root, "passwd").items()}
    groups = {int(fields[2]): name for name, fields in _lines(root, "group").items()}
    status = path.lstat()
    return users[status.st_uid], groups[status.st_gid], stat.S_IMODE(status.st_mode)


def test_the_kiosk_user_is_a_system_user_without_a_login_shell(installed: tuple[Path, str]) -> None:
    root, _ = installed
    user = _lines(root, "passwd")["library-kiosk"]
    assert user[5:7] == ["/var/lib/library-kiosk", "/usr/sbin/nologin"]
    assert int(user[2]) < 1000
    assert _lines(root, "shadow")["library-kiosk"][1].startswith("!")  # no password to log in with


def test_the_kiosk_user_is_in_the_device_groups(installed: tuple[Path, str]) -> None:
    root, _ = installed
    groups = _lines(root, "group")
    assert {name for name in DEVICE_GROUPS if "library-kiosk" in groups[name][3].split(",")} == DEVICE_GROUPS
    assert "library-kiosk" in groups


@pytest.mark.parametrize(("path", "owner", "group", "mode"), [
    ("etc/library-kiosk", "root", "library-kiosk", 0o750),
    ("etc/library-kiosk/kiosk.toml", "root", "library-kiosk", 0o640),
    ("var/lib/library-kiosk", "library-kiosk", "library-kiosk", 0o750),
    ("var/lib/library-kiosk/keys", "library-kiosk", "library-kiosk", 0o700),
    ("var/log/library-kiosk", "library-kiosk", "library-kiosk", 0o750),
    ("opt/library-kiosk", "root", "root", 0o755),
    ("opt/library-kiosk/releases", "root", "root", 0o755),
    ("etc/systemd/system/library-kiosk.service", "root", "root", 0o644),
    ("etc/systemd/system/library-kiosk-door.service", "root", "root", 0o644),
    ("etc/udev/rules.d/70-library-kiosk.rules", "root", "root", 0o644),
    ("etc/systemd/logind.conf.d/library-kiosk.conf", "root", "root", 0o644),
    ("etc/systemd/system.conf.d/library-kiosk.conf", "root", "root", 0o644),
    ("etc/sysctl.d/90-library-kiosk.conf", "root", "root", 0o644),
    ("etc/modprobe.d/library-kiosk.conf", "root", "root", 0o644),
])
def test_what_install_made_has_its_owner_and_mode(installed: tuple[Path, str], path: str, owner: str,
                                                   group: str, mode: int) -> None:
    root, _ = installed
    assert _owner(root, root / path) == (owner, group, mode)


def test_the_settings_file_is_the_operators_with_the_deployed_folders(installed: tuple[Path, str]) -> None:
    root, _ = installed
    settings = load_settings(root / "etc/library-kiosk/kiosk.toml")
    assert (settings.terminal.id, settings.session.idle_timeout_s) == ("dokk1-kiosk-1", 90)
    assert (settings.paths.data_dir, settings.paths.key_dir, settings.paths.log_dir) == (
        Path("/var/lib/library-kiosk"), Path("/var/lib/library-kiosk/keys"), Path("/var/log/library-kiosk"))


def test_current_names_a_release_that_runs_the_kiosk_command(installed: tuple[Path, str]) -> None:
    root, _ = installed
    current = root / "opt/library-kiosk/current"
    assert os.readlink(current).startswith("releases/0.1.0")
    assert not (root / "opt/library-kiosk/previous").exists()
    command = current / "bin/library-kiosk"
    assert command.read_text().startswith(f"#!/opt/library-kiosk/{os.readlink(current)}/bin/python\n")
    settings = root / "etc/library-kiosk/kiosk.toml"
    checked = subprocess.run([current / "bin/python", command, "check-config", settings],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "OK (terminal dokk1-kiosk-1" in checked.stdout


def test_install_says_every_change(installed: tuple[Path, str]) -> None:
    root, said = installed
    assert "created user library-kiosk" in said
    assert f"wrote {root}/etc/library-kiosk/kiosk.toml (0640 root:library-kiosk)" in said
    assert f"created folder {root}/var/lib/library-kiosk/keys (0700 library-kiosk:library-kiosk)" in said
    assert f"linked {root}/etc/systemd/system/getty@tty2.service -> /dev/null" in said


def test_a_second_run_changes_nothing_and_says_so(installed: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = installed
    before = {path: path.lstat() for path in root.rglob("*")}
    again = install(root, "--config", terminal_settings(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "nothing to change"
    assert all(line.startswith("unchanged ") for line in again.stdout.splitlines()[:-1])
    after = {path: path.lstat() for path in root.rglob("*")}
    assert {path: (s.st_mode, s.st_uid, s.st_mtime_ns) for path, s in after.items()} == {
        path: (s.st_mode, s.st_uid, s.st_mtime_ns) for path, s in before.items()}


def test_the_lockdown_turns_off_other_vts_sysrq_usb_storage_and_ctrl_alt_del(
        installed: tuple[Path, str]) -> None:
    root, _ = installed
    logind = (root / "etc/systemd/logind.conf.d/library-kiosk.conf").read_text()
    assert {"NAutoVTs=0", "ReserveVT=0", "HandlePowerKey=ignore"} <= set(logind.splitlines())
    assert "kernel.sysrq = 0" in (root / "etc/sysctl.d/90-library-kiosk.conf").read_text().splitlines()
    modprobe = (root / "etc/modprobe.d/library-kiosk.conf").read_text().splitlines()
    assert {"install usb-storage /bin/false", "install uas /bin/false"} <= set(modprobe)
    units = root / "etc/systemd/system"
    for masked in [*(f"getty@tty{n}.service" for n in range(2, 7)), "ctrl-alt-del.target"]:
        assert os.readlink(units / masked) == "/dev/null"
    assert "CtrlAltDelBurstAction=none" in (root / "etc/systemd/system.conf.d/library-kiosk.conf").read_text()


def test_the_units_are_enabled(installed: tuple[Path, str]) -> None:
    root, _ = installed
    units = root / "etc/systemd/system"
    assert os.readlink(units / "graphical.target.wants/library-kiosk.service") == "../library-kiosk.service"
    # No door relay in this terminal's settings: its door watchdog unit is there but not enabled.
    assert (units / "library-kiosk-door.service").exists()
    assert not (units / "multi-user.target.wants/library-kiosk-door.service").is_symlink()
    assert not (units / "library-kiosk-central.service").exists()


@needs_root
def test_a_door_terminal_gets_its_door_watchdog_unit_enabled_when_it_asks_for_the_service(
        tmp_path: Path) -> None:
    door = '\n[devices.door]\nkind = "lcus"\nport = "/dev/library-kiosk/relay"\n'
    spawning = tmp_path / "spawning"
    spawning.mkdir()
    root = empty_root(tmp_path / "a")
    done = install(root, "--config", terminal_settings(spawning, door))
    assert done.returncode == 0, done.stderr
    assert 'watchdog = "spawn": set it to "service"' in done.stdout
    assert not (root / "etc/systemd/system/multi-user.target.wants/library-kiosk-door.service").is_symlink()
    serving = tmp_path / "serving"
    serving.mkdir()
    root = empty_root(tmp_path / "b")
    done = install(root, "--config", terminal_settings(serving, door + 'watchdog = "service"\n'))
    assert done.returncode == 0, done.stderr
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/library-kiosk-door.service") == (
        "../library-kiosk-door.service")


def test_the_kiosk_unit_runs_cage_on_tty1_as_the_kiosk_user_and_is_watched(
        installed: tuple[Path, str]) -> None:
    root, _ = installed
    lines = set((root / "etc/systemd/system/library-kiosk.service").read_text().splitlines())
    assert {"Type=notify", "NotifyAccess=all", "WatchdogSec=30", "Restart=always", "User=library-kiosk",
            "TTYPath=/dev/tty1", "Conflicts=getty@tty1.service", "After=library-kiosk-door.service",
            "ExecStart=/usr/bin/cage -d -- /opt/library-kiosk/current/bin/library-kiosk run "
            "--config /etc/library-kiosk/kiosk.toml"} <= lines
    door = set((root / "etc/systemd/system/library-kiosk-door.service").read_text().splitlines())
    assert {"Type=notify", "RestartPreventExitStatus=2",
            "ExecStart=/opt/library-kiosk/current/bin/library-kiosk door-watchdog "
            "--config /etc/library-kiosk/kiosk.toml"} <= door


def test_a_broken_settings_file_is_refused_and_nothing_is_changed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    broken = terminal_settings(tmp_path, "timeout_s = 'soon'\n")
    done = install(root, "--config", broken)
    assert done.returncode == 2
    assert f"{broken}: session.timeout_s:" in done.stderr
    assert list(root.iterdir()) == []


def test_a_relative_path_in_the_settings_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "calendar.toml").write_text("")
    done = install(root, "--config", terminal_settings(tmp_path, '\n[calendar]\nfile = "calendar.toml"\n'))
    assert done.returncode == 2
    assert "calendar.file: a relative path would point into /etc/library-kiosk" in done.stderr
    assert list(root.iterdir()) == []


def test_installing_on_the_running_system_needs_root(tmp_path: Path) -> None:
    settings = terminal_settings(tmp_path)
    if os.geteuid() == 0:  # become nobody once the command's modules are loaded (root's Python is 0700)
        script = ("import os, sys; import kiosk.cli.main, kiosk.cli.install; "
                  "os.setresuid(65534, 65534, 65534); "
                  f"sys.exit(kiosk.cli.main.main(['install', '--config', {str(settings)!r}]))")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                              timeout=60, check=False)
    else:
        done = library_kiosk("install", "--config", settings)
    assert done.returncode == 2
    assert "needs root: run it with sudo" in done.stderr


@needs_root
def test_a_new_release_becomes_current_and_the_old_one_previous(tmp_path: Path) -> None:
    from kiosk.cli.deploy.changes import Changes
    from kiosk.cli.deploy.layout import Layout
    from kiosk.cli.deploy.release import from_tree, install_release, switch_current

    root = empty_root(tmp_path / "root")
    assert install(root, "--config", terminal_settings(tmp_path)).returncode == 0
    first = os.readlink(root / "opt/library-kiosk/current")
    layout, said = Layout(root), list[str]()
    newer = from_tree(REPO, Path(sys.prefix))
    newer = type(newer)(version="99.0.0", source=newer.source, venv_from=newer.venv_from)
    changes = Changes(root, said.append)
    switch_current(changes, layout, install_release(changes, layout, newer))
    assert os.readlink(root / "opt/library-kiosk/current") == "releases/99.0.0"
    assert os.readlink(root / "opt/library-kiosk/previous") == first
    assert (root / "opt/library-kiosk/releases/99.0.0/bin/library-kiosk").is_file()


@needs_root
def test_the_central_service_gets_its_own_user_folder_and_unit(tmp_path: Path) -> None:
    root = empty_root(tmp_path / "root")
    done = install(root, "--central")
    assert done.returncode == 0, done.stderr
    user = _lines(root, "passwd")["library-kiosk-central"]
    assert user[5:7] == ["/var/lib/library-kiosk-central", "/usr/sbin/nologin"]
    assert "library-kiosk" not in _lines(root, "passwd")  # a server is not a kiosk
    assert _owner(root, root / "var/lib/library-kiosk-central") == (
        "library-kiosk-central", "library-kiosk-central", 0o750)
    unit = (root / "etc/systemd/system/library-kiosk-central.service").read_text()
    assert "User=library-kiosk-central" in unit.splitlines()
    assert not (root / "etc/systemd/system/library-kiosk.service").exists()
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/library-kiosk-central.service") == (
        "../library-kiosk-central.service")


def test_the_files_install_puts_on_a_terminal_ship_in_the_wheel() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["config.deploy"]
    shipped = {path for pattern in patterns for path in (REPO / "config/deploy").glob(pattern)}
    assert shipped == {path for path in (REPO / "config/deploy").rglob("*")
                       if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts}


def test_an_update_asked_for_at_the_kiosk_names_only_a_wheel_root_put_in_the_updates_folder(
        tmp_path: Path) -> None:
    """The kiosk's user writes the request; root installs what it names, and only from root's folder."""
    from kiosk.bootstrap.updates import DropFolderUpdates
    from kiosk.cli.releases import UpdateError
    from kiosk.cli.update import requested_wheel

    updates = tmp_path / "updates"
    updates.mkdir()
    (updates / "library_kiosk-0.2.0-py3-none-any.whl").write_bytes(b"PK")
    request = tmp_path / "update-request"
    asking = DropFolderUpdates(updates, [], tmp_path / "update.log", request=request)
    assert asking.waiting() == "library_kiosk-0.2.0-py3-none-any.whl"
    asking.start("library_kiosk-0.2.0-py3-none-any.whl")
    assert request.read_text() == "library_kiosk-0.2.0-py3-none-any.whl\n"
    assert not (tmp_path / "update.log").exists()  # nothing run as the kiosk's user
    assert requested_wheel(request, updates) == updates / "library_kiosk-0.2.0-py3-none-any.whl"
    assert not request.exists()  # used once
    (tmp_path / "mine.whl").write_bytes(b"PK")
    for sneaky in ("../mine.whl", str(tmp_path / "mine.whl"), "", "library_kiosk-9.9.9-py3-none-any.whl"):
        request.write_text(sneaky)
        with pytest.raises(UpdateError):
            requested_wheel(request, updates)
        assert not request.exists()
