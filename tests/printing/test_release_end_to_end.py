"""Print release from the upload page to the paper, with every part real: documents of each kind
(PDF, picture, office document) sent through the central service's upload page over HTTP, the kiosk
configured for that service and for a CUPS queue whose printer is a real IPP printer
(``ippeveprinter``, colour and duplex, made to jam on demand), released at the kiosk through its
window (pytest-qt) with the card and PIN. Shown from the printer's side (what it printed) and from the
payment side (the ledger): every printed job charged once, a jammed one not at all, the balance
right to the øre."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.printing.view import PrintStage
from kiosk.session.service import Screen
from kiosk.settings import CentralSettings, LmsSettings, Settings, Sip2Settings
from kiosk.settings.devices import DocumentPrinterSettings
from kiosk.store import JournalState
from kiosk.testing.memory import ManualClock
from sync.central.client import CentralClient
from sync.central.service import CentralService
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.conftest import isolated_settings
from tests.hardware.cups_fixtures import PrivateCups
from tests.hardware.cups_fixtures import private_cups as private_cups
from tests.hardware.ipp_fixtures import EvePrinter
from tests.hardware.ipp_fixtures import eve_printers as eve_printers
from tests.hardware.ipp_fixtures import private_bus as private_bus
from tests.printing.test_desk import log_in
from tests.printing.test_pricing import A4, BLACK_TEXT, RED, pdf, png
from tests.sync.central.office_files import odt
from ui.main_window import KioskWindow
from ui.screens.printing import PrintScreen
from ui.sounds import Sounds

ANNA = "1000000001"
DEMO_LMS = Path(__file__).parents[2] / "config" / "demo" / "lms.toml"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CentralService]:
    central = CentralService(tmp_path / "central.sqlite3")
    central.start()
    yield central
    central.stop()


@pytest.fixture
def lms() -> Iterator[Sip2Emulator]:
    emulator = Sip2Emulator(load_data(DEMO_LMS)).start()
    yield emulator
    emulator.stop()


def upload(service: CentralService, name: str, data: bytes) -> str:
    """Send a document as a citizen does on the upload page (its form, over HTTP); the page's answer."""
    answer = requests.post(f"{service.url}/print?lang=en", files={"document": (name, data)},
                           data={"card": ANNA}, timeout=120)
    assert answer.status_code == 200, answer.text
    return re.sub(r"<[^>]+>", " ", answer.text)


@pytest.fixture
def kiosk(tmp_path: Path, service: CentralService, lms: Sip2Emulator, private_cups: PrivateCups,
          eve_printers: Callable[..., EvePrinter]) -> Iterator[tuple[Kiosk, EvePrinter]]:
    printer = eve_printers("Branch", colour=True, duplex=True)
    base = isolated_settings(tmp_path)
    credential = service.enrol(base.terminal.id, base.terminal.branch)
    service.set_terminal_config(base.terminal.id, {"central": {"heartbeat_every_s": 30}})
    account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": lms.address[1], "user": "kiosk",
                                           "password": "kiosk", "keepalive_s": 0.0, "timeout_s": 2.0,
                                           "retries": 0})
    devices = base.devices.model_copy(update={"document_printer": DocumentPrinterSettings(
        kind="cups", queue=printer.queue, cups_server=str(private_cups.socket))})
    settings: Settings = base.model_copy(update={
        "lms": LmsSettings(kind="sip2", sip2=account), "devices": devices,
        "central": CentralSettings(kind="http", url=service.url, token=credential)})
    built = build(settings, profile="run", clock=ManualClock(), workers=InlineWorkers(), log_to_console=False)
    built.connect_devices()
    built.core.dispatch(Tick())  # the configuration: the key of the patrons' tokens
    built.core.drain()
    yield built, printer
    built.close()


def touch(kiosk: Kiosk, qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    kiosk.core.drain()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_documents_of_each_kind_are_uploaded_released_at_the_kiosk_and_charged_only_when_printed(
        service: CentralService, kiosk: tuple[Kiosk, EvePrinter], qtbot: QtBot) -> None:
    kiosk_, printer = kiosk
    service.top_up(ANNA, "10.00")
    assert "Pages: 2, in colour: 1" in upload(service, "Ansøgning.pdf", pdf((A4, BLACK_TEXT), (A4, RED)))
    assert "Pages: 1, in colour: 1" in upload(service, "kat.png", png())
    assert "Pages: 3, in colour: 0" in upload(service, "Referat.odt", odt(("Første side", ""),
                                                                           ("Anden side", ""),
                                                                           ("Tredje side", "")))
    sounds = Sounds(audible=False)
    window = KioskWindow(kiosk_.session, title="Test", languages=("da", "en"), now=kiosk_.clock.now,
                         sounds=sounds)
    kiosk_.core.subscribe(window.show_view)
    qtbot.addWidget(window)
    window.setFixedSize(1080, 1920)
    window.apply_scale(1080, 1920)
    window.show()
    kiosk_.session.publish()
    kiosk_.core.drain()

    kiosk_.session.start_print()
    kiosk_.core.drain()
    log_in(kiosk_)
    screen = window.current_screen()
    assert isinstance(screen, PrintScreen)

    def release(name: str, *, duplex: bool = False, copies: int = 1) -> str:
        rows = [row for row in screen.jobs.rows if row.isVisible()]
        (row,) = [row for row in rows if row.title.text() == name]
        touch(kiosk_, qtbot, row)
        for _ in range(copies - 1):
            touch(kiosk_, qtbot, screen.copies.more)
        if duplex:
            touch(kiosk_, qtbot, screen.duplex.on)
        price = screen.confirm_button.text()
        touch(kiosk_, qtbot, screen.confirm_button)  # prints, and follows the printer to the end
        outcome = screen.outcome.text()
        touch(kiosk_, qtbot, screen.back_button)  # more print jobs
        return f"{outcome} | {price}"

    # 2 pages (one colour) x 2 copies, two-sided: 2 x (0.55 + 1.00) = 3.10, on 2 sheets
    printed = "Tag dine sider ved printeren"
    assert release("Ansøgning.pdf", duplex=True, copies=2) == f"{printed} | Udskriv for 3,10 kr."
    # the photo: one colour page, 1.00
    assert release("kat.png") == f"{printed} | Udskriv for 1,00 kr."
    printer.behave("jam")  # the paper jams in the next job: nothing is taken for it
    assert release("Referat.odt") == ("Printeren kunne ikke udskrive dit dokument | Udskriv for 1,65 kr.")
    assert screen.jobs.rows[0].status.text().endswith("Blev ikke udskrevet sidst, og du betalte ikke")

    # The printer's side: two jobs came out, as chosen; the jammed one did not.
    came_out = [line.split()[1:] for line in printer.output]
    assert came_out == [["2", "2", "two-sided-long-edge", "color"], ["1", "1", "one-sided", "color"]]
    # The payment side: charged once each, the jammed one given back, the balance to the øre.
    with CentralClient(service.url, service.enrol("auditor", "viby")) as client:
        assert client.balance(service.patron_token(ANNA)) == Decimal("5.90")  # 10.00 - 3.10 - 1.00
    states = [(row.state, row.payload["amount"]) for row in kiosk_.journal.in_states(
        (JournalState.DONE, JournalState.FAILED, JournalState.PENDING), kinds=("print_charge",))]
    assert states == [("done", "3.10"), ("done", "1.00"), ("failed", "1.65")]
    view = kiosk_.session.view.printing
    assert view is not None and view.stage is PrintStage.LIST and kiosk_.session.view.screen is Screen.PRINT
    sounds.close()
