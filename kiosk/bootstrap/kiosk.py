"""The composition root: from settings to a running kiosk (without its window: :mod:`kiosk.bootstrap.gui`).

:func:`build` makes the store, the LMS, the devices, the central system, and the session of the
terminal's role (the self-service kiosk, or the door), wired to one core. It builds and connects;
every rule is in the core's packages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.bootstrap.central import access_observer, central_settings_problem, central_system, with_central
from kiosk.bootstrap.check import branch_calendar, check_settings, terminal_calendar
from kiosk.bootstrap.demo import DemoCard, demo_cards, demo_tags
from kiosk.bootstrap.devices import build_devices, simulators_for
from kiosk.bootstrap.lms import library_system, receipt_mailer
from kiosk.bootstrap.log_files import setup_logging
from kiosk.bootstrap.memory import MallocTrim
from kiosk.bootstrap.offline import circulation, lms_mode
from kiosk.bootstrap.paths import Locations, locations
from kiosk.bootstrap.printing import print_desk
from kiosk.bootstrap.staff import demo_staff, staff_mode
from kiosk.bootstrap.updates import automatic_updates, software_updates
from kiosk.central.config import TerminalConfiguration
from kiosk.circulation.reconcile import Reconciler
from kiosk.circulation.visit import VisitController
from kiosk.domain.central import CalendarReceived, DefaultLanguageChosen, RestartWanted
from kiosk.domain.clock import SystemClock
from kiosk.domain.errors import ConfigError, KioskError
from kiosk.domain.events import Core, Tick, Workers
from kiosk.domain.inputs import CredentialPresented, DoorChanged, ExitPressed, TagsOnPad
from kiosk.domain.model import DeviceState, Tag
from kiosk.domain.ports import CardReader, Clock, Devices, LibrarySystem
from kiosk.door.calendar import BranchCalendar, KioskHours
from kiosk.offline.mode import LmsMode
from kiosk.session.service import SessionService
from kiosk.settings import Role, Settings
from kiosk.store import Journal, Store, open_store
from kiosk.store.access_lists import StaffEntry
from kiosk.store.keys import pseudonymizer
from kiosk.store.pin_failures import StoredPinFailures
from kiosk.store.terminal_state import keep_language, kept_language

log = logging.getLogger(__name__)


@dataclass
class Kiosk:
    """Everything the running kiosk is made of, without the UI."""

    settings: Settings
    locations: Locations
    store: Store
    journal: Journal
    core: Core
    clock: Clock
    lms: LibrarySystem
    devices: Devices
    session: SessionService
    mode: LmsMode | None = None  # online/offline towards the LMS (kiosks with a pad)
    institution: str = ""  # the library's ISIL (SIP2 AO): its own items' owner
    demo_cards: tuple[DemoCard, ...] = ()
    demo_tags: tuple[Tag, ...] = ()
    demo_titles: dict[str, str] = field(default_factory=dict)
    simulators: Any = None  # hardware.simulated.Simulators behind the "simulated" devices, if any
    closers: list[Callable[[], None]] = field(default_factory=list)
    configuration: TerminalConfiguration | None = None  # the central system's, when there is one
    # The branch calendar in force (the central system's, a new one at once; else the file's); None
    # without one. Read from any thread: screen blanking reads it from the GUI's.
    calendar: Callable[[], BranchCalendar | None] = lambda: None

    @property
    def card_reader(self) -> CardReader:
        return self.devices.card_reader

    def connect_devices(self) -> None:
        """Devices start delivering their events to the core queue."""
        self.card_reader.start(lambda c: self.core.post(CredentialPresented(c)))
        if self.devices.barcode_scanner is not None:
            self.devices.barcode_scanner.start(lambda c: self.core.post(CredentialPresented(c)))
        if self.devices.item_reader is not None:
            self.devices.item_reader.start(lambda tags: self.core.post(TagsOnPad(tuple(tags))))
        if self.devices.door_sensor is not None:
            self.devices.door_sensor.start(lambda is_open: self.core.post(DoorChanged(is_open)))
        if self.devices.exit_button is not None:
            self.devices.exit_button.start(lambda: self.core.post(ExitPressed()))

    def start(self) -> None:
        self.connect_devices()
        self.core.start()
        self.session.publish()
        log.info("kiosk started (branch %s)", self.settings.terminal.branch)
        self.try_configuration()

    def try_configuration(self) -> None:
        """With a configuration revision on trial: ask the LMS and the devices (on a worker); it is
        kept if they answer, rolled back (and the kiosk restarts) if not."""
        configuration = self.configuration
        if configuration is None or configuration.on_trial is None:
            return
        lms, devices = self.lms, self.devices

        def trial() -> str | None:
            try:
                lms.status()
            except KioskError as exc:
                return f"the LMS did not answer: {exc}"
            failing = [h for h in devices.health() if h.state is DeviceState.UNAVAILABLE]
            return f"{failing[0].device}: {failing[0].detail}" if failing else None

        def done(problem: str | None, error: BaseException | None) -> None:
            if error is None and problem is None:
                configuration.confirm()
                return
            configuration.fail(problem or f"the check failed: {error}")
            self.core.post(RestartWanted("configuration rolled back"))

        self.core.run_in_worker(trial, done)

    def stop(self) -> None:
        self.card_reader.stop()
        if self.devices.barcode_scanner is not None:
            self.devices.barcode_scanner.stop()
        if self.devices.item_reader is not None:
            self.devices.item_reader.stop()
        if self.devices.door_sensor is not None:
            self.devices.door_sensor.stop()
        if self.devices.exit_button is not None:
            self.devices.exit_button.stop()
        self.core.stop()
        self.close()
        log.info("kiosk stopped")

    def close(self) -> None:
        """Release the LMS connection, the emulator and the database (also without start())."""
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:
                log.exception("closing failed")
        self.closers.clear()
        self.store.close()


def build(
    settings: Settings,
    *,
    profile: str = "run",
    clock: Clock | None = None,
    workers: Workers | None = None,
    log_to_console: bool | None = None,
) -> Kiosk:
    """Assemble a kiosk from settings. ``profile`` keeps demo data apart from a real terminal's."""
    check_settings(settings)  # what check-config checks, before anything is opened
    where = locations(settings, profile)
    setup_logging(
        where.log_dir,
        terminal=settings.terminal.id,
        level=settings.logging.level,
        max_bytes=settings.logging.max_bytes,
        backups=settings.logging.backups,
        console=settings.logging.console if log_to_console is None else log_to_console,
    )
    store = open_store(where.database, key_dir=settings.paths.key_dir)
    own = settings  # the terminal's file; the central configuration is laid over it
    settings, configuration = central_configuration(settings, store)
    the_clock: Clock = clock or SystemClock(settings.terminal.zone)
    journal = Journal(store, now=lambda: the_clock.now().astimezone(dt.UTC))  # the one journal
    core = Core(workers)
    closers: list[Callable[[], None]] = []
    try:
        lms, seed, institution = library_system(settings, closers)
        simulators = simulators_for(settings.devices, closers, where.data_dir / "cables")
        devices = build_devices(settings.devices, closers, simulators, cache_dir=where.data_dir / "cache")
    except BaseException:
        for closer in reversed(closers):
            closer()
        store.close()
        raise
    core.on(Tick, MallocTrim(the_clock.monotonic).tick)  # a kiosk runs all night
    door_lock = devices.door_lock
    if door_lock is not None:  # the core's heartbeat, to the door's crash watchdog
        core.on(Tick, lambda _tick: door_lock.core_alive())
    # Offline mode is a kiosk's with a pad: the door decides without the LMS by its own budget.
    pad = devices.item_reader if settings.terminal.role is Role.KIOSK else None
    offline = lms_mode(settings, where, journal, core, the_clock, lms) if pad is not None else None
    mode = offline[0] if offline is not None else None
    updates = software_updates(own, where)
    sync = central_system(settings, where, store, journal, core, the_clock, devices, mode, closers,
                          configuration, own, downloads=updates.downloads if updates is not None else None)
    cached = sync.cached_auth if sync is not None else None
    observe = access_observer(settings, sync, journal, core, the_clock)
    terminal, session_settings = settings.terminal, settings.session
    # The branch calendar in force: the central system's when it sent one (a new one at once).
    calendar = calendar_in_force(settings, core, sync.calendar() if sync is not None else None)
    # Wrong PINs per card, in the database: through a restart, and shared with the other terminal here.
    pseudonyms = pseudonymizer(store)
    pin_failures = StoredPinFailures(store, pseudonyms, the_clock.now)
    # The language each visit starts in: the settings', or the one staff chose here (staff mode).
    kept = kept_language(store)
    language = kept if kept in terminal.languages else terminal.language
    core.on(DefaultLanguageChosen, lambda event: keep_language(store, event.language))
    staff_cards: tuple[DemoCard, ...] = ()  # the demo's staff cards, for the simulator panel
    staff_entries: tuple[StaffEntry, ...] = ()
    if profile == "demo":  # the demo's staff cards (config/demo/staff.toml)
        staff_entries, staff_cards = demo_staff(pseudonyms)
    if terminal.role is Role.DOOR:
        from kiosk.bootstrap.door import door_terminal  # a borrowing kiosk does not load the door's rules

        central_calendar, revoked = (sync.calendar(), sync.revoked) if sync is not None else (None, None)
        entry, opening_now, max_children, door = door_terminal(settings, store, journal, core, the_clock, lms,
                                                               devices, pseudonyms, cached, observe,
                                                               central_calendar, own, revoked)
        staff = staff_mode(settings, core, the_clock, journal, lms, devices, pseudonyms, where.data_dir,
                           lms_mode=None, configuration=configuration, central=sync, demo=staff_entries,
                           door=door, language=language, updates=updates)
        session = SessionService.for_door(core, lms, the_clock, session_settings, entry=entry,
                                          opening_now=opening_now, language=language,
                                          max_children=max_children,
                                          card_reader_health=devices.card_reader.health,
                                          pin_failures=pin_failures, staff=staff)
    else:
        service_lms, visits = lms, None
        if pad is not None and offline is not None:
            service_lms, lending = circulation(settings, journal, the_clock, lms, pad, *offline, cached,
                                               pseudonyms, institution)
            # What a crash or a lost answer left in doubt is settled with the LMS, at start and after.
            Reconciler(journal, lms, pad, the_clock, started_at=the_clock.now()).attach(core)
            mailer, printer = receipt_mailer(settings), devices.receipt_printer

            def visits(publish: Callable[..., None]) -> VisitController:
                return VisitController(core, service_lms, lending, printer, mailer=mailer, publish=publish,
                                       now=the_clock.now, library_name=terminal.name or terminal.branch)

        # The branch calendar, when the terminal names one, says when the kiosk takes new visits.
        hours = kiosk_hours(settings, calendar)
        staff = staff_mode(settings, core, the_clock, journal, lms, devices, pseudonyms, where.data_dir,
                           lms_mode=mode, configuration=configuration, central=sync, demo=staff_entries,
                           language=language, updates=updates)
        session = SessionService.for_kiosk(core, service_lms, the_clock, session_settings, visits=visits,
                                           language=language,
                                           card_reader_health=devices.card_reader.health,
                                           kiosk_hours=hours, pin_failures=pin_failures, observe=observe,
                                           staff=staff, languages=tuple(terminal.languages),
                                           printing=print_desk(settings, core, the_clock, journal, devices,
                                                               sync, calendar))
    automatic_updates(settings, core, the_clock, journal, sync, updates, calendar, session, devices, where)
    demo = profile == "demo" and bool(seed)
    return Kiosk(
        settings=settings,
        locations=where,
        store=store,
        journal=journal,
        core=core,
        clock=the_clock,
        lms=lms,
        devices=devices,
        session=session,
        mode=mode,
        institution=institution,
        demo_cards=(*demo_cards(seed), *staff_cards) if demo else staff_cards,
        demo_tags=tuple(demo_tags(seed)) if demo else (),
        demo_titles={str(i["id"]): str(i.get("title", "")) for i in seed.get("items", [])}
        if demo else {},
        closers=closers,
        simulators=simulators,
        configuration=configuration,
        calendar=calendar,
    )


