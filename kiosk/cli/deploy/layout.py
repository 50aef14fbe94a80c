"""Where a deployed terminal keeps everything: the layout the installer, the updater and the units share.

Every path here is where the file is on the running terminal. :class:`Layout` puts them under a
``root`` folder when the installer is told to install into one (tests, images): ``layout.on_disk(p)``
is where ``p`` is written, while the units and the settings file always name the real paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kiosk.cli.deploy.changes import DeployError
from kiosk.settings import CONFIG_DIR

USER = "library-kiosk"
CENTRAL_USER = "library-kiosk-central"
NOLOGIN = "/usr/sbin/nologin"
# Serial relay boards, scanners and FEIG readers; USB printers; the screen; touch and keys; printers.
DEVICE_GROUPS = ("dialout", "plugdev", "video", "render", "input", "lp")

APP_DIR = PurePosixPath("/opt/library-kiosk")
RELEASES_DIR = APP_DIR / "releases"
CURRENT = APP_DIR / "current"
PREVIOUS = APP_DIR / "previous"
SETTINGS_DIR = PurePosixPath("/etc/library-kiosk")
SETTINGS_FILE = SETTINGS_DIR / "kiosk.toml"
DATA_DIR = PurePosixPath("/var/lib/library-kiosk")
KEY_DIR = DATA_DIR / "keys"
LOG_DIR = PurePosixPath("/var/log/library-kiosk")
RUN_NAME = "library-kiosk"
DOOR_SOCKET = PurePosixPath("/run") / RUN_NAME / "door.sock"
DEV_DIR = "library-kiosk"  # the udev rules' names: /dev/library-kiosk/rfid, relay, scanner

CENTRAL_DATA_DIR = PurePosixPath("/var/lib/library-kiosk-central")
CENTRAL_DB = CENTRAL_DATA_DIR / "central.sqlite3"
CENTRAL_ENV = SETTINGS_DIR / "central.env"
CENTRAL_HOST = "127.0.0.1"
CENTRAL_PORT = 8480

UNIT_DIR = PurePosixPath("/etc/systemd/system")
KIOSK_UNIT = "library-kiosk.service"
DOOR_UNIT = "library-kiosk-door.service"
CENTRAL_UNIT = "library-kiosk-central.service"
UPDATE_PATH = "library-kiosk-update.path"  # the kiosk asks for an update: root installs it
UPDATE_UNIT = "library-kiosk-update.service"
UPDATES_DIR = DATA_DIR / "updates"  # root's: the wheels staff may install (the kiosk only reads it)

TEMPLATES = CONFIG_DIR / "deploy"


@dataclass(frozen=True)
class Layout:
    """The terminal's paths, written under ``root`` (``/`` on a real terminal)."""

    root: Path = Path("/")

    def on_disk(self, path: PurePosixPath) -> Path:
        """Where ``path`` of the terminal is in this layout's root."""
        return self.root / path.relative_to("/")

    @property
    def is_live(self) -> bool:
        """Whether this is the running system itself (not a folder being prepared)."""
        return self.root.resolve() == Path("/")


def template_values() -> dict[str, str]:
    """The ``@NAME@`` words of the files in :data:`TEMPLATES`, and what they become."""
    return {
        "APP_DIR": str(APP_DIR),
        "CONFIG": str(SETTINGS_FILE),
        "USER": USER,
        "DEVICE_GROUPS": " ".join(DEVICE_GROUPS),
        "DATA_DIR": str(DATA_DIR),
        "LOG_DIR": str(LOG_DIR),
        "RUN_NAME": RUN_NAME,
        "DOOR_SOCKET": str(DOOR_SOCKET),
        "DEV_DIR": DEV_DIR,
        "CENTRAL_USER": CENTRAL_USER,
        "CENTRAL_DATA_DIR": str(CENTRAL_DATA_DIR),
        "CENTRAL_DB": str(CENTRAL_DB),
        "CENTRAL_ENV": str(CENTRAL_ENV),
        "CENTRAL_HOST": CENTRAL_HOST,
        "CENTRAL_PORT": str(CENTRAL_PORT),
    }


def layout_for(root: Path | None) -> Layout:
    """The layout to install into or uninstall from: ``root``, or the running system (as root only)."""
    if root is None:
        if os.geteuid() != 0:
            raise DeployError("this changes the running system and needs root: run it with sudo (or give "
                             "--root DIR to work on a folder)")
        return Layout()
    if not root.is_dir():
        raise DeployError(f"--root {root}: no such folder")
    return Layout(root.resolve())
