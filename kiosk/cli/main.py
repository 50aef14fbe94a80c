"""The ``library-kiosk`` command: the kiosk itself and the operators' tools.

Part of the composition root with :mod:`kiosk.bootstrap.kiosk`: it may reach into ``sync`` and ``hardware``
to run their operator tools.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.domain.errors import KioskError
from kiosk.domain.ports import LibrarySystem

LANGUAGES = ("da", "en")


def screen_size(text: str) -> tuple[int, int]:
    """argparse type for WIDTHxHEIGHT in pixels."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1080x1920") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 200 to 8000 pixels")
    return width, height


def _parser() -> argparse.ArgumentParser:
    from kiosk.bootstrap.kiosk import screen_names
    from kiosk.settings import DEMO_SETTINGS

    parser = argparse.ArgumentParser(
        prog="library-kiosk",
        description="Self-service library kiosk: unstaffed opening hours, self-check, printing.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the kiosk in a window with simulated devices and demo data")
    demo.add_argument("--door", action="store_true", help="the entrance panel for unstaffed hours instead")

    run = commands.add_parser("run", help="run the kiosk from a settings file (fullscreen)")
    run.add_argument("--config", type=Path, required=True, help="settings file (TOML)")

    doctor = commands.add_parser("doctor", help="probe the LMS and every device; print their state")
    doctor.add_argument("--config", type=Path, help="settings file (default: the demo terminal)")

    entries = commands.add_parser("entry-log", help="export the entry log for staff (CSV), or purge it")
    entries.add_argument("action", choices=("export", "purge"))
    entries.add_argument("--config", type=Path, help="settings file (default: the demo door terminal)")
    entries.add_argument("--from", dest="start", type=_date, help="first day (default: 7 days ago)")
    entries.add_argument("--to", dest="end", type=_date, help="last day (default: today)")
    entries.add_argument("--out", type=Path, help="write the CSV here instead of to the screen")

    from kiosk.cli import staff_report

    staff_report.add_arguments(commands.add_parser(
        "staff-report", help="offline replays refused or waiting, transactions needing staff, the outbox"))

    check = commands.add_parser("check-config", help="validate a settings file and say what is wrong")
    check.add_argument("file", type=Path)

    shot = commands.add_parser("screenshot", help="render a screen to PNG offscreen, with demo data")
    shot.add_argument("--screen", required=True, choices=screen_names())
    shot.add_argument("--lang", default="da", choices=LANGUAGES)
    shot.add_argument("--size", type=screen_size, default=(1080, 1920), help="WIDTHxHEIGHT in pixels")
    shot.add_argument("--out", type=Path, required=True, help="PNG file to write")
    shot.add_argument("--config", type=Path, default=DEMO_SETTINGS, help=argparse.SUPPRESS)

    from hardware.rfid import tag_cli
    from kiosk.cli import access as access_cli
    from kiosk.cli import calendar as calendar_cli
    from kiosk.simulate import build as simulation

    access = commands.add_parser("access", help="explain an access decision rule by rule; revoke cards; "
                                 "add staff cards")
    access_cli.add_arguments(access)

    cal = commands.add_parser("calendar", help="print a branch's opening calendar as a timeline (--week) "
                              "or its state at a time (--at)")
    calendar_cli.add_arguments(cal)
    from sync.sip2 import emulator_cli, tool

    sim = commands.add_parser("simulate", help="run a scenario against the real kiosk offscreen, "
                              "with simulated devices")
    simulation.add_arguments(sim)

    tag = commands.add_parser("tag", help="decode or encode library RFID tag data (ISO 28560)")
    tag_cli.add_arguments(tag)

    emulator = commands.add_parser("lms-emulator", help="run the SIP2 LMS emulator (for tests and demos)")
    emulator_cli.add_arguments(emulator)
    from sync.central import emulator as central_emulator

    central = commands.add_parser("central-emulator", help="run the central system's emulator (for tests "
                                  "and demos)")
    central_emulator.add_arguments(central)
    sip2 = commands.add_parser("sip2", help="talk SIP2 to an LMS: status, patron, item, checkout, ...")
    tool.add_arguments(sip2)
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-25") from None


