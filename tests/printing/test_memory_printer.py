"""The in-memory document printer, as tests and screens use it: it prints, it jams, it takes its time."""

from __future__ import annotations

from kiosk.domain.model import PrinterJobStatus, PrintJob
from kiosk.testing.memory import MemoryDocumentPrinter


def a_job(pages: int = 3, copies: int = 1, duplex: bool = False) -> PrintJob:
    return PrintJob("k-42", "token", "Ansøgning.pdf", pages=pages, copies=copies, duplex=duplex)


def test_a_job_completes_with_one_sheet_a_page_or_one_for_two_pages_in_duplex() -> None:
    printer = MemoryDocumentPrinter()

    simplex = printer.submit(a_job(pages=3, copies=2), b"%PDF-")
    duplex = printer.submit(a_job(pages=3, copies=2, duplex=True), b"%PDF-")

    assert printer.job_status(simplex) == PrinterJobStatus("completed", sheets=6, detail="printed")
    assert printer.job_status(duplex).sheets == 4
    assert printer.job_state(duplex) == "completed"


def test_a_jammed_job_fails_with_media_jam_and_nothing_printed() -> None:
    printer = MemoryDocumentPrinter()
    printer.jam_next = True

    jammed = printer.job_status(printer.submit(a_job(), b"%PDF-"))
    after = printer.job_status(printer.submit(a_job(), b"%PDF-"))

    assert (jammed.state, jammed.reasons, jammed.sheets, jammed.final) == ("failed", ("media-jam",), 0, True)
    assert after.state == "completed"


def test_a_job_is_processing_for_the_polls_asked_then_final() -> None:
    printer = MemoryDocumentPrinter(processing_polls=2)

    job_id = printer.submit(a_job(), b"%PDF-")

    assert [printer.job_state(job_id) for _ in range(3)] == ["processing", "processing", "completed"]
    assert not printer.job_status("fake-99").final


def test_a_cancelled_job_is_canceled_and_a_completed_one_stays_completed() -> None:
    printer = MemoryDocumentPrinter(processing_polls=1)
    printing = printer.submit(a_job(), b"%PDF-")
    done = printer.submit(a_job(), b"%PDF-")
    printer.job_status(done)
    printer.job_status(done)

    printer.cancel(printing)
    printer.cancel(done)

    assert printer.job_state(printing) == "canceled"
    assert printer.job_state(done) == "completed"
    assert printer.canceled == [printing]
