"""The door terminal's assembly: the entrance panel's calendar, access rules, door supervision,
entry log, opening schedule (announcements, lights and alarm relays) and daily purge, wired to the core.
Part of the composition root (with :mod:`kiosk.bootstrap.kiosk`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Core, Tick
from kiosk.domain.ports import Clock, Devices, LibrarySystem
from kiosk.door.access_model import OpeningKind
from kiosk.door.access_rules import AccessRules
from kiosk.door.calendar import BranchCalendar
from kiosk.door.entry import EntryController, EntryView
from kiosk.door.schedule import OpeningSchedule
from kiosk.door.supervision import ANNOUNCEMENTS, DoorAlarmEvent, DoorSupervisor
from kiosk.offline.mode import CachedAuth
from kiosk.session.events import DoorChanged
from kiosk.session.service import EntryFactory
from kiosk.settings import Settings
from kiosk.store import Journal, Store
from kiosk.store.entry_log import EntryLog
from kiosk.store.keys import pseudonymizer

log = logging.getLogger(__name__)


def door_terminal(settings: Settings, store: Store, core: Core, clock: Clock, lms: LibrarySystem,
                  devices: Devices, cached: CachedAuth | None = None
                  ) -> tuple[EntryFactory, Callable[[], tuple[str, dt.datetime | None]]]:
    """The entrance panel: calendar, access rules, door supervision and entry log, wired to the core.
    ``cached`` answers for the LMS from the cached access list when it does not answer in time."""

    if settings.calendar.file is None:
        raise ConfigError("calendar.file: the door terminal needs the branch's opening calendar")
    calendar = BranchCalendar.from_file(settings.calendar.file, settings.terminal.branch,
                                        settings.terminal.language)
    pseudonym = pseudonymizer(store)
    rules = AccessRules.from_settings(settings.access, pseudonym)
    entry_log = EntryLog.from_settings(store, clock.now, settings.entry_log)
    entry_log.purge()
    announcer = devices.announcer
    language = settings.terminal.language

    def on_alarm(event: DoorAlarmEvent) -> None:
        log.warning("door alarm: %s", event.kind.value)
        core.publish(event)
        if event.announcement and announcer is not None:
            text = ANNOUNCEMENTS[event.announcement][language]
            core.run_in_worker(lambda: announcer.announce(text, language), lambda _r, _e: None)

    sensor = devices.door_sensor
    journal = Journal(store, now=lambda: clock.now().astimezone(dt.UTC))
    supervisor = DoorSupervisor(clock, settings.door_supervision, journal, entry_log, on_alarm,
                                terminal=settings.terminal.id, has_sensor=sensor is not None,
                                door_open=sensor.is_open() if sensor is not None else False)
    core.on(Tick, lambda _e: supervisor.tick())
    core.on(DoorChanged, lambda e: supervisor.door_changed(e.is_open))

    def announce(text: str, spoken_language: str) -> None:
        if announcer is not None:
            core.run_in_worker(lambda: announcer.announce(text, spoken_language), lambda _r, _e: None)

    outputs = devices.outputs()
    failing: set[str] = set()

    def switched(name: str, on: bool) -> Callable[[object, BaseException | None], None]:
        def done(_result: object, error: BaseException | None) -> None:
            if error is None:
                failing.discard(name)
            elif name not in failing:  # said once, not every time it is set again
                failing.add(name)
                log.error("could not switch %s %s: %s", name, "on" if on else "off", error)
        return done

    def switch(name: str, on: bool) -> None:
        core.run_in_worker(lambda: outputs[name].set(on), switched(name, on))

    schedule = OpeningSchedule(calendar, supervisor, announce, clock.now, settings.terminal.languages,
                               outputs=outputs, switch=switch)
    core.on(Tick, lambda _e: schedule.tick())
    purged = [clock.now().astimezone(calendar.zone).date()]

    def purge_daily(_event: Tick) -> None:
        today = clock.now().astimezone(calendar.zone).date()
        if today != purged[0]:
            purged[0] = today
            entry_log.purge()

    core.on(Tick, purge_daily)

    def opening(when: dt.datetime) -> OpeningKind:
        state = calendar.state_at(when)
        if calendar.last_entry_passed(when, state):
            return OpeningKind.AFTER_LAST_ENTRY
        return OpeningKind(state.kind.value)

    def opening_now() -> tuple[str, dt.datetime | None]:
        state = calendar.state_at(clock.now())
        return state.kind.value, state.period.end.astimezone(calendar.zone)  # shown as the branch's time

    def entry(publish: Callable[[EntryView], None]) -> EntryController:
        return EntryController(core, lms, clock, rules, opening, supervisor, devices.door_lock, pseudonym,
                               publish=publish, budget_s=settings.terminal.lms_budget_s,
                               pulse_s=settings.devices.door.pulse_s, cached=cached)

    return entry, opening_now
