"""Installing and uninstalling a terminal (and the central service, on a server): the steps, in the
order that leaves a usable system if one fails, each saying what it changed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.cli.deploy import accounts
from kiosk.cli.deploy.changes import Changes
from kiosk.cli.deploy.layout import (
    APP_DIR,
    CENTRAL_DATA_DIR,
    CENTRAL_UNIT,
    CENTRAL_USER,
    DATA_DIR,
    DEVICE_GROUPS,
    DOOR_UNIT,
    KEY_DIR,
    KIOSK_UNIT,
    LOG_DIR,
    NOLOGIN,
    RELEASES_DIR,
    SETTINGS_DIR,
    SETTINGS_FILE,
    UNIT_DIR,
    UPDATES_DIR,
    USER,
    Layout,
)
from kiosk.cli.deploy.release import Source, install_release, switch_current
from kiosk.cli.deploy.system_files import (
    CENTRAL_ENABLED,
    CENTRAL_FILES,
    DOOR_ENABLED,
    DROP_IN_FOLDERS,
    KIOSK_ENABLED,
    KIOSK_FILES,
    MASKED,
    wants_link,
)

# What the kiosk's unit runs besides the application: without them it cannot start.
KIOSK_PROGRAMS = {"cage": "cage", "Xwayland": "xwayland"}


@dataclass(frozen=True)
class Plan:
    """What to install: the kiosk (with its settings file's bytes), the central service, or both."""

    release: Source
    settings: bytes | None = None
    central: bool = False
    door_service: bool = False  # the settings drive a door relay with watchdog = "service"


def install(layout: Layout, plan: Plan, say: Callable[[str], None] = print) -> int:
    """Make ``layout`` a deployed terminal as ``plan`` says; returns how many things changed."""
    changes = Changes(layout.root, say)
    disk = layout.on_disk
    if plan.settings is not None:
        accounts.ensure_user(changes, USER, home=str(DATA_DIR), shell=NOLOGIN, groups=DEVICE_GROUPS,
                             comment="Library kiosk")
    if plan.central:
        accounts.ensure_user(changes, CENTRAL_USER, home=str(CENTRAL_DATA_DIR), shell=NOLOGIN, groups=(),
                             comment="Library kiosk central service")
    changes.folder(disk(APP_DIR), 0o755)
    changes.folder(disk(RELEASES_DIR), 0o755)
    switch_current(changes, layout, install_release(changes, layout, plan.release))
    if plan.settings is not None:
        changes.folder(disk(SETTINGS_DIR), 0o750, "root", USER)
        changes.file(disk(SETTINGS_FILE), plan.settings, 0o640, "root", USER)
        changes.folder(disk(DATA_DIR), 0o750, USER, USER)
        changes.folder(disk(KEY_DIR), 0o700, USER, USER)
        changes.folder(disk(UPDATES_DIR), 0o755)  # root's: the kiosk's user cannot bring its own code
        changes.folder(disk(LOG_DIR), 0o750, USER, USER)
        for system_file in KIOSK_FILES:
            changes.file(disk(system_file.path), system_file.render())
        for unit in MASKED:
            changes.link(disk(UNIT_DIR / unit), "/dev/null")
        for unit, target in (*KIOSK_ENABLED, *(DOOR_ENABLED if plan.door_service else ())):
            changes.link(disk(wants_link(unit, target)), f"../{unit}")
    if plan.central:
        changes.folder(disk(CENTRAL_DATA_DIR), 0o750, CENTRAL_USER, CENTRAL_USER)
        for system_file in CENTRAL_FILES:
            changes.file(disk(system_file.path), system_file.render())
        for unit, target in CENTRAL_ENABLED:
            changes.link(disk(wants_link(unit, target)), f"../{unit}")
    if layout.is_live:
        _apply(changes, plan)
    return changes.count


def _apply(changes: Changes, plan: Plan) -> None:
    """On the running system: tell systemd of the units, and say what is still missing."""
    if plan.settings is not None:
        for program, package in KIOSK_PROGRAMS.items():
            if shutil.which(program) is None:
                changes.note(f"warning: {program} is not installed: apt-get install {package}")
    if changes.count and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
        changes.note("systemd reloaded its units; reboot to start the terminal with its lockdown")


def uninstall(layout: Layout, *, keep_data: bool, say: Callable[[str], None] = print) -> int:
    """Take away what :func:`install` made; with ``keep_data`` the settings, data, keys, logs and
    the users that own them stay. Returns how many things changed."""
    changes = Changes(layout.root, say)
    disk = layout.on_disk
    units = (KIOSK_UNIT, DOOR_UNIT, CENTRAL_UNIT)
    if layout.is_live and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "stop", *units], check=False)
    for unit, target in (*KIOSK_ENABLED, *CENTRAL_ENABLED):
        changes.remove(disk(wants_link(unit, target)))
    for system_file in (*KIOSK_FILES, *CENTRAL_FILES):
        changes.remove(disk(system_file.path))
    for unit in MASKED:
        mask = disk(UNIT_DIR / unit)
        if mask.is_symlink() and str(mask.readlink()) == "/dev/null":
            changes.remove(mask)
    for drop_ins in DROP_IN_FOLDERS:
        changes.remove_empty(disk(drop_ins))
    changes.remove(disk(APP_DIR))
    if not keep_data:
        for folder in (SETTINGS_DIR, DATA_DIR, LOG_DIR, CENTRAL_DATA_DIR):
            changes.remove(disk(folder))
        accounts.remove_user(changes, USER)
        accounts.remove_user(changes, CENTRAL_USER)
    if layout.is_live and changes.count and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    return changes.count
