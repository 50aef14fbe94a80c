"""The ``library-kiosk`` command: the kiosk itself and the operators' tools.

:data:`COMMANDS` is the dispatch table: a command's name, the module that implements it and one line
of help. Only the chosen command's module is imported, so ``calendar --week`` or ``access check``
start without Qt, the drivers or the database they do not use. Each module has
``add_arguments(parser)`` and ``run(args) -> int``; a :class:`~kiosk.domain.errors.KioskError` from
``run`` is printed as one line, with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from kiosk.bootstrap.memory import tune_malloc
from kiosk.domain.errors import KioskError

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("kiosk.cli.demo", "run the kiosk in a window with simulated devices and demo data"),
    "run": ("kiosk.cli.run", "run the kiosk from a settings file (fullscreen)"),
    "door-watchdog": ("kiosk.cli.door_watchdog", "switch the door relay off when the kiosk dies: the door "
                      "watchdog as a service of its own (library-kiosk-door.service)"),
    "doctor": ("kiosk.cli.doctor", "probe the LMS and every device; print their state"),
    "check-config": ("kiosk.cli.check_config", "validate a settings file and say what is wrong"),
    "entry-log": ("kiosk.cli.entry_log", "export the entry log for staff (CSV), or purge it"),
    "staff-report": ("kiosk.cli.staff_report", "offline replays refused or waiting, transactions "
                     "needing staff, the outbox"),
    "screenshot": ("kiosk.cli.screenshot", "render a screen to PNG offscreen, with demo data"),
    "access": ("kiosk.cli.access", "explain an access decision rule by rule; revoke cards; add staff cards"),
    "calendar": ("kiosk.cli.calendar", "print a branch's opening calendar as a timeline (--week) or its "
                 "state at a time (--at)"),
    "simulate": ("kiosk.cli.simulate", "run a scenario against the real kiosk offscreen, with simulated "
                 "devices"),
    "tag": ("hardware.rfid.tag_cli", "decode or encode library RFID tag data (ISO 28560)"),
    "lms-emulator": ("sync.lms_emulator", "run the LMS emulator, SIP2 or FBS (for tests and demos)"),
    "central": ("sync.central.cli", "run the municipality's central service (SQLite file or PostgreSQL)"),
    "central-admin": ("sync.central.admin_cli", "the central service's terminals (enrolment, credentials, "
                      "revocation), configuration, calendars, alarms and staff accounts"),
    "update": ("kiosk.cli.update", "install a new version beside this one, switch to it, roll back "
               "when it does not start"),
    "rollback": ("kiosk.cli.rollback", "go back to the version installed before this one"),
    "migrate": ("kiosk.cli.migrate", "bring the local database to this version's schema (or back)"),
    "enrol": ("kiosk.cli.enrol", "enrol this terminal with the central service (a one-time token)"),
    "install": ("kiosk.cli.install", "make this machine a locked-down terminal (or the central service's "
                "server): user, release, settings, folders, udev rules, systemd units"),
    "uninstall": ("kiosk.cli.uninstall", "take away what install made (--keep-data keeps settings, data, "
                  "keys and logs)"),
    "sip2": ("sync.lms_probe", "talk SIP2 (or FBS) to an LMS: status, patron, item, checkout, ..."),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is one), if any."""
    return next((word for word in argv if word in COMMANDS), None)


def parser(argv: Sequence[str] = ()) -> tuple[argparse.ArgumentParser, ModuleType | None]:
    """The parser, with the arguments of the command ``argv`` names, and that command's module."""
    top = argparse.ArgumentParser(
        prog="library-kiosk",
        description="Self-service library kiosk: unstaffed opening hours, self-check, printing.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(argv)
    module = None
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
    return top, module


def main(argv: Sequence[str] | None = None) -> int:
    tune_malloc()  # before any thread starts: the kiosk runs all night
    if argv is None:  # the command itself (not a test calling in): everything it makes is its user's alone
        os.umask(0o077)
    words = list(sys.argv[1:] if argv is None else argv)
    top, module = parser(words)
    args = top.parse_args(words)
    assert module is not None, args.command  # parse_args stops at a command it does not know
    try:
        return int(module.run(args))
    except KioskError as exc:
        print(f"library-kiosk: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
