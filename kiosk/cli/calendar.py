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
from kiosk.door.calendar import BranchCalendar, CalendarEvent, DayPlan, DaySource, EventKind, Period
from kiosk.settings import CONFIG_DIR
from kiosk.settings.calendar import PeriodKind, load_calendar

DEMO_CALENDAR = CONFIG_DIR / "demo" / "calendar.toml"

_KINDS = {
    "da": {PeriodKind.STAFFED: "betjent", PeriodKind.UNSTAFFED: "selvbetjent", PeriodKind.CLOSED: "lukket"},
    "en": {PeriodKind.STAFFED: "staffed", PeriodKind.UNSTAFFED: "unstaffed", PeriodKind.CLOSED: "closed"},
}
_EVENTS = {
    "da": {
        EventKind.LAST_ENTRY: "sidste adgang ({m} min før lukning)",
        EventKind.ANNOUNCEMENT: "meddelelse: biblioteket lukker om {m} minutter",
        EventKind.KIOSK_CUTOFF: "kiosker lukker ({m} min før lukning)",
        EventKind.PRINT_CUTOFF: "udskrivning lukker ({m} min før lukning)",
        EventKind.LIGHTS_ON: "lys tændes (relæ {o})",
        EventKind.LIGHTS_OFF: "lys slukkes (relæ {o})",
        EventKind.ALARM_DISARMED: "alarm frakobles (relæ {o})",
        EventKind.ALARM_ARMED: "alarm tilkobles (relæ {o})",
    },
    "en": {
        EventKind.LAST_ENTRY: "last entry ({m} min before closing)",
        EventKind.ANNOUNCEMENT: "announcement: the library closes in {m} minutes",
        EventKind.KIOSK_CUTOFF: "kiosks close ({m} min before closing)",
        EventKind.PRINT_CUTOFF: "printing closes ({m} min before closing)",
        EventKind.LIGHTS_ON: "lights on (relay {o})",
        EventKind.LIGHTS_OFF: "lights off (relay {o})",
        EventKind.ALARM_DISARMED: "alarm disarmed (relay {o})",
        EventKind.ALARM_ARMED: "alarm armed (relay {o})",
    },
}
_STAFFED_ENDS = {"da": "meddelelse: betjeningen slutter om {m} minutter",
                 "en": "announcement: staffed hours end in {m} minutes"}
_SOURCES = {
    "da": {DaySource.HOLIDAY: "helligdag", DaySource.CLOSURE: "lukket",
           DaySource.SPECIAL: "særlige åbningstider"},
    "en": {DaySource.HOLIDAY: "public holiday", DaySource.CLOSURE: "closed",
           DaySource.SPECIAL: "special hours"},
}
_WORDS = {
    "da": {"week": "uge", "then": "derefter", "summer_on": "sommertid begynder",
           "summer_off": "sommertid slutter"},
    "en": {"week": "week", "then": "then", "summer_on": "summer time begins",
           "summer_off": "summer time ends"},
}
_DAYS = {"da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
         "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
_MONTHS = {"da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
                  "oktober", "november", "december"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--branch", help="branch id in the calendar file (default: its only branch)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--week", action="store_true", help="print seven days as a timeline")
    what.add_argument("--at", type=_instant, metavar="YYYY-MM-DDTHH:MM",
                      help="print the opening state at this local time")
    parser.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD",
                        help="first day of the week (default: Monday of this week)")
    parser.add_argument("--file", type=Path, default=DEMO_CALENDAR, help="calendar file (TOML)")
    parser.add_argument("--lang", default="da", choices=tuple(_KINDS), help="language of the text")
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


def week_text(calendar: BranchCalendar, branch_id: str, days: list[DayPlan], lang: str) -> str:
    """The week as a plain-text timeline, one block per day."""
    first, last = days[0].date, days[-1].date
    title = calendar.branch.name or branch_id
    lines = [f"{title} ({branch_id}) · {_WORDS[lang]['week']} {first.isocalendar().week} · "
             f"{_date_text(first, lang)} – {_date_text(last, lang)} · {calendar.zone.key}"]
    for day in days:
        lines += ["", _day_heading(calendar, day, lang)]
        rows: list[tuple[dt.datetime, int, str]] = []
        for period in day.periods:
            span = f"{_clock(calendar, period.start)}–{_clock(calendar, period.end, day.date)}"
            rows.append((period.start, 0, f"{span}  {_KINDS[lang][period.kind]}"))
        for event in day.events:
            rows.append((event.time, 1, f"{_clock(calendar, event.time):<11}  {event_text(event, lang)}"))
        lines += [f"  {text}" for _, _, text in sorted(rows, key=lambda row: row[:2])]
    return "\n".join(lines)


def event_text(event: CalendarEvent, lang: str) -> str:
    if event.kind is EventKind.ANNOUNCEMENT and event.next_kind is not PeriodKind.CLOSED:
        return _STAFFED_ENDS[lang].format(m=event.minutes_before)
    return _EVENTS[lang][event.kind].format(m=event.minutes_before, o=event.output)


def state_text(calendar: BranchCalendar, when: dt.datetime, period: Period, next_kind: PeriodKind,
               lang: str) -> str:
    """``25.11.2026 20.15: selvbetjent 19.00–22.00, derefter lukket`` (other days than ``when``'s dated)."""
    local = when.astimezone(calendar.zone)

    def stamp(instant: dt.datetime) -> str:
        moment = instant.astimezone(calendar.zone)
        return f"{moment:%H.%M}" if moment.date() == local.date() else f"{moment:%d.%m.%Y %H.%M}"

    return (f"{local:%d.%m.%Y %H.%M}: {_KINDS[lang][period.kind]} {stamp(period.start)}–{stamp(period.end)}, "
            f"{_WORDS[lang]['then']} {_KINDS[lang][next_kind]}")


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


def _day_heading(calendar: BranchCalendar, day: DayPlan, lang: str) -> str:
    notes = []
    if day.source is not DaySource.WEEK:
        note = f"{_SOURCES[lang][day.source]}: {day.note}" if day.note else _SOURCES[lang][day.source]
        if day.holiday and day.source is not DaySource.HOLIDAY:
            note += f" ({_SOURCES[lang][DaySource.HOLIDAY]}: {day.holiday})"
        notes.append(note)
    midnight = dt.datetime.combine(day.date, dt.time(), calendar.zone)
    next_midnight = dt.datetime.combine(day.date + dt.timedelta(days=1), dt.time(), calendar.zone)
    offset_before, offset_after = midnight.utcoffset(), next_midnight.utcoffset()
    if offset_before is not None and offset_after is not None and offset_before != offset_after:
        notes.append(_WORDS[lang]["summer_on" if offset_after > offset_before else "summer_off"])
    weekday = _DAYS[lang][day.date.weekday()]
    return " — ".join([f"{weekday} {_date_text(day.date, lang)}", *notes])


def _date_text(date: dt.date, lang: str) -> str:
    month = _MONTHS[lang][date.month - 1]
    return f"{date.day}. {month} {date.year}" if lang == "da" else f"{date.day} {month} {date.year}"


def _clock(calendar: BranchCalendar, when: dt.datetime, day: dt.date | None = None) -> str:
    """``07.00`` (the Danish way); an end at the following midnight is ``24.00``."""
    local = when.astimezone(calendar.zone)
    if day is not None and local.date() > day:
        return "24.00"
    return f"{local:%H.%M}"


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
