"""``library-kiosk entry-log export|purge``: staff's view of who came in (pseudonymous tokens only),
or the retention purge now."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from kiosk.bootstrap.paths import locations
from kiosk.cli.args import date
from kiosk.domain.clock import SystemClock
from kiosk.settings import DEMO_DOOR_SETTINGS, load_settings
from kiosk.store import open_store
from kiosk.store.entry_log import EntryLog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("export", "purge"))
    parser.add_argument("--config", type=Path, help="settings file (default: the demo door terminal)")
    parser.add_argument("--from", dest="start", type=date, help="first day (default: 7 days ago)")
    parser.add_argument("--to", dest="end", type=date, help="last day (default: today)")
    parser.add_argument("--out", type=Path, help="write the CSV here instead of to the screen")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config or DEMO_DOOR_SETTINGS)
    where = locations(settings, "run" if args.config else "demo")
    store = open_store(where.database, key_dir=settings.paths.key_dir)
    try:
        clock = SystemClock(settings.terminal.zone)
        log = EntryLog.from_settings(store, clock.now, settings.entry_log)
        if args.action == "purge":
            print(f"{log.purge()} entries older than {settings.entry_log.retention_days} days deleted")
            return 0
        today = clock.now().date()  # days as the branch counts them
        start, end = args.start or today - dt.timedelta(days=7), args.end or today
        zone = settings.terminal.zone
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
