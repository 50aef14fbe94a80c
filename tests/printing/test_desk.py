"""The print desk in a kiosk's session: the demo kiosk (its built-in central service with the seeded
documents and Anna's 25 kr., the journal in SQLite, a document printer in memory that can jam), driven
through the session as the screens drive it. Money is checked on the service, to the øre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.events import Tick
from kiosk.domain.model import Credential, CredentialKind
from kiosk.printing.view import PrintProblem, PrintStage, PrintView
from kiosk.session.view import Screen
from kiosk.settings import Settings
from kiosk.store import JournalState
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryDocumentPrinter, MemoryReceiptPrinter
from sync.central.client import CentralClient

ANNA = "1000000001"




def synced(kiosk: Kiosk) -> None:
    """The terminal has its configuration (and so the key its patrons' tokens are made with)."""
    kiosk.core.dispatch(Tick())
    kiosk.core.drain()
    assert kiosk.session.printing is not None


def desk(kiosk: Kiosk) -> PrintView:
    view = kiosk.session.view.printing
    assert view is not None
    return view


def log_in(kiosk: Kiosk, card: str = ANNA, pin: str = "1234") -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(Credential(CredentialKind.BARCODE, card))
    kiosk.core.drain()
    kiosk.session.submit_pin(pin)
    kiosk.core.drain()


def central(kiosk: Kiosk) -> CentralClient:
    client = kiosk.session.printing.desk._service  # type: ignore[union-attr]
    assert isinstance(client, CentralClient)
    return client


def balance(kiosk: Kiosk) -> Decimal:
    sync_token = kiosk.session.printing.desk._tokens(ANNA)  # type: ignore[union-attr]
    assert sync_token is not None
    return central(kiosk).balance(sync_token)


def test_print_after_the_card_shows_the_jobs_prices_them_and_charges_once(kiosk: Kiosk) -> None:
    synced(kiosk)
    assert kiosk.session.view.printing_offered
    kiosk.session.start_print()
    kiosk.core.drain()
    assert (kiosk.session.view.screen, kiosk.session.view.print_intent) == (Screen.IDENTIFY, True)
    log_in(kiosk)
    assert kiosk.session.view.screen is Screen.PRINT
    view = desk(kiosk)
    assert view.stage is PrintStage.LIST and view.balance == Decimal("25.00")
    assert [(j.job_id, j.pages, j.colour_pages, j.price) for j in view.jobs] == [
        ("pj-1001", 3, 0, Decimal("1.65")), ("pj-1002", 1, 1, Decimal("1.00"))]

    kiosk.session.choose_print_job("pj-1001")
    kiosk.core.drain()
    view = desk(kiosk)
    assert view.stage is PrintStage.CHOOSE and view.preview is not None  # the service drew the first page
    assert view.preview.startswith(b"\x89PNG\r\n\x1a\n")
    kiosk.session.change_print_choice(copies_step=1)
    kiosk.session.change_print_choice(copies_step=1)
    kiosk.session.change_print_choice(duplex=True)
    kiosk.core.drain()
    view = desk(kiosk)
    assert view.quote is not None
    assert (view.choices.copies, view.quote.sheets, view.quote.price) == (3, 6, Decimal("4.95"))

    kiosk.session.confirm_print()
    kiosk.core.drain()
    view = desk(kiosk)
    assert view.stage is PrintStage.PRINTED and view.balance == Decimal("20.05")
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter)
    ((sent, document),) = printer.jobs.values()
    assert (sent.job_id, sent.copies) == ("pj-1001", 3) and document.startswith(b"%PDF-")
    assert balance(kiosk) == Decimal("20.05")  # on the service, to the øre

    kiosk.session.print_payment_receipt()
    kiosk.core.drain()
    assert desk(kiosk).receipt_printed is True
    receipts = kiosk.devices.receipt_printer
    assert isinstance(receipts, MemoryReceiptPrinter)
    text = "\n".join(line.text for line in receipts.printed[-1].lines)
    assert "Ansøgning om boligstøtte.pdf" in text and "4.95 DKK" in text and "pay-" in text

    kiosk.session.print_back()  # "more print jobs": the printed one is gone from the list
    kiosk.core.drain()
    assert [j.job_id for j in desk(kiosk).jobs] == ["pj-1002"]
    charges = [(row.state, row.payload["amount"]) for row in kiosk.journal.in_states(
        (JournalState.DONE, JournalState.FAILED, JournalState.PENDING), kinds=("print_charge",))]
    assert charges == [("done", "4.95")]


