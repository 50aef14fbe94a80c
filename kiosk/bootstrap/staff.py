"""Staff mode's assembly: the staff lists this terminal reads, and the staff mode over its devices,
journal and configuration. Part of the composition root: it builds, :mod:`kiosk.staff` decides."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from pathlib import Path

from kiosk.bootstrap.demo import DemoCard
from kiosk.central.config import TerminalConfiguration
from kiosk.central.sync import CentralSync
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Core
from kiosk.domain.model import Credential, CredentialKind
from kiosk.domain.ports import Clock, Devices, LibrarySystem
from kiosk.offline.mode import LmsMode
from kiosk.session.staff_visit import ModeFactory
from kiosk.settings import CONFIG_DIR, Settings
from kiosk.staff.device_tests import DeviceTests
from kiosk.staff.directory import CentralStaffList, FixedStaffList, Source, StaffDirectory, StaffListFile
from kiosk.staff.door import DoorControl
from kiosk.staff.mode import StaffMode, StaffParts
from kiosk.staff.updates import SoftwareUpdates
from kiosk.staff.view import StaffView
from kiosk.store import Journal
from kiosk.store.access_lists import StaffEntry

log = logging.getLogger(__name__)

DEMO_STAFF = CONFIG_DIR / "demo" / "staff.toml"


def staff_mode(settings: Settings, core: Core, clock: Clock, journal: Journal, lms: LibrarySystem,
               devices: Devices, pseudonym: Callable[[str], str], data_dir: Path, *,
               lms_mode: LmsMode | None, configuration: TerminalConfiguration | None,
               central: CentralSync | None = None, demo: tuple[StaffEntry, ...] = (),
               door: DoorControl | None = None, language: str = "da",
               updates: SoftwareUpdates | None = None) -> tuple[StaffDirectory, ModeFactory] | None:
    """The staff lists (the settings' ``access.staff_list``, the central service's for the branch,
    the demo's cards) and staff mode; None when the terminal has no staff list at all."""
    sources: list[Source] = []
    if settings.access.staff_list is not None:
        sources.append(StaffListFile(settings.access.staff_list, pseudonym))
    if central is not None:
        sources.append(CentralStaffList(central.staff_list))
    if demo:
        sources.append(FixedStaffList(demo, pseudonym))
    if not sources:
        return None
    tests = DeviceTests(devices, pulse_s=settings.devices.door.pulse_s, now=clock.now,
                        terminal=settings.terminal.id)
    parts = StaffParts(journal, devices, tests, lms, settings.terminal.zone, data_dir, lms_mode,
                       configuration, central=settings.central.kind != "none", door=door,
                       languages=tuple(settings.terminal.languages), default_language=language,
                       updates=updates)

    def mode(show: Callable[[StaffView | None], None]) -> StaffMode:
        return StaffMode(core, clock, parts, show)

    return StaffDirectory(sources), mode


def demo_staff(pseudonym: Callable[[str], str], path: Path = DEMO_STAFF
               ) -> tuple[tuple[StaffEntry, ...], tuple[DemoCard, ...]]:
    """The demo's staff cards: as staff list entries (tokens under this terminal's key, the PIN
    verifiers from the file: making one takes the verifier's time) and as cards the simulator panel
    presents."""
    try:
        cards = tomllib.loads(path.read_text(encoding="utf-8")).get("card", [])
        entries = tuple(StaffEntry(pseudonym(str(c["number"])), str(c["role"]), str(c["pin_verifier"]))
                        for c in cards)
        shown = tuple(DemoCard(str(c.get("label", c["role"])),
                               Credential(CredentialKind.CARD_UID, str(c["number"])), str(c["pin"]))
                      for c in cards)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a valid list of demo staff cards ({exc})") from None
    return entries, shown
