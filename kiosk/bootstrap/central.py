"""The central system's assembly: the client (or the demo's built-in emulator), the outbox and the
sync, attached to the core's ticks. Part of the composition root: it builds, the central package
decides."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from kiosk.bootstrap.check import check_settings
from kiosk.bootstrap.paths import Locations
from kiosk.bootstrap.updates import kiosk_version
from kiosk.central.config import TerminalConfiguration
from kiosk.central.learning import AccessLearning
from kiosk.central.outbox import Outbox
from kiosk.central.releases import ReleaseDownloads, rolled_back_versions
from kiosk.central.sync import CentralSync
from kiosk.domain.central import ConfigApplied
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Core
from kiosk.domain.model import AuthResult, Credential
from kiosk.domain.ports import AuthObserver, Clock, Devices
from kiosk.door.access_rules import consented
from kiosk.offline.mode import LmsMode
from kiosk.settings import CentralSettings, Settings, parse_settings
from kiosk.settings.layers import local_only, merge_tables
from kiosk.store import Journal, Store
from kiosk.store.keys import read_key

log = logging.getLogger(__name__)

CREDENTIAL_KEY = "central.credential"  # the terminal's credential, in the key folder (library-kiosk enrol)


def central_system(settings: Settings, where: Locations, store: Store, journal: Journal, core: Core,
                   clock: Clock, devices: Devices, mode: LmsMode | None, closers: list[Callable[[], None]],
                   configuration: TerminalConfiguration | None = None, own: Settings | None = None,
                   downloads: Path | None = None) -> CentralSync | None:
    """The outbox and the sync (config, access list, heartbeat) on the ticks; None without one.
    ``own``: the terminal's settings before the central configuration, over which a revision that
    is in force at once (:class:`ConfigApplied`) is laid. ``downloads``: where the versions of the
    kiosk the service offers are downloaded (None: they are not)."""
    config = settings.central
    if config.kind == "none":
        return None
    from sync.central.client import CentralClient

    url = config.url
    if config.kind == "emulator":
        from sync.central.seed import apply_seed, load_seed
        from sync.central.server.payments.settings import PaymentSettings
        from sync.central.service import CentralService

        assert config.seed is not None
        seed = load_seed(config.seed)
        emulator = CentralService(where.data_dir / "central.sqlite3", access_list_key=seed.access_list_key,
                                  payments=PaymentSettings(provider="simulated"))
        if emulator.created:
            apply_seed(seed, emulator)
        closers.append(emulator.stop)
        emulator.start()
        url, token = emulator.url, emulator.enrol(settings.terminal.id, settings.terminal.branch)
        log.info("built-in central service at %s", url)
    else:
        token = terminal_credential(config, store)
    client = CentralClient(url, token, retries=1, verify=config.ca_file or True)
    closers.append(client.close)
    outbox = Outbox(journal, client, settings.terminal.id, clock, batch=config.outbox_batch)
    failed = partial(rolled_back_versions, where.data_dir)
    releases = (ReleaseDownloads(client, downloads, kiosk_version(), failed, clock.monotonic)
                if downloads is not None else None)
    sync = CentralSync(
        client, store, settings.terminal.id, settings.terminal.branch, clock,
        health=devices.health, outbox_stats=outbox.stats,
        mode=lambda: "online" if mode is None or mode.online else "offline",
        config_every_s=config.config_every_s, access_every_s=config.access_every_s,
        heartbeat_every_s=config.heartbeat_every_s, configuration=configuration,
        disk_free_mb=lambda: shutil.disk_usage(where.data_dir).free / 1e6, version=kiosk_version(),
        releases=releases)
    sync.attach(core, outbox)
    if own is not None:
        core.on(ConfigApplied, lambda event: _take_on(own, event, sync, outbox))
    return sync


def _take_on(own: Settings, event: ConfigApplied, sync: CentralSync, outbox: Outbox) -> None:
    """A revision in force without a restart: the sync's intervals and the outbox's batch."""
    central = with_central(own, event.settings).central
    sync.set_intervals(config_every_s=central.config_every_s, access_every_s=central.access_every_s,
                       heartbeat_every_s=central.heartbeat_every_s)
    outbox.batch = central.outbox_batch


def with_central(settings: Settings, layer: Mapping[str, Any]) -> Settings:
    """The terminal's settings with the central system's tables laid over them (:class:`ConfigError`
    when the result is not valid, or not one this terminal can start with)."""
    problem = local_only(layer)
    if problem is not None:
        raise ConfigError(problem)
    merged = merge_tables(settings.model_dump(mode="json", exclude={"source"}), layer)
    try:
        result = parse_settings(merged).model_copy(update={"source": settings.source})
    except ConfigError as exc:
        raise ConfigError(str(exc).removeprefix("<settings>: ")) from None
    if (result.terminal.id, result.terminal.branch) != (settings.terminal.id, settings.terminal.branch):
        raise ConfigError("terminal.id and terminal.branch come from the terminal's own settings file")
    check_settings(result)
    return result


def central_settings_problem(settings: Settings, layer: Mapping[str, Any]) -> str | None:
    """What is wrong with ``layer`` over ``settings`` (None: nothing)."""
    try:
        with_central(settings, layer)
    except ConfigError as exc:
        return str(exc)
    return None


def terminal_credential(config: CentralSettings, store: Store) -> str:
    """This terminal's credential with the central service: ``[central] token`` if set, else
    $LIBRARY_KIOSK_CENTRAL_TOKEN, else what ``library-kiosk enrol`` kept in the key folder ("": not
    enrolled; every call is then refused, and the log says why)."""
    if config.token or os.environ.get("LIBRARY_KIOSK_CENTRAL_TOKEN"):
        return config.token or os.environ["LIBRARY_KIOSK_CENTRAL_TOKEN"]
    kept = read_key(store, CREDENTIAL_KEY)
    if kept is None:
        log.error("this terminal is not enrolled with the central service: run library-kiosk enrol")
        return ""
    return kept.decode()


def access_observer(settings: Settings, sync: CentralSync | None, journal: Journal, core: Core,
                    clock: Clock) -> AuthObserver | None:
    """What the LMS answers to cards and PINs, taught to the municipality's shared access list
    (:mod:`kiosk.central.learning`) on a worker of its own, so the patron never waits for the slow
    PIN verifier; None without a central system."""
    if sync is None:
        return None
    learning = AccessLearning(journal, sync.access_cache, partial(consented, settings.access),
                              lambda: clock.now().astimezone().date())

    def observe(credential: Credential, pin: str | None, result: AuthResult) -> None:
        core.run_in_worker(lambda: learning.checked(credential, pin, result), _ignore)

    return observe


def _ignore(_result: object, _error: BaseException | None) -> None:
    """AccessLearning.checked logs its own failures."""
