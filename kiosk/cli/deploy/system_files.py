"""The files the installer puts into the operating system: systemd units, udev rules and the
lockdown drop-ins, each made from its file in ``config/deploy`` with
the ``@NAME@`` words filled in; and the links that enable the units and mask what the lockdown turns
off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from kiosk.cli.deploy.changes import DeployError
from kiosk.cli.deploy.layout import (
    CENTRAL_UNIT,
    DOOR_UNIT,
    KIOSK_UNIT,
    TEMPLATES,
    UNIT_DIR,
    UPDATE_PATH,
    UPDATE_UNIT,
    template_values,
)


@dataclass(frozen=True)
class SystemFile:
    template: str  # under config/deploy
    path: PurePosixPath  # on the terminal

    def render(self) -> bytes:
        values = template_values()
        text = (TEMPLATES / self.template).read_text(encoding="utf-8")

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise DeployError(f"config/deploy/{self.template}: unknown word @{name}@")
            return values[name]

        return re.sub(r"@([A-Z_]+)@", fill, text).encode("utf-8")


KIOSK_FILES = (
    SystemFile(f"systemd/{KIOSK_UNIT}", UNIT_DIR / KIOSK_UNIT),
    SystemFile(f"systemd/{DOOR_UNIT}", UNIT_DIR / DOOR_UNIT),
    SystemFile(f"systemd/{UPDATE_PATH}", UNIT_DIR / UPDATE_PATH),
    SystemFile(f"systemd/{UPDATE_UNIT}", UNIT_DIR / UPDATE_UNIT),
    SystemFile("udev/70-library-kiosk.rules", PurePosixPath("/etc/udev/rules.d/70-library-kiosk.rules")),
    SystemFile("lockdown/logind.conf", PurePosixPath("/etc/systemd/logind.conf.d/library-kiosk.conf")),
    SystemFile("lockdown/system.conf", PurePosixPath("/etc/systemd/system.conf.d/library-kiosk.conf")),
    SystemFile("lockdown/sysctl.conf", PurePosixPath("/etc/sysctl.d/90-library-kiosk.conf")),
    SystemFile("lockdown/modprobe.conf", PurePosixPath("/etc/modprobe.d/library-kiosk.conf")),
)
# Folders a Debian system does not have until the lockdown's drop-ins go there.
DROP_IN_FOLDERS = (PurePosixPath("/etc/systemd/logind.conf.d"), PurePosixPath("/etc/systemd/system.conf.d"))
CENTRAL_FILES = (SystemFile(f"systemd/{CENTRAL_UNIT}", UNIT_DIR / CENTRAL_UNIT),)

# Masked (linked to /dev/null): no login prompt on tty2..6, no reboot from Ctrl+Alt+Del, no root
# shell on tty9 from a kernel command line with systemd.debug_shell.
MASKED = (*(f"getty@tty{number}.service" for number in range(2, 7)), "ctrl-alt-del.target",
          "debug-shell.service")

# Enabled: the unit, and the target whose .wants folder links to it.
KIOSK_ENABLED = ((KIOSK_UNIT, "graphical.target"), (UPDATE_PATH, "multi-user.target"))
DOOR_ENABLED = ((DOOR_UNIT, "multi-user.target"),)  # when the settings ask for the door's watchdog service
CENTRAL_ENABLED = ((CENTRAL_UNIT, "multi-user.target"),)


def wants_link(unit: str, target: str) -> PurePosixPath:
    return UNIT_DIR / f"{target}.wants" / unit
