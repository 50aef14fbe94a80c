"""What the kiosk makes of a printer's word: its state reasons, a job's state and sheets (no printer
needed; test_cups_ipp_printer.py asks real ones)."""

from __future__ import annotations

import pytest

from hardware.printers.ipp_printer import ABORTED, COMPLETED, PROCESSING, PrinterJob, PrinterState
from kiosk.domain.model import DeviceState

IDLE, PRINTING, STOPPED = 3, 4, 5


@pytest.mark.parametrize(("reasons", "stopping", "warnings"), [
    (("media-jam-error",), ("media-jam",), ()),
    (("media-jam-report",), ("media-jam",), ()),  # ippeveprinter, idle after the jam
    (("media-jam-warning", "media-needed-warning"), ("media-jam", "media-needed"), ()),  # mid-job
    (("media-empty",), ("media-empty",), ()),  # no suffix: an error (RFC 8011)
    (("media-empty-warning",), (), ("media-empty",)),  # another tray may do
    (("toner-low", "marker-supply-low-report"), (), ("toner-low", "marker-supply-low")),
    (("door-open-warning", "other-error"), ("door-open", "other"), ()),
    (("identify-printer-requested", "cups-waiting-for-job-completed"), (), ()),
])
def test_what_keeps_a_printer_from_printing(reasons: tuple[str, ...], stopping: tuple[str, ...],
                                            warnings: tuple[str, ...]) -> None:
    printer = PrinterState(PRINTING, reasons)

    assert (printer.stopping, printer.warnings) == (stopping, warnings)


@pytest.mark.parametrize(("printer", "state", "detail"), [
    (PrinterState(IDLE), DeviceState.OK, ""),
    (PrinterState(IDLE, ("toner-low",)), DeviceState.DEGRADED, "printer: toner-low"),
    (PrinterState(IDLE, ("media-jam-report",), "Idle."), DeviceState.UNAVAILABLE,
     "printer: media-jam (Idle.)"),
    (PrinterState(STOPPED, (), "Service mode"), DeviceState.UNAVAILABLE, "printer stopped (Service mode)"),
    (PrinterState(IDLE, (), "", accepting=False), DeviceState.UNAVAILABLE, "printer not accepting jobs"),
])
def test_the_health_of_a_printer(printer: PrinterState, state: DeviceState, detail: str) -> None:
    health = printer.health("document printer")
    assert (health.state, health.detail) == (state, detail)


@pytest.mark.parametrize(("job", "sheets"), [
    (PrinterJob(1, COMPLETED, impressions=6, sheets=6), 6),
    (PrinterJob(1, COMPLETED, impressions=3), 3),
    (PrinterJob(1, COMPLETED, impressions=3, two_sided=True), 2),
    (PrinterJob(1, COMPLETED, impressions=6, copies=2, two_sided=True), 4),  # 3 pages twice: 2 + 2
    (PrinterJob(1, COMPLETED, impressions=4, sheets=0, two_sided=True), 2),  # a printer that counts no sheets
    (PrinterJob(1, COMPLETED), None),
])
def test_sheets_are_the_printers_count_or_else_its_impressions(job: PrinterJob, sheets: int | None) -> None:
    assert job.sheets_out == sheets


def test_a_job_completed_without_errors_is_completed() -> None:
    job = PrinterJob(1, COMPLETED, ("job-completed-successfully",), impressions=2)

    status = job.status(PrinterState(IDLE, ("toner-low",)))

    assert (status.state, status.reasons, status.sheets, status.detail) == ("completed", (), 2,
                                                                            "printed, 2 sheets")


def test_a_job_completed_with_errors_is_failed() -> None:
    status = PrinterJob(1, COMPLETED, ("job-completed-with-errors",)).status(PrinterState(IDLE))

    assert (status.state, status.reasons) == ("failed", ("job-completed-with-errors",))


def test_an_aborted_job_fails_with_what_stopped_the_printer_first() -> None:
    job = PrinterJob(1, ABORTED, ("aborted-by-system",), "Paper jam", impressions=1)

    status = job.status(PrinterState(IDLE), seen=("media-jam",))

    assert (status.state, status.reasons, status.sheets) == ("failed", ("media-jam", "aborted-by-system"), 1)
    assert status.detail == "the printer stopped the job: Paper jam"


def test_a_printing_job_on_a_jammed_printer_is_failed_and_otherwise_processing() -> None:
    job = PrinterJob(1, PROCESSING, ("job-printing",))

    jammed = job.status(PrinterState(PRINTING, ("media-jam-warning", "toner-low")))
    fine = job.status(PrinterState(PRINTING, ("toner-low",)))

    assert (jammed.state, jammed.reasons) == ("failed", ("media-jam", "toner-low"))
    assert (fine.state, fine.reasons, fine.final) == ("processing", (), False)
