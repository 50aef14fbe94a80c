"""``library-kiosk install``: make this machine a locked-down terminal (or a central service's
server): the system user, the application in a release folder of its own, the settings file, the
data, key and log folders, udev rules, systemd units and the lockdown. Run it again at any time: it
changes only what differs and says so, line by line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kiosk.cli.deploy.changes import DeployError, summary
from kiosk.cli.deploy.layout import layout_for
from kiosk.cli.deploy.release import SOURCE_TREE, from_tree, from_wheel
from kiosk.cli.deploy.settings_file import installed_settings
from kiosk.cli.deploy.terminal import Plan, install
from kiosk.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="the terminal's settings file; installed as "
                        "/etc/library-kiosk/kiosk.toml with [paths] set to the terminal's folders")
    parser.add_argument("--central", action="store_true", help="install the central service "
                        "(library-kiosk-central.service, for a server), with or without a terminal")
    parser.add_argument("--root", type=Path, help="install into this folder instead of the running "
                        "system (tests, images)")
    made_from = parser.add_mutually_exclusive_group()
    made_from.add_argument("--wheel", type=Path, help="install this library-kiosk wheel or sdist")
    made_from.add_argument("--source", type=Path, help="install from this source tree (default: the "
                           "one this command runs from)")
    made_from.add_argument("--venv-from", type=Path, metavar="VENV", help="make the release use the "
                           "packages already installed in this virtualenv instead of its own (quick; for "
                           "tests and development)")


def run(args: argparse.Namespace) -> int:
    os.umask(0o022)  # the release is read by the kiosk's user; every other mode is set explicitly
    if args.config is None and not args.central:
        raise DeployError("install what? give --config FILE (a terminal), --central (the central "
                          "service), or both")
    layout = layout_for(args.root)
    settings = installed_settings(args.config) if args.config is not None else None
    if args.wheel is not None:
        release = from_wheel(args.wheel)
    else:
        release = from_tree(args.source or SOURCE_TREE, args.venv_from)
    door_service = args.config is not None and _door_service(args.config)
    count = install(layout, Plan(release=release, settings=settings, central=args.central,
                                 door_service=door_service))
    print(summary(count))
    return 0


def _door_service(config: Path) -> bool:
    """Does the terminal drive a door relay whose crash watchdog is its own unit? Said when it
    drives one whose watchdog the kiosk starts itself: under systemd that one ends with the kiosk."""
    door = load_settings(config).devices.door
    if door.kind not in ("lcus", "numato"):
        return False
    if door.watchdog != "service":
        print(f"note: {config}: [devices.door] watchdog = \"{door.watchdog}\": set it to \"service\" so that "
              "the door's crash watchdog runs as its own unit (library-kiosk-door.service) and outlives "
              "the kiosk's restarts")
        return False
    return True
