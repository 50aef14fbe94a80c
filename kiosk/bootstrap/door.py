"""The door terminal's assembly: the entrance panel's calendar, access rules, door supervision,
entry log, opening schedule and daily purge, built from the settings and attached to the core.
Part of the composition root (with :mod:`kiosk.bootstrap.kiosk`): it builds, the door decides."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from kiosk.bootstrap.central import with_central
from kiosk.bootstrap.check import branch_calendar
from kiosk.domain.central import CalendarReceived, ConfigApplied
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Core
from kiosk.domain.ports import AuthObserver, Clock, Devices, LibrarySystem
from kiosk.domain.privacy import Pseudonymizer
from kiosk.door.access_rules import AccessRules
from kiosk.door.calendar import Opening
from kiosk.door.entry import EntryController, EntryView
from kiosk.door.schedule import OpeningSchedule
from kiosk.door.supervision import DoorSupervisor
from kiosk.door.terminal import DailyPurge, DoorTerminal, RelayOutputs, Speaker
from kiosk.offline.mode import CachedAuth
from kiosk.session.door_visit import EntryFactory
from kiosk.settings import AccessSettings, Settings
from kiosk.staff.door import DoorControl
from kiosk.store import Journal, Store
from kiosk.store.access_lists import load_revocations, load_staff_list
from kiosk.store.entry_log import EntryLog

log = logging.getLogger(__name__)


def access_rules(settings: AccessSettings, pseudonym: Callable[[str], str] | None,
                 central_revoked: Callable[[str], bool] | None = None) -> AccessRules:
    """The rules, with the revocation and staff lists read from the files the settings name, and
    the municipality's revocation list (``central_revoked``) when there is a central service."""
    if (settings.revocation_list or settings.staff_list) and pseudonym is None:
        raise ConfigError("access: the revocation and staff lists need the installation's pseudonym key")
    revoked = load_revocations(settings.revocation_list) if settings.revocation_list else frozenset()
    staff = load_staff_list(settings.staff_list) if settings.staff_list else ()
    return AccessRules(settings, pseudonym=pseudonym, revoked=revoked, staff=staff,
                       central_revoked=central_revoked)


def door_terminal(settings: Settings, store: Store, journal: Journal, core: Core, clock: Clock,
                  lms: LibrarySystem, devices: Devices, pseudonym: Pseudonymizer,
                  cached: CachedAuth | None = None, observe: AuthObserver | None = None,
                  central_calendar: Mapping[str, Any] | None = None, own: Settings | None = None,
                  central_revoked: Callable[[str], bool] | None = None
                  ) -> tuple[EntryFactory, Callable[[], Opening], int, DoorControl]:
    """The entrance panel, attached to the core; the session gets the entry controller's factory,
    the opening state to show and how many children a patron may bring in. ``cached`` answers from
    the cached access list when the LMS does not answer in time. ``central_calendar``: the central
    system's calendar for the branch, if it sent one; a new one (:class:`CalendarReceived`) is in
    force at once, and so are new access rules in a configuration revision (:class:`ConfigApplied`,
    laid over ``own``, the terminal's file). The door's controls for staff mode come last."""
    calendar = branch_calendar(settings, central_calendar)
    rules = [access_rules(settings.access, pseudonym, central_revoked)]  # in force; a revision replaces them

    def new_rules(event: ConfigApplied) -> None:
        if own is not None:
            rules[0] = access_rules(with_central(own, event.settings).access, pseudonym, central_revoked)
            log.info("door: the access rules of configuration revision %s are in force", event.revision)

    core.on(ConfigApplied, new_rules)
    entry_log = EntryLog.from_settings(store, clock.now, settings.entry_log)
    terminal_settings = settings.terminal
    speaker = Speaker(core, devices.announcer, terminal_settings.language)
    sensor = devices.door_sensor
    supervisor = DoorSupervisor(clock, settings.door_supervision, journal, entry_log, speaker.alarm,
                                terminal=terminal_settings.id, has_sensor=sensor is not None,
                                door_open=sensor.is_open() if sensor is not None else False)
    outputs = RelayOutputs(core, devices.outputs())
    schedule = OpeningSchedule(calendar, supervisor, speaker.say, clock.now, terminal_settings.languages,
                               outputs=outputs.names, switch=outputs.switch)
    terminal = DoorTerminal(calendar, supervisor, schedule, DailyPurge(entry_log, clock.now, calendar.zone),
                            clock)
    terminal.attach(core)
    core.on(CalendarReceived,
            lambda event: terminal.replace_calendar(branch_calendar(settings, event.calendar)))

    def entry(publish: Callable[[EntryView], None]) -> EntryController:
        return EntryController(core, lms, clock, lambda: rules[0], terminal.opening_at, supervisor,
                               devices.door_lock,
                               pseudonym, publish=publish, budget_s=terminal_settings.lms_budget_s,
                               pulse_s=settings.devices.door.pulse_s, cached=cached, observe=observe)

    control = DoorControl(terminal, entry_log, journal, devices.door_lock,
                          pulse_s=settings.devices.door.pulse_s, zone=terminal_settings.zone)
    return entry, terminal.opening_now, supervisor.max_children, control
