"""QuickPay's REST API (version 10) as a :class:`~.provider.PaymentProvider`.

What it relies on, from QuickPay's public documentation (learn.quickpay.net, "Introduction to
Payments", "Quickpay Link", "Callback") and the Setono quickpay-php-sdk that was checked against the
live API:

* HTTP Basic with an empty user and the API key as the password; ``Accept-Version: v10``; JSON.
* ``POST /payments`` ``{order_id, currency}`` makes a payment (``order_id`` unique per account);
  ``PUT /payments/{id}/link`` ``{amount, continue_url, cancel_url, callback_url, auto_capture}``
  answers ``{url}``, the hosted payment window; ``DELETE /payments/{id}/link`` closes it.
* ``GET /payments/{id}``: ``accepted`` and ``operations`` (``type``, ``amount``, ``pending``,
  ``qp_status_code``, "20000" approved), which say where the money is.
* ``POST /payments/{id}/capture|refund`` ``{amount}`` and ``/cancel``; with ``?synchronized`` the
  answer carries the finished operation (without it, a 202 with the operation still pending).
* A callback is the payment as ``GET`` shows it, POSTed with ``QuickPay-Checksum-Sha256``: the hex
  HMAC-SHA256 of the raw body under the account's private key (not the API key).

Amounts are integers in øre. Neither key is ever put in a message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from sync.central.server.payments.provider import (
    ForgedNotification,
    HostedSession,
    ProviderRefused,
    ProviderStatus,
    ProviderUnavailable,
)

log = logging.getLogger("sync.central.payments")

APPROVED = "20000"
CHECKSUM_HEADER = "quickpay-checksum-sha256"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class QuickPayProvider:
    """QuickPay at ``api_url`` (``https://api.quickpay.net``; the simulator's address in the demo
    and the tests, or a function giving it once it is known) with the account's ``api_key`` and
    ``private_key``."""

    name = "quickpay"

    def __init__(self, api_url: str | Callable[[], str], api_key: str, private_key: str, *,
                 language: str = "da", timeout_s: tuple[float, float] = (3.05, 15)) -> None:
        self._api_url, self._private_key = api_url, private_key.encode()
        self._language, self._timeout = language, timeout_s
        self._session = requests.Session()
        self._session.auth = ("", api_key)
        self._session.headers.update({"Accept-Version": "v10", "Accept": "application/json",
                                      "User-Agent": "library-kiosk central"})

    def __repr__(self) -> str:
        return f"QuickPayProvider({self._base()!r}, <keys hidden>)"

    def _base(self) -> str:
        return (self._api_url if isinstance(self._api_url, str) else self._api_url()).rstrip("/")

    def close(self) -> None:
        self._session.close()

    def create_session(self, *, amount_ore: int, currency: str, reference: str, return_url: str,
                       cancel_url: str, callback_url: str) -> HostedSession:
        payment = self._call("POST", "/payments", {"order_id": reference, "currency": currency})
        ref = str(payment.get("id", ""))
        if not ref:
            raise ProviderUnavailable("QuickPay made a payment without an id")
        link = self._call("PUT", f"/payments/{_id(ref)}/link", {
            "amount": amount_ore, "continue_url": return_url, "cancel_url": cancel_url,
            "callback_url": callback_url, "auto_capture": False, "language": self._language})
        url = link.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ProviderUnavailable("QuickPay's link has no address")
        return HostedSession(ref, url)

    def status(self, provider_ref: str) -> ProviderStatus:
        return status_of(self._call("GET", f"/payments/{_id(provider_ref)}"))

    def capture(self, provider_ref: str, amount_ore: int) -> None:
        if self.status(provider_ref).state in ("captured", "refunded"):
            return
        self._operate(provider_ref, "capture", {"amount": amount_ore})

    def cancel(self, provider_ref: str) -> None:
        payment = self._call("GET", f"/payments/{_id(provider_ref)}")
        state = status_of(payment).state
        if state == "authorized":
            self._operate(provider_ref, "cancel", None)
        elif state in ("open", "declined") and payment.get("link"):
            self._call("DELETE", f"/payments/{_id(provider_ref)}/link", None)

    def refund(self, provider_ref: str, amount_ore: int) -> None:
        if self.status(provider_ref).state == "refunded":
            return
        self._operate(provider_ref, "refund", {"amount": amount_ore})

    def notification(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, ProviderStatus]:
        given = headers.get(CHECKSUM_HEADER, "")
        expected = hmac.new(self._private_key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
            raise ForgedNotification("the callback's checksum is not QuickPay's")
        try:
            payment = json.loads(body)
        except ValueError:
            raise ForgedNotification("the callback is not JSON") from None
        if not isinstance(payment, dict) or "id" not in payment:
            raise ForgedNotification("the callback is not a payment")
        return str(payment["id"]), status_of(payment)

    def _operate(self, provider_ref: str, operation: str, body: dict[str, Any] | None) -> None:
        payment = self._call("POST", f"/payments/{_id(provider_ref)}/{operation}?synchronized", body)
        done = [op for op in _operations(payment) if op.get("type") == operation]
        if not done or done[-1].get("pending"):
            raise ProviderUnavailable(f"QuickPay has not finished the {operation} yet")
        if done[-1].get("qp_status_code") != APPROVED:
            said = str(done[-1].get("qp_status_msg"))[:200]
            raise ProviderRefused(f"QuickPay declined the {operation}: {said}")

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = self._session.request(method, self._base() + path, json=body, timeout=self._timeout,
                                             allow_redirects=False)
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"QuickPay {method} {path}: no answer ({type(exc).__name__})") from None
        status = response.status_code
        if status in RETRY_STATUSES or status >= 500:
            raise ProviderUnavailable(f"QuickPay {method} {path}: HTTP {status}")
        if status >= 300:
            raise ProviderRefused(f"QuickPay {method} {path}: HTTP {status} {_message(response)}")
        if status == 204 or not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise ProviderUnavailable(f"QuickPay {method} {path}: an answer that is not JSON") from None
        if not isinstance(answer, dict):
            raise ProviderUnavailable(f"QuickPay {method} {path}: an answer that is not an object")
        return answer


def status_of(payment: Mapping[str, Any]) -> ProviderStatus:
    """Where the money is, from the payment's finished operations (the newest approved one of each
    kind decides; a pending one says nothing yet)."""
    operations = [op for op in _operations(payment) if not op.get("pending")]

    def approved(kind: str) -> list[Mapping[str, Any]]:
        return [op for op in operations if op.get("type") == kind and op.get("qp_status_code") == APPROVED]

    authorized = approved("authorize")
    amount = _amount(authorized[-1]) if authorized else 0
    if approved("refund"):
        return ProviderStatus("refunded", amount)
    if approved("cancel"):
        return ProviderStatus("cancelled", amount)
    if approved("capture"):
        return ProviderStatus("captured", amount)
    if authorized or payment.get("accepted") is True:
        return ProviderStatus("authorized", amount)
    if any(op.get("type") == "authorize" for op in operations) or payment.get("state") == "rejected":
        return ProviderStatus("declined")
    return ProviderStatus("open")


def _operations(payment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = payment.get("operations")
    return [op for op in found if isinstance(op, dict)] if isinstance(found, list) else []


def _amount(operation: Mapping[str, Any]) -> int:
    value = operation.get("amount")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _id(provider_ref: str) -> str:
    return quote(provider_ref, safe="")


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else ""
