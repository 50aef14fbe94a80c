"""Office documents sent to print: told apart by their bytes, converted by a real LibreOffice
(headless, a profile of its own, a time limit), and queued like a PDF with their pages and colour;
what cannot be converted is refused in words and queues nothing. SQLite, real HTTP to read the queue."""

from __future__ import annotations

import html
import io
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.printing.pricing import PageInk
from sync.central.client import CentralClient
from sync.central.server.office import CannotConvert, OfficeConverter, OfficeUnavailable, office_kind
from sync.central.server.print_analysis import NotAPrintableDocument
from sync.central.service import CentralService
from tests.printing.test_pricing import A4, BLACK_TEXT, pdf, png
from tests.sync.central.conftest import BRANCH, TERMINAL, TOKEN
from tests.sync.central.office_files import docx, hostile_odt, odt

BLACK, COLOUR = PageInk(False, "A4"), PageInk(True, "A4")
CARD = "1000000001"


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice is needed (make test installs libreoffice-writer-nogui and the others)")
    return found


@pytest.fixture
def office_service(tmp_path: Path,
                   request: pytest.FixtureRequest) -> Iterator[tuple[CentralService, CentralClient]]:
    """A central service converting with the installed LibreOffice; ``request.param``: other
    arguments of its converter."""
    arguments: dict[str, Any] = {"soffice": soffice(), **getattr(request, "param", {})}
    converter = OfficeConverter(arguments.pop("soffice"), **arguments)
    service = CentralService(tmp_path / "central.db", office=converter)
    service.enrol(TERMINAL, BRANCH, TOKEN)
    service.start()
    with CentralClient(service.url, TOKEN, backoff=0.01, timeout_s=(2, 5)) as client:
        yield service, client
    service.stop()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the converter's private folders go during the test (to see that they go away)."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_word_document_is_converted_and_queued_with_its_pages_and_colour(
        office_service: tuple[CentralService, CentralClient], scratch: Path) -> None:
    central, client = office_service
    sent = central.send_to_print(docx(("Ansøgning", ""), ("Et rødt afsnit", "ff0000")), "Ansøgning.docx")
    assert len(sent.code) == 6 and (sent.quote.pages, sent.quote.colour_pages) == (2, 1)
    (job,) = client.print_jobs(central.print_code_owner(sent.code))
    assert (job.job.document_name, job.job.pages, job.job.colour) == ("Ansøgning.docx", 2, True)
    assert client.print_pages(sent.job_id) == (BLACK, COLOUR)
    assert list(scratch.iterdir()) == []  # the private folder and its profile are gone


