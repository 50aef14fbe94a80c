"""The opening calendar, acted on: spoken announcements, free passage in staffed hours, and the
still-inside check at closing. Driven by the core's ticks; a tick missed (a busy second) only
delays an announcement, never drops it, because every tick handles all events since the last.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.services.calendar import BranchCalendar, CalendarEvent, EventKind
from kiosk.services.calendar_model import PeriodKind
from kiosk.services.door import DoorSupervisor

log = logging.getLogger(__name__)

ANNOUNCEMENT_TEXTS = {
    (PeriodKind.CLOSED, "da"): "Biblioteket lukker om {minutes} minutter.",
    (PeriodKind.CLOSED, "en"): "The library closes in {minutes} minutes.",
    (PeriodKind.UNSTAFFED, "da"): "Betjeningen slutter om {minutes} minutter. Derefter er der "
                                  "selvbetjent åbningstid.",
    (PeriodKind.UNSTAFFED, "en"): "Staffed hours end in {minutes} minutes. Self-service hours follow.",
}


def announcement_text(event: CalendarEvent, language: str) -> str | None:
    if event.kind is not EventKind.ANNOUNCEMENT or event.next_kind is None:
        return None
    text = ANNOUNCEMENT_TEXTS.get((event.next_kind, language))
    return text.format(minutes=event.minutes_before) if text is not None else None


class OpeningSchedule:
    def __init__(self, calendar: BranchCalendar, supervisor: DoorSupervisor,
                 announce: Callable[[str, str], None], now: Callable[[], dt.datetime],
                 languages: tuple[str, ...] = ("da",)) -> None:
        self._calendar = calendar
        self._supervisor = supervisor
        self._announce = announce
        self._now = now
        self._languages = languages
        self._last = now()
        self._kind: PeriodKind | None = None
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
                for language in self._languages:
                    text = announcement_text(event, language)
                    if text is not None:
                        self._announce(text, language)
            self._last = now
