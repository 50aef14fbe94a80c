"""Print release's inbox on the central service: a document sent is normalised, priced page by page
and queued for its owner (the card's token, or a release code's); the kiosk gets the pages and the
PDF over the contract; an expired job's document is deleted. SQLite and PostgreSQL, real HTTP."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pikepdf
import pytest
import requests

from kiosk.printing.pricing import PageInk
from sync.central.client import CentralClient, CentralRejected
from sync.central.server.print_analysis import NotAPrintableDocument
from sync.central.service import CentralService
from tests.printing.test_pricing import A4, BLACK_TEXT, RED, pdf, png
from tests.sync.central.conftest import TOKEN, Contract

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_pdf_sent_with_a_card_is_in_that_patrons_queue_with_its_price_and_pages(
        central: CentralService, client: CentralClient, raw: requests.Session, contract: Contract) -> None:
    document = pdf((A4, BLACK_TEXT), (A4, RED), (A4, BLACK_TEXT))
    sent = central.send_to_print(document, "C:\\Users\\a\\Ansøgning.pdf", card="1000000001")
    assert sent.code == "" and sent.quote.price == Decimal("2.10")  # 0.55 + 1.00 + 0.55
    (job,) = client.print_jobs(central.patron_token("1000000001"))
    assert (job.job.job_id, job.job.document_name, job.job.pages, job.job.colour, job.job.cost) == (
        sent.job_id, "Ansøgning.pdf", 3, True, Decimal("2.10"))
    black, colour = PageInk(False, "A4"), PageInk(True, "A4")
    assert client.print_pages(sent.job_id) == (black, colour, black)
    answer = raw.get(f"{central.url}/v1/print-jobs/{sent.job_id}/document", headers=AUTH)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(answer.content)) as normalised:
        assert len(normalised.pages) == 3
    assert raw.get(f"{central.url}/v1/print-jobs/nope/document", headers=AUTH).status_code == 404
    assert raw.get(f"{central.url}/v1/print-jobs/{sent.job_id}/document").status_code == 401
    with pytest.raises(CentralRejected) as missing:
        client.print_pages("nope")
    assert missing.value.status == 404
    raw.get(f"{central.url}/v1/print-jobs/{sent.job_id}/pages")
    for operation in ("getPrintJobPages", "getPrintJobDocument"):
        assert {status for op, status in contract.seen if op == operation} == {200, 401, 404}


def test_a_photo_sent_without_a_card_gets_a_release_code_and_one_a4_page(
        central: CentralService, client: CentralClient) -> None:
    sent = central.send_to_print(png(), "IMG_0042.png")
    assert len(sent.code) == 6 and sent.code.isdigit()
    (job,) = client.print_jobs(central.print_code_owner(sent.code))
    assert job.job.pages == 1 and client.print_pages(job.job.job_id) == (PageInk(True, "A4"),)
    assert client.print_jobs(central.print_code_owner("000000" if sent.code != "000000" else "111111")) == []


@pytest.mark.parametrize(("data", "why"), [
    (b"Dear librarian, please print this", "send a PDF, a JPEG, a PNG or an office document"),
    (b"%PDF-1.4\nnot really", "the PDF cannot be read"),
    (b"\x89PNG\r\n\x1a\nbroken", "the picture cannot be read"),
])
def test_what_cannot_be_printed_is_refused_in_words_and_queues_nothing(
        central: CentralService, client: CentralClient, data: bytes, why: str) -> None:
    with pytest.raises(NotAPrintableDocument, match=why):
        central.send_to_print(data, "x", card="1000000001")
    assert client.print_jobs(central.patron_token("1000000001")) == []


def test_an_expired_job_is_cancelled_and_its_document_deleted(central: CentralService,
                                                              client: CentralClient) -> None:
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    old = central.send_to_print(pdf((A4, BLACK_TEXT)), "old.pdf", card="1000000001", now=yesterday)
    new = central.send_to_print(pdf((A4, BLACK_TEXT)), "new.pdf", card="1000000001")
    assert central.purge_print_jobs() == 1
    assert [job.job.job_id for job in client.print_jobs(central.patron_token("1000000001"))] == [new.job_id]
    with pytest.raises(CentralRejected):
        client.print_pages(old.job_id)
