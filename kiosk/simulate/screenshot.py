"""Render any screen offscreen to PNG, by driving the real session with demo data.

Used by ``library-kiosk screenshot``, by the docs and by the tests. Nothing here is staged: the
screen is reached the way a patron reaches it (card, PIN, idle time), on a manual clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtWidgets import QApplication

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.view import Purpose
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.session.service import Screen
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, CentralSettings, Settings, load_settings
from kiosk.staff.view import DoorAction, StaffPage
from kiosk.store import JournalState
from kiosk.testing.memory import (
    COPENHAGEN,
    ManualClock,
    MemoryCardReader,
    MemoryDocumentPrinter,
    MemoryItemReader,
    in_memory,
)
from ui.main_window import KioskWindow
from ui.screens.session import PinScreen
from ui.sounds import Sounds

SCREENS = (
    "start",
    "pin",
    "pin-wrong",
    "authenticating",
    "patron",
    "idle-warning",
    "logged-out",
    "refused",
    "identify",
    "menu",
    "borrow",
    "borrow-fee",
    "return",
    "account",
    "receipt",
    "door-start",
    "door-pin",
    "door-open",
    "door-refused",
    "closing-soon",
    "closed",
    "staff-status",
    "staff-tests",
    "staff-tasks",
    "staff-terminal",
    "staff-door",
    "print-list",
    "print-choose",
    "print-printing",
    "print-printed",
    "print-failed",
    "print-code",
    "print-paying",
)
# The entrance panel's screens are rendered from the demo door terminal, on a Wednesday evening.
DOOR_SCREENS = {"door-start", "door-pin", "door-open", "door-refused", "staff-door"}
BOOK, SET, NOT_FOR_LOAN, RENTAL = "5010000001", "5010000002", "5010000004", "5010000008"
HELD, OTHER_LIBRARY, ON_LOAN = "5010000007", "5010000006", "5010000009"
SOFIE = 3  # the demo patron with a hold ready for pickup
# Rendered as a real kiosk that goes by the branch calendar (the demo lends at any hour): borrowing
# ten minutes before the cut-off at 21.55, and the start screen after closing.
HOURS_SCREENS = {"closing-soon": dt.datetime(2026, 11, 25, 21, 47, tzinfo=COPENHAGEN),
                 "closed": dt.datetime(2026, 11, 25, 23, 0, tzinfo=COPENHAGEN)}


def _present(kiosk: Kiosk, index: int) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[index].credential)
    kiosk.core.drain()


def _type_pin(kiosk: Kiosk, pin: str, *, wait_for_lms: bool = True) -> None:
    kiosk.session.submit_pin(pin)
    # Without waiting, only the PIN event is handled: the LMS's answer stays queued.
    kiosk.core.drain(max_events=10_000 if wait_for_lms else 1)


def _place(kiosk: Kiosk, *item_ids: str, parts: int | None = None) -> None:
    """Put items on the simulated pad (``parts``: only the first parts of each set)."""
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    for item_id in item_ids:
        tags = [tag for tag in kiosk.demo_tags if tag.item_id == item_id]
        pad.place(*tags[:parts])
    kiosk.core.drain()


def _act(kiosk: Kiosk, action: Callable[[], None]) -> None:
    action()
    kiosk.core.drain()


def _drive_visit(kiosk: Kiosk, screen: str) -> None:
    """Borrow, return, my account and the receipt, as a patron does them."""
    session = kiosk.session
    if screen == "return":
        _act(kiosk, lambda: session.start_visit(Purpose.RETURN))
        _place(kiosk, ON_LOAN, HELD, OTHER_LIBRARY)
        return
    patron = SOFIE if screen == "account" else 0
    _act(kiosk, lambda: session.start_visit(Purpose.ACCOUNT if screen == "identify"
                                            else Purpose.BORROW))
    if screen == "identify":
        return
    _present(kiosk, patron)
    _type_pin(kiosk, kiosk.demo_cards[patron].pin)
    if screen == "borrow":
        _place(kiosk, BOOK, NOT_FOR_LOAN)
        _place(kiosk, SET, parts=2)
    elif screen == "borrow-fee":
        _place(kiosk, BOOK, RENTAL)
    elif screen == "receipt":
        _place(kiosk, BOOK, SET)
        _act(kiosk, session.finish_visit)
    elif screen == "account":
        _place(kiosk, BOOK, SET)
        _act(kiosk, session.back_to_menu)
        _act(kiosk, lambda: session.start_visit(Purpose.ACCOUNT))
        _act(kiosk, lambda: session.toggle_renewal(BOOK))
        _act(kiosk, session.renew_selected)
        _act(kiosk, lambda: session.toggle_renewal(SET))


PRINT_SCREENS = {"print-list", "print-choose", "print-printing", "print-printed", "print-failed",
                 "print-code", "print-paying"}


def _drive_print(kiosk: Kiosk, screen: str) -> None:
    """Anna (with 25 kr. on her print balance and two documents waiting in the demo's central
    service) chooses "Print", then her card and PIN; the first document, two copies, two-sided;
    printed, or jammed by the printer; or a release code typed instead of the card."""
    session = kiosk.session
    kiosk.core.post(Tick())  # the central service's configuration: the key of the patrons' tokens
    kiosk.core.drain()
    _act(kiosk, session.start_print)
    if screen == "print-code":
        _act(kiosk, session.print_code_wanted)
        return
    _present(kiosk, 0)
    _type_pin(kiosk, kiosk.demo_cards[0].pin)
    if screen == "print-list":
        return
    _act(kiosk, lambda: session.choose_print_job("pj-1002"))
    _act(kiosk, lambda: session.change_print_choice(copies_step=1))
    _act(kiosk, lambda: session.change_print_choice(duplex=True))
    if screen == "print-choose":
        return
    if screen == "print-paying":  # by card on the phone: the provider's page by its QR code
        _act(kiosk, session.pay_print_by_card)
        return
    printer = kiosk.devices.document_printer
    if screen == "print-failed" and isinstance(printer, MemoryDocumentPrinter):
        printer.jam_next = True
    session.confirm_print()
    # The release runs at once (inline workers); its outcome waits in the queue behind the
    # printer's first state: stop there for the screen while printing.
    kiosk.core.drain(max_events=2 if screen == "print-printing" else 10_000)


VISIT_SCREENS = {"identify", "borrow", "borrow-fee", "return", "account", "receipt"}
STAFF_ADMINISTRATOR = "9900000001"  # config/demo/staff.toml


def _drive_staff(kiosk: Kiosk, screen: str) -> None:
    """The demo administrator's card and PIN, then the page; on the tasks page, an offline loan the
    LMS refused on replay (a journal row as the replay leaves it); on the tests page, the pad and
    the receipt printer tried, and the card test waiting for a card; at the door, Anna has come in
    and staff open the door to everyone for 30 minutes."""
    if screen == "staff-door":
        language = kiosk.session.view.language
        _present(kiosk, 0)
        _type_pin(kiosk, kiosk.demo_cards[0].pin)
        clock = kiosk.clock
        assert isinstance(clock, ManualClock)
        clock.advance(60)  # she has gone in; the panel is back at its start
        kiosk.core.post(Tick())
        _act(kiosk, lambda: kiosk.session.choose_language(language))
    index = next(i for i, card in enumerate(kiosk.demo_cards) if card.credential.value == STAFF_ADMINISTRATOR)
    if screen == "staff-tasks":
        kiosk.journal.append("checkout", {"item": BOOK, "patron": "3f9a1c7e0b2d",  # a token
                                          "at": "2026-11-25T20:41:00+01:00"},
                             state=JournalState.REPLAY_REJECTED)
        row = kiosk.journal.in_states((JournalState.REPLAY_REJECTED,))[0]
        kiosk.journal.mark(row.id, JournalState.REPLAY_REJECTED, error="Patron blocked")
    _present(kiosk, index)
    _type_pin(kiosk, kiosk.demo_cards[index].pin)
    session = kiosk.session
    page = {"staff-tests": StaffPage.TESTS, "staff-tasks": StaffPage.TASKS,
            "staff-terminal": StaffPage.TERMINAL}.get(screen)
    if page is not None:
        _act(kiosk, lambda: session.staff_page(page))
    if screen == "staff-door":
        _act(kiosk, lambda: session.staff_door(DoorAction.STAFFED_30))
    if screen == "staff-tests":
        _act(kiosk, lambda: session.staff_test("pad"))
        _act(kiosk, lambda: session.staff_test("receipt"))
        _act(kiosk, lambda: session.staff_test("card"))


def _drive(kiosk: Kiosk, window: KioskWindow, screen: str) -> None:
    """Do what a patron does to reach ``screen``."""
    anna, _child, blocked = kiosk.demo_cards[0], kiosk.demo_cards[1], kiosk.demo_cards[2]
    if screen in ("start", "door-start", "closed"):
        return
    if screen.startswith("staff-"):
        _drive_staff(kiosk, screen)
        return
    if screen in PRINT_SCREENS:
        _drive_print(kiosk, screen)
        return
    if screen == "closing-soon":
        _drive_visit(kiosk, "borrow")
        return
    if screen in DOOR_SCREENS:
        index = 1 if screen == "door-refused" else 0  # Mads (13) is refused after 20:00
        _present(kiosk, index)
        if screen != "door-refused":  # Anna brings two children
            kiosk.session.change_children(1)
            kiosk.session.change_children(1)
            kiosk.core.drain()
        if screen == "door-pin":
            pin_screen = window.screens[Screen.PIN]
            assert isinstance(pin_screen, PinScreen)
            pin_screen.pad.press("1")
            pin_screen.pad.press("2")
            return
        _type_pin(kiosk, kiosk.demo_cards[index].pin)
        return
    if screen in VISIT_SCREENS:
        _drive_visit(kiosk, screen)
        return
    if screen == "refused":
        _present(kiosk, 2)
        _type_pin(kiosk, blocked.pin)
        return
    _present(kiosk, 0)
    if screen == "pin":
        pin_screen = window.screens[Screen.PIN]
        assert isinstance(pin_screen, PinScreen)
        pin_screen.pad.press("1")
        pin_screen.pad.press("2")
    elif screen == "pin-wrong":
        _type_pin(kiosk, "0000")
    elif screen == "authenticating":
        _type_pin(kiosk, anna.pin, wait_for_lms=False)
    else:
        _type_pin(kiosk, anna.pin)
        if screen == "idle-warning":
            clock = kiosk.clock
            assert isinstance(clock, ManualClock)
            clock.advance(kiosk.settings.session.idle_timeout_s - 7)
            kiosk.core.post(Tick())
            kiosk.core.drain()
        elif screen == "logged-out":
            kiosk.session.logout()
            kiosk.core.drain()


def render_screen(
    screen: str,
    language: str,
    size: tuple[int, int],
    out: Path,
    settings_path: Path = DEMO_SETTINGS,
) -> Path:
    """Render ``screen`` in ``language`` at ``size`` (width, height) to the PNG file ``out``."""
    with reached(screen, language, size, settings_path) as (_kiosk, window):
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out), "PNG"):
            raise OSError(f"could not write {out}")
    return out


@contextlib.contextmanager
def reached(
    screen: str,
    language: str,
    size: tuple[int, int],
    settings_path: Path = DEMO_SETTINGS,
) -> Iterator[tuple[Kiosk, KioskWindow]]:
    """The kiosk and its window, shown at ``size`` (width, height) with ``screen`` reached in ``language``
    as a patron reaches it; closed, with its kiosk, when the block ends."""
    if screen not in SCREENS:
        raise ValueError(f"unknown screen {screen!r}; choose one of {', '.join(SCREENS)}")
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="kiosk-shot-") as tmp:
        door = screen in DOOR_SCREENS
        base = load_settings(DEMO_DOOR_SETTINGS if door and settings_path == DEMO_SETTINGS else settings_path)
        settings = _isolated(base, Path(tmp), central=screen in PRINT_SCREENS)
        if screen in HOURS_SCREENS:
            settings = settings.model_copy(update={
                "calendar": settings.calendar.model_copy(update={"kiosk_hours": True})})
        kiosk = build(settings, profile="demo", clock=ManualClock(HOURS_SCREENS.get(screen)),
                      workers=InlineWorkers(), log_to_console=False)
        if door:
            kiosk.core.post(Tick())  # the opening state is read on the first tick
        try:
            window = KioskWindow(kiosk.session, title=settings.terminal.name or
                                 settings.terminal.branch, languages=settings.terminal.languages,
                                 now=kiosk.clock.now, sounds=Sounds(audible=False))
            kiosk.core.subscribe(window.show_view)
            kiosk.connect_devices()
            kiosk.session.choose_language(language)
            kiosk.core.drain()
            window.setFixedSize(*size)
            window.apply_scale(*size)
            window.show()
            _drive(kiosk, window, screen)
            app.processEvents()
            try:
                yield kiosk, window
            finally:
                window.close()
                window.deleteLater()
                app.processEvents()
        finally:
            kiosk.close()


def _isolated(settings: Settings, folder: Path, *, central: bool = False) -> Settings:
    """The settings with data and logs in ``folder``, the devices in memory, and without the
    central service unless ``central`` (the print screens: the demo's built-in one, seeded)."""
    paths = settings.paths.model_copy(update={"data_dir": folder / "data", "log_dir": folder / "log"})
    return settings.model_copy(update={"paths": paths,
                                       "central": settings.central if central else CentralSettings(),
                                       "devices": in_memory(settings.devices)})
