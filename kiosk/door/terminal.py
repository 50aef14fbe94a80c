"""The entrance panel's own work, on the core thread: what the door terminal does besides deciding
entries. Door supervision, the opening schedule (announcements, lights and alarm relays), the
entry log's retention purge once a day, and the door's alarms said aloud.

Each rule is a small class here, so that the tests drive the same code the terminal runs; the
wiring (:mod:`kiosk.bootstrap.door`) only builds them and calls :meth:`DoorTerminal.attach`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from kiosk.domain.events import Core, Tick
from kiosk.domain.inputs import DoorChanged, ExitPressed
from kiosk.domain.ports import Announcer, Clock, RelayOutput
from kiosk.door.calendar import BranchCalendar, Opening, OpeningKind
from kiosk.door.schedule import OpeningSchedule
from kiosk.door.supervision import DoorAlarmEvent, DoorSupervisor
from kiosk.settings.calendar import PeriodKind
from kiosk.store.entry_log import EntryLog
from kiosk.texts import text

log = logging.getLogger(__name__)


class RelayOutputs:
    """Switches the relay outputs the calendar names (lights, alarm) on the core's workers. A failing
    output is reported once, and again only after it has worked in between: the schedule sets every
    output again every few minutes, and one broken board must not fill the log."""

    def __init__(self, core: Core, outputs: Mapping[str, RelayOutput]) -> None:
        self._core = core
        self._outputs = dict(outputs)
        self._failing: set[str] = set()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._outputs)

    def switch(self, name: str, on: bool) -> None:
        output = self._outputs[name]
        self._core.run_in_worker(lambda: output.set(on), lambda _r, error: self._switched(name, on, error))

    def _switched(self, name: str, on: bool, error: BaseException | None) -> None:
        if error is None:
            self._failing.discard(name)
        elif name not in self._failing:
            self._failing.add(name)
            log.error("could not switch %s %s: %s", name, "on" if on else "off", error)


class DailyPurge:
    """Deletes entry-log rows past their retention once a day (at the first tick of a new day in the
    branch's time zone), besides once at start."""

    def __init__(self, entry_log: EntryLog, now: Callable[[], dt.datetime], zone: dt.tzinfo) -> None:
        self._entry_log, self._now, self._zone = entry_log, now, zone
        self._day = self._today()
        entry_log.purge()

    def _today(self) -> dt.date:
        return self._now().astimezone(self._zone).date()

    def tick(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self._entry_log.purge()


class Speaker:
    """What the door says aloud, on a worker (speech takes seconds). A door alarm also goes to the
    listeners (the screen, the central system) and, when it has an announcement, is said in the
    terminal's language."""

    def __init__(self, core: Core, announcer: Announcer | None, language: str) -> None:
        self._core, self._announcer, self._language = core, announcer, language

    def say(self, words: str, language: str) -> None:
        announcer = self._announcer
        if announcer is not None:
            self._core.run_in_worker(lambda: announcer.announce(words, language), lambda _r, _e: None)

    def alarm(self, event: DoorAlarmEvent) -> None:
        log.warning("door alarm: %s", event.kind.value)
        self._core.publish(event)
        if event.announcement is not None:
            self.say(text(event.announcement, self._language), self._language)


class DoorTerminal:
    """The door's parts that act on the core's ticks and the door contact; and what staff set from
    staff mode over the calendar: a staffed event (:meth:`staffed_for`, staffed hours from now for
    some minutes) or unstaffed hours now (:meth:`unstaffed_now`, staff leave before the calendar's
    staffed hours end), each until it runs out or staff end it (:meth:`end_override`)."""

    def __init__(self, calendar: BranchCalendar, supervisor: DoorSupervisor, schedule: OpeningSchedule,
                 purge: DailyPurge, clock: Clock) -> None:
        self.calendar, self.supervisor, self.schedule, self.purge = calendar, supervisor, schedule, purge
        self._clock = clock
        self.override: tuple[PeriodKind, dt.datetime] | None = None

    @property
    def staffed_until(self) -> dt.datetime | None:
        """When a staffed event from staff mode ends; None without one."""
        return self._override_until(PeriodKind.STAFFED)

    @property
    def unstaffed_until(self) -> dt.datetime | None:
        """When the unstaffed hours staff started early end; None when they did not."""
        return self._override_until(PeriodKind.UNSTAFFED)

    def _override_until(self, kind: PeriodKind) -> dt.datetime | None:
        override = self.override
        return override[1] if override is not None and override[0] is kind else None

    def opening_now(self) -> Opening:
        """What the panel shows: the kind of hours now and until when."""
        now = self._clock.now()
        if self.override is not None and now < self.override[1]:
            return Opening(self.override[0], self.override[1].astimezone(self.calendar.zone))
        return self.calendar.opening(now)

    def opening_at(self, when: dt.datetime) -> OpeningKind:
        """The kind of hours at ``when``, by the calendar in force (the access rules ask)."""
        if self.override is not None and when < self.override[1]:
            return OpeningKind(self.override[0].value)
        return self.calendar.opening_at(when)

    def staffed_for(self, minutes: int) -> dt.datetime:
        """A staffed event: staffed hours (the door open to everyone, no door alarms) from now for
        ``minutes``; when it ends."""
        until = self._clock.now() + dt.timedelta(minutes=minutes)
        self.override = (PeriodKind.STAFFED, until)
        self.supervisor.set_free_passage(True)
        log.info("door: staffed for %d minutes (staff mode)", minutes)
        return until

    def unstaffed_now(self) -> dt.datetime | None:
        """Staff leave before the calendar's staffed hours end: unstaffed hours (card and PIN, door
        alarms) until they would have ended; when that is. None when the calendar does not say
        staffed now (nothing to change)."""
        state = self.calendar.state_at(self._clock.now())
        if state.kind is not PeriodKind.STAFFED:
            return None
        self.override = (PeriodKind.UNSTAFFED, state.period.end)
        self.supervisor.set_free_passage(False)
        log.info("door: unstaffed until %s (staff mode)", state.period.end.isoformat(timespec="minutes"))
        return state.period.end

    def end_override(self) -> None:
        """What staff set ends (they locked up, or its time ran out): the calendar again."""
        if self.override is None:
            return
        self.override = None
        state = self.calendar.state_at(self._clock.now())
        self.supervisor.set_free_passage(state.kind is PeriodKind.STAFFED)
        log.info("door: back to the calendar: %s", state.kind.value)

    def replace_calendar(self, calendar: BranchCalendar) -> None:
        """A new calendar for the branch (from the central system), in force at once, no restart."""
        self.calendar = calendar
        self.schedule.replace(calendar)
        log.info("door: a new opening calendar is in force")

    def attach(self, core: Core) -> None:
        core.on(Tick, self._tick)
        core.on(DoorChanged, lambda event: self.supervisor.door_changed(event.is_open))
        core.on(ExitPressed, lambda _event: self.supervisor.exited())

    def _tick(self, _event: Tick) -> None:
        if self.override is not None and self._clock.now() >= self.override[1]:
            self.end_override()
        self.supervisor.tick()
        self.schedule.tick()
        if self.override is not None:  # whatever the calendar's hours turned into meanwhile
            self.supervisor.set_free_passage(self.override[0] is PeriodKind.STAFFED)
        self.purge.tick()

