"""Paying for a print by card on the payment provider's page, opened from the kiosk's QR code: the
kiosk's client against the real central service over HTTP, the service's real QuickPay adapter
against the simulated provider on a port of its own (its hosted page, its callbacks, its REST API),
the payer a browser session following the links. Held for the exact amount when the payer paid
(told by the provider's signed callback, or found by asking it), taken at the provider once the
printer printed, nothing taken otherwise; to the øre. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.domain.central import PaymentHold
from kiosk.domain.errors import CentralRejected
from sync.central import cli
from sync.central.client import CentralClient
from sync.central.server.payments.settings import PaymentSettings
from sync.central.server.payments.simulator import SimulatedProvider
from sync.central.server.serve import Serving
from sync.central.service import CentralService
from tests.sync.central.conftest import TERMINAL, CentralFactory, ClientFactory, Contract

API_KEY, PRIVATE_KEY = "sim-api-key-1", "sim-private-key-1"
ANNA = "1000000001"
WEBHOOK = "/payment-provider/webhook"
PASSWORD = "correct horse battery"


class Provider:
    """The simulated provider, served on a free port."""

    def __init__(self) -> None:
        self.sim = SimulatedProvider(API_KEY, PRIVATE_KEY)
        self._serving = Serving(self.sim.app, name="sim-provider")
        self._serving.start()
        self.url = self._serving.url

    def settings(self, **changes: Any) -> PaymentSettings:
        return PaymentSettings(provider="quickpay", api_url=self.url, api_key=API_KEY,
                               private_key=PRIVATE_KEY, **changes)

    def of(self, hold: PaymentHold) -> dict[str, Any]:
        """The provider's payment for ``hold`` (its reference is the payment id's hex digits)."""
        return self.sim.by_order(hold.payment_id.removeprefix("pay-"))

    def stop(self) -> None:
        self._serving.stop()


@pytest.fixture
def provider() -> Iterator[Provider]:
    served = Provider()
    yield served
    served.stop()


@pytest.fixture
def paying(make_central: CentralFactory, provider: Provider) -> CentralService:
    """The central service taking card payments through the simulated provider."""
    return make_central(payments=provider.settings())


@pytest.fixture
def kiosk(make_client: ClientFactory, paying: CentralService) -> CentralClient:
    """The kiosk's client of that service (every exchange checked against the contract)."""
    return make_client(paying)


def operations(payment: dict[str, Any], kind: str) -> list[int]:
    """The amounts of the provider's approved operations of ``kind``."""
    return [op["amount"] for op in payment["operations"]
            if op["type"] == kind and op["qp_status_code"] == "20000"]


