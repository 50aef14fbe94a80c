"""The pysip2 peer answers like an ACS should: driven over a raw TCP socket with our codec only, so
these tests pin the peer down independently of the SIP2 client it is there to test."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.sip2.codec import Message, decode, encode, message, parse_due_date
from tests.sync.sip2.peer_fixtures import Pysip2Peer, running_pysip2_peer
from tests.sync.sip2.peer_fixtures import pysip2_server as pysip2_server  # the fixture under test
from tests.sync.sip2.pysip2_peer import (
    AEBLET,
    ALICE,
    BLOCKED,
    KONGENS_FALD,
    MOBY_DICK,
    REFERENCE,
    SOREN,
    UNKNOWN_BARCODE,
)

DATE = "20260312    101500"
BLANK = " " * 18


class RawSip2:
    """A bare SIP2 line over a socket: our codec, a sequence number, CR framing. Nothing else."""

    def __init__(self, peer: Pysip2Peer, *, encoding: str = "cp850", terminator: bytes = b"\r") -> None:
        self.sock = socket.create_connection((peer.host, peer.port), timeout=5)
        self.encoding = encoding
        self.terminator = terminator
        self.sequence = 0
        self.buffer = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data + self.terminator)

    def receive(self, timeout: float = 5.0) -> bytes:
        self.sock.settimeout(timeout)
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the peer closed the connection")
            self.buffer += chunk
        frame, _, self.buffer = self.buffer.partition(b"\r")
        return frame

    def ask(self, request: Message, *, error_detection: bool = True) -> Message:
        self.send_raw(encode(request, encoding=self.encoding, sequence=self.sequence,
                             error_detection=error_detection))
        reply = decode(self.receive(), encoding=self.encoding)
        if error_detection:
            assert reply.sequence == self.sequence
        self.sequence = (self.sequence + 1) % 10
        return reply

    def login(self, user: str = "kiosk", password: str = "secret") -> Message:
        return self.ask(message("93", {"uid_algorithm": "0", "pwd_algorithm": "0"},
                                [("CN", user), ("CO", password), ("CP", "KIOSK1")]))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def sip(pysip2_server: Pysip2Peer) -> Iterator[RawSip2]:
    line = RawSip2(pysip2_server)
    assert line.login().fixed["ok"] == "1"
    yield line
    line.close()


def sc_status() -> Message:
    return message("99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"})


def patron_information(patron: str, pin: str | None, summary: str = " " * 10) -> Message:
    fields = [("AO", "MAIN"), ("AA", patron), ("AC", "")] + ([("AD", pin)] if pin is not None else [])
    return message("63", {"language": "000", "transaction_date": DATE, "summary": summary}, fields)


def patron_status(patron: str, pin: str) -> Message:
    return message("23", {"language": "000", "transaction_date": DATE},
                   [("AO", "MAIN"), ("AA", patron), ("AC", ""), ("AD", pin)])


def checkout(patron: str, item: str, *, no_block: str = "N", nb_due_date: str = BLANK,
             renewal_policy: str = "N") -> Message:
    return message("11", {"sc_renewal_policy": renewal_policy, "no_block": no_block,
                          "transaction_date": DATE, "nb_due_date": nb_due_date},
                   [("AO", "MAIN"), ("AA", patron), ("AB", item), ("AC", "")])


def checkin(item: str) -> Message:
    return message("09", {"no_block": "N", "transaction_date": DATE, "return_date": DATE},
                   [("AP", "KIOSK1"), ("AO", "MAIN"), ("AB", item), ("AC", "")])


def item_information(item: str) -> Message:
    return message("17", {"transaction_date": DATE}, [("AO", "MAIN"), ("AB", item), ("AC", "")])


# --- login and status ---------------------------------------------------------------------------


def test_the_fixture_yields_host_port_and_seed(pysip2_server: Pysip2Peer) -> None:
    host, port, seed = pysip2_server
    assert host == "127.0.0.1" and port > 0
    assert seed.login_user == "kiosk" and seed.patron(ALICE.barcode) == ALICE


def test_login_with_the_right_account_is_accepted(pysip2_server: Pysip2Peer) -> None:
    line = RawSip2(pysip2_server)
    reply = line.login()
    assert (reply.command, reply.fixed["ok"], reply.sequence) == ("94", "1", 0)
    line.close()


def test_a_refused_login_is_answered_then_the_connection_closes(pysip2_server: Pysip2Peer) -> None:
    line = RawSip2(pysip2_server)
    assert line.login(password="wrong").fixed["ok"] == "0"
    with pytest.raises(ConnectionError):
        line.receive()
    line.close()


def test_anything_before_login_closes_the_connection(pysip2_server: Pysip2Peer) -> None:
    line = RawSip2(pysip2_server)
    line.send_raw(encode(sc_status(), sequence=0))
    with pytest.raises(ConnectionError):
        line.receive()
    line.close()


def test_sc_status_reports_online_with_checkin_and_checkout(sip: RawSip2) -> None:
    status = sip.ask(sc_status())
    assert status.command == "98"
    assert [status.fixed[f] for f in ("online_status", "checkin_ok", "checkout_ok", "offline_ok")] == [
        "Y", "Y", "Y", "Y"]
    assert status.fixed["protocol_version"] == "2.00"
    assert status.get("AO") == "MAIN"
    supported = status.get("BX")
    assert len(supported) == 16
    for position in (0, 1, 2, 4, 6, 7, 8, 10, 14):  # 23 11 09 99 93 63 35 17 29
        assert supported[position] == "Y"


# --- patrons ------------------------------------------------------------------------------------


def test_valid_patron_with_the_right_pin_gets_bl_y_and_cq_y(sip: RawSip2) -> None:
    info = sip.ask(patron_information(ALICE.barcode, ALICE.pin))
    assert info.command == "64"
    assert (info.get("BL"), info.get("CQ")) == ("Y", "Y")
    assert info.get("AE") == ALICE.name
    assert info.fixed["patron_status"] == " " * 14


def test_a_wrong_pin_gets_cq_n(sip: RawSip2) -> None:
    info = sip.ask(patron_information(ALICE.barcode, "9999"))
    assert (info.get("BL"), info.get("CQ")) == ("Y", "N")


def test_no_pin_gets_cq_n(sip: RawSip2) -> None:
    assert sip.ask(patron_information(ALICE.barcode, None)).get("CQ") == "N"


def test_an_unknown_patron_gets_bl_n(sip: RawSip2) -> None:
    info = sip.ask(patron_information("29999999999999", "1234"))
    assert (info.get("BL"), info.get("CQ")) == ("N", "N")


def test_patron_information_lists_charged_items_in_cp850(sip: RawSip2) -> None:
    info = sip.ask(patron_information(SOREN.barcode, SOREN.pin, summary="  Y       "))
    assert info.get("AE") == "Søren Ærø Jørgensen"
    assert info.fixed["charged_items_count"] == "0001"
    assert info.getall("AU") == [AEBLET.barcode]


def test_patron_status_of_a_blocked_patron_shows_the_block_and_the_fee(sip: RawSip2) -> None:
    status = sip.ask(patron_status(BLOCKED.barcode, BLOCKED.pin))
    assert status.command == "24"
    assert status.fixed["patron_status"][0] == "Y"
    assert (status.get("BL"), status.get("CQ"), status.get("BV"), status.get("BH")) == (
        "Y", "Y", "125.00", "DKK")


# --- circulation --------------------------------------------------------------------------------


def test_checkout_with_a_blank_nb_due_date_creates_a_loan(sip: RawSip2) -> None:
    reply = sip.ask(checkout(ALICE.barcode, MOBY_DICK.barcode))
    assert reply.command == "12"
    assert (reply.fixed["ok"], reply.fixed["desensitize"]) == ("1", "Y")
    assert reply.get("AJ") == MOBY_DICK.title
    assert parse_due_date(reply.get("AH")) is not None
    loans = sip.ask(patron_information(ALICE.barcode, ALICE.pin, summary="  Y       "))
    assert loans.getall("AU") == [MOBY_DICK.barcode]
    item = sip.ask(item_information(MOBY_DICK.barcode))
    assert item.fixed["circulation_status"] == "04"
    assert item.get("AH") == reply.get("AH")


def test_checkin_ends_the_loan(sip: RawSip2) -> None:
    sip.ask(checkout(ALICE.barcode, KONGENS_FALD.barcode))
    reply = sip.ask(checkin(KONGENS_FALD.barcode))
    assert reply.command == "10"
    assert (reply.fixed["ok"], reply.fixed["resensitize"], reply.fixed["alert"]) == ("1", "Y", "N")
    assert reply.get("AA") == ALICE.barcode
    assert reply.get("AQ") == "MAIN"
    assert sip.ask(item_information(KONGENS_FALD.barcode)).fixed["circulation_status"] == "03"
    assert sip.ask(patron_information(ALICE.barcode, ALICE.pin, summary="  Y       ")).getall("AU") == []


def test_item_information_of_an_available_and_an_unknown_item(sip: RawSip2) -> None:
    available = sip.ask(item_information(MOBY_DICK.barcode))
    assert (available.fixed["circulation_status"], available.get("AJ")) == ("03", MOBY_DICK.title)
    unknown = sip.ask(item_information(UNKNOWN_BARCODE))
    assert unknown.fixed["circulation_status"] == "01"
    assert unknown.get("AF")


@pytest.mark.parametrize(("patron", "item"), [
    (ALICE.barcode, AEBLET.barcode),        # on loan to Søren
    (ALICE.barcode, REFERENCE.barcode),     # not for loan
    (BLOCKED.barcode, MOBY_DICK.barcode),   # charge privileges denied
    (ALICE.barcode, UNKNOWN_BARCODE),
    ("29999999999999", MOBY_DICK.barcode),
])
def test_checkout_is_refused_with_a_screen_message(sip: RawSip2, patron: str, item: str) -> None:
    reply = sip.ask(checkout(patron, item))
    assert (reply.fixed["ok"], reply.fixed["desensitize"]) == ("0", "N")
    assert reply.get("AF")


def test_an_offline_checkout_is_accepted_with_its_nb_due_date(sip: RawSip2) -> None:
    due = "20260401    235900"
    reply = sip.ask(checkout(BLOCKED.barcode, MOBY_DICK.barcode, no_block="Y", nb_due_date=due))
    assert reply.fixed["ok"] == "1"
    assert reply.get("AH") == due
    assert sip.ask(item_information(MOBY_DICK.barcode)).get("AH") == due


def test_checkout_of_an_item_already_on_loan_to_the_patron_renews_it_when_allowed(sip: RawSip2) -> None:
    refused = sip.ask(checkout(SOREN.barcode, AEBLET.barcode))
    assert refused.fixed["ok"] == "0"
    renewed = sip.ask(checkout(SOREN.barcode, AEBLET.barcode, renewal_policy="Y"))
    assert (renewed.fixed["ok"], renewed.fixed["renewal_ok"]) == ("1", "Y")


def test_renew_gives_a_new_due_date(sip: RawSip2) -> None:
    reply = sip.ask(message("29", {"third_party_allowed": "N", "no_block": "N", "transaction_date": DATE,
                                   "nb_due_date": BLANK},
                            [("AO", "MAIN"), ("AA", SOREN.barcode), ("AB", AEBLET.barcode), ("AC", "")]))
    assert reply.command == "30"
    assert (reply.fixed["ok"], reply.fixed["renewal_ok"]) == ("1", "Y")
    assert parse_due_date(reply.get("AH")) is not None


def test_end_patron_session(sip: RawSip2) -> None:
    reply = sip.ask(message("35", {"transaction_date": DATE}, [("AO", "MAIN"), ("AA", ALICE.barcode)]))
    assert (reply.command, reply.fixed["end_session"]) == ("36", "Y")


def test_loans_are_shared_between_connections(pysip2_server: Pysip2Peer, sip: RawSip2) -> None:
    sip.ask(checkout(ALICE.barcode, MOBY_DICK.barcode))
    other = RawSip2(pysip2_server)
    other.login()
    assert other.ask(item_information(MOBY_DICK.barcode)).fixed["circulation_status"] == "04"
    other.close()


# --- framing and error detection ----------------------------------------------------------------


def test_crlf_terminated_requests_are_all_answered(pysip2_server: Pysip2Peer) -> None:
    line = RawSip2(pysip2_server, terminator=b"\r\n")
    assert line.login().fixed["ok"] == "1"
    for _ in range(3):
        assert line.ask(sc_status()).command == "98"
    line.close()


def test_a_bad_checksum_gets_a_96(sip: RawSip2) -> None:
    wire = encode(sc_status(), sequence=1)
    sip.send_raw(wire[:-4] + (b"0000" if wire[-4:] != b"0000" else b"1111"))
    assert sip.receive() == b"96AZFEF6"


def test_97_replays_the_last_response(sip: RawSip2) -> None:
    first = sip.ask(sc_status())
    sip.send_raw(b"97AZFEF5")
    again = decode(sip.receive())
    assert (again.command, again.sequence, again.fields) == ("98", first.sequence, first.fields)


def test_a_request_without_error_detection_gets_a_reply_without_it(sip: RawSip2) -> None:
    status = sip.ask(sc_status(), error_detection=False)
    assert (status.command, status.sequence, status.checksum) == ("98", None, None)


def test_an_unknown_command_gets_no_reply(sip: RawSip2) -> None:
    sip.send_raw(b"55hello")
    with pytest.raises(TimeoutError):
        sip.receive(timeout=0.3)


def test_utf8_peer_sends_names_in_utf8(tmp_path: Path) -> None:
    with running_pysip2_peer(tmp_path / "peer.log", encoding="utf-8") as peer:
        line = RawSip2(peer, encoding="utf-8")
        line.login()
        assert line.ask(patron_information(SOREN.barcode, SOREN.pin)).get("AE") == SOREN.name
        line.close()


def test_idle_timeout_closes_the_connection(tmp_path: Path) -> None:
    with running_pysip2_peer(tmp_path / "peer.log", idle_timeout=0.2) as peer:
        line = RawSip2(peer)
        line.login()
        time.sleep(0.5)
        with pytest.raises((ConnectionError, OSError)):
            line.ask(sc_status())
        line.close()
