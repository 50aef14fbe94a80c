"""A simulated card payment provider for the demo and the tests: the part of QuickPay's REST API
that :class:`~.quickpay.QuickPayProvider` uses, and a hosted payment window with the amount and two
buttons, "Pay" and "Decline". So the demo and the tests run the real adapter, over HTTP, against
it, as a driver runs against its byte simulator. No card is asked for.

Mounted in the central service under ``/sim-provider`` (``--payment-provider simulated``) or served
on a port of its own (tests). ``down`` makes every API call a 503 (a provider that is away);
``drop_callbacks`` loses every callback (a webhook that never arrives). What was sent to the
callback URLs is in :attr:`callbacks`."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import itertools
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

log = logging.getLogger("sync.central.payments")

APPROVED, REJECTED = "20000", "40000"
URLS = ("continue_url", "cancel_url", "callback_url")
CALLBACK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Callback:
    """One callback the simulator sent (or, with ``drop_callbacks``, would have): where, for which
    payment, and the HTTP status it got (0: not delivered)."""

    url: str
    payment_id: int
    status: int


class SimulatedProvider:
    """The provider's state and its ASGI application (:attr:`app`). ``api_key`` is what the API
    accepts; ``private_key`` signs the callbacks."""

    def __init__(self, api_key: str, private_key: str) -> None:
        self._api_key, self._private_key = api_key, private_key.encode()
        self.down = False
        self.drop_callbacks = False
        self.callbacks: list[Callback] = []
        self._payments: dict[int, dict[str, Any]] = {}
        self._windows: dict[str, int] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.Condition()
        self.app = self._build()

    def payment(self, payment_id: int | str) -> dict[str, Any]:
        """A payment as ``GET /payments/{id}`` shows it (for tests)."""
        with self._lock:
            return copy.deepcopy(self._payments[int(payment_id)])

    def by_order(self, order_id: str) -> dict[str, Any]:
        """The payment made for ``order_id`` (the service's reference), as ``GET`` shows it."""
        with self._lock:
            return copy.deepcopy(next(p for p in self._payments.values() if p["order_id"] == order_id))

    def wait_for_callbacks(self, count: int, timeout_s: float = 10.0) -> list[Callback]:
        """The callbacks once at least ``count`` were sent (or the timeout passed)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.callbacks) >= count, timeout_s)
            return list(self.callbacks)

    # -- the hosted window's two buttons ---------------------------------------------------------

    def pay(self, window: str, approve: bool) -> str | None:
        """The payer pressed Pay (``approve``) or Decline; where their browser goes next."""
        with self._lock:
            payment = self._payments.get(self._windows.get(window, 0))
            if payment is None or payment["link"] is None or payment["accepted"]:
                return None
            link = payment["link"]
            _operate(payment, "authorize", link["amount"], approve=approve)
            payment["accepted"] = approve
            payment["state"] = "new" if approve else "rejected"
            if approve:
                payment["metadata"] = {"type": "card", "brand": "visa", "last4": "0000"}  # the provider's own
            body = json.dumps(payment).encode()
            target = link["callback_url"]
        self._send_callback(target, payment["id"], body)
        return str(link["continue_url"] if approve else link["cancel_url"])

    def _send_callback(self, url: str, payment_id: int, body: bytes) -> None:
        def send() -> None:
            status = 0
            if not self.drop_callbacks:
                checksum = hmac.new(self._private_key, body, hashlib.sha256).hexdigest()
                try:
                    status = requests.post(url, data=body, timeout=CALLBACK_TIMEOUT_S, headers={
                        "Content-Type": "application/json", "QuickPay-Resource-Type": "Payment",
                        "QuickPay-Checksum-Sha256": checksum}).status_code
                except requests.RequestException as exc:
                    log.info("simulated provider: the callback to %s failed: %s", url, type(exc).__name__)
            with self._lock:
                self.callbacks.append(Callback(url, payment_id, status))
                self._lock.notify_all()

        threading.Thread(target=send, name="sim-provider-callback", daemon=True).start()

    # -- the REST API ----------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI(title="Simulated payment provider", openapi_url=None, docs_url=None, redoc_url=None)

        def refused(status: int, message: str) -> JSONResponse:
            return JSONResponse({"message": message}, status)

        def authorized(request: Request) -> bool:
            scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
            try:
                _, _, key = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                return False
            return scheme.lower() == "basic" and hmac.compare_digest(key.encode(), self._api_key.encode())

        @app.middleware("http")
        async def gate(request: Request, call_next: Any) -> Response:
            api = "/window/" not in request.url.path  # the payer's pages need no key
            if self.down:
                return refused(503, "the simulated provider is down")
            if api and not authorized(request):
                return refused(401, "Unauthorized")
            response: Response = await call_next(request)
            return response

        async def body_of(request: Request) -> dict[str, Any]:
            try:
                value = json.loads(await request.body() or b"{}")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}

        @app.post("/payments")
        async def create(request: Request) -> Response:
            body = await body_of(request)
            order, currency = body.get("order_id"), body.get("currency")
            if not isinstance(order, str) or not 4 <= len(order) <= 20 or not isinstance(currency, str):
                return refused(400, "Validation error: order_id (4 to 20 characters) and currency")
            with self._lock:
                if any(p["order_id"] == order for p in self._payments.values()):
                    return refused(400, "Validation error: order_id is already taken")
                number = next(self._ids)
                self._payments[number] = {
                    "id": number, "order_id": order, "currency": currency.upper(), "state": "initial",
                    "accepted": False, "type": "Payment", "link": None, "operations": [], "balance": 0,
                    "test_mode": True, "metadata": {}}
                return JSONResponse(self._payments[number], 201)

        @app.put("/payments/{number}/link")
        async def link(number: int, request: Request) -> Response:
            body = await body_of(request)
            amount = body.get("amount")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                return refused(400, "Validation error: amount")
            with self._lock:
                payment = self._payments.get(number)
                if payment is None:
                    return refused(404, "Not found: no Payment with id")
                window = secrets.token_urlsafe(12)
                self._windows[window] = number
                base = str(request.url.replace(path=request.scope.get("root_path", ""), query="")).rstrip("/")
                urls = {name: str(body.get(name, "")) for name in URLS}
                payment["link"] = {"url": f"{base}/window/{window}", "amount": amount, **urls,
                                   "auto_capture": bool(body.get("auto_capture", False)),
                                   "language": body.get("language", "da")}
                return JSONResponse({"url": payment["link"]["url"]})

        @app.delete("/payments/{number}/link")
        async def unlink(number: int) -> Response:
            with self._lock:
                payment = self._payments.get(number)
                if payment is None or payment["link"] is None:
                    return refused(404, "Not found: no link")
                payment["link"] = None
                return Response(status_code=204)

        @app.get("/payments/{number}")
        async def show(number: int) -> Response:
            with self._lock:
                payment = self._payments.get(number)
                return refused(404, "Not found") if payment is None else JSONResponse(payment)

        @app.post("/payments/{number}/{operation}")
        async def operate(number: int, operation: str, request: Request) -> Response:
            if operation not in ("capture", "cancel", "refund"):
                return refused(404, "Not found")
            body = await body_of(request)
            with self._lock:
                payment = self._payments.get(number)
                if payment is None:
                    return refused(404, "Not found")
                done = {op["type"] for op in payment["operations"] if op["qp_status_code"] == APPROVED}
                held = next((op["amount"] for op in payment["operations"]
                             if op["type"] == "authorize" and op["qp_status_code"] == APPROVED), 0)
                amount = body.get("amount", held) if operation != "cancel" else held
                allowed = {"capture": "authorize" in done and not done & {"capture", "cancel"},
                           "cancel": "authorize" in done and not done & {"capture", "cancel"},
                           "refund": "capture" in done and "refund" not in done}[operation]
                if not allowed or not isinstance(amount, int) or not 0 < amount <= held:
                    return refused(400, f"{operation} is not allowed in state {payment['state']}")
                _operate(payment, operation, amount, approve=True)
                payment["state"] = "processed"
                payment["balance"] = amount if operation == "capture" else 0
                return JSONResponse(payment, 202)

        @app.get("/window/{window}")
        async def window_page(window: str) -> Response:
            with self._lock:
                payment = self._payments.get(self._windows.get(window, 0))
                open_ = payment is not None and payment["link"] is not None and not payment["accepted"]
                shown = (f"{Decimal(payment['link']['amount']) / 100:.2f} {payment['currency']}"
                         if open_ and payment is not None else "")
                order = payment["order_id"] if payment is not None else ""
            if not open_:
                return HTMLResponse(_page("<p>This payment is no longer open.</p>"), 410)
            return HTMLResponse(_page(
                f"<p>Simulated payment provider: no card is asked for.</p><p>Order {html.escape(order)}</p>"
                f"<p class=amount>{html.escape(shown)}</p>"
                f"<form method=post><button name=choice value=pay>Pay</button> "
                f"<button name=choice value=decline>Decline</button></form>"))

        @app.post("/window/{window}")
        async def window_choice(window: str, request: Request) -> Response:
            choice = (await request.body()).decode("utf-8", "replace")
            target = self.pay(window, approve="choice=pay" in choice.split("&"))
            if target is None:
                return HTMLResponse(_page("<p>This payment is no longer open.</p>"), 410)
            return RedirectResponse(target, status_code=303)

        return app


def _operate(payment: dict[str, Any], kind: str, amount: int, *, approve: bool) -> None:
    payment["operations"].append({
        "id": len(payment["operations"]) + 1, "type": kind, "amount": amount, "pending": False,
        "qp_status_code": APPROVED if approve else REJECTED,
        "qp_status_msg": "Approved" if approve else "Rejected test operation"})


def _page(body: str) -> str:
    return ("<!doctype html><html lang=en><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>Payment</title><body style='font:1.2em sans-serif;margin:2em'>{body}</body></html>")
