"""New versions of the kiosk in the drop folder (``<data_dir>/updates/*.whl``), and the process
that installs one: ``library-kiosk update``, started outside the kiosk, since it stops and restarts
the kiosk (:mod:`kiosk.cli.update`). Part of the composition root: it starts, staff mode decides."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.bootstrap.paths import Locations
from kiosk.settings import Settings

SYSTEMD = Path("/run/systemd/system")  # present when systemd runs the machine (sd_booted(3))
# Installed by `library-kiosk install`: root installs the update the kiosk asks for in REQUEST_NAME.
UPDATE_PATH_UNIT = Path("/etc/systemd/system/library-kiosk-update.path")
REQUEST_NAME = "update-request"


def default_command(config: Path) -> list[str]:
    update = [sys.executable, "-m", "kiosk.cli.main", "update", "--config", str(config)]
    if SYSTEMD.is_dir() and shutil.which("systemd-run"):
        return ["systemd-run", "--unit", "library-kiosk-update", "--collect", "--quiet", "--", *update]
    return update


class DropFolderUpdates:
    """:class:`kiosk.staff.updates.SoftwareUpdates` over the drop folder; the installer's output
    goes to ``log`` (the journal has it too when it runs under systemd-run)."""

    def __init__(self, folder: Path, command: Sequence[str], log: Path, request: Path | None = None) -> None:
        """``request``: ask root for the update by writing the wheel's name there (the installed
        library-kiosk-update.path unit), instead of running ``command`` as the kiosk's user, who
        can neither write /opt nor restart the kiosk's unit."""
        self.folder, self.command, self.log, self.request = folder, list(command), log, request

    def waiting(self) -> str | None:
        if not self.folder.is_dir():
            return None
        wheels = sorted(self.folder.glob("*.whl"), key=lambda path: path.stat().st_mtime)
        return wheels[-1].name if wheels else None

    def start(self, name: str) -> None:
        wheel = self.folder / name
        if Path(name).name != name or not wheel.is_file():
            raise FileNotFoundError(f"{wheel}: no such update waiting")
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
        return DropFolderUpdates(folder, [], log, request=where.data_dir / REQUEST_NAME)
    if not command:
        if settings.source is None:
            return None
        command = default_command(settings.source)
    return DropFolderUpdates(folder, command, log)
