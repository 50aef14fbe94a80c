"""Paying for prints from a prepaid balance, over the contract: held before printing, taken once the
printer's job completed, given back when it failed, refunded by staff; to the øre, every step once
however often it is asked for. SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from kiosk.domain.errors import CentralRejected, InsufficientBalance, PaymentUnavailable
from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.sync.central.conftest import TERMINAL, TOKEN, ClientFactory, Contract

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANNA = "1000000001"


def test_a_job_paid_from_the_balance_is_held_captured_once_and_a_failed_one_given_back(
        central: CentralService, client: CentralClient, make_client: ClientFactory, raw: requests.Session,
        contract: Contract) -> None:
    owner = central.patron_token(ANNA)
    assert client.balance(owner) == Decimal("0.00")
    assert central.top_up(ANNA, "20.00", by="anne", reason="paid at the counter") == "20.00"
    printed = client.authorize(owner, "pj-1", Decimal("2.10"), TERMINAL)
    assert (printed.state, printed.amount, client.balance(owner)) == ("authorized", Decimal("2.10"),
                                                                      Decimal("17.90"))
    assert client.capture(printed.payment_id, TERMINAL).state == "captured"
    assert client.capture(printed.payment_id, TERMINAL).state == "captured"  # a retried request
    assert client.balance(owner) == Decimal("17.90")  # taken once

    jammed = client.authorize(owner, "pj-2", Decimal("5.50"), TERMINAL)
    assert client.balance(owner) == Decimal("12.40")
    assert client.void(jammed.payment_id, TERMINAL, "media-jam").state == "voided"
    assert client.void(jammed.payment_id, TERMINAL, "media-jam").state == "voided"
    assert client.balance(owner) == Decimal("17.90")  # given back once

    with pytest.raises(CentralRejected) as refused:
        client.void(printed.payment_id, TERMINAL, "too late")  # captured: only staff refund it
    assert refused.value.status == 409
    with pytest.raises(CentralRejected) as refused:
        client.capture(jammed.payment_id, TERMINAL)  # given back: never taken after all
    assert refused.value.status == 409
    with pytest.raises(InsufficientBalance):
        client.authorize(owner, "pj-3", Decimal("18.00"), TERMINAL)
    assert client.balance(owner) == Decimal("17.90")
    with pytest.raises(PaymentUnavailable):
        client.authorize(owner, "pj-3", Decimal("1.00"), TERMINAL, method="provider")  # no provider here

    assert central.refund(printed.payment_id, by="anne", reason="pages came out blank")["state"] == "refunded"
    assert client.balance(owner) == Decimal("20.00")
    assert ("anne", "payment_refunded") in [(line["who"], line["action"]) for line in central.audit_log()]

    for step in (client.capture, lambda payment_id, terminal: client.void(payment_id, terminal, "")):
        with pytest.raises(CentralRejected) as missing:
            step("pay-nope", TERMINAL)
        assert missing.value.status == 404
    other = make_client(central, token=central.enrol("risskov-1", "risskov"))
    with pytest.raises(CentralRejected) as foreign:
        other.capture(printed.payment_id, TERMINAL)  # another terminal's name
    assert foreign.value.status == 403
    raw.post(f"{central.url}/v1/payments", json={"owner": owner}, headers=AUTH)
    raw.post(f"{central.url}/v1/payments", json={"owner": owner, "job_id": "x", "amount": "1.0",
                                                  "terminal": TERMINAL}, headers=AUTH)
    raw.get(f"{central.url}/v1/balances/{owner}")
    raw.get(f"{central.url}/v1/balances/not-a-token", headers=AUTH)
    raw.post(f"{central.url}/v1/payments/{printed.payment_id}/void", json={"terminal": TERMINAL, "x": 1},
             headers=AUTH)
    for operation in ("getBalance", "authorizePayment", "capturePayment", "voidPayment"):
        documented = {int(s) for op in contract.operations if op[2]["operationId"] == operation
                      for s in op[2]["responses"]} - {500, 503}
        seen = {status for op, status in contract.seen if op == operation}
        assert documented - seen <= {403, 400, 401}, (operation, documented - seen)


def test_a_hold_asked_for_again_with_the_same_request_id_is_the_same_hold_and_taken_once(
        central: CentralService, client: CentralClient, raw: requests.Session) -> None:
    """A kiosk whose answer was lost asks again (urllib3 retries the POST): the same payment, the
    balance held once; at the same moment from two threads too."""
    from concurrent.futures import ThreadPoolExecutor

    owner = central.patron_token(ANNA)
    central.top_up(ANNA, "10.00", by="anne", reason="paid at the counter")
    first = client.authorize(owner, "pj-1", Decimal("2.10"), TERMINAL, request_id="journal-row-1")
    again = client.authorize(owner, "pj-1", Decimal("2.10"), TERMINAL, request_id="journal-row-1")
    assert again == first and client.balance(owner) == Decimal("7.90")
    with ThreadPoolExecutor(4) as pool:
        holds = list(pool.map(lambda _n: client.authorize(owner, "pj-2", Decimal("1.00"), TERMINAL,
                                                          request_id="journal-row-2"), range(4)))
    assert len({hold.payment_id for hold in holds}) == 1 and client.balance(owner) == Decimal("6.90")
    other = client.authorize(owner, "pj-3", Decimal("1.00"), TERMINAL, request_id="journal-row-3")
    assert other.payment_id != first.payment_id and client.balance(owner) == Decimal("5.90")
    answer = raw.post(f"{central.url}/v1/payments", headers=AUTH, json={
        "owner": owner, "job_id": "pj-4", "amount": "1.00", "terminal": TERMINAL, "request_id": ""})
    assert answer.status_code == 400 and "request_id" in answer.text
