"""The document printer following the printer's own job: a private cupsd with IPP Everywhere queues
for real IPP printers (ippeveprinter) that print, jam, stall, run out of paper and get unplugged."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hardware.printers.cups_printer import JOB_STATES, CupsDocumentPrinter
from hardware.printers.ipp import Attributes, IppClient
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState, PrinterJobState, PrinterJobStatus, PrintJob
from tests.hardware.cups_fixtures import PrivateCups
from tests.hardware.cups_fixtures import private_cups as private_cups
from tests.hardware.ipp_fixtures import EvePrinter
from tests.hardware.ipp_fixtures import eve_printers as eve_printers
from tests.hardware.ipp_fixtures import private_bus as private_bus
from tests.hardware.test_cups_printer import a_pdf

JOB_TIMEOUT_S = 30.0
StartPrinter = Callable[..., EvePrinter]


def a_job(pages: int = 3, copies: int = 1, colour: bool = False, duplex: bool = False) -> PrintJob:
    return PrintJob("k-42", "token", "Ansøgning.pdf", pages=pages, copies=copies, colour=colour,
                    duplex=duplex)


def pages(count: int) -> bytes:
    return a_pdf(*(f"Side {n}" for n in range(1, count + 1)))


def driver(cups: PrivateCups, printer: EvePrinter, grace_s: float = 30.0) -> CupsDocumentPrinter:
    return CupsDocumentPrinter(printer.queue, host=str(cups.socket), backoff_s=(0.0,), printer_timeout_s=2.0,
                               printer_grace_s=grace_s)


def cups_state(cups: PrivateCups, job_id: str) -> PrinterJobState:
    """CUPS's own record of the job."""
    state = cups.connection().getJobAttributes(int(job_id), requested_attributes=["job-state"])["job-state"]
    return JOB_STATES[state]


def cups_in_the_end(cups: PrivateCups, job_id: str) -> PrinterJobState:
    """CUPS's record once it is final."""
    return until(lambda: PrinterJobStatus(cups_state(cups, job_id)), lambda s: s.final).state


def until(ask: Callable[[], PrinterJobStatus], done: Callable[[PrinterJobStatus], bool]) -> PrinterJobStatus:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    status = ask()
    while not done(status) and time.monotonic() < deadline:
        time.sleep(0.1)
        status = ask()
    return status


def the_printers_job(printer: EvePrinter, job_name_start: str) -> Attributes:
    """The printer's job, asked by name as anyone on the network could."""
    client = IppClient(printer.uri, user="staff")
    jobs = [*client.get_jobs("not-completed", ["job-name", "job-state", "job-state-reasons"]),
            *client.get_jobs("completed", ["job-name", "job-state", "job-state-reasons"])]
    (job,) = [j for j in jobs if str(j["job-name"][0]).startswith(job_name_start)]
    return job


def test_a_pdf_prints_completed_with_a_sheet_a_page_and_a_copy(private_cups: PrivateCups,
                                                                eve_printers: StartPrinter) -> None:
    eve = eve_printers("Mono", colour=False, duplex=False)
    printer = driver(private_cups, eve)

    status = printer.wait(printer.submit(a_job(pages=3, copies=2), pages(3)), JOB_TIMEOUT_S)

    assert (status.state, status.reasons, status.sheets) == ("completed", (), 6), status
    [(name, *came_out)] = [line.split() for line in eve.output]
    assert name.startswith("kiosk-k-42-") and came_out == ["3", "2", "one-sided", "monochrome"]


def test_duplex_colour_prints_on_both_sides_of_half_the_sheets(private_cups: PrivateCups,
                                                               eve_printers: StartPrinter) -> None:
    eve = eve_printers("Colour")
    printer = driver(private_cups, eve)

    status = printer.wait(printer.submit(a_job(pages=3, colour=True, duplex=True), pages(3)), JOB_TIMEOUT_S)

    assert (status.state, status.sheets) == ("completed", 2), status  # ceil(3 / 2)
    [(_, document_pages, *came_out)] = [line.split() for line in eve.output]
    assert document_pages in ("3", "4")  # CUPS sends the blank back of the last sheet, some of the time
    assert came_out == ["1", "two-sided-long-edge", "color"]


def test_a_jam_fails_the_job_that_cups_does_not_call_failed(private_cups: PrivateCups,
                                                           eve_printers: StartPrinter) -> None:
    eve = eve_printers("Jams")
    eve.behave("jam")
    printer = driver(private_cups, eve)
    job_id = printer.submit(a_job(), pages(3))

    status = printer.wait(job_id, JOB_TIMEOUT_S)
    cups_said = cups_state(private_cups, job_id)
    health = printer.health()

    assert (status.state, status.reasons[0], status.sheets) == ("failed", "media-jam", 1), status
    assert "Paper jam in tray 1" in status.detail
    assert cups_said in ("processing", "completed", "canceled")  # CUPS's record: never that it failed
    assert eve.output == []
    assert health.state is DeviceState.UNAVAILABLE and "media-jam" in health.detail


