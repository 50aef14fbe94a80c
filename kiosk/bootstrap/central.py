"""The composition root's second half (with :mod:`kiosk.bootstrap.kiosk`): offline mode towards the LMS and the
central system (outbox, configuration, access list, heartbeat), wired to the core's ticks."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from kiosk.bootstrap.paths import Locations
from kiosk.central.outbox import Outbox
from kiosk.central.sync import CentralSync
from kiosk.domain.events import Core, Tick
from kiosk.domain.model import AuthOutcome, AuthResult, Credential
from kiosk.domain.ports import Clock, Devices, LibrarySystem
from kiosk.offline.desk import OfflineDesk
from kiosk.offline.mode import CachedAuth, LmsMode, OfflineCapableLibrary
from kiosk.offline.replay import Replayer
from kiosk.offline.sealing import Sealer
from kiosk.settings import Settings
from kiosk.store import Journal, Store
from kiosk.store.keys import pseudonymizer

log = logging.getLogger("kiosk.bootstrap.kiosk")


def offline_mode(settings: Settings, where: Locations, store: Store, core: Core, clock: Clock,
                 lms: LibrarySystem, cached: CachedAuth) -> tuple[LmsMode, LibrarySystem, OfflineDesk]:
    """Offline mode: the mode monitor (probe and replay), the LMS the services see, the desk."""
    sealer = Sealer.from_file(where.data_dir / "offline.key")
    replayer = Replayer(Journal(store), lms, sealer)
    mode = LmsMode(core, lms, clock, probe_interval_s=settings.offline.probe_interval_s,
                   replay=replayer.replay, replay_waiting=replayer.waiting)
    core.on(Tick, lambda _e: mode.tick())
    desk = OfflineDesk(Journal(store), mode, settings.offline, sealer, terminal_id=settings.terminal.id,
                       pseudonym=pseudonymizer(store), now=clock.now)
    return mode, OfflineCapableLibrary(lms, mode, cached), desk


def cached_answer(sync_cell: list[CentralSync | None], credential: Credential, pin: str | None
                  ) -> AuthResult | None:
    """The cached access list's answer for a card and PIN; None when the card is not in it."""
    sync = sync_cell[0]
    cache = sync.access_cache() if sync is not None else None
    if cache is None:
        return None
    answer = cache.check(credential.value, pin)
    return None if answer.auth.outcome is AuthOutcome.UNKNOWN_PATRON else answer.auth


def central_system(settings: Settings, where: Locations, store: Store, core: Core, clock: Clock,
                   devices: Devices, mode: LmsMode | None, closers: list[Callable[[], None]]
                   ) -> CentralSync | None:
    """The central system: the outbox and the sync (config, access list, heartbeat), on the ticks."""
    config = settings.central
    if config.kind == "none":
        return None
    from sync.central.client import CentralClient

    url, token = config.url, config.token or os.environ.get("LIBRARY_KIOSK_CENTRAL_TOKEN", "")
    if config.kind == "emulator":
        from sync.central.emulator import CentralEmulator
        from sync.central.emulator_seed import apply_seed, load_seed

        assert config.seed is not None
        seed = load_seed(config.seed)
        emulator = CentralEmulator(where.data_dir / "central-emulator.sqlite3", token="demo",
                                   access_list_key=seed.access_list_key)
        if emulator.created:
            apply_seed(seed, emulator)
        closers.append(emulator.stop)
        emulator.start()
        url, token = emulator.url, "demo"
        log.info("built-in central system emulator at %s", url)
    client = CentralClient(url, token, retries=1, verify=config.ca_file or True)
    closers.append(client.close)
    outbox = Outbox(Journal(store), client, settings.terminal.id, clock, batch=config.outbox_batch)
    sync = CentralSync(
        client, store, settings.terminal.id, settings.terminal.branch, clock,
        health=lambda: [device.health() for _, device in devices.present()],  # type: ignore[attr-defined]
        outbox_stats=outbox.stats, mode=lambda: "online" if mode is None or mode.online else "offline",
        config_every_s=config.config_every_s, access_every_s=config.access_every_s,
        heartbeat_every_s=config.heartbeat_every_s)

    def done(what: str) -> Callable[[object, BaseException | None], None]:
        def report(_result: object, error: BaseException | None) -> None:
            if error is not None:
                log.error("%s failed unexpectedly: %s", what, error)
        return report

    def tick(_event: Tick) -> None:
        if outbox.due():
            core.run_in_worker(outbox.send_once, done("the outbox"))
        if sync.due_work():
            core.run_in_worker(sync.run_due, done("the central sync"))

    core.on(Tick, tick)
    return sync
