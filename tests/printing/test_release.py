"""Releasing a print job with its money: the real central service over HTTP (queue, document,
balance, payments), the kiosk's real journal in SQLite; the printer in memory (one that can jam).
Every printed job is charged once, every failed one not at all, the balance right to the øre."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.domain.central import CentralPrintJob
from kiosk.printing.release import Choices, PrintRelease
from kiosk.settings.printing import PrintingSettings
from kiosk.store import Journal, JournalState, open_store
from kiosk.testing.memory import MemoryDocumentPrinter
from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.printing.test_pricing import A4, BLACK_TEXT, RED, pdf

ANNA = "1000000001"


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[CentralService, CentralClient]]:
    service = CentralService(tmp_path / "central.db")
    credential = service.enrol("kiosk-1", "viby")
    service.start()
    with CentralClient(service.url, credential) as client:
        yield service, client
    service.stop()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    store = open_store(tmp_path / "kiosk.db", key_dir=tmp_path / "keys")
    yield Journal(store)
    store.close()


def queued(service: CentralService, client: CentralClient) -> CentralPrintJob:
    service.send_to_print(pdf((A4, BLACK_TEXT), (A4, RED), (A4, BLACK_TEXT)), "Ansøgning.pdf", card=ANNA)
    (job,) = client.print_jobs(service.patron_token(ANNA))
    return job


def charges(journal: Journal) -> list[tuple[str, str]]:
    return [(row.state, str(row.payload.get("amount"))) for row in journal.in_states(
        (JournalState.DONE, JournalState.FAILED, JournalState.PENDING), kinds=("print_charge",))]


def test_a_printed_job_is_charged_once_and_a_jammed_one_not_at_all(
        central: tuple[CentralService, CentralClient], journal: Journal) -> None:
    service, client = central
    printer = MemoryDocumentPrinter()
    release = PrintRelease(client, client, printer, journal, PrintingSettings(), "kiosk-1",
                           sleep=lambda _s: None)
    service.top_up(ANNA, "10.00")
    owner = service.patron_token(ANNA)

    job = queued(service, client)
    done = release.release(job, Choices(copies=2))
    assert (done.outcome, done.quote.price) == ("printed", Decimal("4.20"))  # (0.55 + 1.00 + 0.55) x 2
    assert done.payment is not None and done.payment.state == "captured"
    assert client.balance(owner) == Decimal("5.80")
    ((sent, document),) = printer.jobs.values()
    assert (sent.copies, sent.colour) == (2, True) and document.startswith(b"%PDF-")
    assert client.print_jobs(owner) == []  # printed: off the queue

    printer.jam_next = True
    jammed = queued(service, client)
    failed = release.release(jammed, Choices(black_and_white=True))
    assert (failed.outcome, failed.quote.price) == ("failed", Decimal("1.65"))
    assert failed.why == "the printer says failed: media-jam (paper jam)"
    assert failed.reasons == ("media-jam",)
    assert [job for job, _pdf in printer.jobs.values()][-1].duplex is False
    assert failed.payment is not None and failed.payment.state == "voided"
    assert client.balance(owner) == Decimal("5.80")  # given back to the øre
    assert [j.state for j in client.print_jobs(owner)] == ["failed"]  # for staff, or a try again
    assert charges(journal) == [("done", "4.20"), ("failed", "1.65")]


def test_a_balance_that_does_not_cover_the_price_holds_and_prints_nothing(
        central: tuple[CentralService, CentralClient], journal: Journal) -> None:
    service, client = central
    printer = MemoryDocumentPrinter()
    release = PrintRelease(client, client, printer, journal, PrintingSettings(), "kiosk-1",
                           sleep=lambda _s: None)
    service.top_up(ANNA, "1.00")
    result = release.release(queued(service, client), Choices())
    assert result.outcome == "refused" and "the job costs 2.10" in result.why
    assert printer.jobs == {} and client.balance(service.patron_token(ANNA)) == Decimal("1.00")
    assert charges(journal) == [("failed", "2.10")]
