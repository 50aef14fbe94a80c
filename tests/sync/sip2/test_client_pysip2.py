"""The SIP2 client against an independent server implementation (pysip2), over real TCP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.settings import Sip2Settings
from sync.sip2.client import Sip2Client
from sync.sip2.library import Sip2LibrarySystem
from tests.sync.sip2.peer_fixtures import Pysip2Peer, running_pysip2_peer
from tests.sync.sip2.peer_fixtures import pysip2_server as pysip2_server
from tests.sync.sip2.pysip2_peer import AEBLET, ALICE, BLOCKED, KONGENS_FALD, MOBY_DICK, REFERENCE, SOREN


def lms_for(peer: Pysip2Peer, **changes: Any) -> Sip2LibrarySystem:
    settings: dict[str, Any] = dict(host=peer.host, port=peer.port, user="kiosk", password="secret",
                                    institution=peer.seed.institution_id, location="hovedbiblioteket",
                                    timeout_s=1.0, retries=2, keepalive_s=0)
    settings.update(changes)
    return Sip2LibrarySystem(Sip2Client(Sip2Settings(**settings)))


def card(barcode: str) -> Credential:
    return Credential(CredentialKind.CARD_UID, barcode)


def test_patron_authentication(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    good = lms.authenticate_patron(card(ALICE.barcode), ALICE.pin)
    assert good.outcome is AuthOutcome.OK and good.patron is not None
    assert good.patron.name == "Alice Example"
    assert lms.authenticate_patron(card(ALICE.barcode), "9999").outcome is AuthOutcome.WRONG_PIN
    assert lms.authenticate_patron(card("23999999999999"), "1234").outcome is AuthOutcome.UNKNOWN_PATRON
    assert lms.authenticate_patron(card(BLOCKED.barcode), BLOCKED.pin).outcome is AuthOutcome.BLOCKED


def test_checkout_item_information_checkin(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    out = lms.checkout(ALICE.barcode, MOBY_DICK.barcode, pin=ALICE.pin)
    assert out.ok and out.desensitize is True and out.due_date is not None
    assert lms.item_info(MOBY_DICK.barcode).circulation_status == "charged"
    back = lms.checkin(MOBY_DICK.barcode)
    assert back.ok and back.resensitize is True
    assert lms.item_info(MOBY_DICK.barcode).circulation_status == "available"


def test_refusals_keep_the_servers_message(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    for patron, item in ((ALICE, REFERENCE), (ALICE, AEBLET), (BLOCKED, KONGENS_FALD)):
        result = lms.checkout(patron.barcode, item.barcode, pin=patron.pin)
        assert not result.ok and result.screen_messages


def test_renewal_through_the_sc_renewal_policy_and_explicitly(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    assert lms.checkout(ALICE.barcode, KONGENS_FALD.barcode, pin=ALICE.pin).ok
    again = lms.checkout(ALICE.barcode, KONGENS_FALD.barcode, pin=ALICE.pin)
    assert again.ok and again.renewal
    assert lms.renew(SOREN.barcode, AEBLET.barcode, pin=SOREN.pin).ok


@pytest.mark.parametrize("encoding", ["cp850", "utf-8"])
def test_account_with_danish_names_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    with running_pysip2_peer(tmp_path / "peer.log", encoding=encoding) as peer:
        lms = lms_for(peer, encoding=encoding)
        account = lms.account(SOREN.barcode, SOREN.pin)
        assert account.patron.name == "Søren Ærø Jørgensen"
        assert [(loan.item_id, loan.title) for loan in account.loans] == [
            (AEBLET.barcode, "Æblet og æsken")]


def test_offline_replay_with_no_block_and_the_original_due_date(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    when = dt.datetime(2026, 11, 20, 21, 5).astimezone()
    due = dt.datetime(2026, 12, 18, 23, 59).astimezone()
    result = lms.checkout(BLOCKED.barcode, MOBY_DICK.barcode, no_block=True, transaction_date=when,
                          due_date=due)
    assert result.ok
    assert lms.item_info(MOBY_DICK.barcode).due_date == due.replace(microsecond=0)


def test_fee_payment(pysip2_server: Pysip2Peer) -> None:
    lms = lms_for(pysip2_server)
    assert lms.fee_paid(BLOCKED.barcode, Decimal("25.00")).accepted
    patron = lms.authenticate_patron(card(BLOCKED.barcode), BLOCKED.pin).patron
    assert patron is not None and patron.fee_total == Decimal("100.00")


def test_the_client_reconnects_after_the_server_drops_an_idle_connection(tmp_path: Path) -> None:
    import time

    with running_pysip2_peer(tmp_path / "peer.log", idle_timeout=0.3) as peer:
        lms = lms_for(peer)
        assert lms.status().online
        time.sleep(0.8)
        assert lms.item_info(MOBY_DICK.barcode).title == "Moby Dick"
