"""Borrow, return, account and receipt as a patron does them: the demo terminal over SIP2 to the
emulator, the simulated pad and printer, one event at a time."""

from __future__ import annotations

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.circulation.results import Outcome, Routing
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.events import Tick
from kiosk.domain.model import SecurityState, Tag
from kiosk.session.service import Message, Screen
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader, MemoryReceiptPrinter

BOOK, SET, RENTAL, HELD = "5010000001", "5010000002", "5010000008", "5010000007"


def pad(kiosk: Kiosk) -> MemoryItemReader:
    reader = kiosk.devices.item_reader
    assert isinstance(reader, MemoryItemReader)
    return reader


def tags_of(kiosk: Kiosk, item_id: str) -> list[Tag]:
    return [t for t in kiosk.demo_tags if t.item_id == item_id]


def identify(kiosk: Kiosk) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()


def place(kiosk: Kiosk, *tags: Tag) -> None:
    pad(kiosk).place(*tags)
    kiosk.core.drain()


def rows(kiosk: Kiosk) -> dict[str, Outcome]:
    visit = kiosk.session.view.visit
    assert visit is not None
    return {row.item_id: row.outcome for row in visit.items}


def borrow(kiosk: Kiosk) -> None:
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.IDENTIFY
    identify(kiosk)
    assert kiosk.session.view.screen is Screen.BORROW


def test_borrow_with_a_printed_receipt(kiosk: Kiosk) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, BOOK))
    assert rows(kiosk) == {BOOK: Outcome.BORROWED}
    assert pad(kiosk).inventory()[0].security is SecurityState.UNSECURED
    kiosk.session.finish_visit()
    kiosk.core.drain()
    view = kiosk.session.view
    assert view.screen is Screen.RECEIPT and view.visit is not None
    assert view.visit.receipt_choices == (ReceiptChoice.PRINT, ReceiptChoice.NONE)
    kiosk.session.choose_receipt(ReceiptChoice.PRINT)
    kiosk.core.drain()
    printer = kiosk.devices.receipt_printer
    assert isinstance(printer, MemoryReceiptPrinter)
    [receipt] = printer.printed
    assert receipt.title == "Lånekvittering"
    assert any(line.text == "Kongens Fald" for line in receipt.lines)
    # No part of the patron's name (an author may share her surname: FBS prints authors).
    assert not any("Anna" in line.text or "Jensen, " in line.text for line in receipt.lines)
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.GOODBYE_RECEIPT)
    assert kiosk.session.patron is None and kiosk.session.view.visit is None


def test_a_set_waits_for_its_last_part(kiosk: Kiosk) -> None:
    borrow(kiosk)
    parts = tags_of(kiosk, SET)
    place(kiosk, *parts[:2])
    assert rows(kiosk) == {SET: Outcome.INCOMPLETE_SET}
    place(kiosk, parts[2])
    assert rows(kiosk) == {SET: Outcome.BORROWED}


def test_a_fee_is_asked_before_the_loan(kiosk: Kiosk) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, RENTAL))
    visit = kiosk.session.view.visit
    assert visit is not None and visit.fee_question is not None and visit.fee_question.fee_amount
    kiosk.session.answer_fee(True)
    kiosk.core.drain()
    assert rows(kiosk) == {RENTAL: Outcome.BORROWED}


def test_a_tag_that_will_not_change_is_reported_and_the_loan_undone(kiosk: Kiosk) -> None:
    borrow(kiosk)
    book = tags_of(kiosk, BOOK)
    pad(kiosk).fail_security_writes.add(book[0].uid)
    place(kiosk, *book)
    assert rows(kiosk) == {BOOK: Outcome.SECURITY_FAILED}


def test_return_without_login_routes_a_held_item(kiosk: Kiosk) -> None:
    kiosk.session.start_visit(Purpose.RETURN)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.RETURN
    place(kiosk, *tags_of(kiosk, HELD))
    visit = kiosk.session.view.visit
    assert visit is not None
    [row] = visit.items
    assert (row.outcome, row.routing) == (Outcome.RETURNED, Routing.HOLD_SHELF)
    kiosk.session.finish_visit()
    kiosk.core.drain()
    kiosk.session.choose_receipt(ReceiptChoice.NONE)
    kiosk.core.drain()
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.RETURNED)


def test_account_and_renewal(kiosk: Kiosk) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, BOOK))
    kiosk.session.back_to_menu()
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.PATRON
    kiosk.session.start_visit(Purpose.ACCOUNT)
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert kiosk.session.view.screen is Screen.ACCOUNT and visit is not None and visit.account is not None
    assert [loan.item_id for loan in visit.account.loans] == [BOOK]
    kiosk.session.toggle_renewal(BOOK)
    kiosk.core.drain()
    kiosk.session.renew_selected()
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None and visit.account is not None
    assert visit.account.loans[0].renewed is True


def test_walking_away_mid_borrow_clears_everything(kiosk: Kiosk, clock: ManualClock) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, BOOK))
    clock.advance(61)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START, Message.TIMED_OUT)
    assert kiosk.session.view.visit is None and kiosk.session.patron is None
    place(kiosk, *tags_of(kiosk, SET))  # the next person's items are not lent to the last patron
    assert kiosk.session.view.visit is None


def test_items_left_unlent_on_the_pad_are_counted_when_the_patron_is_done(kiosk: Kiosk) -> None:
    borrow(kiosk)
    place(kiosk, *tags_of(kiosk, BOOK), *tags_of(kiosk, "5010000004"))  # the second is not for loan
    kiosk.session.finish_visit()
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None and visit.left_on_pad == 1