def on_the_phone(hold: PaymentHold, *, pay: bool, come_back: bool = False) -> requests.Response:
    """The payer scans the QR code, sees the amount on the provider's page and presses Pay or
    Decline; ``come_back``: their browser follows the provider back to the service."""
    with requests.Session() as phone:
        page = phone.get(hold.pay_url, timeout=10)
        assert page.status_code == 200 and f"{hold.amount:.2f} DKK" in page.text
        return phone.post(page.url, data={"choice": "pay" if pay else "decline"}, timeout=10,
                          allow_redirects=come_back)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def row_of(page: str, payment_id: str) -> str:
    """The text of the payment's row on the Printing page."""
    found = re.search(rf'<tr id="{payment_id}">(.*?)</tr>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def audited(central: CentralService, payment_id: str) -> list[tuple[str, str, str]]:
    return [(line["who"], line["action"], line["detail"]) for line in reversed(central.audit_log())
            if line["target"] == payment_id]


def test_a_payer_who_pays_is_held_by_the_providers_callback_and_captured_there_once(
        paying: CentralService, provider: Provider, kiosk: CentralClient, make_client: ClientFactory,
        raw: requests.Session, contract: Contract) -> None:
    owner = paying.patron_token(ANNA)
    hold = kiosk.authorize(owner, "pj-1", Decimal("2.10"), TERMINAL, method="provider")
    assert (hold.state, hold.amount) == ("awaiting_payer", Decimal("2.10"))
    assert re.fullmatch(re.escape(paying.url) + r"/pay/[A-Za-z0-9_-]{8}", hold.pay_url)  # short: a small QR
    assert hold.expires_at is not None
    assert dt.timedelta(minutes=9) < hold.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=10)
    assert kiosk.payment(hold.payment_id).state == "awaiting_payer"  # the provider was asked: not paid yet

    back = on_the_phone(hold, pay=True)
    assert back.status_code == 303 and back.headers["location"].endswith("/done")
    (callback,) = provider.sim.wait_for_callbacks(1)
    assert (callback.url, callback.status) == (paying.url + WEBHOOK, 200)
    assert paying.payment(hold.payment_id)["state"] == "authorized"  # by the callback alone
    assert provider.of(hold)["metadata"]["last4"] == "0000"  # the card stays with the provider
    assert "last4" not in json.dumps(paying.payment(hold.payment_id))

    taken = kiosk.capture(hold.payment_id, TERMINAL)
    assert (taken.state, kiosk.capture(hold.payment_id, TERMINAL).state) == ("captured", "captured")
    assert operations(provider.of(hold), "capture") == [210]  # taken once, to the øre
    assert paying.payment(hold.payment_id)["pending"] is False
    assert kiosk.balance(owner) == Decimal("0.00")  # the balance was never touched
    assert [(who, action) for who, action, _ in audited(paying, hold.payment_id)] == [
        (f"terminal {TERMINAL}", "payment_awaiting_payer"), ("quickpay (notified)", "payment_authorized"),
        (f"terminal {TERMINAL}", "payment_captured"), ("quickpay", "provider_capture")]
    assert all(line[2].startswith("print job pj-1: 2.10 DKK") for line in audited(paying, hold.payment_id))

    with pytest.raises(CentralRejected) as missing:
        kiosk.payment("pay-nope")
    assert missing.value.status == 404
    other = make_client(paying, token=paying.enrol("risskov-1", "risskov"))
    with pytest.raises(CentralRejected) as foreign:
        other.payment(hold.payment_id)
    assert foreign.value.status == 403
    raw.get(f"{paying.url}/v1/payments/{hold.payment_id}")
    assert {s for op, s in contract.seen if op == "getPayment"} >= {200, 401, 403, 404}


