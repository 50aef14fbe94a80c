"""The composition root: reads settings, builds adapters and services, wires them to the UI.

This is the one module in ``kiosk`` that may import Qt, drivers and protocol modules (lazily, so
that the rest of the core stays importable without them).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kiosk.bootstrap.central import cached_answer, central_system, offline_mode
from kiosk.bootstrap.demo import DemoCard, demo_cards, read_seed
from kiosk.bootstrap.door import door_terminal
from kiosk.bootstrap.paths import Locations, locations
from kiosk.central.sync import CentralSync
from kiosk.circulation.service import CirculationService
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Core, Workers
from kiosk.domain.logs import setup_logging
from kiosk.domain.model import Tag
from kiosk.domain.ports import CardReader, Clock, Devices, LibrarySystem, ReceiptMailer
from kiosk.offline.mode import LmsMode
from kiosk.session.events import CredentialPresented, DoorChanged, TagsOnPad
from kiosk.session.service import SessionService
from kiosk.settings import Settings
from kiosk.store import Journal, Store, open_store
from kiosk.store.keys import pseudonymizer
from kiosk.testing.memory_lms import FakeLibrarySystem

log = logging.getLogger(__name__)



class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


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
    demo_cards: tuple[DemoCard, ...] = ()
    demo_tags: tuple[Tag, ...] = ()
    demo_titles: dict[str, str] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

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

    def start(self) -> None:
        self.connect_devices()
        self.core.start()
        self.session.publish()
        log.info("kiosk started (branch %s)", self.settings.terminal.branch)

    def stop(self) -> None:
        self.card_reader.stop()
        if self.devices.barcode_scanner is not None:
            self.devices.barcode_scanner.stop()
        if self.devices.item_reader is not None:
            self.devices.item_reader.stop()
        if self.devices.door_sensor is not None:
            self.devices.door_sensor.stop()
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
    where = locations(settings, profile)
    setup_logging(
        where.log_dir,
        terminal=settings.terminal.id,
        level=settings.logging.level,
        max_bytes=settings.logging.max_bytes,
        backups=settings.logging.backups,
        console=settings.logging.console if log_to_console is None else log_to_console,
    )
    store = open_store(where.database)
    clock = clock or SystemClock()
    core = Core(workers)
    closers: list[Callable[[], None]] = []
    try:
        lms, seed = _library_system(settings, closers)
    except BaseException:
        store.close()
        raise
    from kiosk.bootstrap.devices import build_devices, demo_tags

    try:
        devices = build_devices(settings.devices, closers)
    except BaseException:
        for closer in reversed(closers):
            closer()
        store.close()
        raise
    sync_cell: list[CentralSync | None] = [None]  # the access list, once the central sync is built
    cached = partial(cached_answer, sync_cell)
    entry, opening_now = (door_terminal(settings, store, core, clock, lms, devices, cached)
                          if settings.terminal.role == "door" else (None, None))
    circulation, mode, service_lms = None, None, lms
    if devices.item_reader is not None and entry is None:
        mode, service_lms, desk = offline_mode(settings, where, store, core, clock, lms, cached)
        circulation = CirculationService(
            service_lms, devices.item_reader, Journal(store), terminal_id=settings.terminal.id,
            institution=_institution(lms, settings), pseudonym=pseudonymizer(store),
            now=clock.now, offline=desk)
    session = SessionService(core, service_lms, clock, settings.session, language=settings.terminal.language,
                             circulation=circulation, receipt_printer=devices.receipt_printer,
                             library_name=settings.terminal.name or settings.terminal.branch,
                             card_reader_health=devices.card_reader.health,
                             mailer=_mailer(settings), entry=entry, opening_now=opening_now)
    sync_cell[0] = central_system(settings, where, store, core, clock, devices, mode, closers)
    return Kiosk(
        settings=settings,
        locations=where,
        store=store,
        journal=Journal(store),
        core=core,
        clock=clock,
        lms=lms,
        devices=devices,
        session=session,
        mode=mode,
        demo_cards=demo_cards(seed) if profile == "demo" and seed else (),
        demo_tags=tuple(demo_tags(seed)) if profile == "demo" and seed else (),
        demo_titles={str(i["id"]): str(i.get("title", "")) for i in seed.get("items", [])}
        if profile == "demo" else {},
        closers=closers,
    )


def _mailer(settings: Settings) -> ReceiptMailer | None:
    if not settings.receipt_email.smtp_host:
        return None
    from sync.mail import SmtpReceiptMailer

    return SmtpReceiptMailer(settings.receipt_email)


def _institution(lms: LibrarySystem, settings: Settings) -> str:
    """The library's ISIL, to tell its own items from other libraries' (the SIP2 AO)."""
    client = getattr(lms, "client", None)
    account = getattr(client, "account", None)
    return str(getattr(account, "institution", "")) or settings.lms.sip2.institution


def _library_system(settings: Settings, closers: list[Callable[[], None]]
                    ) -> tuple[LibrarySystem, dict[str, Any]]:
    """The LMS adapter the settings ask for, and the seed data it was built from (if any)."""
    lms_settings = settings.lms
    if lms_settings.kind == "memory":
        memory_seed = read_seed(lms_settings.seed)
        return FakeLibrarySystem.from_seed(memory_seed), memory_seed
    from sync.sip2.client import Sip2Client
    from sync.sip2.library import Sip2LibrarySystem

    account = lms_settings.sip2
    seed: dict[str, Any] = {}
    if lms_settings.kind == "emulator":
        import secrets

        from sync.sip2.emulator import Sip2Emulator
        from sync.sip2.emulator_data import load_data

        seed = read_seed(lms_settings.seed)
        assert lms_settings.seed is not None
        try:
            data = load_data(lms_settings.seed)
        except ValueError as exc:
            raise ConfigError(f"lms.seed: {exc}") from None
        password = secrets.token_hex(8)
        emulator = Sip2Emulator(data, host="127.0.0.1", port=0, user="kiosk", password=password)
        emulator.start()
        closers.append(emulator.stop)
        host, port = emulator.address
        account = account.model_copy(update={
            "host": host, "port": port, "user": "kiosk", "password": password, "tls": False,
            "telnet": False, "encoding": "cp850",
            "institution": account.institution or data.library.institution})
        log.info("built-in SIP2 LMS emulator listening on %s:%d", host, port)
    client = Sip2Client(account)
    closers.append(client.close)
    client.start_keepalive()
    return Sip2LibrarySystem(client), seed
