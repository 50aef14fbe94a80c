"""The SIP2 emulator on the wire: login, framing, error detection, quirks, TLS, telnet, CLI, state.

Every test talks to a real emulator over a real TCP socket on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.sip2.codec import Sip2DecodeError, checksum, decode, encode
from sync.sip2.emulator import MAX_REQUEST, Quirks, Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.sync.sip2.conftest import (
    ANNA,
    BOOK,
    BOOK2,
    DVD_SET,
    INSTITUTION,
    EmulatorFactory,
    SipClient,
    checkin,
    checkout,
    item_info,
    login,
    patron_info,
    sc_status,
)
from tests.tls import self_signed

REPO = Path(__file__).resolve().parents[3]
Connect = Callable[..., SipClient]


# ---------------------------------------------------------------- login

def test_login_with_the_configured_user_and_password_is_accepted(connect: Connect) -> None:
    reply = connect().exchange_raw(encode(login(), sequence=0) + b"\r")
    assert reply == b"941AY0AZFDFD\r"


def test_a_wrong_password_is_refused_and_nothing_else_is_answered(connect: Connect) -> None:
    client = connect()
    assert client.login(password="wrong").fixed["ok"] == "0"
    client.send_raw(client.frame(sc_status()) + b"\r")
    assert client.is_closed()


def test_a_message_before_login_gets_no_reply_and_the_connection_is_closed(connect: Connect) -> None:
    client = connect()
    client.send_raw(client.frame(sc_status()) + b"\r")
    assert client.is_closed()


def test_users_and_passwords_can_be_configured(make_emulator: EmulatorFactory, connect: Connect) -> None:
    server = make_emulator(user="sc01", password="hemmelig")
    client = connect(server)
    assert client.login().fixed["ok"] == "0"
    assert client.login("sc01", "hemmelig").fixed["ok"] == "1"


def test_telnet_login_prompts_then_speaks_sip(make_emulator: EmulatorFactory, connect: Connect) -> None:
    client = connect(make_emulator(telnet=True))
    assert client.read_raw(b": ") == b"login: "
    client.send_raw(b"kiosk\r\n")
    assert client.read_raw(b": ") == b"password: "
    client.send_raw(b"kiosk\r\n")
    assert client.read_raw(b"\r\n") == b"Login OK.  Initiating SIP\r\n"
    assert client.request(sc_status()).command == "98"
    assert client.login().fixed["ok"] == "1"


def test_telnet_login_with_a_wrong_password_closes(make_emulator: EmulatorFactory, connect: Connect) -> None:
    client = connect(make_emulator(telnet=True))
    client.read_raw(b": ")
    client.send_raw(b"kiosk\n")
    client.read_raw(b": ")
    client.send_raw(b"nope\n")
    assert client.read_raw(b"\r\n") == b"Login failed\r\n"
    assert client.is_closed()


# ---------------------------------------------------------------- SC status

def test_sc_status_reports_capabilities_and_the_library(sip: SipClient) -> None:
    reply = sip.request(sc_status())
    assert reply.command == "98"
    flags = "".join(reply.fixed[k] for k in ("online_status", "checkin_ok", "checkout_ok",
                                             "acs_renewal_policy", "status_update_ok", "offline_ok"))
    assert flags == "YYYYNY"
    assert (reply.fixed["timeout_period"], reply.fixed["retries_allowed"]) == ("030", "003")
    assert reply.fixed["protocol_version"] == "2.00"
    assert reply.get("AO") == INSTITUTION
    assert reply.get("AM") == "Testby Bibliotek"
    assert reply.get("BX") == "YYYYYYYYYYYNNYYY"
    assert reply.get("AN") == "hovedbiblioteket"


def test_an_unsupported_command_is_answered_with_96(sip: SipClient) -> None:
    frame = b"19" + b"20260101    120000" + b"AO" + INSTITUTION.encode() + b"|AB" + BOOK.encode() + b"|AC|"
    assert sip.exchange_raw(frame + b"\r") == b"96\r"


# ---------------------------------------------------------------- framing

@pytest.mark.parametrize("terminator", [b"\r", b"\r\n", b"\n"])
def test_requests_may_end_in_cr_crlf_or_lf(connect: Connect, terminator: bytes) -> None:
    client = connect()
    client.send_raw(encode(login(), sequence=0) + terminator)
    assert client.read_raw() == b"941AY0AZFDFD\r"
    client.send_raw(encode(sc_status(), sequence=1) + terminator)
    assert decode(client.read_raw()).command == "98"


def test_replies_end_in_cr_only(sip: SipClient) -> None:
    assert sip.exchange_raw(sip.frame(sc_status()) + b"\r").endswith(b"\r")
    sip.sock.settimeout(0.3)
    with pytest.raises(TimeoutError):
        sip.read_raw(b"\n")


def test_the_crlf_quirk_ends_replies_in_crlf(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(crlf=True)
    sip.send_raw(sip.frame(sc_status()) + b"\r")
    reply = sip.read_raw(b"\r\n")
    assert reply.endswith(b"\r\n") and reply.count(b"\r") == 1
    assert decode(reply).command == "98"


@pytest.mark.parametrize("junk", [b"63", b"xx|yy", b"11YN\x00\x01", b"\xff\xfe\xfd", b"1799999"])
def test_malformed_requests_get_96_and_the_connection_lives_on(sip: SipClient, junk: bytes) -> None:
    assert sip.exchange_raw(junk + b"\r") == b"96\r"
    assert sip.request(sc_status()).command == "98"


def test_a_request_over_64_kib_is_answered_with_96_and_closed(sip: SipClient) -> None:
    sip.send_raw(b"63" + b"x" * (MAX_REQUEST + 10))
    assert sip.read_raw() == b"96AZFEF6\r"
    assert sip.is_closed()


def test_a_long_reply_arrives_whole(make_emulator: EmulatorFactory, seed_file: Path,
                                    connect: Connect) -> None:
    data = load_data(seed_file)
    data.items[BOOK].title = "Æ" * 400
    client = connect(make_emulator(data))
    client.login()
    assert client.request(item_info(BOOK)).get("AJ") == "Æ" * 255


# ---------------------------------------------------------------- error detection

def test_replies_echo_the_sequence_number_with_a_valid_checksum(sip: SipClient) -> None:
    sip.sequence = 7
    raw = sip.exchange_raw(sip.frame(sc_status()) + b"\r").rstrip(b"\r")
    assert raw[-9:-6] == b"AY7"
    assert raw[-6:-4] == b"AZ"
    assert raw[-4:].decode() == checksum(raw[:-4])


def test_a_bad_checksum_is_answered_with_96(sip: SipClient) -> None:
    frame = bytearray(sip.frame(sc_status()))
    frame[-1:] = b"0" if frame[-1:] != b"0" else b"1"
    assert sip.exchange_raw(bytes(frame) + b"\r") == b"96AZFEF6\r"


def test_97_resends_the_last_response_unchanged(sip: SipClient) -> None:
    first = sip.exchange_raw(sip.frame(patron_info(ANNA)) + b"\r")
    assert sip.exchange_raw(b"97AZFEF5\r") == first


def test_97_right_after_login_replays_the_login_response(connect: Connect) -> None:
    client = connect()
    client.login()
    assert client.exchange_raw(b"97AZFEF5\r") == b"941AY0AZFDFD\r"


def test_a_duplicate_checkout_frame_is_answered_again_but_applied_once(
        emulator: Sip2Emulator, sip: SipClient) -> None:
    frame = sip.frame(checkout(ANNA, BOOK, renewal_policy="Y")) + b"\r"
    first = sip.exchange_raw(frame)
    again = sip.exchange_raw(frame)
    assert again == first
    assert decode(first).fixed["ok"] == "1"
    loan = emulator.data.items[BOOK].loan
    assert loan is not None and loan.renewals == 0
    assert [t.item for t in emulator.transactions if t.command == "11"] == [BOOK]


def test_the_same_request_with_a_new_sequence_number_is_a_new_request(
        emulator: Sip2Emulator, sip: SipClient) -> None:
    request = checkout(ANNA, BOOK, renewal_policy="Y")
    sip.request(request)
    reply = sip.request(request)
    assert reply.fixed["renewal_ok"] == "Y"
    assert len([t for t in emulator.transactions if t.command == "11"]) == 2


def test_requests_without_error_detection_get_replies_without_it(connect: Connect) -> None:
    client = connect(error_detection=False)
    assert client.exchange_raw(encode(login(), error_detection=False) + b"\r") == b"941\r"


def test_the_no_error_detection_quirk_never_sends_ay_az(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(error_detection=False)
    raw = sip.exchange_raw(sip.frame(sc_status()) + b"\r")
    assert b"AY" not in raw and b"AZ" not in raw


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["cp850", "latin-1"])
def test_danish_text_survives_in_each_encoding(make_emulator: EmulatorFactory, connect: Connect,
                                               encoding: str) -> None:
    client = connect(make_emulator(quirks=Quirks(encoding=encoding)), encoding=encoding)
    client.login()
    info = client.request(patron_info(ANNA))
    assert info.get("AE") == "Ærø, Åse Sørensen"
    title = client.request(item_info(BOOK)).get("AJ")
    assert title == "Blæksprutten - Ærø og Fanø"  # the en dash is not in cp850 or latin-1


def test_utf8_keeps_danish_text_and_characters_that_cp850_lacks(make_emulator: EmulatorFactory,
                                                                 connect: Connect) -> None:
    client = connect(make_emulator(quirks=Quirks(encoding="utf-8")), encoding="utf-8")
    client.login()
    assert client.request(patron_info(ANNA)).get("AE") == "Ærø, Åse Sørensen"
    assert client.request(item_info(BOOK)).get("AJ") == "Blæksprutten – Ærø og Fanø"


def test_utf8_checksums_are_over_the_encoded_bytes(make_emulator: EmulatorFactory, connect: Connect) -> None:
    client = connect(make_emulator(quirks=Quirks(encoding="utf-8")), encoding="utf-8")
    client.login()
    raw = client.exchange_raw(client.frame(patron_info(ANNA)) + b"\r").rstrip(b"\r")
    assert "Ærø".encode() in raw
    assert raw[-4:].decode() == checksum(raw[:-4])


def test_a_delimiter_in_the_data_is_never_sent_inside_a_value(sip: SipClient) -> None:
    reply = sip.request(item_info(DVD_SET))
    assert reply.get("AJ") == "Borgen / sæson 1"


# ---------------------------------------------------------------- quirks

def test_delay_holds_each_reply_back(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(delay=0.4)
    started = time.monotonic()
    sip.request(sc_status())
    assert time.monotonic() - started >= 0.4


def test_drop_after_closes_the_connection_after_n_messages(emulator: Sip2Emulator, connect: Connect) -> None:
    emulator.update_quirks(drop_after=2)
    client = connect()
    client.login()
    assert client.request(sc_status()).command == "98"
    assert client.is_closed()


def test_garbage_every_n_replies_then_97_gets_the_real_reply(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(garbage_every=2)  # the 94 was reply 1 on this connection
    junk = sip.exchange_raw(sip.frame(item_info(BOOK)) + b"\r")
    assert junk.endswith(b"\r") and not junk[:2].isdigit()
    assert decode(sip.exchange_raw(b"97AZFEF5\r")).command == "18"
    assert not sip.exchange_raw(sip.frame(sc_status()) + b"\r")[:2].isdigit()
    assert sip.request(sc_status()).command == "98"


def test_garbage_replies_cannot_be_decoded(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(garbage_every=1)
    junk = sip.exchange_raw(sip.frame(sc_status()) + b"\r")
    with pytest.raises(Sip2DecodeError):
        decode(junk)


def test_no_reply_commands_are_ignored_and_not_applied(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(no_reply_commands=frozenset({"11"}))
    sip.send_raw(sip.frame(checkout(ANNA, BOOK)) + b"\r")
    sip.sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        sip.read_raw()
    assert emulator.data.items[BOOK].loan is None


def test_a_lost_reply_is_applied_and_a_resent_frame_gets_it(emulator: Sip2Emulator, sip: SipClient) -> None:
    emulator.update_quirks(lost_reply_commands=frozenset({"11"}))
    frame = sip.frame(checkout(ANNA, BOOK, renewal_policy="Y")) + b"\r"
    sip.send_raw(frame)
    sip.sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        sip.read_raw()
    emulator.update_quirks(lost_reply_commands=frozenset())
    sip.sock.settimeout(5)
    assert decode(sip.exchange_raw(frame)).fixed["ok"] == "1"
    loan = emulator.data.items[BOOK].loan
    assert loan is not None and loan.renewals == 0


def test_quirks_are_validated() -> None:
    with pytest.raises(ValueError, match="encoding"):
        Quirks(encoding="klingon")
    with pytest.raises(ValueError, match="drop_after"):
        Quirks(drop_after=0)


# ---------------------------------------------------------------- server

def test_several_clients_at_once_share_the_state(emulator: Sip2Emulator, connect: Connect) -> None:
    clients = [connect() for _ in range(5)]
    items = [BOOK, BOOK2, DVD_SET, BOOK, BOOK2]  # the last two are already lent by then: refused
    results: dict[int, str] = {}

    def work(n: int) -> None:
        clients[n].login()
        for _ in range(5):
            clients[n].request(sc_status())
        results[n] = clients[n].request(checkout(ANNA, items[n])).fixed["ok"]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results.values()) == ["0", "0", "1", "1", "1"]
    assert sum(1 for t in emulator.transactions if t.command == "11" and t.ok) == 3
    assert all(emulator.data.items[i].loan is not None for i in (BOOK, BOOK2, DVD_SET))


def test_stop_closes_open_connections(make_emulator: EmulatorFactory, connect: Connect) -> None:
    server = make_emulator()
    address = server.address
    client = connect(server)
    client.login()
    server.stop()
    assert client.is_closed()
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=1).close()


def test_state_is_saved_after_each_change_and_reloads(make_emulator: EmulatorFactory, connect: Connect,
                                                      tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = make_emulator(state_path=state)
    client = connect(server)
    client.login()
    client.request(checkout(ANNA, BOOK))
    server.stop()
    reloaded = load_data(state)
    loan = reloaded.items[BOOK].loan
    assert loan is not None and loan.patron_id == ANNA
    again = connect(make_emulator(reloaded))
    again.login()
    assert again.request(checkin(BOOK)).get("AA") == ANNA


def test_save_state_on_request(emulator: Sip2Emulator, sip: SipClient, tmp_path: Path) -> None:
    sip.request(checkout(ANNA, BOOK2))
    emulator.save_state(tmp_path / "saved.json")
    assert load_data(tmp_path / "saved.json").items[BOOK2].loan is not None


# ---------------------------------------------------------------- TLS

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory)


def test_tls_wraps_the_same_protocol(make_emulator: EmulatorFactory, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server = make_emulator(tls_context=server_context)
    client_context = ssl.create_default_context(cafile=str(cert))
    raw = socket.create_connection(server.address, timeout=5)
    client = SipClient(server.address, sock=client_context.wrap_socket(raw, server_hostname="localhost"))
    try:
        assert client.login().fixed["ok"] == "1"
        assert client.request(sc_status()).get("AO") == INSTITUTION
    finally:
        client.close()


# ---------------------------------------------------------------- CLI

def test_the_cli_listens_answers_and_stops_on_sigterm(seed_file: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    command = [sys.executable, "-m", "sync.lms_emulator", "--port", "0", "--data", str(seed_file),
               "--state", str(state), "--crlf", "--institution", "DK-TEST"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("listening on 127.0.0.1:")
            client = SipClient(("127.0.0.1", int(line.rsplit(":", 1)[1])))
            client.send_raw(encode(login(), sequence=0) + b"\r")
            assert client.read_raw(b"\r\n") == b"941AY0AZFDFD\r\n"
            client.send_raw(encode(checkout(ANNA, BOOK), sequence=1) + b"\r")
            reply = decode(client.read_raw(b"\r\n"))
            assert reply.get("AO") == "DK-TEST" and reply.fixed["ok"] == "1"
            client.close()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert load_data(state).items[BOOK].loan is not None


def test_the_cli_reports_bad_data_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[items]]\ntitle = "no id"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sync.lms_emulator", "--port", "0", "--data", str(bad)],
        cwd=REPO, capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2
    assert "bad.toml: items[0].id: missing" in result.stderr


def test_the_cli_serves_tls_with_a_certificate_and_key(seed_file: Path,
                                                       certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    command = [sys.executable, "-m", "sync.lms_emulator", "--port", "0", "--data", str(seed_file),
               "--tls-cert", str(cert), "--tls-key", str(key)]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}) as process:
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline().strip().rsplit(":", 1)[1])
            context = ssl.create_default_context(cafile=str(cert))
            raw = socket.create_connection(("127.0.0.1", port), timeout=5)
            tls = context.wrap_socket(raw, server_hostname="localhost")
            client = SipClient(("127.0.0.1", port), sock=tls)
            assert client.login().fixed["ok"] == "1"
            client.close()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
