"""The opening calendar in words, Danish or English: a week as a timeline of periods and events, and
the state at an instant (``library-kiosk calendar`` prints them; the administration web shows them)."""

from __future__ import annotations

import datetime as dt

from kiosk.door.calendar import BranchCalendar, CalendarEvent, DayPlan, DaySource, EventKind, Period
from kiosk.settings.calendar import PeriodKind

KINDS = {
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
            rows.append((period.start, 0, f"{span}  {KINDS[lang][period.kind]}"))
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

    return (f"{local:%d.%m.%Y %H.%M}: {KINDS[lang][period.kind]} {stamp(period.start)}–{stamp(period.end)}, "
            f"{_WORDS[lang]['then']} {KINDS[lang][next_kind]}")



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