def test_a_jammed_job_is_not_charged_and_the_patron_is_told(kiosk: Kiosk) -> None:
    synced(kiosk)
    log_in(kiosk)
    assert kiosk.session.view.screen is Screen.PATRON
    kiosk.session.start_print()
    kiosk.core.drain()
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter)
    printer.jam_next = True
    kiosk.session.choose_print_job("pj-1002")
    kiosk.core.drain()
    kiosk.session.confirm_print()
    kiosk.core.drain()
    view = desk(kiosk)
    assert (view.stage, view.problem) == (PrintStage.FAILED, PrintProblem.NOT_PRINTED)
    assert balance(kiosk) == Decimal("25.00")
    kiosk.session.print_back()
    kiosk.core.drain()
    assert [(j.job_id, j.failed_before) for j in desk(kiosk).jobs] == [("pj-1001", False), ("pj-1002", True)]


def test_a_job_dearer_than_the_balance_is_refused_before_anything_is_held(kiosk: Kiosk) -> None:
    synced(kiosk)
    log_in(kiosk)
    kiosk.session.start_print()
    kiosk.core.drain()
    kiosk.session.choose_print_job("pj-1002")
    kiosk.core.drain()
    for _ in range(19):
        kiosk.session.change_print_choice(copies_step=1)
    kiosk.core.drain()
    assert desk(kiosk).quote.price == Decimal("20.00")  # type: ignore[union-attr]
    kiosk.session.change_print_choice(copies_step=1)  # 20 is the most copies
    kiosk.core.drain()
    assert desk(kiosk).choices.copies == 20
    kiosk.session.change_print_choice(black_and_white=True)
    kiosk.core.drain()
    assert desk(kiosk).quote.price == Decimal("11.00")  # type: ignore[union-attr]
    kiosk.session.change_print_choice(black_and_white=False)
    kiosk.core.drain()
    central(kiosk)  # the service
    token = kiosk.session.printing.desk._tokens(ANNA)  # type: ignore[union-attr]
    assert token is not None
    hold = central(kiosk).authorize(token, "pj-other", Decimal("10.00"), "demo-1")  # spent on another job
    assert hold.state == "authorized"
    kiosk.session.confirm_print()
    kiosk.core.drain()
    view = desk(kiosk)
    assert (view.stage, view.problem) == (PrintStage.CHOOSE, PrintProblem.BALANCE)
    assert balance(kiosk) == Decimal("15.00")
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter) and printer.jobs == {}


def test_a_release_code_opens_its_jobs_but_only_a_card_pays(kiosk: Kiosk) -> None:
    synced(kiosk)
    service_token = kiosk.session.printing.desk._tokens  # type: ignore[union-attr]
    emulator_url = central(kiosk)
    assert emulator_url is not None
    kiosk.session.start_print()
    kiosk.core.drain()
    kiosk.session.print_code_wanted()
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.PRINT_CODE
    kiosk.session.enter_print_code("123456")
    kiosk.core.drain()
    view = desk(kiosk)
    assert kiosk.session.view.screen is Screen.PRINT
    assert (view.stage, view.jobs, view.can_pay) == (PrintStage.LIST, (), False)
    assert service_token("code:123456") is not None


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_receipt_texts_exist(language: str) -> None:
    from kiosk.texts import has

    for key in ("pages", "sheets", "colour", "paid", "payment", "job", "footer", "title"):
        assert has(f"print.receipt.{key}", language)


def phone_pays(pay_url: str, *, pay: bool) -> None:
    """The patron scans the QR code and presses Pay (or Decline) on the provider's page."""
    import requests

    with requests.Session() as phone:
        page = phone.get(pay_url, timeout=10)
        assert page.status_code == 200
        phone.post(page.url, data={"choice": "pay" if pay else "decline"}, timeout=10)


def poll(kiosk: Kiosk, clock: ManualClock) -> None:
    clock.advance(3)
    kiosk.core.dispatch(Tick())
    kiosk.core.drain()