def test_a_payer_who_declines_is_given_back_nothing_and_the_page_closes(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-2", Decimal("5.50"), TERMINAL, method="provider")
    page = on_the_phone(hold, pay=False, come_back=True)
    assert "/pay/" in page.url and page.url.endswith("/cancelled")
    assert "Nothing was taken" in requests.get(page.url + "?lang=en", timeout=10).text
    declined = kiosk.payment(hold.payment_id)
    assert declined.state == "voided"
    with pytest.raises(CentralRejected) as refused:
        kiosk.capture(hold.payment_id, TERMINAL)
    assert refused.value.status == 409
    at_the_provider = provider.of(hold)
    assert at_the_provider["link"] is None and operations(at_the_provider, "capture") == []
    assert requests.get(hold.pay_url, timeout=10).status_code == 410  # the QR code leads nowhere now


def test_a_payer_who_never_pays_expires_and_nothing_can_be_paid_after(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-3", Decimal("1.00"), TERMINAL, method="provider")
    paying.settle_payments(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    expired = paying.payment(hold.payment_id)
    assert (expired["state"], expired["pending"]) == ("expired", False)
    assert provider.of(hold)["link"] is None  # the provider's page is closed
    assert kiosk.void(hold.payment_id, TERMINAL, "the patron left").state == "expired"  # nothing to give back
    assert requests.get(hold.pay_url, timeout=10).status_code == 410
    assert ("central", "payment_expired") in [(w, a) for w, a, _ in audited(paying, hold.payment_id)]


def test_a_card_held_after_the_payment_expired_is_released_at_once(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-9", Decimal("2.20"), TERMINAL, method="provider")
    provider.sim.down = True  # the provider's page cannot be closed at expiry
    paying.settle_payments(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    assert (paying.payment(hold.payment_id)["state"], paying.payment(hold.payment_id)["pending"]) == (
        "expired", True)
    provider.sim.down = False
    window = provider.of(hold)["link"]["url"]  # the payer was still on the provider's page
    assert requests.post(window, data={"choice": "pay"}, allow_redirects=False, timeout=10).status_code == 303
    until(lambda: paying.payment(hold.payment_id)["pending"] is False)  # told by the callback
    assert operations(provider.of(hold), "cancel") == [220] and operations(provider.of(hold), "capture") == []
    assert kiosk.payment(hold.payment_id).state == "expired"
    assert ("quickpay (notified)", "payment_authorized_too_late") in [
        (w, a) for w, a, _ in audited(paying, hold.payment_id)]


def test_when_the_callback_is_lost_the_kiosks_poll_finds_the_payment_made(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    provider.sim.drop_callbacks = True
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-4", Decimal("3.30"), TERMINAL, method="provider")
    on_the_phone(hold, pay=True)
    (lost,) = provider.sim.wait_for_callbacks(1)
    assert lost.status == 0 and paying.payment(hold.payment_id)["state"] == "awaiting_payer"
    assert kiosk.payment(hold.payment_id).state == "authorized"  # the service asked the provider
    assert kiosk.capture(hold.payment_id, TERMINAL).state == "captured"
    assert operations(provider.of(hold), "capture") == [330]


def test_a_callback_not_signed_by_the_provider_is_refused(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-5", Decimal("2.00"), TERMINAL, method="provider")
    forged = {**provider.of(hold), "accepted": True, "state": "new", "operations": [
        {"id": 1, "type": "authorize", "amount": 200, "pending": False, "qp_status_code": "20000"}]}
    body = json.dumps(forged).encode()
    for checksum in ("", hmac.new(b"a guess", body, hashlib.sha256).hexdigest()):
        answer = requests.post(paying.url + WEBHOOK, data=body, timeout=10, headers={
            "Content-Type": "application/json", "QuickPay-Checksum-Sha256": checksum})
        assert answer.status_code == 403
    assert kiosk.payment(hold.payment_id).state == "awaiting_payer"  # and the provider says so too


def test_a_capture_while_the_provider_is_down_is_taken_when_it_is_back(
        make_central: CentralFactory, provider: Provider, make_client: ClientFactory) -> None:
    central = make_central(payments=provider.settings(retry_s=0.2), alarm_tick_s=0.1)
    kiosk = make_client(central)
    hold = kiosk.authorize(central.patron_token(ANNA), "pj-6", Decimal("4.40"), TERMINAL, method="provider")
    on_the_phone(hold, pay=True)
    until(lambda: kiosk.payment(hold.payment_id).state == "authorized")

    provider.sim.down = True
    assert kiosk.capture(hold.payment_id, TERMINAL).state == "captured"  # decided: the kiosk need not wait
    waiting = central.payment(hold.payment_id)
    assert waiting["pending"] is True
    shown = next(p for p in central.recent_payments() if p["id"] == hold.payment_id)  # on the Printing page
    assert "HTTP 503" in shown["provider_error"]
    assert kiosk.capture(hold.payment_id, TERMINAL).state == "captured"  # asked again: the same answer

    provider.sim.down = False
    until(lambda: central.payment(hold.payment_id)["pending"] is False)  # the maintenance round
    assert operations(provider.of(hold), "capture") == [440]
    assert ("quickpay", "provider_capture") in [(w, a) for w, a, _ in audited(central, hold.payment_id)]


def test_staff_refund_a_card_payment_with_a_reason_and_the_provider_gives_it_back(
        paying: CentralService, provider: Provider, kiosk: CentralClient) -> None:
    paying.add_account("vibeke", PASSWORD, "staff", ("hovedbiblioteket",))
    hold = kiosk.authorize(paying.patron_token(ANNA), "pj-7", Decimal("3.30"), TERMINAL, method="provider")
    on_the_phone(hold, pay=True)
    until(lambda: kiosk.payment(hold.payment_id).state == "authorized")
    kiosk.capture(hold.payment_id, TERMINAL)
    with requests.Session() as browser:
        login = browser.get(f"{paying.url}/admin/login?lang=en", timeout=10)
        browser.post(f"{paying.url}/admin/login", timeout=10, data={
            "username": "vibeke", "password": PASSWORD, "csrf": csrf_of(login.text)})
        page = browser.get(f"{paying.url}/admin/prints?lang=en", timeout=10).text
        assert re.search(rf'<tr id="{hold.payment_id}">.*?card.*?taken', page, re.S)

        provider.sim.down = True  # the refund is decided now, and given back when the provider is back
        refunded = browser.post(f"{paying.url}/admin/prints/{hold.payment_id}/refund", timeout=10, data={
            "reason": "the pages came out blank", "csrf": csrf_of(page)})
        assert "The payment was refunded." in refunded.text
        assert "refunded: the pages came out blank (waiting for the payment provider: QuickPay GET" in (
            row_of(refunded.text, hold.payment_id))
        provider.sim.down = False
        paying.settle_payments(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
        settled = browser.get(f"{paying.url}/admin/prints", timeout=10).text
        assert "waiting" not in row_of(settled, hold.payment_id)
    assert operations(provider.of(hold), "refund") == [330]
    lines = [(who, action) for who, action, _ in audited(paying, hold.payment_id)]
    assert ("vibeke", "payment_refunded") in lines and ("quickpay", "provider_refund") in lines


def test_the_demo_service_takes_card_payments_through_the_simulated_provider_it_carries(
        make_central: CentralFactory, make_client: ClientFactory) -> None:
    central = make_central(payments=PaymentSettings(provider="simulated"))
    assert central.simulated_provider is not None
    kiosk = make_client(central)
    hold = kiosk.authorize(central.patron_token(ANNA), "pj-8", Decimal("1.65"), TERMINAL, method="provider")
    with requests.Session() as phone:
        window = phone.get(hold.pay_url, timeout=10)
        assert window.url.startswith(central.url + "/sim-provider/window/") and "1.65 DKK" in window.text
        back = phone.post(window.url, data={"choice": "pay"}, timeout=10)
    assert back.url.endswith("/done") and "Betalt." in back.text  # Danish first
    assert kiosk.payment(hold.payment_id).state == "authorized"
    assert kiosk.capture(hold.payment_id, TERMINAL).state == "captured"
    at_the_provider = central.simulated_provider.by_order(hold.payment_id.removeprefix("pay-"))
    assert operations(at_the_provider, "capture") == [165]


def test_the_command_refuses_payment_settings_without_the_providers_keys_and_never_shows_a_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "payments.toml"
    settings.write_text('[payments]\nprovider = "quickpay"\napi_key = "k3y-never-shown"\nprivate_key = 7\n',
                        encoding="utf-8")
    assert cli.main(["--port", "0", "--db", str(tmp_path / "c.db"), "--payments", str(settings)]) == 2
    said = capsys.readouterr().err
    assert "payments.toml: private_key: Input should be a valid string" in said
    assert "k3y-never-shown" not in said and "7" not in said.split("private_key", 1)[1]
    settings.write_text('[payments]\nprovider = "quickpay"\n', encoding="utf-8")
    assert cli.main(["--port", "0", "--db", str(tmp_path / "c.db"), "--payments", str(settings)]) == 2
    assert "QuickPay needs api_key and private_key" in capsys.readouterr().err
