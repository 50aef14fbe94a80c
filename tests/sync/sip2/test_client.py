"""The SIP2 client on the wire: login order, error detection, retries, reconciliation, TLS."""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path

import pytest

from kiosk.domain.errors import LmsOutcomeUnknown
from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.settings import Sip2Settings
from sync.sip2.client import Sip2Client
from sync.sip2.codec import decode, format_date, message
from sync.sip2.errors import Sip2ProtocolError, Sip2Timeout, Sip2TlsError
from sync.sip2.library import Sip2LibrarySystem
from tests.sync.sip2.scripted_acs import CLOSE, Connection, ScriptedAcs, make_certificate, reply, standard

DATE = format_date(None).replace(" ", "0")


def checkout_ok(request: bytes, title: str = "Kongens Fald") -> bytes:
    req = decode(request, verify=False)
    return reply(message("12", {"ok": "1", "renewal_ok": "N", "magnetic_media": "N",
                                "desensitize": "Y", "transaction_date": DATE},
                         [("AO", "DK"), ("AA", req.get("AA")), ("AB", req.get("AB")), ("AJ", title),
                          ("AH", "20261223    235959")]), request)


def item_charged(request: bytes) -> bytes:
    req = decode(request, verify=False)
    return reply(message("18", {"circulation_status": "04", "security_marker": "00",
                                "fee_type": "01", "transaction_date": DATE},
                         [("AB", req.get("AB")), ("AJ", "Kongens Fald"), ("AH", "20261223    235959")]),
                 request)


def account(port: int, **changes: object) -> Sip2Settings:
    base: dict[str, object] = dict(host="127.0.0.1", port=port, user="kiosk", password="s3cret",
                                   institution="DK-775100", location="hovedbiblioteket",
                                   timeout_s=0.5, retries=2, keepalive_s=0)
    base.update(changes)
    return Sip2Settings(**base)  # type: ignore[arg-type]


def serve(servers: list[ScriptedAcs], handler: object, **kw: object) -> ScriptedAcs:
    server = ScriptedAcs(handler, **kw).start()  # type: ignore[arg-type]
    servers.append(server)
    return server


def test_login_then_status_with_protocol_2_00(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: standard(req))
    client = Sip2Client(account(acs.port))
    status = client.connect()
    client.close()
    assert status.flag("online_status")
    assert acs.frames[0] == b"9300CNkiosk|COs3cret|CPhovedbiblioteket|AY0AZEF8C"
    assert acs.frames[1].startswith(b"9900802.00AY1AZ")


