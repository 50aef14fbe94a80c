"""What the payer's phone and the provider reach on the central service, without an account:

* ``GET /pay/<short>``: the link in the kiosk's QR code; redirects to the provider's page while the
  payment awaits its payer (short, so that the QR code stays small and easy to read);
* ``GET /pay/<short>/done`` and ``/cancelled``: where the provider sends the payer back; the
  service asks the provider, and says in a sentence what happened and what to do next;
* ``POST /payment-provider/webhook``: the provider's signed notification (403 when the signature
  is not the provider's)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool

from sync.central.server.payments.card import WEBHOOK_PATH, CardPayments, NotOpen
from sync.central.server.payments.provider import ForgedNotification
from sync.central.server.web.texts import LANGUAGES, translate

log = logging.getLogger("sync.central.payments")

MAX_NOTIFICATION = 256 * 1024
_SAID = {"authorized": "pay_done", "captured": "pay_done", "awaiting_payer": "pay_waiting",
         "voided": "pay_cancelled", "expired": "pay_expired", "refunded": "pay_cancelled"}


def add_payer_pages(app: FastAPI, cards: CardPayments, templates: Environment) -> None:
    def render(request: Request, key: str, status: int = 200) -> HTMLResponse:
        asked = request.query_params.get("lang", "da")
        lang = asked if asked in LANGUAGES else "da"
        html = templates.get_template("pay.html").render(
            lang=lang, languages=LANGUAGES, account=None, csrf="", public=True, said=key,
            t=lambda text, **more: translate(text, lang, **more))
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    @app.get("/pay/{short}", include_in_schema=False)
    async def open_page(short: str, request: Request) -> Response:
        try:
            hosted = await run_in_threadpool(cards.hosted_page, short)
        except NotOpen:
            return render(request, "pay_not_open", 410)
        return RedirectResponse(hosted, status_code=303)

    @app.get("/pay/{short}/done", include_in_schema=False)
    async def paid(short: str, request: Request) -> Response:
        try:
            state = await run_in_threadpool(cards.payer_back, short)
        except NotOpen:
            return render(request, "pay_not_open", 404)
        return render(request, _SAID.get(state, "pay_not_open"))

    @app.get("/pay/{short}/cancelled", include_in_schema=False)
    async def gave_up(short: str, request: Request) -> Response:
        try:
            state = await run_in_threadpool(cards.payer_gave_up, short)
        except NotOpen:
            return render(request, "pay_not_open", 404)
        return render(request, _SAID.get(state, "pay_not_open"))

    @app.post(WEBHOOK_PATH, include_in_schema=False)
    async def notification(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_NOTIFICATION:
                return JSONResponse({"error": "too_large", "message": "not a notification"}, 413)
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            ours = await run_in_threadpool(cards.notified, bytes(body), headers)
        except ForgedNotification as exc:
            log.warning("a notification refused: %s", exc)
            return JSONResponse({"error": "forbidden", "message": "the signature is not the provider's"}, 403)
        return JSONResponse({"ours": ours})