def _entry_log(args: argparse.Namespace) -> int:
    """Staff's view of who came in (pseudonymous tokens only), or the retention purge now."""
    from kiosk.bootstrap.paths import locations
    from kiosk.settings import DEMO_DOOR_SETTINGS, load_settings
    from kiosk.store import open_store
    from kiosk.store.entry_log import EntryLog

    settings = load_settings(args.config or DEMO_DOOR_SETTINGS)
    where = locations(settings, "run" if args.config else "demo")
    store = open_store(where.database)
    try:
        log = EntryLog.from_settings(store, lambda: dt.datetime.now().astimezone(), settings.entry_log)
        if args.action == "purge":
            print(f"{log.purge()} entries older than {settings.entry_log.retention_days} days deleted")
            return 0
        today = dt.date.today()
        start, end = args.start or today - dt.timedelta(days=7), args.end or today
        zone = dt.datetime.now().astimezone().tzinfo
        csv = log.export(dt.datetime.combine(start, dt.time(), zone),
                         dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
        if args.out:
            args.out.write_text(csv, encoding="utf-8")
            print(args.out)
        else:
            print(csv, end="")
        return 0
    finally:
        store.close()


def _check_config(path: Path) -> int:
    from kiosk.settings import load_settings

    settings = load_settings(path)
    print(f"{path}: OK (terminal {settings.terminal.id}, branch {settings.terminal.branch})")
    return 0


def _sip2_lms(host: str, port: int) -> LibrarySystem:
    """For `access check --sip2`: the account's login comes from the environment, not the command line
    (where ps would show the password)."""
    from kiosk.settings import Sip2Settings
    from sync.sip2.client import Sip2Client
    from sync.sip2.library import Sip2LibrarySystem

    return Sip2LibrarySystem(Sip2Client(Sip2Settings(
        host=host, port=port, user=os.environ.get("LIBRARY_KIOSK_SIP2_USER", ""),
        password=os.environ.get("LIBRARY_KIOSK_SIP2_PASSWORD", ""),
        institution=os.environ.get("LIBRARY_KIOSK_SIP2_INSTITUTION", ""), keepalive_s=0)))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from kiosk.bootstrap.kiosk import run_gui
            from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS

            return run_gui(DEMO_DOOR_SETTINGS if args.door else DEMO_SETTINGS, demo=True)
        if args.command == "run":
            from kiosk.bootstrap.kiosk import run_gui

            return run_gui(args.config, demo=False)
        if args.command == "doctor":
            from kiosk.bootstrap.kiosk import doctor
            from kiosk.settings import DEMO_SETTINGS

            return doctor(args.config or DEMO_SETTINGS, demo=args.config is None)
        if args.command == "entry-log":
            return _entry_log(args)
        if args.command == "staff-report":
            from kiosk.cli import staff_report

            return staff_report.run(args)
        if args.command == "check-config":
            return _check_config(args.file)
        if args.command == "screenshot":
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from kiosk.bootstrap.kiosk import screenshot

            out = screenshot(args.screen, args.lang, args.size, args.out, args.config)
            print(out)
            return 0
        if args.command == "access":
            from kiosk.cli import access as access_cli

            return access_cli.run(args, connect_sip2=_sip2_lms)
        if args.command == "calendar":
            from kiosk.cli import calendar as calendar_cli

            return calendar_cli.run(args)
        if args.command == "simulate":
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from kiosk.simulate import build as simulation

            return simulation.run(args)
        if args.command == "tag":
            from hardware.rfid import tag_cli

            return tag_cli.run(args)
        if args.command == "lms-emulator":
            from sync.sip2 import emulator_cli

            return emulator_cli.run(args)
        if args.command == "central-emulator":
            from sync.central import emulator as central_emulator

            return central_emulator.run(args)
        if args.command == "sip2":
            from sync.sip2 import tool

            return tool.run(args)
    except KioskError as exc:
        print(f"library-kiosk: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