def test_a_bad_checksum_is_answered_with_97_and_the_resent_reply_accepted(
        servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11"):
            good = checkout_ok(req)
            return good[:-5] + b"0000\r"  # corrupt the checksum
        if req == b"97AZFEF5":
            last = [f for f in conn.received if f.startswith(b"11")][-1]
            return checkout_ok(last)
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    result = lms.checkout("1000000001", "5010000001")
    assert result.ok and result.title == "Kongens Fald"
    assert b"97AZFEF5" in acs.frames
    assert sum(f.startswith(b"11") for f in acs.frames) == 1


def test_the_answer_to_97_may_carry_any_sequence_number(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"17"):
            return b"18garbage\r"
        if req == b"97AZFEF5":
            last = [f for f in conn.received if f.startswith(b"17")][-1]
            return reply(decode(item_charged(last)), sequence=0)  # Koha and Evergreen send AY0
        return standard(req)

    acs = serve(servers, handler)
    item = Sip2LibrarySystem(Sip2Client(account(acs.port))).item_info("5010000001")
    assert item.circulation_status == "charged"


def test_96_makes_the_client_send_the_same_frame_again(servers: list[ScriptedAcs]) -> None:
    seen: list[bytes] = []

    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11"):
            seen.append(req)
            return b"96AZFEF6\r" if len(seen) == 1 else checkout_ok(req)
        return standard(req)

    acs = serve(servers, handler)
    assert Sip2LibrarySystem(Sip2Client(account(acs.port))).checkout("1", "5010000001").ok
    assert len(seen) == 2 and seen[0] == seen[1]


def test_a_reply_with_another_sequence_number_is_discarded(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | list[bytes] | None:
        if req.startswith(b"17"):
            stale = decode(item_charged(req))
            stale.fields = [("AB", "someone-else")]
            sequence = decode(req, verify=False).sequence
            assert sequence is not None
            return [reply(stale, sequence=(sequence + 5) % 10), item_charged(req)]
        return standard(req)

    acs = serve(servers, handler)
    item = Sip2LibrarySystem(Sip2Client(account(acs.port))).item_info("5010000001")
    assert item.item_id == "5010000001"


def test_a_slow_checkout_is_resent_as_the_same_frame_never_as_a_new_one(
        servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11"):
            if sum(f.startswith(b"11") for f in conn.received) == 1:
                return None  # too slow: no answer to the first one
            return checkout_ok(req)
        return standard(req)

    acs = serve(servers, handler)
    assert Sip2LibrarySystem(Sip2Client(account(acs.port))).checkout("1", "5010000001").ok
    checkouts = [f for f in acs.frames if f.startswith(b"11")]
    assert len(checkouts) == 2 and checkouts[0] == checkouts[1]  # same AY, same checksum


def test_without_error_detection_a_lost_answer_is_reconciled_not_resent(
        servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11"):
            return None  # applied by the LMS, but the answer never comes
        if req.startswith(b"17"):
            return item_charged(req)
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port, error_detection=False)))
    result = lms.checkout("1000000001", "5010000001")
    assert result.ok and result.title == "Kongens Fald"
    assert sum(f.startswith(b"11") for f in acs.frames) == 1
    assert any(f.startswith(b"17") for f in acs.frames)
    assert not any(b"AY" in f for f in acs.frames)


def test_a_connection_dropped_mid_checkout_is_reconciled_on_a_new_connection(
        servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11"):
            return CLOSE
        if req.startswith(b"17"):
            return item_charged(req)
        return standard(req)

    acs = serve(servers, handler)
    result = Sip2LibrarySystem(Sip2Client(account(acs.port))).checkout("1", "5010000001")
    assert result.ok
    assert sum(f.startswith(b"11") for f in acs.frames) == 1
    assert [f[:2] for f in acs.connections[1].received] == [b"93", b"99", b"17"]


def test_a_dropped_item_lookup_is_simply_retried_after_reconnecting(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"17") and conn.number == 1:
            return CLOSE
        if req.startswith(b"17"):
            return item_charged(req)
        return standard(req)

    acs = serve(servers, handler)
    assert Sip2LibrarySystem(Sip2Client(account(acs.port))).item_info("5010000001").title
    assert len(acs.connections) == 2


@pytest.mark.parametrize("terminator", [b"\r", b"\r\n", b"\n"])
def test_cr_crlf_and_lf_replies_are_all_read(servers: list[ScriptedAcs], terminator: bytes) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        answer = item_charged(req) if req.startswith(b"17") else standard(req)
        return answer[:-1] + terminator if answer else None

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    assert lms.item_info("1").circulation_status == "charged"
    assert lms.item_info("2").circulation_status == "charged"


def test_a_long_reply_arriving_in_pieces_is_read_whole(servers: list[ScriptedAcs]) -> None:
    items = [f"50100{i:05d}" for i in range(300)]

    def handler(req: bytes, conn: Connection) -> bytes | list[bytes] | None:
        if req.startswith(b"63"):
            fields = [("AO", "DK"), ("AA", "1"), ("AE", "Jensen, Anna"), ("BL", "Y"), ("CQ", "Y")]
            full = reply(message("64", {"patron_status": " " * 14, "language": "000",
                                        "transaction_date": DATE, "hold_items_count": "0000",
                                        "overdue_items_count": "0000", "charged_items_count": "0300",
                                        "fine_items_count": "0000", "recall_items_count": "0000",
                                        "unavailable_holds_count": "0000"},
                                 fields + [("AU", i) for i in items]), req)
            return [full[i:i + 100] for i in range(0, len(full), 100)]
        return standard(req)

    acs = serve(servers, handler)
    client = Sip2Client(account(acs.port))
    answer = client.request(message("63", {"language": "000", "transaction_date": DATE,
                                           "summary": "  Y       "}, [("AO", "DK"), ("AA", "1")]))
    assert answer.getall("AU") == items


def test_danish_text_survives_in_each_encoding(servers: list[ScriptedAcs]) -> None:
    for encoding in ("cp850", "utf-8"):
        def handler(req: bytes, conn: Connection, encoding: str = encoding) -> bytes | None:
            if req.startswith(b"17"):
                return reply(message("18", {"circulation_status": "03", "security_marker": "00",
                                            "fee_type": "01", "transaction_date": DATE},
                                     [("AB", "1"), ("AJ", "Æblet falder ikke langt fra stammen, øå ÆØÅ")]),
                             req, encoding=encoding)
            return standard(req)

        acs = serve(servers, handler)
        lms = Sip2LibrarySystem(Sip2Client(account(acs.port, encoding=encoding)))
        assert lms.item_info("1").title == "Æblet falder ikke langt fra stammen, øå ÆØÅ"


def test_endless_garbage_ends_in_a_protocol_error(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: b"xx\x00\xff garbage\r" if req.startswith(b"17")
                or req == b"97AZFEF5" else standard(req))
    with pytest.raises(Sip2ProtocolError):
        Sip2LibrarySystem(Sip2Client(account(acs.port))).item_info("1")


def test_silence_ends_in_a_timeout_after_the_retries(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: None if req.startswith(b"17") else standard(req))
    started = time.monotonic()
    with pytest.raises(Sip2Timeout):
        Sip2LibrarySystem(Sip2Client(account(acs.port, timeout_s=0.3, retries=2))).item_info("1")
    assert time.monotonic() - started < 5
    assert sum(f.startswith(b"17") for f in acs.frames) == 3


def patron_info(req: bytes, *extra: tuple[str, str]) -> bytes:
    counts = dict.fromkeys(("hold_items_count", "overdue_items_count", "charged_items_count",
                            "fine_items_count", "recall_items_count", "unavailable_holds_count"), "0000")
    return reply(message("64", {"patron_status": " " * 14, "language": "000", "transaction_date": DATE,
                                **counts},
                         [("AO", "DK"), ("AA", "1"), ("AE", "Jensen, Anna"), ("BL", "Y"), *extra]), req)


def test_wrong_pin_needs_cq_and_a_blank_cq_is_a_no(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"63"):
            cq = [] if b"AD9999" in req else [("CQ", "Y")]
            return patron_info(req, *cq, ("PB", "19880412"), ("ZU", "Y"))
        return standard(req)

    acs = serve(servers, handler)
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port)))
    card = Credential(CredentialKind.CARD_UID, "1")
    assert lms.authenticate_patron(card, "9999").outcome is AuthOutcome.WRONG_PIN
    good = lms.authenticate_patron(card, "1234")
    assert good.outcome is AuthOutcome.OK and good.patron is not None
    assert good.patron.birth_date is not None and good.patron.birth_date.year == 1988
    assert ("ZU", "Y") in good.patron.extra
    sent = [f for f in acs.frames if f.startswith(b"63")]
    assert b"|AD1234|" in sent[1] and b"AC|" in sent[1]


