"""The opening calendar, acted on: spoken announcements, free passage in staffed hours, the
still-inside check at closing, and the relay outputs for the lights and the intruder alarm.
Driven by the core's ticks; a tick missed (a busy second) only delays an announcement, never drops
it, because every tick handles all events since the last.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from kiosk.door.calendar import BranchCalendar, CalendarEvent, EventKind
from kiosk.door.supervision import DoorSupervisor
from kiosk.settings.calendar import PeriodKind
from kiosk.texts import plural

log = logging.getLogger(__name__)

# How far back the calendar is read at start for the state the outputs should be in, and how often
# they are set again (a relay board that lost power, or a switch that failed, comes right by itself).
_LOOK_BACK = dt.timedelta(days=8)
REASSERT_EVERY = dt.timedelta(minutes=5)

ANNOUNCEMENTS = {PeriodKind.CLOSED: "announce.closing", PeriodKind.UNSTAFFED: "announce.staffed_ends"}


def announcement_text(event: CalendarEvent, language: str) -> str | None:
    """What is said for a calendar event in ``language``; None for an event that says nothing."""
    if event.kind is not EventKind.ANNOUNCEMENT or event.next_kind is None:
        return None
    key = ANNOUNCEMENTS.get(event.next_kind)
    minutes = event.minutes_before or 0
    return plural(key, minutes, language, minutes=minutes) if key is not None else None


class OpeningSchedule:
    def __init__(self, calendar: BranchCalendar, supervisor: DoorSupervisor,
                 announce: Callable[[str, str], None], now: Callable[[], dt.datetime],
                 languages: tuple[str, ...] = ("da",), *, outputs: Iterable[str] = (),
                 switch: Callable[[str, bool], None] = lambda _name, _on: None) -> None:
        self._supervisor = supervisor
        self._announce = announce
        self._now = now
        self._languages = languages
        self._switch = switch
        self._outputs = frozenset(outputs)
        self.replace(calendar)

    def replace(self, calendar: BranchCalendar) -> None:
        """Go by ``calendar`` from now on: the outputs as it wants them now, free passage and the
        closing check as its hours say (what the calendar before announced is not repeated)."""
        self._calendar = calendar
        self._last = self._now()
        self._kind: PeriodKind | None = None
        self.wanted: dict[str, bool] = {}  # what each output should be now, as the calendar says
        for event in calendar.events_between(self._last - _LOOK_BACK, self._last):
            if event.output is not None and event.output_on is not None:
                self.wanted[event.output] = event.output_on
        for name in sorted({e.output for e in calendar.events_between(self._last, self._last + _LOOK_BACK)
                            if e.output} - self._outputs):
            log.warning("the calendar switches output %r, but this terminal has no such device", name)
        self._set_outputs()
        self.tick()

    def tick(self) -> None:
        now = self._now()
        state = self._calendar.state_at(now)
        if state.kind is not self._kind:
            self._kind = state.kind
            self._supervisor.set_free_passage(state.kind is PeriodKind.STAFFED)
            if state.kind is not PeriodKind.CLOSED and state.next_kind is PeriodKind.CLOSED:
                self._supervisor.closing(state.period.end)  # the still-inside check at closing
            log.info("opening state: %s until %s", state.kind.value,
                     state.period.end.astimezone(self._calendar.zone).strftime("%H.%M"))
        if now > self._last:
            for event in self._calendar.events_between(self._last, now):
                if event.output is not None and event.output_on is not None:
                    self.wanted[event.output] = event.output_on
                    if event.output in self._outputs:
                        log.info("calendar: %s %s", event.output, event.kind.value)
                        self._switch(event.output, event.output_on)
                for language in self._languages:
                    text = announcement_text(event, language)
                    if text is not None:
                        self._announce(text, language)
            self._last = now
        if now - self._asserted >= REASSERT_EVERY:
            self._set_outputs()

    def _set_outputs(self) -> None:
        """Set every output to what the calendar wants now (again: relays keep no state unpowered)."""
        self._asserted = self._now()
        for name, on in sorted(self.wanted.items()):
            if name in self._outputs:
                self._switch(name, on)
