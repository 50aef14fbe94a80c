"""The demo branch: the self-service kiosk and the entrance door of one branch, with the LMS
(the SIP2 emulator) and the municipality's central service that they share, all in this process.
What ``make demo`` (``library-kiosk demo --branch``) runs.

The two terminals are enrolled with the central service and talk to it and to the LMS as they
would at a branch (SIP2 over TCP, HTTP), each with its own database. A patron checked online at
one terminal is learned for the shared access list, so the door lets them in from it while the
LMS is down (:meth:`DemoBranch.lms_running`, a box on the simulator panel).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.bootstrap.paths import locations
from kiosk.domain.events import Workers
from kiosk.domain.ports import Clock
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, LmsSettings, Settings, load_settings
from sync.central.seed import apply_seed, load_seed
from sync.central.server.payments.settings import PaymentSettings
from sync.central.service import CentralService
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data


@dataclass
class DemoBranch:
    lms: Sip2Emulator
    central: CentralService
    kiosk: Kiosk
    door: Kiosk

    @classmethod
    def open(cls, folder: Path | None = None, *, clock: Callable[[], Clock | None] = lambda: None,
             workers: Callable[[], Workers | None] = lambda: None, log_to_console: bool | None = None,
             port: int = 0) -> DemoBranch:
        """The branch with its state in ``folder`` (default: the demo's data folder); ``clock`` and
        ``workers`` make each terminal's (tests); ``port``: the central service's (0: any free one)."""
        base = load_settings(DEMO_SETTINGS)
        folder = folder or locations(base, "demo").data_dir / "branch"
        folder.mkdir(parents=True, exist_ok=True)
        lms_seed, central_seed = base.lms.seed, base.central.seed
        assert lms_seed is not None and central_seed is not None  # the demo settings name them
        password = secrets.token_hex(8)
        lms = Sip2Emulator(load_data(lms_seed), user="kiosk", password=password).start()
        seed = load_seed(central_seed)
        central = CentralService(folder / "central.sqlite3", access_list_key=seed.access_list_key,
                                 port=port, payments=PaymentSettings(provider="simulated"))
        try:
            if central.created:
                apply_seed(seed, central)
            central.start()
            terminals = []
            for source in (DEMO_SETTINGS, DEMO_DOOR_SETTINGS):
                settings = _at_the_branch(load_settings(source), folder, lms, password, central)
                terminal = build(settings, profile="demo", clock=clock(), workers=workers(),
                                 log_to_console=log_to_console)
                data = read_seed(lms_seed)
                staff_cards = terminal.demo_cards  # the demo's staff cards, at the kiosk
                terminal.demo_cards = (*demo_cards(data), *staff_cards)
                terminal.demo_tags = tuple(demo_tags(data))
                terminal.demo_titles = {str(i["id"]): str(i.get("title", "")) for i in data.get("items", [])}
                terminals.append(terminal)
        except BaseException:
            for terminal in terminals:
                terminal.close()
            central.stop()
            lms.stop()
            raise
        return cls(lms, central, *terminals)

    def lms_running(self, running: bool) -> None:
        """Start or stop the LMS (it comes back on the same port, with the same state)."""
        if running:
            self.lms.start()
        else:
            self.lms.stop()

    def lms_down(self, down: bool) -> None:
        """The simulator panel's box: the LMS stops answering (True), or answers again."""
        self.lms_running(not down)

    def close(self) -> None:
        """Stop the terminals (also if they were never started), the central service and the LMS."""
        for terminal in (self.kiosk, self.door):
            terminal.close()
        self.central.stop()
        self.lms.stop()


def _at_the_branch(settings: Settings, folder: Path, lms: Sip2Emulator, password: str,
                   central: CentralService) -> Settings:
    """A demo terminal's settings, on the branch's LMS and central service, in a folder of its own;
    the kiosk goes by the branch calendar as a real one does (the kiosk alone, ``library-kiosk
    demo``, lends at any hour)."""
    host, port = lms.address
    account = settings.lms.sip2.model_copy(update={
        "host": host, "port": port, "user": "kiosk", "password": password, "tls": False, "telnet": False,
        "encoding": "cp850", "institution": lms.data.library.institution, "retries": 0, "timeout_s": 2.0})
    terminal = settings.terminal
    credential = central.enrol(terminal.id, terminal.branch)
    paths = settings.paths.model_copy(update={"data_dir": folder / terminal.id,
                                              "log_dir": folder / terminal.id / "log"})
    return settings.model_copy(update={
        "lms": LmsSettings(kind="sip2", sip2=account),
        "central": settings.central.model_copy(update={"kind": "http", "url": central.url,
                                                       "token": credential, "seed": None}),
        "calendar": settings.calendar.model_copy(update={"kiosk_hours": True}),
        "printing": settings.printing.model_copy(update={"upload_url": f"{central.url}/print"}),
        "paths": paths})