def test_tls_verifies_the_certificate_and_never_falls_back_to_plain_text(
        servers: list[ScriptedAcs], tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    acs = serve(servers, lambda req, conn: standard(req), tls=context)

    with pytest.raises(Sip2TlsError):
        Sip2Client(account(acs.port, tls=True)).connect()  # self-signed: not trusted by default
    assert acs.frames == []  # nothing was sent in clear after the failure

    trusted = Sip2Client(account(acs.port, tls=True, tls_ca_file=cert))
    assert trusted.connect().flag("online_status")
    trusted.close()
    assert acs.frames[0].startswith(b"93")


def test_telnet_style_login_comes_before_sip2(servers: list[ScriptedAcs]) -> None:
    state: dict[str, bytes] = {}

    def handler(req: bytes, conn: Connection) -> bytes | None:
        if "user" not in state:
            state["user"] = req
            return b"password: "
        if "password" not in state:
            state["password"] = req
            return b"Login OK.  Initiating SIP\r\n"
        return standard(req)

    acs = serve(servers, handler, greeting=b"login: ")
    client = Sip2Client(account(acs.port, telnet=True))
    assert client.connect().flag("online_status")
    client.close()
    assert state == {"user": b"kiosk", "password": b"s3cret"}


def test_trace_shows_frames_with_pin_and_password_masked(servers: list[ScriptedAcs]) -> None:
    from kiosk.domain.logs import redact

    lines: list[str] = []
    acs = serve(servers, lambda req, conn: standard(req) or patron_info(req, ("CQ", "Y")))
    client = Sip2Client(account(acs.port), trace=lambda d, f: lines.append(redact(f"{d} {f.decode()}")))
    client.request(message("63", {"language": "000", "transaction_date": DATE, "summary": " " * 10},
                           [("AO", "DK"), ("AA", "1"), ("AD", "4321")]))
    text = "\n".join(lines)
    assert "s3cret" not in text and "4321" not in text
    assert "CN" in text and "AA1" in text


def test_requests_from_many_threads_each_get_their_own_answer(servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: item_charged(req) if req.startswith(b"17") else standard(req))
    lms = Sip2LibrarySystem(Sip2Client(account(acs.port, timeout_s=2)))
    results: dict[str, str] = {}

    def look(item_id: str) -> None:
        results[item_id] = lms.item_info(item_id).item_id

    threads = [threading.Thread(target=look, args=(f"item{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {f"item{i}": f"item{i}" for i in range(16)}
    assert len(acs.connections) == 1


def test_keepalive_sends_status_and_reconnects_after_an_idle_drop(servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"99") and conn.number == 1 and sum(f.startswith(b"99") for f in
                                                              conn.received) == 2:
            return CLOSE  # the server drops idle connections
        return standard(req)

    acs = serve(servers, handler)
    client = Sip2Client(account(acs.port, keepalive_s=0.2))
    client.connect()
    client.start_keepalive()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(acs.connections) < 2:
        time.sleep(0.05)
    client.close()
    assert len(acs.connections) >= 2
    assert [f[:2] for f in acs.connections[1].received][:2] == [b"93", b"99"]


def test_a_refused_login_is_not_tried_again(servers: list[ScriptedAcs]) -> None:
    from sync.sip2.errors import Sip2LoginError

    acs = serve(servers, lambda req, conn: reply(message("94", {"ok": "0"}), req)
                if req.startswith(b"93") else standard(req))
    with pytest.raises(Sip2LoginError):
        Sip2LibrarySystem(Sip2Client(account(acs.port))).item_info("1")
    assert sum(f.startswith(b"93") for f in acs.frames) == 1  # no lock-out of the LMS account


def test_a_garbled_answer_to_a_checkout_is_an_unknown_outcome_and_is_reconciled(
        servers: list[ScriptedAcs]) -> None:
    def handler(req: bytes, conn: Connection) -> bytes | None:
        if req.startswith(b"11") or req == b"97AZFEF5":
            return b"xx\x00\xff garbage\r"  # applied by the LMS, but nothing readable comes back
        if req.startswith(b"17"):
            return item_charged(req)
        return standard(req)

    acs = serve(servers, handler)
    result = Sip2LibrarySystem(Sip2Client(account(acs.port))).checkout("1000000001", "5010000001")
    assert result.ok  # the LMS has the loan: not "not done"
    assert sum(f.startswith(b"11") for f in acs.frames) == 1  # and not sent again
    assert any(f.startswith(b"17") for f in acs.frames)


def test_when_even_the_question_what_became_of_it_fails_the_outcome_is_unknown(
        servers: list[ScriptedAcs]) -> None:
    acs = serve(servers, lambda req, conn: b"xx\x00\xff garbage\r" if req.startswith((b"09", b"17"))
                or req == b"97AZFEF5" else standard(req))
    with pytest.raises(LmsOutcomeUnknown):
        Sip2LibrarySystem(Sip2Client(account(acs.port))).checkin("5010000001")
    assert sum(f.startswith(b"09") for f in acs.frames) == 1
