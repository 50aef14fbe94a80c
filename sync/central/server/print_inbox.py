"""Print release's inbox on the central service: documents patrons send (the upload page), turned
into a normalised PDF, looked at page by page for the price, and queued as a held print job until
it is released at a kiosk or expires.

A PDF is opened and saved again with pikepdf (a broken or hostile one is refused in words); a photo
(JPEG, PNG) becomes an A4 page with img2pdf; an office document (Word, Excel, PowerPoint,
OpenDocument, RTF, plain text) becomes a PDF with LibreOffice (:mod:`sync.central.server.office`)
and then goes the way of a PDF sent as one. Whatever comes in, from the upload page or by e-mail,
comes in through :meth:`PrintInbox.send`.

A job belongs to the patron's token when they give their card number (the access list's token of
it), else to a release code of six digits shown once (kept as the token of "code:<digits>", so the
kiosk finds it the same way). Jobs expire after ``keep`` (24 hours) and
their documents are deleted; nothing of the document is kept after that."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import uuid
from dataclasses import dataclass

import img2pdf
import pikepdf
import sqlalchemy as sa

from kiosk.printing.pricing import PageInk, Quote, quote
from kiosk.printing.view import RELEASE_CODE_LENGTH
from kiosk.settings.printing import PrintingSettings
from sync.central.server.office import OfficeConverter, office_kind
from sync.central.server.print_analysis import NotAPrintableDocument, analyse
from sync.central.server.store import CentralStore
from sync.central.server.tables import print_documents, print_jobs

MAX_BYTES = 50 * 1024 * 1024
KEEP = dt.timedelta(hours=24)
A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
PICTURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG, PNG


@dataclass(frozen=True)
class Sent:
    """What the sender is told: the job, the release code (when no card was given) and the price
    as it stands (one copy, one-sided, in colour where the pages have colour)."""

    job_id: str
    code: str
    quote: Quote
    expires_at: dt.datetime


class PrintInbox:
    """``office``: the converter of office documents, one for the service (it converts one at a
    time); without one, office documents are refused as not accepted here."""

    def __init__(self, store: CentralStore, rules: PrintingSettings | None = None,
                 keep: dt.timedelta = KEEP, office: OfficeConverter | None = None) -> None:
        self._store, self._rules, self.keep = store, rules or PrintingSettings(), keep
        self._office = office or OfficeConverter(None)
        self._token = store.card_token

    @property
    def takes_office_documents(self) -> bool:
        return self._office.available

    def send(self, data: bytes, name: str, *, card: str = "", code: str = "",
             now: dt.datetime | None = None, job_id: str = "", keep: dt.timedelta | None = None) -> Sent:
        """Queue a document for the patron with ``card``, else under the release code ``code``, else
        under a new release code; :class:`NotAPrintableDocument` or :class:`CannotPrice` in words,
        and then nothing is queued. ``job_id`` and ``keep``: a seed's own id and how long its
        document stays (the demo's)."""
        if len(data) > MAX_BYTES:
            raise NotAPrintableDocument(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
                                        "too_large")
        pdf = to_pdf(data, name, self._office)
        pages = analyse(pdf)
        price = quote(pages, self._rules)
        now = now or dt.datetime.now(dt.UTC)
        if card.strip():
            code = ""
        elif not code:
            code = f"{secrets.randbelow(10**RELEASE_CODE_LENGTH):0{RELEASE_CODE_LENGTH}d}"
        owner = self._token(card.strip()) if card.strip() else self.code_owner(code)
        job_id = job_id or f"pj-{uuid.uuid4().hex[:16]}"
        keep = keep or self.keep
        title = (name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "document")[:200]
        with self._store.writing() as db:
            db.execute(sa.insert(print_jobs).values(
                id=job_id, owner=owner, title=title, pages=len(pages), copies=1,
                color=price.colour_pages > 0, duplex=False, price=str(price.price), currency=price.currency,
                submitted_at=now.isoformat(timespec="seconds"), submitted_utc=now, state="held"))
            db.execute(sa.insert(print_documents).values(
                job_id=job_id, document=pdf, pages=json.dumps([[p.colour, p.size] for p in pages]),
                expires_at=now + keep))
        return Sent(job_id, code, price, now + keep)

    def code_owner(self, code: str) -> str:
        """The queue a release code opens (what the kiosk asks for after the code is typed)."""
        return self._token(f"code:{code.strip()}")

    def document(self, job_id: str) -> bytes | None:
        """The job's PDF, while the job is kept."""
        with self._store.reading() as db:
            found = db.execute(sa.select(print_documents.c.document)
                               .where(print_documents.c.job_id == job_id)).scalar()
        return None if found is None else bytes(found)

    def pages(self, job_id: str) -> tuple[PageInk, ...] | None:
        """The job's pages as its price was made from them, while the job is kept (the PDF, which
        may be 50 MB, is not read for them)."""
        with self._store.reading() as db:
            found = db.execute(sa.select(print_documents.c.pages)
                               .where(print_documents.c.job_id == job_id)).scalar()
        return None if found is None else tuple(PageInk(bool(c), str(s)) for c, s in json.loads(found))

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete the documents of expired jobs and cancel the jobs still held; how many."""
        now = now or dt.datetime.now(dt.UTC)
        with self._store.writing() as db:
            expired = [row[0] for row in db.execute(
                sa.select(print_documents.c.job_id).where(print_documents.c.expires_at <= now))]
            if not expired:
                return 0
            db.execute(sa.delete(print_documents).where(print_documents.c.job_id.in_(expired)))
            db.execute(sa.update(print_jobs).where(print_jobs.c.id.in_(expired), print_jobs.c.state == "held")
                       .values(state="cancelled"))
        return len(expired)


def to_pdf(data: bytes, name: str = "", office: OfficeConverter | None = None) -> bytes:
    """A normalised PDF of a PDF, a JPEG, a PNG or an office document (converted by ``office``);
    :class:`NotAPrintableDocument` otherwise."""
    kind = None if data.startswith((b"%PDF-", *PICTURES)) else office_kind(data, name)
    if kind is not None:
        data = (office or OfficeConverter(None)).to_pdf(data, kind)
    if data.startswith(b"%PDF-"):
        try:
            with pikepdf.open(io.BytesIO(data)) as document:
                out = io.BytesIO()
                document.remove_unreferenced_resources()
                document.save(out)
                return out.getvalue()
        except (pikepdf.PdfError, ValueError) as exc:
            raise NotAPrintableDocument(f"the PDF cannot be read ({type(exc).__name__})",
                                        "broken_pdf") from None
    if data.startswith(PICTURES):
        try:
            layout = img2pdf.get_layout_fun(A4, fit=img2pdf.FitMode.into)
            return bytes(img2pdf.convert(data, layout_fun=layout))
        except (img2pdf.ImageOpenError, ValueError, OSError) as exc:
            raise NotAPrintableDocument(f"the picture cannot be read ({type(exc).__name__})",
                                        "broken_picture") from None
    raise NotAPrintableDocument("send a PDF, a JPEG, a PNG or an office document (Word, Excel, PowerPoint, "
                                "OpenDocument, RTF, text)", "format")

