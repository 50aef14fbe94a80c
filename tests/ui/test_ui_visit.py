"""The visit screens (start, identify, menu, borrow, return, account, receipt) and their sounds.

Each screen is fed a hand-built view and touched like a patron would; a recording stand-in for the
session says which actions were asked for. The last test drives the real session end to end.
"""

from __future__ import annotations

import datetime as dt
import wave
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.circulation.results import ItemResult, Outcome, Routing
from kiosk.circulation.view import (
    AccountView,
    HoldRow,
    LoanRow,
    Purpose,
    ReceiptChoice,
    VisitView,
)
from kiosk.session.service import Message, Screen, SessionView
from kiosk.staff.view import DoorAction, Resolution, StaffPage, TerminalAction
from kiosk.testing.memory import MemoryCardReader, MemoryItemReader
from kiosk.texts.formats import day_and_month as format_date
from kiosk.texts.formats import money as format_money
from ui.main_window import KioskWindow
from ui.screens.account import AccountScreen
from ui.screens.items import ItemsScreen
from ui.screens.receipt import ReceiptScreen
from ui.screens.session import IdentifyScreen, PatronScreen, StartScreen
from ui.sounds import TONES, Sounds

DUE = dt.datetime(2026, 12, 15, 23, 59)


class RecordingActions:
    """Implements the SessionActions protocol by writing down every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def _record(self, name: str, value: object = None) -> None: self.calls.append((name, value))
    def submit_pin(self, pin: str) -> None: self._record("submit_pin", pin)
    def cancel(self) -> None: self._record("cancel")
    def logout(self) -> None: self._record("logout")
    def activity(self) -> None: self._record("activity")
    def choose_language(self, language: str) -> None: self._record("choose_language", language)
    def toggle_speech(self) -> None: self._record("toggle_speech")
    def show_display_choices(self, shown: bool) -> None: self._record("show_display_choices", shown)
    def choose_high_contrast(self, on: bool) -> None: self._record("choose_high_contrast", on)
    def choose_large_text(self, on: bool) -> None: self._record("choose_large_text", on)
    def choose_reach_layout(self, on: bool) -> None: self._record("choose_reach_layout", on)
    def start_visit(self, purpose: Purpose) -> None: self._record("start_visit", purpose)
    def finish_visit(self) -> None: self._record("finish_visit")
    def choose_receipt(self, choice: ReceiptChoice) -> None: self._record("choose_receipt", choice)
    def answer_fee(self, accept: bool) -> None: self._record("answer_fee", accept)
    def toggle_renewal(self, item_id: str) -> None: self._record("toggle_renewal", item_id)
    def renew_selected(self) -> None: self._record("renew_selected")
    def renew_all(self) -> None: self._record("renew_all")
    def back_to_menu(self) -> None: self._record("back_to_menu")
    def staff_page(self, page: StaffPage) -> None: self._record("staff_page", page)
    def staff_test(self, test: str) -> None: self._record("staff_test", test)
    def staff_resolve(self, entry_id: str, resolution: Resolution) -> None:
        self._record("staff_resolve", (entry_id, resolution))
    def staff_action(self, action: TerminalAction) -> None: self._record("staff_action", action)
    def staff_door(self, action: DoorAction) -> None: self._record("staff_door", action)
    def staff_language(self, language: str) -> None: self._record("staff_language", language)
    def start_print(self) -> None: self._record("start_print")
    def print_code_wanted(self) -> None: self._record("print_code_wanted")
    def enter_print_code(self, code: str) -> None: self._record("enter_print_code", code)
    def choose_print_job(self, job_id: str) -> None: self._record("choose_print_job", job_id)
    def change_print_choice(self, *, copies_step: int = 0, duplex: bool | None = None,
                            black_and_white: bool | None = None) -> None:
        self._record("change_print_choice", (copies_step, duplex, black_and_white))
    def confirm_print(self) -> None: self._record("confirm_print")
    def print_back(self) -> None: self._record("print_back")
    def pay_print_by_card(self) -> None: self._record("pay_print_by_card")
    def print_payment_receipt(self) -> None: self._record("print_payment_receipt")


@pytest.fixture
def actions() -> RecordingActions:
    return RecordingActions()


@pytest.fixture
def window(actions: RecordingActions, qtbot: QtBot) -> Iterator[KioskWindow]:
    sounds = Sounds(audible=False)
    win = KioskWindow(actions, title="Test", languages=("da", "en"),
                      now=lambda: dt.datetime(2026, 11, 25, 20, 15), sounds=sounds)
    qtbot.addWidget(win)
    win.resize(1080, 1920)
    win.show()
    yield win
    sounds.close()


def show(window: KioskWindow, screen: Screen, visit: VisitView | None = None,
         language: str = "da", **fields: object) -> QWidget:
    window.show_view(SessionView(screen=screen, language=language, visit=visit, **fields))  # type: ignore[arg-type]
    return window.current_screen()


def tap(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def item(outcome: Outcome, **fields: object) -> ItemResult:
    return ItemResult("5010000001", outcome, title="Kongens Fald", **fields)  # type: ignore[arg-type]


# -- start, identify, menu ------------------------------------------------------------------------
def test_the_start_screen_offers_borrow_return_and_my_account(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    start = show(window, Screen.START)
    assert isinstance(start, StartScreen)
    assert [tile.title.text() for tile in start.tiles] == ["Lån", "Aflever", "Mine lån"]
    assert start.instruction.text() == "Hold dit lånerkort eller sundhedskort mod kortlæseren"
    for tile in start.tiles:
        tap(qtbot, tile)
    assert actions.calls == [("start_visit", Purpose.BORROW), ("start_visit", Purpose.RETURN),
                             ("start_visit", Purpose.ACCOUNT)]
    show(window, Screen.START, language="en")
    assert [tile.title.text() for tile in start.tiles] == ["Borrow", "Return", "My account"]


def test_the_identify_screen_asks_for_the_card_and_can_be_cancelled(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    screen = show(window, Screen.IDENTIFY, VisitView(Purpose.ACCOUNT))
    assert isinstance(screen, IdentifyScreen)
    assert screen.title.text() == "Mine lån"
    assert screen.instruction.text() == "Hold dit lånerkort eller sundhedskort mod kortlæseren"
    show(window, Screen.IDENTIFY, language="en")
    assert screen.title.text() == "Log in"
    assert screen.cancel_button.text() == "Cancel"
    tap(qtbot, screen.cancel_button)
    assert actions.calls == [("cancel", None)]


def test_the_patron_menu_greets_shows_lms_messages_and_offers_borrow_account_logout(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    menu = show(window, Screen.PATRON, greeting_name="Anna",
                lms_messages=("Du har 1 reservering klar",))
    assert isinstance(menu, PatronScreen)
    assert menu.greeting.text() == "Hej, Anna"
    assert menu.message.text() == "Du har 1 reservering klar"
    assert [tile.title.text() for tile in menu.tiles] == ["Lån", "Mine lån"]
    assert menu.logout_button.text() == "Log ud"
    for widget in (*menu.tiles, menu.logout_button):
        tap(qtbot, widget)
    assert actions.calls == [("start_visit", Purpose.BORROW), ("start_visit", Purpose.ACCOUNT),
                             ("logout", None)]


# -- borrow and return ----------------------------------------------------------------------------
def test_borrow_shows_the_title_and_done_and_back_call_the_session(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    screen = show(window, Screen.BORROW, VisitView(Purpose.BORROW))
    assert isinstance(screen, ItemsScreen)
    assert screen.title.text() == "Læg materialerne på pladen"
    assert screen.empty_text.isVisible() and not screen.list.isVisible()
    assert (screen.back_button.text(), screen.done_button.text()) == ("Tilbage", "Færdig")
    tap(qtbot, screen.done_button)
    tap(qtbot, screen.back_button)
    assert actions.calls == [("finish_visit", None), ("back_to_menu", None)]
    show(window, Screen.BORROW, VisitView(Purpose.BORROW), language="en")
    assert (screen.title.text(), screen.done_button.text()) == ("Put the items on the pad", "Done")


def test_return_needs_no_back_button(window: KioskWindow) -> None:
    screen = show(window, Screen.RETURN, VisitView(Purpose.RETURN))
    assert isinstance(screen, ItemsScreen)
    assert not screen.back_button.isVisible() and screen.done_button.isVisible()


@pytest.mark.parametrize(("row", "purpose", "danish", "tone"), [
    (item(Outcome.CHECKING), Purpose.BORROW, "Et øjeblik …", "busy"),
    (item(Outcome.BORROWED, due_date=DUE), Purpose.BORROW, "Lånt – afleveres senest 15. december",
     "ok"),
    (item(Outcome.RETURNED, routing=Routing.SHELF), Purpose.RETURN, "Læg det i returkassen", "ok"),
    (item(Outcome.RETURNED, routing=Routing.HOLD_SHELF), Purpose.RETURN,
     "læg det på hylden til reserveringer", "ok"),
    (item(Outcome.RETURNED, routing=Routing.TRANSIT), Purpose.RETURN,
     "læg det i kassen til andre biblioteker", "ok"),
    (item(Outcome.RETURNED, routing=Routing.SORT_BIN, sort_bin="3"), Purpose.RETURN,
     "læg det i sorteringskasse 3", "ok"),
    (item(Outcome.REFUSED, lms_messages=("Materialet er reserveret",)), Purpose.BORROW,
     "Materialet er reserveret\nKan ikke lånes.", "error"),
    (item(Outcome.FEE_REQUIRED, fee_amount=Decimal("10")), Purpose.BORROW, "10,00 kr.",
     "attention"),
    (item(Outcome.INCOMPLETE_SET, parts_present=2, parts_in_set=3), Purpose.BORROW,
     "2 af 3 dele ligger på pladen – læg resten på", "attention"),
    (item(Outcome.SECURITY_FAILED), Purpose.BORROW, "Lånet blev annulleret – læg materialet "
     "tilbage og kontakt personalet i betjent åbningstid", "error"),
    (ItemResult("", Outcome.UNREADABLE), Purpose.BORROW,
     "Materialet kan ikke læses – prøv at flytte det på pladen", "attention"),
    (item(Outcome.LMS_UNAVAILABLE), Purpose.BORROW, "Ingen forbindelse til biblioteket", "error"),
    (item(Outcome.NEEDS_STAFF), Purpose.RETURN, "kontakt personalet i betjent åbningstid", "error"),
    (item(Outcome.RETURNED, routing=Routing.TRANSIT, other_library=True), Purpose.RETURN,
     "Materialet tilhører et andet bibliotek", "ok"),
])
def test_every_outcome_is_shown_in_words_and_colour(
        window: KioskWindow, row: ItemResult, purpose: Purpose, danish: str, tone: str) -> None:
    screen_name = Screen.BORROW if purpose is Purpose.BORROW else Screen.RETURN
    screen = show(window, screen_name, VisitView(purpose, items=(row,)))
    assert isinstance(screen, ItemsScreen)
    [shown] = [r for r in screen.pool.rows if r.isVisible()]
    assert shown.title.text() == (row.title or "Ukendt materiale")
    assert danish.lower() in shown.status.text().lower()
    assert shown.property("tone") == tone and shown.icon.kind == tone
    show(window, screen_name, VisitView(purpose, items=(row,)), language="en")
    assert shown.status.text() and "Lånt" not in shown.status.text()


def test_english_dates_and_money() -> None:
    assert format_date(DUE, "da") == "15. december"
    assert format_date(DUE, "en") == "15 December"
    assert format_money(Decimal("1350"), "DKK", "da") == "1.350,00 kr."
    assert format_money(Decimal("10"), "DKK", "en") == "DKK 10.00"


def test_the_fee_question_shows_the_amount_and_answers_yes_or_no(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    rental = ItemResult("5010000008", Outcome.FEE_REQUIRED, title="Druk", fee_amount=Decimal("10"))
    screen = show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(rental,),
                                                   fee_question=rental))
    assert isinstance(screen, ItemsScreen)
    assert screen.fee.isVisible()
    assert screen.fee.question.text() == "Lån af dette materiale koster 10,00 kr. Vil du låne det?"
    assert screen.fee.item.text() == "Druk"
    tap(qtbot, screen.fee.yes_button)
    tap(qtbot, screen.fee.no_button)
    assert actions.calls == [("answer_fee", True), ("answer_fee", False)]
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(rental,), fee_question=rental),
         language="en")
    assert screen.fee.question.text() == "Borrowing this item costs DKK 10.00. Do you want to borrow it?"
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(rental,)))
    assert not screen.fee.isVisible()


def test_items_left_on_the_pad_and_busy_are_shown(window: KioskWindow) -> None:
    screen = show(window, Screen.BORROW, VisitView(Purpose.BORROW, left_on_pad=2, busy=True))
    assert isinstance(screen, ItemsScreen)
    assert screen.notice.text() == "Der ligger stadig 2 materialer på pladen – husk at tage dem med"
    assert screen.busy.text() == "Et øjeblik …"
    show(window, Screen.BORROW, VisitView(Purpose.BORROW))
    assert not screen.notice.isVisible() and screen.busy.text() == ""


# -- my account -----------------------------------------------------------------------------------
ACCOUNT = AccountView(
    loans=(LoanRow("1", "Erasmus Montanus", dt.datetime(2026, 11, 1), overdue=True),
           LoanRow("2", "Kongens Fald", DUE, selected=True),
           LoanRow("3", "Borgen", DUE, renewed=True, message="Fornyet"),
           LoanRow("4", "Druk", DUE, renewed=False, message="Reserveret af en anden")),
    holds=(HoldRow("7", "Barndom", True, "Hovedbiblioteket"), HoldRow("8", "Gift", False)),
    fee_total=Decimal("350"),
)


def test_the_account_lists_loans_holds_and_fees(window: KioskWindow) -> None:
    screen = show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=ACCOUNT))
    assert isinstance(screen, AccountScreen)
    assert screen.fees.text() == "Mellemværende: 350,00 kr."
    statuses = [row.status.text() for row in screen.loans.rows if row.isVisible()]
    assert statuses == ["Overskredet – skulle være afleveret 1. november",
                        "Afleveres senest 15. december",
                        "Fornyet – afleveres nu senest 15. december\nFornyet",
                        "Kunne ikke fornyes\nReserveret af en anden"]
    assert [row.icon.kind for row in screen.loans.rows] == ["checkbox", "checked", "checkbox",
                                                            "checkbox"]
    holds = [row.status.text() for row in screen.holds.rows if row.isVisible()]
    assert holds == ["Klar til afhentning: Hovedbiblioteket",
                     "Venter – du får besked, når den er klar"]
    assert screen.loans_title.text() == "Lån (4)" and screen.holds_title.text() == "Reserveringer (2)"
    show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=ACCOUNT), language="en")
    assert screen.fees.text() == "Outstanding balance: DKK 350.00"
    assert screen.loans.rows[0].status.text() == "Overdue – was due 1 November"


def test_tapping_a_loan_chooses_it_and_the_renew_buttons_call_the_session(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    screen = show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=ACCOUNT))
    assert isinstance(screen, AccountScreen)
    tap(qtbot, screen.loans.rows[0])
    for widget in (screen.renew_selected_button, screen.renew_all_button, screen.back_button,
                   screen.logout_button):
        tap(qtbot, widget)
    assert actions.calls == [("toggle_renewal", "1"), ("renew_selected", None), ("renew_all", None),
                             ("back_to_menu", None), ("logout", None)]


def test_the_account_says_one_moment_while_loading_and_hides_fees_of_zero(
        window: KioskWindow) -> None:
    screen = show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, loading=True))
    assert isinstance(screen, AccountScreen)
    assert screen.loading.isVisible() and screen.loading.text() == "Et øjeblik …"
    assert not screen.list.isVisible() and not screen.renew_all_button.isEnabled()
    show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=AccountView()))
    assert not screen.fees.isVisible() and screen.no_loans.isVisible()
    assert screen.no_loans.text() == "Du har ingen lån"


def test_a_message_code_from_the_visit_is_shown_as_a_sentence(window: KioskWindow) -> None:
    screen = show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=AccountView(),
                                                    messages=("lms_unavailable",)))
    assert isinstance(screen, AccountScreen)
    assert screen.messages.text().startswith("Vi kan ikke få forbindelse til biblioteket")


# -- receipt --------------------------------------------------------------------------------------
def test_the_receipt_screen_offers_each_choice_it_is_given(
        window: KioskWindow, actions: RecordingActions, qtbot: QtBot) -> None:
    visit = VisitView(Purpose.BORROW, receipt_choices=(ReceiptChoice.PRINT, ReceiptChoice.NONE))
    screen = show(window, Screen.RECEIPT, visit)
    assert isinstance(screen, ReceiptScreen)
    assert screen.title.text() == "Vil du have en kvittering?"
    visible = [c for c, tile in screen.tiles.items() if tile.isVisible()]
    assert visible == [ReceiptChoice.PRINT, ReceiptChoice.NONE]
    assert screen.tiles[ReceiptChoice.NONE].title.text() == "Ingen kvittering"
    tap(qtbot, screen.tiles[ReceiptChoice.PRINT])
    tap(qtbot, screen.tiles[ReceiptChoice.NONE])
    assert actions.calls == [("choose_receipt", ReceiptChoice.PRINT),
                             ("choose_receipt", ReceiptChoice.NONE)]


@pytest.mark.parametrize(("printed", "text", "sound"), [
    (True, "Kvitteringen er printet – husk at tage den med.", "ok"),
    (False, "Kvitteringen kunne ikke printes. Du kan se dine lån under Mine lån.", "error"),
])
def test_the_receipt_screen_says_whether_it_printed(
        window: KioskWindow, printed: bool, text: str, sound: str) -> None:
    visit = VisitView(Purpose.BORROW, receipt_choices=(ReceiptChoice.PRINT,))
    screen = show(window, Screen.RECEIPT, visit)
    assert isinstance(screen, ReceiptScreen)
    show(window, Screen.RECEIPT, VisitView(Purpose.BORROW, receipt_choices=(ReceiptChoice.PRINT,),
                                           receipt_printed=printed))
    assert screen.printed.text() == text
    assert window.sounds.played[-1] == sound


# -- sounds ---------------------------------------------------------------------------------------
def test_each_new_outcome_is_heard_once(window: KioskWindow) -> None:
    checking = item(Outcome.CHECKING)
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(checking,)))
    assert window.sounds.played == []
    borrowed = item(Outcome.BORROWED, due_date=DUE)
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(borrowed,)))
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(borrowed,)), language="en")
    refused = ItemResult("5010000004", Outcome.REFUSED)
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(borrowed, refused)))
    rental = ItemResult("5010000008", Outcome.FEE_REQUIRED, fee_amount=Decimal("10"))
    show(window, Screen.BORROW, VisitView(Purpose.BORROW, items=(borrowed, refused, rental),
                                          fee_question=rental))
    assert window.sounds.played == ["ok", "error", "attention"]


def test_messages_are_heard_as_well_as_read(window: KioskWindow) -> None:
    show(window, Screen.START, message=Message.UNKNOWN_CARD)
    show(window, Screen.START, message=Message.UNKNOWN_CARD, language="en")
    show(window, Screen.START, message=Message.RETURNED)
    show(window, Screen.PATRON, greeting_name="Anna", idle_warning=True, seconds_left=9)
    assert window.sounds.played == ["error", "ok", "attention"]


def test_renewal_answers_are_heard(window: KioskWindow) -> None:
    loans = (LoanRow("1", "A", DUE, selected=True), LoanRow("2", "B", DUE, selected=True))
    show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=AccountView(loans)))
    answered = (LoanRow("1", "A", DUE, renewed=True), LoanRow("2", "B", DUE, renewed=False))
    show(window, Screen.ACCOUNT, VisitView(Purpose.ACCOUNT, account=AccountView(answered)))
    assert window.sounds.played == ["error"]  # the most urgent of the news, once


def test_the_tones_reach_the_player_command_as_wav_files(tmp_path: Path) -> None:
    heard = tmp_path / "heard"
    sounds = Sounds(player=("sh", "-c", 'cat "$1" >> "$0"', str(heard)))  # the file is the last argument
    try:
        assert sounds.audible
        sounds.play("ok")
        sounds.wait()
        sounds.play("error")
        sounds.wait()
        expected = sounds.files["ok"].read_bytes() + sounds.files["error"].read_bytes()
    finally:
        sounds.close()
    assert heard.read_bytes() == expected


def test_a_missing_player_is_silence_not_a_crash(tmp_path: Path) -> None:
    sounds = Sounds(player=(str(tmp_path / "no-such-player"),))
    try:
        assert not sounds.audible
        sounds.play("attention")
        assert sounds.played == ["attention"]
    finally:
        sounds.close()


def test_the_tones_are_real_wav_files_and_silence_is_no_crash(qapp: object) -> None:
    sounds = Sounds()  # perhaps without aplay or an audio device: must still work
    try:
        for name in TONES:
            with wave.open(str(sounds.files[name]), "rb") as tone:
                assert tone.getnchannels() == 1 and 0.1 < tone.getnframes() / tone.getframerate() < 1
            sounds.play(name)
        assert sounds.played == list(TONES)
    finally:
        sounds.close()


# -- the real session -----------------------------------------------------------------------------
def test_a_patron_borrows_through_the_screens(kiosk: Kiosk, qtbot: QtBot) -> None:
    win = KioskWindow(kiosk.session, title="Test", languages=("da", "en"), now=kiosk.clock.now,
                      sounds=Sounds(audible=False))
    qtbot.addWidget(win)
    kiosk.core.subscribe(win.show_view)
    win.resize(1080, 1920)
    win.show()
    kiosk.session.publish()
    kiosk.core.drain()
    start = win.current_screen()
    assert isinstance(start, StartScreen)
    tap(qtbot, start.borrow_tile)
    kiosk.core.drain()
    assert isinstance(win.current_screen(), IdentifyScreen)
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()
    borrow = win.current_screen()
    assert isinstance(borrow, ItemsScreen) and borrow.purpose is Purpose.BORROW
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.place(*[tag for tag in kiosk.demo_tags if tag.item_id == "5010000001"])
    kiosk.core.drain()
    assert borrow.pool.rows[0].title.text() == "Kongens Fald"
    assert borrow.pool.rows[0].status.text().startswith("Lånt – afleveres senest")
    assert win.sounds.played[-1] == "ok"
    tap(qtbot, borrow.done_button)
    kiosk.core.drain()
    assert isinstance(win.current_screen(), ReceiptScreen)
