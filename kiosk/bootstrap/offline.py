"""The kiosk's circulation with offline mode: the mode monitor (probe and replay), the LMS as the
services see it (fails fast offline, answers logins from the cached access list), the offline desk
and the circulation service. Part of the composition root."""

from __future__ import annotations

from kiosk.bootstrap.paths import Locations
from kiosk.circulation.service import CirculationService
from kiosk.domain.events import Core
from kiosk.domain.ports import Clock, ItemReader, LibrarySystem
from kiosk.domain.privacy import Pseudonymizer
from kiosk.offline.desk import OfflineDesk
from kiosk.offline.mode import CachedAuth, LmsMode, OfflineCapableLibrary
from kiosk.offline.replay import Replayer
from kiosk.offline.sealing import Sealer
from kiosk.settings import Settings
from kiosk.store import Journal
from kiosk.store.keys import offline_sealing_key

SEALING_KEY_FILE = "offline.key"  # in the data folder, where an older installation kept it


def lms_mode(settings: Settings, where: Locations, journal: Journal, core: Core, clock: Clock,
             lms: LibrarySystem) -> tuple[LmsMode, Sealer]:
    """The online/offline monitor, probing and replaying on the core's ticks, and the sealer of
    the offline rows' patron identifiers."""
    sealer = Sealer(offline_sealing_key(journal.store, old_file=where.data_dir / SEALING_KEY_FILE))
    replayer = Replayer(journal, lms, sealer)
    mode = LmsMode(core, lms, clock, probe_interval_s=settings.offline.probe_interval_s,
                   replay=replayer.replay, replay_waiting=replayer.waiting)
    mode.attach()
    return mode, sealer


def circulation(settings: Settings, journal: Journal, clock: Clock, lms: LibrarySystem, pad: ItemReader,
                mode: LmsMode, sealer: Sealer, cached: CachedAuth | None, pseudonym: Pseudonymizer,
                institution: str) -> tuple[LibrarySystem, CirculationService]:
    """The LMS the session talks to, and circulation at the pad with the offline desk behind it."""
    terminal = settings.terminal.id
    desk = OfflineDesk(journal, mode, settings.offline, sealer, terminal_id=terminal, pseudonym=pseudonym,
                       now=clock.now)
    service_lms = OfflineCapableLibrary(lms, mode, cached)
    service = CirculationService(service_lms, pad, journal, terminal_id=terminal, institution=institution,
                                 pseudonym=pseudonym, now=clock.now, offline=desk)
    return service_lms, service