def test_an_opendocument_text_sent_with_a_card_is_in_that_patrons_queue(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, client = office_service
    sent = central.send_to_print(odt(("Referat", ""), ("Bilag", ""), ("Kort", "2060c0")), "referat.odt",
                                 card=CARD)
    assert sent.code == ""
    (job,) = client.print_jobs(central.patron_token(CARD))
    assert job.job.job_id == sent.job_id and client.print_pages(sent.job_id) == (BLACK, BLACK, COLOUR)


def test_plain_text_in_windows_1252_becomes_a_black_a4_page(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, client = office_service
    sent = central.send_to_print("Husk: smørrebrød og æbleskiver\r\n".encode("cp1252"), "noter.txt")
    assert client.print_pages(sent.job_id) == (BLACK,)


@pytest.mark.parametrize(("data", "name"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "brev.doc"),  # the OLE2 header and nothing else
    (b"{\\rtf1 " + bytes(range(1, 256)) * 4, "brev.rtf"),
])
def test_a_corrupt_office_document_is_refused_in_words_and_queues_nothing(
        office_service: tuple[CentralService, CentralClient], scratch: Path, data: bytes, name: str) -> None:
    central, client = office_service
    with pytest.raises(CannotConvert, match="LibreOffice could not read it") as refused:
        central.send_to_print(data, name, card=CARD)
    assert refused.value.reason == "not_converted"
    assert client.print_jobs(central.patron_token(CARD)) == []
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("office_service", [{"timeout_s": 0.05}], indirect=True)
def test_a_conversion_past_its_time_limit_is_stopped_with_all_its_processes(
        office_service: tuple[CentralService, CentralClient], scratch: Path) -> None:
    central, client = office_service
    with pytest.raises(CannotConvert, match=r"took longer than 0\.05 s") as refused:
        central.send_to_print(odt(("Lang", "")), "lang.odt", card=CARD)
    assert refused.value.reason == "conversion_timeout"
    assert client.print_jobs(central.patron_token(CARD)) == []
    assert list(scratch.iterdir()) == []
    assert _processes_mentioning(str(scratch)) == []


@pytest.mark.parametrize("office_service", [{"soffice": None}], indirect=True)
def test_without_libreoffice_office_documents_are_refused_and_pdfs_and_photos_still_go(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, client = office_service
    with pytest.raises(OfficeUnavailable, match="office documents are not accepted here"):
        central.send_to_print(docx(("Brev", "")), "brev.docx", card=CARD)
    central.send_to_print(pdf((A4, BLACK_TEXT)), "brev.pdf", card=CARD)
    central.send_to_print(png(), "kat.png", card=CARD)
    assert [j.job.document_name for j in client.print_jobs(central.patron_token(CARD))] == [
        "brev.pdf", "kat.png"]


@pytest.mark.parametrize("office_service", [{"soffice": None}], indirect=True)
def test_without_libreoffice_the_upload_page_says_office_documents_are_not_accepted(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, _client = office_service
    form = requests.get(f"{central.url}/print?lang=en", timeout=10)
    assert "Office documents (Word, Excel and others) are not accepted here" in form.text
    assert ".docx" not in form.text
    sent = requests.post(f"{central.url}/print?lang=en", timeout=10,
                         files={"document": ("brev.docx", docx(("Brev", "")))})
    assert sent.status_code == 422
    assert ("Cannot be printed: office documents are not accepted here: save it as PDF and send it again"
            in html.unescape(sent.text))


def test_a_documents_macro_and_its_link_to_a_local_file_come_to_nothing(tmp_path: Path) -> None:
    secret, marker = tmp_path / "secret.txt", tmp_path / "macro-ran.txt"
    secret.write_text("TOPSECRET-42\n", encoding="utf-8")
    converted = OfficeConverter(soffice()).to_pdf(hostile_odt(str(secret), str(marker)), "odt")
    assert b"%PDF-" in converted[:8] and not marker.exists()
    assert b"TOPSECRET" not in _text_of(converted, tmp_path)


def test_one_conversion_runs_at_a_time(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    converter = OfficeConverter(str(_fake_soffice(tmp_path, log, seconds=0.3)))
    threads = [threading.Thread(target=converter.to_pdf, args=(docx(("x", "")), "docx")) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    runs = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(runs) == 3
    assert all(ended <= started for (_, ended), (started, _) in itertools.pairwise(runs))


def test_a_document_waiting_too_long_for_the_converter_is_refused_as_busy(tmp_path: Path) -> None:
    converter = OfficeConverter(str(_fake_soffice(tmp_path, tmp_path / "runs.log", seconds=1.0)),
                                queue_wait_s=0.1)
    first = threading.Thread(target=converter.to_pdf, args=(docx(("x", "")), "docx"))
    first.start()
    time.sleep(0.3)
    with pytest.raises(CannotConvert, match="other documents are being converted") as refused:
        converter.to_pdf(docx(("y", "")), "docx")
    first.join(timeout=30)
    assert refused.value.reason == "busy"


def test_an_office_document_over_the_size_limit_is_refused_before_libreoffice_starts() -> None:
    with pytest.raises(CannotConvert, match="at most 1 MB") as refused:
        OfficeConverter("/nonexistent/soffice", max_bytes=1024 * 1024).to_pdf(bytes(1024 * 1024 + 1), "docx")
    assert refused.value.reason == "office_too_large"


@pytest.mark.parametrize(("data", "name", "kind"), [
    (docx(("x", "")), "brev.docx", "docx"),
    (docx(("x", "")), "brev", "docx"),  # the bytes say what it is, the name need not
    (docx(("x", "")), "brev.pdf", "docx"),
    (odt(("x", "")), "brev.odt", "odt"),
    (b"{\\rtf1\\ansi hello}", "brev.rtf", "rtf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "regneark.xls", "xls"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "program.exe", None),  # OLE2 is more than Office
    ("Hej, æblegrød".encode(), "noter.txt", "txt"),
    ("Hej, æblegrød".encode(), "noter.docx", None),  # text is text only when it says so
    (b"MZ\x90\x00" + bytes(100), "noter.txt", None),  # not text: NUL bytes
    (b"PK\x03\x04 not a zip", "brev.docx", None),
    (b"PK\x03\x04", "arkiv.zip", None),
])
def test_an_office_document_is_known_by_its_bytes_and_its_name_only_where_they_leave_it_open(
        data: bytes, name: str, kind: str | None) -> None:
    assert office_kind(data, name) == kind


def test_a_pdf_named_like_a_word_document_is_taken_as_the_pdf_it_is(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, client = office_service
    sent = central.send_to_print(pdf((A4, BLACK_TEXT)), "brev.docx")
    assert client.print_pages(sent.job_id) == (BLACK,)


def test_a_zip_that_is_no_office_document_is_refused_as_the_wrong_kind(
        office_service: tuple[CentralService, CentralClient]) -> None:
    central, _client = office_service
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(NotAPrintableDocument, match="or an office document") as refused:
        central.send_to_print(packed.getvalue(), "dokumenter.docx")
    assert refused.value.reason == "format"


def _fake_soffice(folder: Path, log: Path, seconds: float) -> Path:
    """A stand-in for soffice that notes when it ran and makes a one-page PDF, slowly."""
    source = folder / "one-page.pdf"
    source.write_bytes(pdf((A4, BLACK_TEXT)))
    script = folder / "soffice"
    script.write_text(f"""#!{sys.executable}
import shutil, sys, time
started = time.monotonic()
time.sleep({seconds})
outdir = sys.argv[sys.argv.index("--outdir") + 1]
shutil.copy({str(source)!r}, outdir + "/document.pdf")
with open({str(log)!r}, "a") as log:
    log.write(f"{{started}} {{time.monotonic()}}\\n")
""", encoding="utf-8")
    script.chmod(0o755)
    return script


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return [pid for pid in found if pid != os.getpid()]


def _text_of(document: bytes, folder: Path) -> bytes:
    path = folder / "converted.pdf"
    path.write_bytes(document)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60).stdout
