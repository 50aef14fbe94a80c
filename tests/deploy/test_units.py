"""The units and udev rules the installer writes, checked by systemd's and udev's own parsers in the
throwaway root: ``systemd-analyze verify`` (any word of output is a failure: it only warns, exit 0, on
a value such as ``WatchdogSec=thirty``), and ``udevadm test`` reading the rules with the root's users."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.roots import empty_root, install, needs_root, terminal_settings

UNITS = ("library-kiosk.service", "library-kiosk-door.service", "library-kiosk-central.service",
         "library-kiosk-update.path", "library-kiosk-update.service")
SYSTEM_UNITS = Path("/usr/lib/systemd/system")

pytestmark = [
    needs_root,
    pytest.mark.skipif(shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
                       reason="needs systemd-analyze and systemd's units (the systemd package)"),
]


def _executable_in(root: Path, path: str) -> None:
    """Follow ``path``'s links inside ``root`` (as systemd-analyze --root does) and put an
    executable where they end, if nothing is there: the programs a unit runs must exist."""
    here = root / path.lstrip("/")
    for _ in range(40):
        if not here.is_symlink():
            break
        target = os.readlink(here)
        here = root / target.lstrip("/") if target.startswith("/") else here.parent / target
    if not here.exists():
        here.parent.mkdir(parents=True, exist_ok=True)
        here.write_text("#!/bin/sh\n")
        here.chmod(0o755)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("units")
    root = empty_root(folder / "root")
    done = install(root, "--config", terminal_settings(folder), "--central")
    assert done.returncode == 0, done.stderr
    # What a Debian system has besides: systemd's own units (sysinit.target ...) and cage.
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    _executable_in(root, "/usr/bin/cage")
    _executable_in(root, "/bin/sh")  # the kiosk unit's ExecStop
    _executable_in(root, "/opt/library-kiosk/current/bin/python")
    return root


def _verify(root: Path, *units: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", *map(str, units)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_passes_systemd_analyze_verify_without_a_word(root: Path, unit: str) -> None:
    done = _verify(root, root / "etc/systemd/system" / unit)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_verify_catches_a_bad_value_it_only_warns_about(root: Path, tmp_path: Path) -> None:
    broken = root / "etc/systemd/system/library-kiosk-broken.service"
    text = (root / "etc/systemd/system/library-kiosk.service").read_text()
    broken.write_text(text.replace("WatchdogSec=30", "WatchdogSec=thirty"))
    try:
        done = _verify(root, broken)
    finally:
        broken.unlink()
    assert "Failed to parse sec value" in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("udevadm") is None or shutil.which("unshare") is None,
                    reason="needs udevadm (the udev package) and unshare (util-linux)")
def test_udev_reads_the_rules_without_a_complaint(root: Path) -> None:
    """udevadm test reads /etc/udev/rules.d and looks groups up in /etc/group: in a mount namespace
    of its own, those are the root's, so the host is untouched."""
    rules = root / "etc/udev/rules.d"
    script = (f"mount --bind {rules} /etc/udev/rules.d && mount --bind {root}/etc/group /etc/group && "
              f"mount --bind {root}/etc/passwd /etc/passwd && udevadm test /sys/class/tty/tty0")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, check=False)
    said = (done.stdout + done.stderr).splitlines()
    if not any("70-library-kiosk.rules" in line for line in said):
        pytest.skip(f"udevadm test did not run here: {said[-3:]}")
    complaints = [line for line in said
                  if "70-library-kiosk.rules" in line and not line.startswith("Reading rules file")]
    assert complaints == []


def test_udev_would_complain_of_a_mistake(root: Path, tmp_path: Path) -> None:
    """The check above can fail: the same udevadm run on a rule with a wrong operator says so."""
    if shutil.which("udevadm") is None or shutil.which("unshare") is None:
        pytest.skip("needs udevadm (the udev package) and unshare (util-linux)")
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "70-library-kiosk.rules").write_text('ATTRS{idVendor}="0ab1", SYMLINK+="library-kiosk/rfid"\n')
    script = f"mount --bind {rules} /etc/udev/rules.d && udevadm test /sys/class/tty/tty0"
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "70-library-kiosk.rules:1 Invalid operator for ATTRS" in done.stdout + done.stderr


def test_the_rules_give_the_devices_stable_names_for_the_kiosk_user(root: Path) -> None:
    rules = [line for line in (root / "etc/udev/rules.d/70-library-kiosk.rules").read_text().splitlines()
             if line and not line.startswith("#")]
    named = {part.split('"')[1]: line for line in rules for part in line.split(", ")
             if part.startswith("SYMLINK+=")}
    assert set(named) == {"library-kiosk/rfid", "library-kiosk/relay", "library-kiosk/scanner"}
    assert 'ATTRS{idVendor}=="0ab1"' in named["library-kiosk/rfid"]  # FEIG
    relay_rules = [line for line in rules if "library-kiosk/relay" in line]
    assert any('"1a86"' in line and '"7523"' in line for line in relay_rules)  # LCUS (CH340)
    assert any('"2a19"' in line and '"0c05"' in line for line in relay_rules)  # Numato
    assert all('GROUP="library-kiosk", MODE="0660"' in line for line in rules if "SYMLINK" in line)
