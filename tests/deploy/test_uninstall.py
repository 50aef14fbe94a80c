"""``library-kiosk uninstall`` takes away what ``install`` made, and with ``--keep-data`` leaves the
settings, the data, the keys, the logs and the users that own them."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.roots import empty_root, install, library_kiosk, needs_root, terminal_settings

pytestmark = needs_root

# Folders every Debian system has, that install puts files into.
DEBIAN_FOLDERS = ("etc/systemd/system/graphical.target.wants", "etc/systemd/system/multi-user.target.wants",
                  "etc/udev/rules.d", "etc/pam.d", "etc/sysctl.d", "etc/modprobe.d", "opt", "var/lib",
                  "var/log")


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every file, link and folder under ``root`` with what it holds (the shadow tools' backups
    aside)."""
    return {str(path.relative_to(root)): (path.read_bytes() if path.is_file() and not path.is_symlink() else
                                          str(path.readlink()) if path.is_symlink() else "folder")
            for path in root.rglob("*") if not path.name.endswith("-")}


def test_uninstall_leaves_the_root_as_it_was(tmp_path: Path) -> None:
    root = empty_root(tmp_path / "root")
    for folder in DEBIAN_FOLDERS:
        (root / folder).mkdir(parents=True)
    before = _tree(root)
    assert install(root, "--config", terminal_settings(tmp_path), "--central").returncode == 0
    done = library_kiosk("uninstall", "--root", root)
    assert done.returncode == 0, done.stderr
    assert "removed user library-kiosk" in done.stdout
    assert f"removed {root}/opt/library-kiosk" in done.stdout
    after = _tree(root)
    groups_made = {"dialout", "plugdev", "video", "render", "input", "lp"}  # system groups stay
    group_lines = (root / "etc/group").read_text().splitlines()
    assert {line.split(":")[0] for line in group_lines} == {"root", *groups_made}
    assert all(line.endswith(":") for line in group_lines)  # nobody is left in them
    groups = ("etc/group", "etc/gshadow")
    assert {key: value for key, value in after.items() if not key.startswith(groups)} == {
        key: value for key, value in before.items() if not key.startswith(groups)}


def test_uninstall_keep_data_keeps_settings_data_keys_logs_and_user(tmp_path: Path) -> None:
    root = empty_root(tmp_path / "root")
    assert install(root, "--config", terminal_settings(tmp_path)).returncode == 0
    (root / "var/lib/library-kiosk/kiosk.sqlite3").write_bytes(b"the journal")
    done = library_kiosk("uninstall", "--root", root, "--keep-data")
    assert done.returncode == 0, done.stderr
    assert (root / "var/lib/library-kiosk/kiosk.sqlite3").read_bytes() == b"the journal"
    assert (root / "var/lib/library-kiosk/keys").is_dir()
    assert (root / "etc/library-kiosk/kiosk.toml").is_file()
    assert (root / "var/log/library-kiosk").is_dir()
    assert "library-kiosk:" in (root / "etc/passwd").read_text()
    assert not (root / "opt/library-kiosk").exists()
    assert not (root / "etc/systemd/system/library-kiosk.service").exists()
    assert not (root / "etc/systemd/system/getty@tty2.service").exists()


def test_uninstall_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    root = empty_root(tmp_path / "root")
    assert install(root, "--config", terminal_settings(tmp_path)).returncode == 0
    assert library_kiosk("uninstall", "--root", root).returncode == 0
    again = library_kiosk("uninstall", "--root", root)
    assert (again.returncode, again.stdout) == (0, "nothing to change\n")