def test_a_release_code_job_is_paid_by_card_on_the_phone_and_taken_only_once_printed(
        kiosk: Kiosk, clock: ManualClock) -> None:
    synced(kiosk)
    printing = kiosk.session.printing
    assert printing is not None
    service = central(kiosk)
    from sync.central.sample_documents import sample_document

    sent = _send_with_code(kiosk, sample_document("Boarding pass.pdf", 2), "314159")
    kiosk.session.start_print()
    kiosk.core.drain()
    kiosk.session.print_code_wanted()
    kiosk.core.drain()
    kiosk.session.enter_print_code("314159")
    kiosk.core.drain()
    view = desk(kiosk)
    assert ([j.job_id for j in view.jobs], view.can_pay, view.card_payments) == ([sent], False, True)
    kiosk.session.choose_print_job(sent)
    kiosk.core.drain()
    kiosk.session.confirm_print()  # no card to pay from: said, nothing held
    kiosk.core.drain()
    assert desk(kiosk).problem is PrintProblem.NO_PAYER

    kiosk.session.pay_print_by_card()
    kiosk.core.drain()
    view = desk(kiosk)
    assert view.stage is PrintStage.PAYING and "/pay/" in view.pay_url and view.pay_until is not None
    poll(kiosk, clock)
    assert desk(kiosk).stage is PrintStage.PAYING  # not paid yet
    phone_pays(view.pay_url, pay=False)
    poll(kiosk, clock)
    assert (desk(kiosk).stage, desk(kiosk).problem) == (PrintStage.CHOOSE, PrintProblem.CARD_NOT_PAID)

    kiosk.session.pay_print_by_card()
    kiosk.core.drain()
    phone_pays(desk(kiosk).pay_url, pay=True)
    poll(kiosk, clock)
    view = desk(kiosk)
    assert view.stage is PrintStage.PRINTED
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter)
    assert [job.job_id for job, _pdf in printer.jobs.values()] == [sent]
    charges = [(row.state, row.payload["amount"], row.payload["method"]) for row in kiosk.journal.in_states(
        (JournalState.DONE, JournalState.FAILED, JournalState.PENDING), kinds=("print_charge",))]
    assert charges == [("failed", "1.10", "provider"), ("done", "1.10", "provider")]
    paid = service.payment(kiosk.journal.in_states((JournalState.DONE,), kinds=("print_charge",))[0]
                           .payload["payment"])
    assert (paid.state, paid.amount) == ("captured", Decimal("1.10"))


def _send_with_code(kiosk: Kiosk, document: bytes, code: str) -> str:
    """Queue a document under a release code on the kiosk's built-in central service (as the upload
    page or an e-mail does); the job's id."""
    from sync.central.service import CentralService

    services = [getattr(closer, "__self__", None) for closer in kiosk.closers]
    (service,) = [s for s in services if isinstance(s, CentralService)]
    return str(service._inbox.send(document, "Boarding pass.pdf", code=code).job_id)


def test_printing_stops_at_the_calendars_cut_off_and_nothing_is_held(kiosk: Kiosk,
                                                                     clock: ManualClock) -> None:
    """The demo branch closes at 22.00 and printing ten minutes before: a job chosen at 21.45 is not
    printed at 21.51 (the patron is told, and when), and nothing is held."""
    from tests.printing.conftest import at

    at(clock, 21, 45)
    synced(kiosk)
    log_in(kiosk)
    kiosk.session.start_print()
    kiosk.core.drain()
    closes = desk(kiosk).closes
    assert closes is not None and (closes.hour, closes.minute) == (21, 50)
    kiosk.session.choose_print_job("pj-1001")
    kiosk.core.drain()
    at(clock, 21, 51)
    kiosk.session.confirm_print()
    kiosk.core.drain()
    view = desk(kiosk)
    assert (view.stage, view.problem) == (PrintStage.CHOOSE, PrintProblem.CLOSED)
    printer = kiosk.devices.document_printer
    assert isinstance(printer, MemoryDocumentPrinter) and printer.jobs == {}
    assert balance(kiosk) == Decimal("25.00")
    assert kiosk.journal.in_states((JournalState.PENDING, JournalState.DONE, JournalState.FAILED),
                                   kinds=("print_charge",)) == []


def test_a_kiosk_that_does_not_go_by_the_calendars_hours_prints_at_any_hour(demo_settings: Settings) -> None:
    """The demo alone lends at any hour ([calendar] kiosk_hours = false): it prints at any hour too."""
    from kiosk.bootstrap.kiosk import calendar_in_force
    from kiosk.bootstrap.printing import printing_closes
    from kiosk.domain.events import Core, InlineWorkers

    assert not demo_settings.calendar.kiosk_hours
    calendar = calendar_in_force(demo_settings, Core(InlineWorkers()), None)
    assert printing_closes(demo_settings, calendar) is None
    branch = demo_settings.model_copy(update={
        "calendar": demo_settings.calendar.model_copy(update={"kiosk_hours": True})})
    closes = printing_closes(branch, calendar)
    assert closes is not None
    evening = closes(at_copenhagen(20, 0))
    assert evening is not None and (evening.hour, evening.minute) == (21, 50)


def at_copenhagen(hour: int, minute: int) -> dt.datetime:
    from kiosk.testing.memory import COPENHAGEN

    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=COPENHAGEN)
