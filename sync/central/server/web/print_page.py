"""The print upload page (``/print``): a patron sends a document from a phone or a library PC,
without an account, and gets what it costs and how to collect it. A card number ties the job to
their library card (released at the kiosk with card and PIN); without one, a release code of six
digits is shown once. PDFs, pictures and, where LibreOffice is installed, office documents.
Danish and English (``?lang=en``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kiosk.printing.pricing import CannotPrice
from kiosk.texts.formats import money
from sync.central.server.office import EXTENSIONS
from sync.central.server.print_analysis import NotAPrintableDocument
from sync.central.server.print_inbox import MAX_BYTES, PrintInbox
from sync.central.server.web.texts import LANGUAGES, refusal, translate

log = logging.getLogger("sync.central.web")

PICTURES_AND_PDF = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


def add_print_page(app: FastAPI, inbox: PrintInbox, templates: Environment) -> None:
    office = inbox.takes_office_documents
    accept = PICTURES_AND_PDF + "".join(f",.{extension}" for extension in sorted(EXTENSIONS) if office)

    def render(request: Request, template: str, status: int = 200, **values: object) -> HTMLResponse:
        asked = request.query_params.get("lang", "da")
        lang = asked if asked in LANGUAGES else "da"
        html = templates.get_template(template).render(
            lang=lang, languages=LANGUAGES, account=None, csrf="", public=True, office=office,
            accept=accept, t=lambda key, **more: translate(key, lang, **more), **values)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    @app.get("/print", include_in_schema=False)
    async def print_form(request: Request) -> Response:
        return render(request, "print.html")

    @app.post("/print", include_in_schema=False)
    async def print_send(request: Request) -> Response:
        asked = request.query_params.get("lang", "da")
        lang = asked if asked in LANGUAGES else "da"
        form = await request.form(max_files=1, max_fields=5, max_part_size=MAX_BYTES + 1)
        upload, card = form.get("document"), str(form.get("card", "") or "")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(request, "print.html", 400, problem=translate("print_no_file", lang))
        data = await upload.read(MAX_BYTES + 1)
        try:
            sent = await run_in_threadpool(inbox.send, data, upload.filename, card=card)
        except NotAPrintableDocument as exc:
            log.info("print page: a document refused: %s", exc)
            why = refusal(exc.reason, str(exc), lang)
            return render(request, "print.html", 422, problem=translate("print_refused", lang, why=why))
        except CannotPrice as exc:
            log.info("print page: a document refused: %s", exc)
            return render(request, "print.html", 422, problem=translate("print_refused", lang, why=str(exc)))
        log.info("print page: job %s queued (%d pages)", sent.job_id, sent.quote.pages)
        quote = sent.quote
        return render(request, "print_sent.html", code=sent.code, pages=quote.pages,
                      colour_pages=quote.colour_pages, price=money(quote.price, quote.currency, lang),
                      hours=round(inbox.keep.total_seconds() / 3600))
