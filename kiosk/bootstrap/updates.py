"""New versions of the kiosk in the drop folder (``<data_dir>/updates/*.whl``), and the process
that installs one: ``library-kiosk update``, started outside the kiosk, since it stops and restarts
the kiosk (:mod:`kiosk.cli.update`). Part of the composition root: it starts, staff mode decides."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.bootstrap.paths import Locations
from kiosk.central.sync import CentralSync
from kiosk.domain.events import Core, Tick
from kiosk.domain.ports import Clock, Devices
from kiosk.domain.wheel import wheel_name
from kiosk.door.calendar import BranchCalendar
from kiosk.session.service import SessionService
from kiosk.session.view import Screen
from kiosk.settings import Settings
from kiosk.staff.auto_update import AutomaticUpdates
from kiosk.store import Journal

SYSTEMD = Path("/run/systemd/system")  # present when systemd runs the machine (sd_booted(3))
# Installed by `library-kiosk install`: root installs the update the kiosk asks for in REQUEST_NAME.
UPDATE_PATH_UNIT = Path("/etc/systemd/system/library-kiosk-update.path")
REQUEST_NAME = "update-request"
# In the data folder: the central service's wheels, when root's drop folder is not the kiosk's to write.
DOWNLOADS_NAME = "downloads"


def kiosk_version() -> str:
    """The version of the kiosk that runs ("unknown" from a source tree that was never installed)."""
    try:
        return importlib.metadata.version("library-kiosk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def default_command(config: Path) -> list[str]:
    update = [sys.executable, "-m", "kiosk.cli.main", "update", "--config", str(config)]
    if SYSTEMD.is_dir() and shutil.which("systemd-run"):
        return ["systemd-run", "--unit", "library-kiosk-update", "--collect", "--quiet", "--", *update]
    return update


class DropFolderUpdates:
    """:class:`kiosk.staff.updates.SoftwareUpdates` over the drop folder; the installer's output
    goes to ``log`` (the journal has it too when it runs under systemd-run)."""

    def __init__(self, folder: Path, command: Sequence[str], log: Path, request: Path | None = None,
                 downloads: Path | None = None, running: str | None = None) -> None:
        """``request``: ask root for the update by writing the wheel's name there (the installed
        library-kiosk-update.path unit), instead of running ``command`` as the kiosk's user, who
        can neither write /opt nor restart the kiosk's unit. ``downloads``: where the kiosk puts
        the wheels the central service offers (default: the drop folder itself); when root's drop
        folder is not the kiosk's to write, its own folder, whose wheels root installs only once
        the central service vouches for them (:mod:`kiosk.cli.update_central`). ``running``: the
        version that runs, whose wheel (installed already) is not offered as waiting."""
        self.folder, self.command, self.log, self.request = folder, list(command), log, request
        self.downloads = downloads or folder
        self._installed = wheel_name(running) if running else None

    def waiting(self) -> str | None:
        wheels = [path for folder in {self.folder, self.downloads} if folder.is_dir()
                  for path in folder.glob("*.whl") if path.name != self._installed]
        wheels.sort(key=lambda path: path.stat().st_mtime)
        return wheels[-1].name if wheels else None

    def start(self, name: str) -> None:
        wheel = self.folder / name
        if Path(name).name == name and not wheel.is_file():
            wheel = self.downloads / name
        if Path(name).name != name or not wheel.is_file():
            raise FileNotFoundError(f"{self.folder / name}: no such update waiting")
        if self.request is not None:
            asking = self.request.with_name(self.request.name + ".new")
            asking.write_text(name + "\n", encoding="utf-8")
            asking.replace(self.request)  # whole, or not at all: the path unit starts on it
            return
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a", encoding="utf-8") as out:
            # Its own session: a signal to the kiosk's process group (systemd stopping the kiosk,
            # Ctrl+C) does not reach it.
            subprocess.Popen([*self.command, "--wheel", str(wheel)], stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})


def software_updates(settings: Settings, where: Locations) -> DropFolderUpdates | None:
    """The terminal's drop folder and its update command (None for settings made in code, which
    name no file for the update to read)."""
    command = list(settings.updates.command)
    folder, log = where.data_dir / "updates", where.log_dir / "update.log"
    if not command and UPDATE_PATH_UNIT.exists():  # installed: root does it, asked by a file
        return DropFolderUpdates(folder, [], log, request=where.data_dir / REQUEST_NAME,
                                 downloads=where.data_dir / DOWNLOADS_NAME, running=kiosk_version())
    if not command:
        if settings.source is None:
            return None
        command = default_command(settings.source)
    return DropFolderUpdates(folder, command, log, running=kiosk_version())


def automatic_updates(settings: Settings, core: Core, clock: Clock, journal: Journal,
                      sync: CentralSync | None, updates: DropFolderUpdates | None,
                      calendar: Callable[[], BranchCalendar | None], session: SessionService,
                      devices: Devices, where: Locations) -> AutomaticUpdates | None:
    """The version the central service offers, installed at a safe moment by the setting
    ``[central] install_updates`` (:mod:`kiosk.staff.auto_update`), on the core's ticks; None
    without a central service or a way to install."""
    if sync is None or updates is None:
        return None
    releases = sync.releases
    sensor = devices.door_sensor
    automatic = AutomaticUpdates(
        updates, lambda: releases.ready(sync.offered_release()) if releases is not None else None,
        settings.central.install_updates, journal=journal, data_dir=where.data_dir,
        visit_under_way=lambda: session.view.screen is not Screen.START, calendar=calendar, now=clock.now,
        monotonic=clock.monotonic, door_open=sensor.is_open if sensor is not None else None)
    core.on(Tick, automatic.tick)
    return automatic