def kiosk_hours(settings: Settings, calendar: Callable[[], BranchCalendar | None]
                ) -> Callable[[dt.datetime], KioskHours] | None:
    """When the kiosk takes new visits, by the branch calendar in force (``calendar``: the central
    system's when it sent one, a new one at once); None when the settings do not ask for kiosk hours
    or the terminal has no calendar yet."""
    if not settings.calendar.kiosk_hours or calendar() is None:
        return None
    return lambda when: _in_force(calendar).kiosk_hours(when)


def _in_force(calendar: Callable[[], BranchCalendar | None]) -> BranchCalendar:
    current = calendar()
    assert current is not None  # once there is one, a new one only replaces it
    return current


def calendar_in_force(settings: Settings, core: Core, central: Mapping[str, Any] | None
                      ) -> Callable[[], BranchCalendar | None]:
    """The branch calendar as it is now: the central system's when it sent one (and each new one
    from then on), else the terminal's calendar file; none without either."""
    if central is None and terminal_calendar(settings) is None:
        current: list[BranchCalendar | None] = [None]
    else:
        current = [branch_calendar(settings, central)]

    def received(event: CalendarReceived) -> None:
        current[0] = branch_calendar(settings, event.calendar)
        log.info("a new opening calendar is in force")

    core.on(CalendarReceived, received)
    return lambda: current[0]


def central_configuration(settings: Settings, store: Store) -> tuple[Settings, TerminalConfiguration | None]:
    """The settings to start with: the terminal's file with the central system's configuration
    over it (a pending revision on trial, else the last good one), and the configuration's state."""
    if settings.central.kind == "none":
        return settings, None
    own = settings
    configuration = TerminalConfiguration(store, lambda layer: central_settings_problem(own, layer))
    layer = configuration.for_start()
    if layer is None:
        return settings, configuration
    try:
        return with_central(own, layer), configuration
    except ConfigError as exc:
        configuration.fail(str(exc))
        log.error("the central configuration does not fit this terminal's settings (%s): starting "
                  "with the terminal's own", exc)
        return own, configuration
