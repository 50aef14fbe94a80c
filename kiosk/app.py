"""The composition root: reads settings, builds adapters and services, wires them to the UI.

This is the one module in ``kiosk`` that may import Qt, drivers and protocol modules (lazily, so
that the rest of the core stays importable without them).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError
from kiosk.events import Core, Workers
from kiosk.fakes import FakeCardReader, FakeLibrarySystem
from kiosk.logs import setup_logging
from kiosk.model import Credential, CredentialKind
from kiosk.paths import Locations, locations
from kiosk.ports import CardReader, Clock, LibrarySystem
from kiosk.services.session import CredentialPresented, SessionService
from kiosk.settings import Settings, load_settings
from kiosk.store import Journal, Store, open_store

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEMO_SETTINGS = CONFIG_DIR / "demo" / "terminal.toml"
DEFAULT_SETTINGS = CONFIG_DIR / "default.toml"


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class DemoCard:
    """A card the demo panel can present, with its PIN shown as a hint to the person trying it."""

    label: str
    credential: Credential
    pin: str


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
    card_reader: CardReader
    session: SessionService
    demo_cards: tuple[DemoCard, ...] = ()

    def connect_devices(self) -> None:
        """Devices start delivering their events to the core queue."""
        self.card_reader.start(lambda c: self.core.post(CredentialPresented(c)))

    def start(self) -> None:
        self.connect_devices()
        self.core.start()
        self.session.publish()
        log.info("kiosk started (branch %s)", self.settings.terminal.branch)

    def stop(self) -> None:
        self.card_reader.stop()
        self.core.stop()
        self.store.close()
        log.info("kiosk stopped")


def read_seed(path: Path | None) -> dict[str, Any]:
    if path is None:
        raise ConfigError("lms.seed: the memory LMS needs a seed file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"lms.seed: {path} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def demo_cards(seed: dict[str, Any]) -> tuple[DemoCard, ...]:
    cards = []
    for patron in seed.get("patrons", []):
        surname, _, given = str(patron["name"]).partition(",")
        label = f"{given.strip()} {surname.strip()}".strip()
        if patron.get("blocked"):
            label += " (spærret)"
        cards.append(DemoCard(label, Credential(CredentialKind.CARD_UID, str(patron["id"])),
                              str(patron["pin"])))
    return tuple(cards)


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
    seed = read_seed(settings.lms.seed)
    lms = FakeLibrarySystem.from_seed(seed)
    card_reader = FakeCardReader()
    session = SessionService(core, lms, clock, settings.session, language=settings.terminal.language)
    return Kiosk(
        settings=settings,
        locations=where,
        store=store,
        journal=Journal(store),
        core=core,
        clock=clock,
        lms=lms,
        card_reader=card_reader,
        session=session,
        demo_cards=demo_cards(seed) if profile == "demo" else (),
    )


def run_gui(settings_path: Path, *, demo: bool) -> int:
    """Start the kiosk with its window (fullscreen unless the settings or demo mode say not)."""
    from PySide6.QtWidgets import QApplication

    from ui.bridge import CoreBridge
    from ui.main_window import ActivityFilter, KioskWindow
    from ui.sim_panel import SimulatorPanel

    settings = load_settings(settings_path)
    kiosk = build(settings, profile="demo" if demo else "run")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    window = KioskWindow(
        kiosk.session,
        title=settings.terminal.name or settings.terminal.branch,
        languages=settings.terminal.languages,
        now=kiosk.clock.now,
    )
    bridge = CoreBridge(kiosk.core)
    bridge.notified.connect(window.show_view)
    activity = ActivityFilter(kiosk.session.activity)
    app.installEventFilter(activity)
    panel = None
    if demo:
        assert isinstance(kiosk.card_reader, FakeCardReader)
        panel = SimulatorPanel(kiosk.card_reader, kiosk.demo_cards)
    kiosk.start()
    if settings.terminal.fullscreen and not demo:
        window.showFullScreen()
    else:
        window.resize(720, 1100)
        window.show()
    if panel is not None:
        panel.move(window.x() + window.width() + 20, window.y())
        panel.show()
    try:
        return app.exec()
    finally:
        kiosk.stop()


def screen_names() -> tuple[str, ...]:
    """The screens ``library-kiosk screenshot`` can render."""
    from ui.screenshot import SCREENS

    return SCREENS


def screenshot(screen: str, language: str, size: tuple[int, int], out: Path,
               settings_path: Path = DEMO_SETTINGS) -> Path:
    """Render a screen offscreen to PNG (see :mod:`ui.screenshot`)."""
    from ui.screenshot import render_screen

    return render_screen(screen, language, size, out, settings_path)
