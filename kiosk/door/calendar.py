"""The opening calendar of a branch: what kind of hours it is now, and what happens when.

A :class:`BranchCalendar` turns a branch's weekly periods and exceptions into real periods and the
derived events (last entry, closing announcements, cut-offs, lights and alarm relays). Periods are
wall-clock local times; instants handed out are UTC-aware datetimes, so durations and comparisons are
right across daylight-saving changes (show them with ``.astimezone(calendar.zone)``). A wall-clock time
that does not exist (02:30 on the day summer time starts) means the instant just after the gap; one that
happens twice (02:30 on the day it ends) means the first.

Precedence for a date: an ad-hoc closure, then special hours, then a public holiday, then the week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from kiosk.settings.calendar import BranchSettings, PeriodKind, PeriodRule, country_holidays

UTC = dt.UTC
_HORIZON_DAYS = 8  # how far state_at looks either side for the ends of the current period
_MARGIN_DAYS = 2  # days computed beyond a range so that events moved by offsets are not lost


class DaySource(StrEnum):
    """What decided a day's periods."""

    WEEK = "week"
    HOLIDAY = "holiday"
    CLOSURE = "closure"
    SPECIAL = "special"


class EventKind(StrEnum):
    LAST_ENTRY = "last_entry"
    ANNOUNCEMENT = "announcement"
    KIOSK_CUTOFF = "kiosk_cutoff"
    PRINT_CUTOFF = "print_cutoff"
    LIGHTS_ON = "lights_on"
    LIGHTS_OFF = "lights_off"
    ALARM_DISARMED = "alarm_disarmed"
    ALARM_ARMED = "alarm_armed"


class OpeningKind(StrEnum):
    """What the branch is at a moment, as the opening calendar says."""

    STAFFED = "staffed"
    UNSTAFFED = "unstaffed"
    AFTER_LAST_ENTRY = "after_last_entry"  # still unstaffed hours, but too close to closing to come in
    CLOSED = "closed"


@dataclass(frozen=True)
class Period:
    """A stretch of one kind of hours, ``start`` (inclusive) to ``end`` (exclusive), UTC-aware."""

    kind: PeriodKind
    start: dt.datetime
    end: dt.datetime

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    def __contains__(self, when: dt.datetime) -> bool:
        return self.start <= when < self.end


@dataclass(frozen=True)
class CalendarEvent:
    """Something the kiosk does at ``time`` (UTC-aware), because of ``period``.

    ``minutes_before`` is how long before the end of ``period`` (last entry, announcements, cut-offs);
    ``next_kind`` is what follows it (an announcement before ``unstaffed`` means staffed hours end, before
    ``closed`` that the library closes); ``output`` and ``output_on`` name the relay and its new state.
    """

    time: dt.datetime
    kind: EventKind
    period: Period
    minutes_before: int | None = None
    next_kind: PeriodKind | None = None
    output: str | None = None
    output_on: bool | None = None


@dataclass(frozen=True)
class OpeningState:
    """The kind of hours at an instant, the whole current period, and what comes next."""

    kind: PeriodKind
    period: Period
    next_kind: PeriodKind

    @property
    def next_change(self) -> dt.datetime:
        return self.period.end


@dataclass(frozen=True)
class Opening:
    """What the door panel shows: the kind of hours now, and until when (in the branch's time)."""

    kind: PeriodKind
    until: dt.datetime


@dataclass(frozen=True)
class KioskHours:
    """What the self-service kiosk goes by: whether it takes new visits now, when it stops (the
    calendar's "kiosks close" cut-off before closing) and, while it does not, when it starts again.
    Instants are in the branch's time; None: not within the calendar's eight-day horizon."""

    open: bool
    closes: dt.datetime | None = None  # while open: the cut-off
    opens: dt.datetime | None = None  # while not open: the start of the next open hours
    opens_in_days: int = 0  # ... 0 today, 1 tomorrow (as the branch's calendar days go)


@dataclass(frozen=True)
class DayPlan:
    """One local date: its periods (cut at local midnight, covering the whole day) and its events.

    ``note`` names the holiday, the closure's reason or the special hours; ``holiday`` names a public
    holiday on the date even when a closure or special hours decided it.
    """

    date: dt.date
    source: DaySource
    note: str
    holiday: str | None
    periods: tuple[Period, ...]
    events: tuple[CalendarEvent, ...]


