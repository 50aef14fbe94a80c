"""The emulator answers a standard third-party SIP2 client: PyPI ``sip2`` 1.1 (import ``Sip2``).

That client has known bugs (research/sip2.md §1.1); the fixture works around them:

* ``tlsEnable`` is on by default and silently falls back to plaintext after a failed handshake:
  turned off (the handshake bytes would reach the SIP port before the 93).
* its checksum drops the leading zero below 0x1000 and its reply parser always strips six
  characters as ``AZxxxx``: error detection is off except in the short login/status test, where the
  checksums are above 0x1000.
* it decodes replies as UTF-8 by default: ``hostEncoding`` is set to cp850 like the emulator.
* it writes ``sip2.log`` (with passwords and PINs) into the working directory: the fixture points it
  at ``tmp_path`` and takes the handler away afterwards.
* ``sip_renew_all_request`` leaves out the transaction date: the emulator answers 96.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from Sip2.sip2 import Sip2

from sync.sip2.emulator import Sip2Emulator
from tests.sync.sip2.conftest import ANNA, BOOK, BORROWER, INSTITUTION, LENT, PINS

StandardClient = Callable[..., Any]


@pytest.fixture
def standard_client(emulator: Sip2Emulator, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[StandardClient]:
    monkeypatch.chdir(tmp_path)
    clients: list[Any] = []

    def make(*, error_detection: bool = False) -> Any:
        client = Sip2()
        client.hostName, client.hostPort = emulator.address
        client.tlsEnable = False
        client.withCrc = client.withSeq = error_detection
        client.hostEncoding = "cp850"
        client.logfile_path = str(tmp_path)
        client.institutionId = INSTITUTION
        client.connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.disconnect()
    clients.clear()
    gc.collect()  # its __del__ prints "Sip2 object unset": let that happen while output is captured
    logger = logging.getLogger("Sip2")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def logged_in(make: StandardClient, **kwargs: Any) -> Any:
    client = make(**kwargs)
    reply = client.sip_login_response(client.get_response(client.sip_login_request("kiosk", "kiosk")))
    assert reply["fixed"]["Ok"] == "1"
    return client


def test_login_and_sc_status_with_its_error_detection(standard_client: StandardClient) -> None:
    client = logged_in(standard_client, error_detection=True)
    raw = client.get_response(client.sip_sc_status_request())
    status = client.sip_sc_status_response(raw)
    assert status["fixed"]["OnlineStatus"] == "Y"
    assert status["fixed"]["ProtocolVersion"] == "2.00"
    assert status["variable"]["AO"] == [INSTITUTION]
    assert "AY1AZ" in raw  # the emulator echoes the client's sequence number


def test_a_wrong_login_is_refused(standard_client: StandardClient) -> None:
    client = standard_client()
    reply = client.sip_login_response(client.get_response(client.sip_login_request("kiosk", "nope")))
    assert reply["fixed"]["Ok"] == "0"


def test_patron_status_and_information(standard_client: StandardClient) -> None:
    client = logged_in(standard_client)
    client.patron, client.patronpwd = ANNA, PINS[ANNA]
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert status["variable"]["BL"] == ["Y"] and status["variable"]["CQ"] == ["Y"]
    info = client.sip_patron_information_response(
        client.get_response(client.sip_patron_information_request("charged")))
    assert info["variable"]["AE"] == ["Ærø, Åse Sørensen"]
    assert info["fixed"]["ChargedItemsCount"] == "0000"


def test_checkout_and_checkin(standard_client: StandardClient, emulator: Sip2Emulator) -> None:
    client = logged_in(standard_client)
    client.patron, client.patronpwd = ANNA, PINS[ANNA]
    out = client.sip_checkout_response(client.get_response(client.sip_checkout_request(BOOK)))
    assert out["fixed"]["Ok"] == "1" and out["fixed"]["Desensitize"] == "Y"
    assert out["variable"]["AH"][0].strip()
    assert emulator.data.items[BOOK].loan is not None
    back = client.sip_checkin_response(client.get_response(client.sip_checkin_request(BOOK)))
    assert back["fixed"]["Ok"] == "1" and back["fixed"]["Resensitize"] == "Y"
    assert emulator.data.items[BOOK].loan is None


def test_item_information_and_renew(standard_client: StandardClient) -> None:
    client = logged_in(standard_client)
    request = client.sip_item_information_request(LENT)
    item = client.sip_item_information_response(client.get_response(request))
    assert item["variable"]["AJ"] == ["Jeppe på Bjerget"]
    client.patron, client.patronpwd = BORROWER, PINS[BORROWER]
    renewed = client.sip_renew_response(client.get_response(client.sip_renew_request(LENT)))
    assert renewed["fixed"]["Ok"] == "1"


def test_its_renew_all_without_a_transaction_date_gets_96(standard_client: StandardClient) -> None:
    client = logged_in(standard_client)
    client.patron = ANNA
    assert client.get_response(client.sip_renew_all_request()) == "96\r"