def test_a_jam_that_stops_the_printer_fails_the_job_and_a_cancel_ends_it_on_the_printer_and_in_cups(
        private_cups: PrivateCups, eve_printers: StartPrinter) -> None:
    eve = eve_printers("Stalls")
    eve.behave("stall")
    printer = driver(private_cups, eve)
    job_id = printer.submit(a_job(), pages(2))

    stuck = until(lambda: printer.job_status(job_id), lambda s: s.state == "failed")
    cups_said = cups_state(private_cups, job_id)
    printer.cancel(job_id)
    eve.behave("print")  # staff clear the jam: the job must not come out now, unpaid
    ended = until(lambda: printer.job_status(job_id), lambda s: s.final and s.state != "failed")

    assert (stuck.state, stuck.reasons) == ("failed", ("media-jam",))
    assert cups_said == "processing"
    assert ended.state == "canceled"
    assert cups_in_the_end(private_cups, job_id) == "canceled"
    assert the_printers_job(eve, "kiosk-k-42-")["job-state"] == [7]  # canceled, on the printer
    assert eve.output == []


def test_a_printer_unplugged_mid_job_fails_the_job_that_cups_keeps_processing(
        private_cups: PrivateCups, eve_printers: StartPrinter) -> None:
    eve = eve_printers("Unplugged")
    eve.behave("slow 30")
    printer = driver(private_cups, eve, grace_s=1.0)
    job_id = printer.submit(a_job(), pages(1))
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while "on the printer" not in printer.job_status(job_id).detail and time.monotonic() < deadline:
        time.sleep(0.05)
    printing = printer.job_status(job_id)

    eve.kill()
    waiting = printer.job_status(job_id)
    gone = until(lambda: printer.job_status(job_id), lambda s: s.final)
    health = printer.health()
    printer.cancel(job_id)

    assert printing.detail.startswith("processing on the printer")
    assert waiting.state == "processing" and "does not answer" in waiting.detail
    assert (gone.state, gone.reasons) == ("failed", ("offline",))
    assert health.state is DeviceState.UNAVAILABLE and eve.uri in health.detail
    assert cups_in_the_end(private_cups, job_id) == "canceled"
    assert eve.output == []
    with pytest.raises(DeviceUnavailable, match="does not answer"):
        printer.submit(a_job(), pages(1))


def test_an_empty_tray_is_reported_and_stops_the_next_job(private_cups: PrivateCups,
                                                             eve_printers: StartPrinter) -> None:
    eve = eve_printers("Empties")
    eve.behave("last-sheet")
    printer = driver(private_cups, eve)
    last = printer.wait(printer.submit(a_job(pages=1), pages(1)), JOB_TIMEOUT_S)

    health = printer.health()
    next_job = printer.submit(a_job(pages=1), pages(1))  # taken before health() could have said so
    waiting = until(lambda: printer.job_status(next_job), lambda s: s.state != "pending")

    assert last.state == "completed"
    assert (health.state, health.detail) == (DeviceState.DEGRADED, "printer: media-empty")
    assert waiting.state == "failed" and {"media-needed", "media-empty"} <= set(waiting.reasons)
    printer.cancel(next_job)


def test_a_second_try_of_the_same_job_is_told_from_the_first(private_cups: PrivateCups,
                                                            eve_printers: StartPrinter) -> None:
    eve = eve_printers("Retries")
    printer = driver(private_cups, eve)
    eve.behave("stall")
    first = printer.submit(a_job(), pages(2))
    until(lambda: printer.job_status(first), lambda s: s.state == "failed")
    printer.cancel(first)
    eve.behave("print")  # staff clear the jam
    until(lambda: printer.job_status(first), lambda s: s.state == "canceled")

    second = printer.wait(printer.submit(a_job(), pages(2)), JOB_TIMEOUT_S)

    assert (second.state, second.sheets) == ("completed", 2)
    assert printer.job_status(first).state == "canceled"
    assert len(eve.output) == 1


def test_a_printer_by_ipps_is_followed_over_tls(private_cups: PrivateCups,
                                                eve_printers: StartPrinter) -> None:
    eve = eve_printers("Encrypted", tls=True)
    printer = driver(private_cups, eve)

    status = printer.wait(printer.submit(a_job(pages=2), pages(2)), JOB_TIMEOUT_S)

    assert (status.state, status.sheets) == ("completed", 2)  # sheets: the printer's own word
    assert eve.uri.startswith("ipps://") and len(eve.output) == 1


def test_a_ready_printer_is_ok(private_cups: PrivateCups, eve_printers: StartPrinter) -> None:
    eve = eve_printers("Ready")

    assert driver(private_cups, eve).health().state is DeviceState.OK
