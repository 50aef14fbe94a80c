"""SIP2 replies an LMS gets wrong, over real TCP from a scripted ACS: digits that are not ASCII, fees
that are not amounts, an LMS that ignores BP/BQ, stale frames forever, a telnet banner without end.
None of them may crash, hang or grow the kiosk."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from sync.sip2.client import Sip2Client
from sync.sip2.codec import decode, message
from sync.sip2.errors import Sip2ProtocolError, Sip2Timeout
from sync.sip2.library import MAX_PAGES, Sip2LibrarySystem
from tests.sync.sip2.scripted_acs import Connection, ScriptedAcs, acs_status, reply, standard
from tests.sync.sip2.test_client import DATE, account, serve

ANNA = Credential(CredentialKind.BARCODE, "1")
COUNTS = ("hold_items_count", "overdue_items_count", "charged_items_count", "fine_items_count",
          "recall_items_count", "unavailable_holds_count")


def patron_reply(req: bytes, counts: str, *fields: tuple[str, str]) -> bytes:
    return reply(message("64", {"patron_status": " " * 14, "language": "000", "transaction_date": DATE,
                                **dict.fromkeys(COUNTS, counts)},
                         [("AO", "DK"), ("AA", "1"), ("BL", "Y"), ("CQ", "Y"), *fields]), req)


def item_reply(req: bytes, queue: str) -> bytes:
    item = decode(req, verify=False).get("AB")
    return reply(message("18", {"circulation_status": "03", "security_marker": "00", "fee_type": "01",
                                "transaction_date": DATE},
                         [("AB", item), ("AJ", "Bog"), ("CF", queue), ("CH", "parts=²")]), req)


@pytest.mark.parametrize("fee", ["NaN", "sNaN", "Infinity", "-inf", "1e999999999", "1.234,50"])
def test_a_fee_that_is_not_an_amount_is_no_fee_and_nothing_hangs(servers: list[ScriptedAcs],
                                                                  fee: str) -> None:
    acs = serve(servers, lambda req, conn: standard(req) or patron_reply(req, "0000", ("BV", fee)))
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    result = lms.authenticate_patron(ANNA, "1234")
    lms.client.close()
    assert result.outcome is AuthOutcome.OK and result.patron is not None
    assert result.patron.fee_total == Decimal("0")
    assert f"{result.patron.fee_total:.2f}" == "0.00"  # what the screen and the door's rule do with it


def test_digits_that_are_not_ascii_are_no_counts(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"63"):
            return patron_reply(req, "²²²²")  # cp850 0xFD: str.isdigit() says yes, int() says no
        if req.startswith(b"17"):
            return item_reply(req, "²")
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    account_seen = lms.account("1", "1234")
    item = lms.item_info("5010000001")
    lms.client.close()
    assert account_seen.loans == () and item.hold_queue_length == 0 and item.parts_in_set == 1


def test_an_lms_that_ignores_bp_bq_and_pads_with_empty_fields_ends(servers: list[ScriptedAcs]) -> None:
    """As the Evergreen/OpenNCIP SIPServer does: every page the same, padded with 50 empty AT fields,
    and blank counts ("unknown")."""
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"63"):
            return patron_reply(req, "    ", ("AU", "5010000001"), *[("AU", "")] * 50, *[("AT", "")] * 50)
        if req.startswith(b"17"):
            return item_reply(req, "0")
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port, page_size=50)))
    seen = lms.account("1", "1234")
    lms.client.close()
    assert [loan.item_id for loan in seen.loans] == ["5010000001"]
    asked = [f for f in acs.frames if f.startswith(b"63") and b"BP" in f]
    assert len(asked) == 6  # loans: a page, the same page again (the end); one for each other list


def test_a_count_of_zero_means_none_and_nothing_more_is_asked(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: standard(req) or patron_reply(req, "0000"))
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    seen = lms.account("1", "1234")
    lms.client.close()
    assert (seen.loans, seen.holds, seen.fees) == ((), (), ())
    assert [f[:2] for f in acs.frames if f.startswith(b"63")] == [b"63"]  # only the first question


def test_a_list_that_never_ends_stops_at_the_page_cap(servers: list[ScriptedAcs]) -> None:
    pages = {"n": 0}

    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"63"):
            pages["n"] += 1
            page = pages["n"]
            return patron_reply(req, "    ", ("AV", f"fee{page} 1.00 x"), ("AV", f"fee{page}b 1 y"))
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port, page_size=2)))
    seen = lms.account("1", "1234")
    lms.client.close()
    assert len(seen.fees) == 2 * MAX_PAGES


def test_stale_frames_do_not_restart_the_wait(servers: list[ScriptedAcs]) -> None:
    """Every 0.4 s a frame that answers something else: one deadline for the request (1 s, no
    retries) ends it with a timeout, where each frame used to start the wait again (until the 11th)."""
    stale = {"n": 0}

    def handler(req: bytes, conn: Connection) -> object:
        if req.startswith(b"17"):
            def drip() -> Iterator[bytes]:
                for _ in range(20):
                    time.sleep(0.4)
                    stale["n"] += 1
                    yield acs_status(req)
            return drip()
        return standard(req)

    acs = serve(servers, handler)
    client = Sip2Client(account(acs.port, timeout_s=1.0, retries=0))
    lms = Sip2LibrarySystem(client)
    with pytest.raises(Sip2Timeout):
        lms.item_info("5010000001")
    client.close()
    assert stale["n"] <= 4  # not the 11 that took 4.4 s and more


def test_a_telnet_banner_without_the_prompt_is_cut_off(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: None, greeting=b"Welcome! " * 2000)  # 18 kB, no "login:"
    client = Sip2Client(account(acs.port, telnet=True, max_message_bytes=4096, timeout_s=5.0))
    with pytest.raises(Sip2ProtocolError, match="without the prompt"):
        client.connect()
    client.close()


def test_a_spent_deadline_ends_the_request_without_a_resend_or_a_new_connection(
        servers: list[ScriptedAcs], caplog: pytest.LogCaptureFixture) -> None:
    """With retries left, a deadline spent on stale frames is still the end: no frame sent again,
    no reconnecting to ask once more."""
    def handler(req: bytes, conn: Connection) -> object:
        if req.startswith(b"17"):
            def drip() -> Iterator[bytes]:
                for _ in range(12):
                    time.sleep(0.2)
                    yield acs_status(req)
            return drip()
        return standard(req)

    acs = serve(servers, handler)
    client = Sip2Client(account(acs.port, timeout_s=0.5, retries=1))
    with caplog.at_level(logging.INFO), pytest.raises(Sip2Timeout):
        Sip2LibrarySystem(client).item_info("5010000001")
    client.close()
    assert "sending the same frame again" not in caplog.text  # not onto the connection it just closed
    assert len(acs.connections) == 1
    assert [f[:2] for f in acs.frames if f.startswith(b"17")] == [b"17"]