class BranchCalendar:
    """The calendar of one branch, computed on demand from its settings (no clock, no I/O)."""

    def __init__(self, branch: BranchSettings, language: str = "da") -> None:
        """Holidays are named in Danish for ``language`` "da", in English for any other."""
        self.branch = branch
        self.zone = branch.tz()
        self._holidays = country_holidays(branch.holidays.country, branch.holidays.categories,
                                          language="da" if language == "da" else "en_US")

    def state_at(self, when: dt.datetime) -> OpeningState:
        """The opening state at ``when`` (any aware datetime).

        The period's ends are looked for up to eight days either side; a branch that keeps one kind of
        hours for longer reports that horizon as the end.
        """
        if when.tzinfo is None:
            raise ValueError("state_at needs a timezone-aware datetime")
        day = when.astimezone(self.zone).date()
        horizon = dt.timedelta(days=_HORIZON_DAYS)
        periods = self._timeline(day - horizon, day + horizon)
        index = next(i for i, period in enumerate(periods) if when in period)
        after = periods[index + 1].kind if index + 1 < len(periods) else periods[index].kind
        return OpeningState(periods[index].kind, periods[index], after)

    def last_entry_passed(self, when: dt.datetime, state: OpeningState | None = None) -> bool:
        """Is ``when`` in unstaffed hours that close within the last-entry margin (nobody new comes in)?
        ``state``: the opening state at ``when``, if the caller has it already."""
        state = state or self.state_at(when)
        margin = dt.timedelta(minutes=self.branch.events.last_entry_min)
        return (state.kind is PeriodKind.UNSTAFFED and state.next_kind is PeriodKind.CLOSED
                and when >= state.period.end - margin)

    def opening(self, when: dt.datetime) -> Opening:
        """The kind of hours at ``when`` and when they end, as the branch's own time."""
        state = self.state_at(when)
        return Opening(state.kind, state.period.end.astimezone(self.zone))

    def opening_at(self, when: dt.datetime) -> OpeningKind:
        """What the door goes by at ``when``: the kind of hours, or "after last entry" in the last
        minutes of unstaffed hours before closing."""
        state = self.state_at(when)
        if self.last_entry_passed(when, state):
            return OpeningKind.AFTER_LAST_ENTRY
        return OpeningKind(state.kind.value)

    def kiosk_hours(self, when: dt.datetime) -> KioskHours:
        """The kiosk's hours at ``when``: open in staffed and unstaffed hours alike until
        ``events.kiosk_cutoff_min`` before the library closes."""
        return self._hours(when, self.branch.events.kiosk_cutoff_min)

    def printing_hours(self, when: dt.datetime) -> KioskHours:
        """When print jobs are released, as :meth:`kiosk_hours` but until ``events.print_cutoff_min``
        before the library closes (the "printing closes" cut-off: pages come out before the lights
        go off)."""
        return self._hours(when, self.branch.events.print_cutoff_min)

    def _hours(self, when: dt.datetime, cutoff_min: int) -> KioskHours:
        if when.tzinfo is None:
            raise ValueError("the hours need a timezone-aware datetime")
        day = when.astimezone(self.zone).date()
        periods = self._timeline(day - dt.timedelta(days=1), day + dt.timedelta(days=_HORIZON_DAYS))
        cutoff = dt.timedelta(minutes=cutoff_min)
        index = next(i for i, period in enumerate(periods) if when in period)
        # The open run holding ``when`` (staffed then unstaffed hours are one run), or the next one.
        while True:
            while index < len(periods) and not periods[index].kind.is_open:
                index += 1
            if index == len(periods):
                return KioskHours(False)
            start = periods[index].start
            while index + 1 < len(periods) and periods[index + 1].kind.is_open:
                index += 1
            last = index + 1 == len(periods)
            closes = max(start, periods[index].end - cutoff)
            if when < closes or last:
                break
            index += 1  # past this run's cut-off: the kiosk opens with the next run
        zone = self.zone
        if start <= when:
            return KioskHours(True, closes=None if last else closes.astimezone(zone))
        opens = start.astimezone(zone)
        days = (opens.date() - when.astimezone(zone).date()).days
        return KioskHours(False, opens=opens, opens_in_days=days)

    def events_between(self, start: dt.datetime, end: dt.datetime) -> list[CalendarEvent]:
        """Every derived event with ``start <= time < end`` (aware datetimes), in time order."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("events_between needs timezone-aware datetimes")
        first = start.astimezone(self.zone).date() - dt.timedelta(days=_MARGIN_DAYS)
        last = end.astimezone(self.zone).date() + dt.timedelta(days=_MARGIN_DAYS)
        events = self._events(self._timeline(first, last))
        return [event for event in events if start <= event.time < end]

    def day(self, date: dt.date) -> DayPlan:
        source, note, _ = self._rules(date)
        start, end = self._instant(date, 0), self._instant(date, 24 * 60)
        timeline = self._timeline(date - dt.timedelta(days=1), date + dt.timedelta(days=1))
        periods = tuple(
            Period(period.kind, max(period.start, start), min(period.end, end))
            for period in timeline if period.end > start and period.start < end
        )
        events = tuple(self.events_between(start, end))
        return DayPlan(date, source, note, self._holidays.get(date), periods, events)

    def week(self, start_date: dt.date) -> list[DayPlan]:
        """Seven days from ``start_date`` (any weekday)."""
        return [self.day(start_date + dt.timedelta(days=n)) for n in range(7)]

    def _rules(self, date: dt.date) -> tuple[DaySource, str, tuple[PeriodRule, ...]]:
        branch = self.branch
        for closure in branch.closures:
            if closure.first <= date <= closure.last:
                return DaySource.CLOSURE, closure.reason, ()
        for special in branch.special:
            if special.date == date:
                return DaySource.SPECIAL, special.name, special.periods
        name = self._holidays.get(date)
        if name is not None:
            return DaySource.HOLIDAY, name, branch.holidays.periods
        return DaySource.WEEK, "", branch.week.on(date)

    def _instant(self, date: dt.date, minutes: int) -> dt.datetime:
        """The instant of a wall-clock time at the branch: the first, when the clock shows it twice
        (the night summer time ends); the end of the gap, when the clock skips it (the night it
        begins: 02:30 then means 03:00 summer time, not the 03:30 a naive conversion gives)."""
        wall = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=minutes)
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if self._wall(instant) == wall:
            return instant
        # In the gap: the clock jumps from before ``wall`` (the other reading) to after it (this one).
        # The jump lies between the two; halve the span until it is found (zones change on a minute).
        before = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        while instant - before > dt.timedelta(seconds=1):
            middle = before + (instant - before) / 2
            if self._wall(middle) >= wall:
                instant = middle
            else:
                before = middle
        return instant.replace(microsecond=0)

    def _wall(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def _timeline(self, first: dt.date, last: dt.date) -> list[Period]:
        """The periods from ``first`` to ``last`` inclusive, gaps closed, neighbours of a kind merged."""
        merged: list[Period] = []
        for n in range((last - first).days + 1):
            date = first + dt.timedelta(days=n)
            cursor = self._instant(date, 0)
            pieces: list[Period] = []
            for rule in (*self._rules(date)[2], None):
                start = self._instant(date, rule.start_min) if rule else self._instant(date, 24 * 60)
                if start > cursor:
                    pieces.append(Period(PeriodKind.CLOSED, cursor, start))
                if rule is not None:
                    end = self._instant(date, rule.end_min)
                    if end > start:
                        pieces.append(Period(rule.kind, start, end))
                    cursor = max(cursor, end)
            for piece in pieces:
                if merged and merged[-1].kind is piece.kind:
                    merged[-1] = Period(piece.kind, merged[-1].start, piece.end)
                else:
                    merged.append(piece)
        return merged

    def _events(self, periods: list[Period]) -> list[CalendarEvent]:
        events: list[CalendarEvent] = []
        for index, period in enumerate(periods):
            before = periods[index - 1] if index > 0 else None
            after = periods[index + 1] if index + 1 < len(periods) else None
            if period.kind.is_open and after is not None:
                events += self._ending(period, after.kind)
            elif not period.kind.is_open:
                events += self._relays(period, before, after)
        return sorted(events, key=lambda event: (event.time, list(EventKind).index(event.kind)))

    def _ending(self, period: Period, next_kind: PeriodKind) -> list[CalendarEvent]:
        settings = self.branch.events
        wanted: list[tuple[EventKind, int]] = []
        if next_kind is PeriodKind.CLOSED:
            if period.kind is PeriodKind.UNSTAFFED:
                wanted.append((EventKind.LAST_ENTRY, settings.last_entry_min))
            wanted += [(EventKind.KIOSK_CUTOFF, settings.kiosk_cutoff_min),
                       (EventKind.PRINT_CUTOFF, settings.print_cutoff_min)]
        if next_kind is PeriodKind.CLOSED or period.kind is PeriodKind.STAFFED:
            wanted += [(EventKind.ANNOUNCEMENT, minutes) for minutes in settings.announcements_min]
        events = []
        for kind, minutes in wanted:
            time = period.end - dt.timedelta(minutes=minutes)
            if time >= period.start:
                events.append(CalendarEvent(time, kind, period, minutes_before=minutes, next_kind=next_kind))
        return events

    def _relays(self, closed: Period, before: Period | None, after: Period | None) -> list[CalendarEvent]:
        """Lights off and alarm armed after the open period before, the reverse before the one after.

        When the closed gap is too short for both (the offsets meet), the relay keeps its state.
        """
        lights, alarm = self.branch.lights, self.branch.alarm
        events: list[CalendarEvent] = []
        for output, off_kind, on_kind, off_offset, on_offset in (
            (lights.output, EventKind.LIGHTS_OFF, EventKind.LIGHTS_ON,
             lights.off_after_closing_min, lights.on_before_opening_min),
            (alarm.output, EventKind.ALARM_ARMED, EventKind.ALARM_DISARMED,
             alarm.arm_after_closing_min, alarm.disarm_before_opening_min),
        ):
            if not output:
                continue
            at_close = closed.start + dt.timedelta(minutes=off_offset)
            at_open = closed.end - dt.timedelta(minutes=on_offset)
            if before is not None and after is not None and at_close >= at_open:
                continue
            closing_on = off_kind is EventKind.ALARM_ARMED
            if before is not None:
                events.append(CalendarEvent(at_close, off_kind, before, output=output, output_on=closing_on))
            if after is not None:
                events.append(CalendarEvent(at_open, on_kind, after, output=output, output_on=not closing_on))
        return events
