"""``library-kiosk calendar``: a branch's opening calendar as a timeline, for operators.

``calendar --branch B --week [--from YYYY-MM-DD]`` prints seven days (by default the week, Monday to
Sunday, that holds today) with their periods and every derived event in time order, and names holidays,
closures and special hours; ``calendar --branch B --at 2026-11-25T20:15`` prints the opening state at
an instant. ``--json`` prints the same as JSON; ``--lang`` picks Danish or English. A bad calendar file
is a :class:`~kiosk.domain.errors.ConfigError` (exit status 2 through :mod:`kiosk.cli.main`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from kiosk.domain.ports import Clock
from kiosk.door.calendar import BranchCalendar, DayPlan, Period
from kiosk.door.calendar_text import KINDS, state_text, week_text
from kiosk.settings import CONFIG_DIR
from kiosk.settings.calendar import load_calendar

DEMO_CALENDAR = CONFIG_DIR / "demo" / "calendar.toml"



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--branch", help="branch id in the calendar file (default: its only branch)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--week", action="store_true", help="print seven days as a timeline")
    what.add_argument("--at", type=_instant, metavar="YYYY-MM-DDTHH:MM",
                      help="print the opening state at this local time")
    parser.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD",
                        help="first day of the week (default: Monday of this week)")
    parser.add_argument("--file", type=Path, default=DEMO_CALENDAR, help="calendar file (TOML)")
    parser.add_argument("--lang", default="da", choices=tuple(KINDS), help="language of the text")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, clock: Clock | None = None) -> int:
    branch_id, branch = load_calendar(args.file).pick(args.branch)
    calendar = BranchCalendar(branch, args.lang)
    if args.at is not None:
        when = args.at if args.at.tzinfo else args.at.replace(tzinfo=calendar.zone)
        state = calendar.state_at(when)
        if args.json:
            print(json.dumps({"branch": branch_id, "at": when.isoformat(), "kind": state.kind.value,
                              "period": _period_json(calendar, state.period),
                              "next_kind": state.next_kind.value}, ensure_ascii=False, indent=2))
        else:
            print(state_text(calendar, when, state.period, state.next_kind, args.lang))
        return 0
    now = (clock.now() if clock else dt.datetime.now(dt.UTC)).astimezone(calendar.zone)
    start = args.start or now.date() - dt.timedelta(days=now.weekday())
    days = calendar.week(start)
    if args.json:
        print(json.dumps(week_json(calendar, branch_id, days), ensure_ascii=False, indent=2))
    else:
        print(week_text(calendar, branch_id, days, args.lang))
    return 0


def week_json(calendar: BranchCalendar, branch_id: str, days: list[DayPlan]) -> dict[str, Any]:
    return {
        "branch": branch_id,
        "name": calendar.branch.name,
        "zone": calendar.zone.key,
        "days": [{
            "date": day.date.isoformat(),
            "source": day.source.value,
            "note": day.note,
            "holiday": day.holiday,
            "periods": [_period_json(calendar, period) for period in day.periods],
            "events": [{
                "time": event.time.astimezone(calendar.zone).isoformat(),
                "kind": event.kind.value,
                "minutes_before": event.minutes_before,
                "next_kind": event.next_kind.value if event.next_kind else None,
                "output": event.output,
                "output_on": event.output_on,
                "period": _period_json(calendar, event.period),
            } for event in day.events],
        } for day in days],
    }


def _period_json(calendar: BranchCalendar, period: Period) -> dict[str, str]:
    return {"kind": period.kind.value, "start": period.start.astimezone(calendar.zone).isoformat(),
            "end": period.end.astimezone(calendar.zone).isoformat()}

def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _instant(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time YYYY-MM-DDTHH:MM") from None
