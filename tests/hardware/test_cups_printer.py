"""The document printer driver against a real, private cupsd with a cups-pdf queue."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from hardware.printers.cups_printer import CupsDocumentPrinter, server_from_settings
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState, PrinterJobStatus, PrintJob
from kiosk.settings import DocumentPrinterSettings
from tests.hardware.cups_fixtures import PrivateCups
from tests.hardware.cups_fixtures import private_cups as private_cups

JOB_TIMEOUT_S = 60.0


def one_page_pdf(text: str) -> bytes:
    return a_pdf(text)


def a_pdf(*pages: str) -> bytes:
    """A minimal valid PDF (with a correct cross-reference table), a page showing each text."""
    count = len(pages)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[%s]/Count %d>>" % (kids, count),
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    for number, text in enumerate(pages):
        content = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode("ascii")
        objects.append(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents %d 0 R"
                       b"/Resources<</Font<</F1 3 0 R>>>>>>" % (5 + 2 * number))
        objects.append(b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def info_of(pdf: Path) -> dict[str, str]:
    output = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True,
                            timeout=30).stdout
    return {key.strip(): value.strip() for key, _, value in
            (line.partition(":") for line in output.splitlines())}


def a_job(copies: int = 1, colour: bool = False, duplex: bool = False) -> PrintJob:
    return PrintJob("k-42", "token", "Ansøgning.pdf", pages=1, copies=copies, colour=colour, duplex=duplex)


@pytest.fixture
def printer(private_cups: PrivateCups) -> CupsDocumentPrinter:
    return CupsDocumentPrinter("KioskPDF", host=str(private_cups.socket), backoff_s=(0.0,))


def test_a_pdf_comes_out_of_the_queue_and_its_job_completes(
    private_cups: PrivateCups, printer: CupsDocumentPrinter
) -> None:
    job_id = printer.submit(a_job(copies=2), one_page_pdf("Kiosk test"))

    assert printer.wait(job_id, JOB_TIMEOUT_S) == PrinterJobStatus("completed", (), None, "completed in CUPS")
    assert printer.job_state(job_id) == "completed"
    [pdf] = private_cups.pdfs()
    assert "Kiosk test" in text_of(pdf)
    attributes = private_cups.connection().getJobAttributes(
        int(job_id), requested_attributes=["copies", "print-color-mode", "sides", "document-name-supplied"])
    assert (attributes["copies"], attributes["print-color-mode"], attributes["sides"]) == (2, "monochrome",
                                                                                           "one-sided")
    assert attributes["document-name-supplied"].startswith("kiosk-k-42-")  # not the patron's file name


def test_a_text_document_is_printed_in_colour_and_duplex_when_asked(
    private_cups: PrivateCups, printer: CupsDocumentPrinter
) -> None:
    job_id = printer.submit(a_job(colour=True, duplex=True), b"Hej fra kiosken\n")

    assert printer.wait(job_id, JOB_TIMEOUT_S).state == "completed"
    [pdf] = private_cups.pdfs()
    # texttopdf's embedded font has no Unicode map, so pdftotext cannot read the words back.
    info = info_of(pdf)
    assert info["Title"].startswith("(kiosk-k-42-") and info["Pages"] == "1"  # cups-pdf adds ()
    attributes = private_cups.connection().getJobAttributes(int(job_id))
    assert (attributes["print-color-mode"], attributes["sides"]) == ("color", "two-sided-long-edge")


def test_a_stopped_queue_is_unavailable_with_its_message_and_its_jobs_failed(
    private_cups: PrivateCups, printer: CupsDocumentPrinter
) -> None:
    admin = private_cups.connection()
    admin.disablePrinter("KioskPDF", reason="Papirstop i bakke 2")
    stuck = str(admin.createJob("KioskPDF", "queued before the stop", {}))

    health = printer.health()
    state = printer.job_state(stuck)
    with pytest.raises(DeviceUnavailable, match="Papirstop"):
        printer.submit(a_job(), one_page_pdf("Kiosk test"))

    assert (health.state, health.detail) == (DeviceState.UNAVAILABLE,
                                             "queue KioskPDF stopped: Papirstop i bakke 2")
    assert state == "failed"
    admin.enablePrinter("KioskPDF")
    assert printer.health().ok


def test_a_queue_that_rejects_jobs_is_unavailable(private_cups: PrivateCups,
                                                  printer: CupsDocumentPrinter) -> None:
    private_cups.connection().rejectJobs("KioskPDF")

    health = printer.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "not accepting jobs" in health.detail


def test_cupsd_gone_is_unavailable_and_back_is_ok_without_a_restart(
    private_cups: PrivateCups, printer: CupsDocumentPrinter
) -> None:
    assert printer.health().ok
    private_cups.stop()

    down = printer.health()
    with pytest.raises(DeviceUnavailable):
        printer.submit(a_job(), one_page_pdf("Kiosk test"))
    with pytest.raises(DeviceUnavailable):
        printer.job_state("1")
    private_cups.start()
    up = printer.health()
    job_id = printer.submit(a_job(), one_page_pdf("Kiosk test"))

    assert down.state is DeviceState.UNAVAILABLE
    assert str(private_cups.socket) in down.detail
    assert up.ok
    assert printer.wait(job_id, JOB_TIMEOUT_S).state == "completed"


def test_cups_not_running_at_all_is_unavailable(tmp_path: Path) -> None:
    printer = CupsDocumentPrinter("KioskPDF", host=str(tmp_path / "cups.sock"))

    health = printer.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "CUPS unreachable" in health.detail


def test_a_job_cups_does_not_know_is_unknown(printer: CupsDocumentPrinter) -> None:
    assert printer.job_state("9999") == "unknown"
    assert printer.job_state("not-a-job") == "unknown"


def test_a_queue_that_does_not_exist_is_unavailable(private_cups: PrivateCups) -> None:
    printer = CupsDocumentPrinter("Farveprinter", host=str(private_cups.socket))

    health = printer.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "no print queue named Farveprinter" in health.detail


def test_a_cancelled_job_is_canceled(private_cups: PrivateCups, printer: CupsDocumentPrinter) -> None:
    private_cups.connection().disablePrinter("KioskPDF")  # keep the job waiting
    job_id = str(private_cups.connection().createJob("KioskPDF", "to cancel", {}))

    printer.cancel(job_id)

    deadline = time.monotonic() + 5
    while printer.job_state(job_id) != "canceled" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert printer.job_state(job_id) == "canceled"


@pytest.mark.parametrize(
    ("server", "host_and_port"),
    [("", (None, None)), ("/run/cups/cups.sock", ("/run/cups/cups.sock", None)),
     ("printhost", ("printhost", None)), ("printhost:8631", ("printhost", 8631))],
)
def test_settings_name_the_cups_server(server: str, host_and_port: tuple[str | None, int | None]) -> None:
    settings = DocumentPrinterSettings(kind="cups", queue="KioskPDF", cups_server=server)

    assert server_from_settings(settings) == host_and_port
