"""The SIP2 codec: checksums over encoded bytes, every layout in the catalogue, real wire frames,
vendor fields, delimiters in values, dates, and the errors a bad frame gives.

Wire examples and worked checksums are from ../shared/research/sip2.md (§1.3, §2, §3.3-3.10).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest

from sync.sip2.codec import (
    BLANK_DATE,
    ChecksumError,
    Message,
    Sip2DecodeError,
    Sip2EncodeError,
    checksum,
    decode,
    encode,
    format_date,
    frame,
    message,
    parse_date,
    parse_due_date,
)
from sync.sip2.spec import MESSAGES, MessageSpec

DATE = "20260312    101500"
TITLE_DA = "Blæksprutten på Ærø og Møn"


def with_checksum(text: str, encoding: str = "ascii") -> bytes:
    """``text`` (ending in ``AZ``) plus its checksum, computed here from the spec's rule."""
    body = text.encode(encoding)
    return body + f"{(0x10000 - sum(body) % 0x10000) % 0x10000:04X}".encode("ascii")


def fixed_values(spec: MessageSpec) -> dict[str, str]:
    """A distinct, recognisable value of exactly the right length for each fixed field."""
    values = {}
    for index, (name, length) in enumerate(spec.fixed):
        values[name] = (f"{index % 10}" + name.upper().replace("_", ""))[:length].ljust(length, "x")
    return values


@pytest.fixture
def copenhagen() -> Iterator[None]:
    """Local time is Europe/Copenhagen (UTC+1 in March) for the duration of the test."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "Europe/Copenhagen")
    time.tzset()
    yield
    mp.undo()
    time.tzset()


# --- checksum -----------------------------------------------------------------------------------


def test_checksum_of_the_spec_worked_example() -> None:
    assert checksum(b"9900802.00AY1AZ") == "FCA0"
    assert encode(message("99", {"status_code": "0", "max_print_width": "080",
                                 "protocol_version": "2.00"}), sequence=1) == b"9900802.00AY1AZFCA0"


def test_checksum_of_the_checkin_example_from_the_sip2_client_source() -> None:
    data = b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ"
    assert sum(data) & 0xFFFF == 0x1480
    assert checksum(data) == "EB80"


def test_resend_requests_carry_an_az_without_an_ay() -> None:
    assert encode(message("97")) == b"97AZFEF5"
    assert encode(message("96")) == b"96AZFEF6"
    assert decode(b"97AZFEF5").command == "97"
    resend = decode(b"96AZFEF6")
    assert (resend.command, resend.sequence, resend.checksum) == ("96", None, "FEF6")


def test_checksum_below_0x1000_is_zero_padded_to_four_digits() -> None:
    for length in range(400, 1200):
        wire = encode(message("64", fixed_values(MESSAGES["64"]), [("AF", "z" * length)]), sequence=3)
        if int(wire[-4:], 16) < 0x1000:
            break
    else:
        pytest.fail("no AF length gave a checksum below 0x1000")
    assert wire[-6:-4] == b"AZ"
    assert re.fullmatch(rb"0[0-9A-F]{3}", wire[-4:])
    assert decode(wire).get("AF") == "z" * length


def test_checksum_is_written_in_upper_case() -> None:
    wire = encode(message("23", {"language": "000", "transaction_date": DATE},
                          [("AO", "MAIN"), ("AA", "23000000000001"), ("AC", ""), ("AD", "1234")]),
                  sequence=4)
    digits = wire[-4:].decode("ascii")
    assert digits == digits.upper()
    assert digits == checksum(wire[:-4])


def test_lower_case_checksum_is_accepted_on_input() -> None:
    decoded = decode(b"9900802.00AY1AZfca0")
    assert decoded.sequence == 1
    assert decoded.checksum == "FCA0"


def test_checksum_mismatch_is_a_checksum_error() -> None:
    with pytest.raises(ChecksumError):
        decode(b"9900802.00AY1AZFCA1")


def test_checksum_mismatch_is_ignored_when_not_verifying() -> None:
    assert decode(b"9900802.00AY1AZFCA1", verify=False).fixed["protocol_version"] == "2.00"


# --- checksum over encoded bytes ----------------------------------------------------------------


def _checkout_response(title: str) -> Message:
    return message("12", {"ok": "1", "renewal_ok": "N", "magnetic_media": "N", "desensitize": "Y",
                          "transaction_date": DATE},
                   [("AO", "MAIN"), ("AA", "23000000000001"), ("AB", "39000000000011"),
                    ("AJ", title), ("AH", "20260402    235900")])


def test_a_danish_title_gives_different_bytes_and_checksums_in_cp850_and_utf8() -> None:
    cp850 = encode(_checkout_response(TITLE_DA), encoding="cp850", sequence=2)
    utf8 = encode(_checkout_response(TITLE_DA), encoding="utf-8", sequence=2)
    assert "æ".encode("cp850") in cp850 and "æ".encode() in utf8
    assert cp850[:-4] != utf8[:-4]
    assert cp850[-4:] != utf8[-4:]
    assert decode(cp850, encoding="cp850").get("AJ") == TITLE_DA
    assert decode(utf8, encoding="utf-8").get("AJ") == TITLE_DA


def test_a_checksum_only_verifies_the_bytes_of_its_own_encoding() -> None:
    cp850 = encode(_checkout_response(TITLE_DA), encoding="cp850", sequence=2)
    utf8 = encode(_checkout_response(TITLE_DA), encoding="utf-8", sequence=2)
    with pytest.raises(ChecksumError):
        decode(cp850[:-4] + utf8[-4:], encoding="cp850")
    with pytest.raises(ChecksumError):
        decode(utf8[:-4] + cp850[-4:], encoding="utf-8")


def test_a_checksum_computed_over_characters_fails_for_non_ascii() -> None:
    # The PyPI sip2 client sums ord() of characters (research §1.1); that is not the byte sum.
    body = encode(_checkout_response(TITLE_DA), encoding="cp850", error_detection=False) + b"AY2AZ"
    by_characters = f"{(-sum(map(ord, body.decode('cp850')))) & 0xFFFF:04X}".encode()
    with pytest.raises(ChecksumError):
        decode(body + by_characters, encoding="cp850")


def test_a_title_that_cp850_cannot_hold_is_refused_by_encode() -> None:
    with pytest.raises(Sip2EncodeError):
        encode(_checkout_response("Κάφκα"), encoding="cp850")


def test_utf8_bytes_read_as_cp850_verify_but_give_mojibake() -> None:
    utf8 = encode(_checkout_response(TITLE_DA), encoding="utf-8", sequence=2)
    assert decode(utf8, encoding="cp850").get("AJ") != TITLE_DA


# --- the catalogue: every layout round-trips ----------------------------------------------------


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_layout_in_the_catalogue_round_trips(code: str) -> None:
    spec = MESSAGES[code]
    fixed = fixed_values(spec)
    fields = [] if code in ("96", "97") else [("AO", "MAIN"), ("AF", "Hej"), ("AF", "igen")]
    original = message(code, fixed, fields)

    wire = encode(original, sequence=7)
    decoded = decode(wire)

    assert decoded.command == code
    assert list(decoded.fixed) == [name for name, _ in spec.fixed]
    assert decoded.fixed == fixed
    assert decoded.fields == fields
    assert decoded.sequence == 7


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_fixed_fields_are_written_in_spec_order_right_after_the_command(code: str) -> None:
    spec = MESSAGES[code]
    fixed = fixed_values(spec)
    wire = encode(message(code, fixed), error_detection=False).decode("cp850")
    assert wire == code + "".join(fixed[name] for name, _ in spec.fixed)


@pytest.mark.parametrize(("code", "length"), [
    ("11", 38), ("12", 22), ("09", 37), ("10", 22), ("63", 31), ("64", 59), ("98", 34),
    ("93", 2), ("99", 8), ("23", 21), ("24", 35), ("17", 18), ("18", 24), ("29", 38), ("35", 18),
])
def test_fixed_part_lengths_match_the_spec(code: str, length: int) -> None:
    assert MESSAGES[code].fixed_length == length


@pytest.mark.parametrize("code", sorted(c for c, s in MESSAGES.items() if s.response))
def test_every_request_names_a_response_in_the_catalogue(code: str) -> None:
    response = MESSAGES[code].response
    assert response in MESSAGES


def test_a_short_fixed_value_is_padded_with_blanks() -> None:
    wire = encode(message("11", {"sc_renewal_policy": "Y", "no_block": "N", "transaction_date": DATE},
                          [("AO", "MAIN")]), error_detection=False)
    assert wire == b"11YN" + DATE.encode() + b" " * 18 + b"AOMAIN|"


def test_a_fixed_value_longer_than_its_field_is_refused() -> None:
    with pytest.raises(Sip2EncodeError):
        encode(message("99", {"status_code": "00", "max_print_width": "080", "protocol_version": "2.00"}))


def test_unknown_command_and_bad_field_codes_are_refused_by_encode() -> None:
    with pytest.raises(Sip2EncodeError):
        encode(message("55"))
    for code in ("AY", "AZ", "a1", "A", "ABC", "1A"):
        with pytest.raises(Sip2EncodeError):
            encode(message("99", fixed_values(MESSAGES["99"]), [(code, "x")]))


# --- realistic wire frames ----------------------------------------------------------------------


def test_login_and_login_response_from_the_pysip2_session() -> None:
    login = decode(with_checksum("9300CNkiosk|COsecret|CPKIOSK1|AY0AZ"))
    assert login.fixed == {"uid_algorithm": "0", "pwd_algorithm": "0"}
    assert login.fields == [("CN", "kiosk"), ("CO", "secret"), ("CP", "KIOSK1")]
    ok = decode(b"941AY0AZFDFD")
    assert ok.flag("ok")
    assert ok.sequence == 0


def test_acs_status_with_supported_messages() -> None:
    wire = with_checksum("98YYYNNY030003" + DATE + "2.00AOMAIN|AMTest Library|BXNYYNYYYYNNNNNNNN|AY1AZ")
    status = decode(wire)
    assert status.fixed == {
        "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "acs_renewal_policy": "N",
        "status_update_ok": "N", "offline_ok": "Y", "timeout_period": "030", "retries_allowed": "003",
        "date_time_sync": DATE, "protocol_version": "2.00",
    }
    assert status.get("BX") == "NYYNYYYYNNNNNNNN"
    assert status.get("AM") == "Test Library"


def test_offline_checkout_request_from_dp2_with_blank_nb_due_date() -> None:
    wire = b"11YN20170630    141135" + b" " * 18 + b"AOdp2Library|AAR0000001|AB0000001|AC|BON|"
    checkout = decode(wire)
    assert checkout.fixed["sc_renewal_policy"] == "Y"
    assert checkout.fixed["no_block"] == "N"
    assert checkout.fixed["nb_due_date"] == BLANK_DATE
    assert parse_date(checkout.fixed["nb_due_date"]) is None
    assert checkout.get("AC") == "" and checkout.has("AC")
    assert checkout.sequence is None and checkout.checksum is None


def test_checkout_response_from_evergreen() -> None:
    wire = with_checksum("121NNY20261208    135505AOgapines|AA999999|AB1565921879|AJPerl 5 desktop "
                         "reference|AH20261208    135505|CK001|AY2AZ")
    checkout = decode(wire)
    assert checkout.fixed == {"ok": "1", "renewal_ok": "N", "magnetic_media": "N", "desensitize": "Y",
                              "transaction_date": "20261208    135505"}
    assert checkout.get("AJ") == "Perl 5 desktop reference"
    assert parse_due_date(checkout.get("AH")) is not None
    assert checkout.get("CK") == "001"


def test_checkin_response_with_koha_extensions_keeps_them_in_order() -> None:
    wire = with_checksum("101YNY" + DATE + "AOMAIN|AB39000000000011|AQMAIN|AJMoby Dick|CLA1|CV02|"
                         "CTBRANCH2|CY23000000000002|DAJensen, Søren|CS823 Mel|CRADULT|AY5AZ", "cp850")
    checkin = decode(wire)
    assert checkin.flag("alert")
    assert [code for code, _ in checkin.fields] == [
        "AO", "AB", "AQ", "AJ", "CL", "CV", "CT", "CY", "DA", "CS", "CR"]
    assert checkin.get("DA") == "Jensen, Søren"
    assert checkin.get("CV") == "02"


def test_patron_information_with_evergreen_extensions_and_charged_items() -> None:
    wire = with_checksum("64" + " " * 14 + "000" + DATE + "0000000000030000" + "0000" + "0000"
                         + "AOMAIN|AA23000000000001|AEJürgen Müller|BLY|CQY|BHDKK|BV0.00|"
                         + "AU39000000000011|AU39000000000012|AU39000000000013|"
                         + "PA20301231|PB19800101|PCADULT|PIY|XI4711|ZZwhatever|AFVelkommen|AY3AZ",
                         "cp850")
    patron = decode(wire)
    assert patron.fixed["charged_items_count"] == "0003"
    assert patron.fixed["patron_status"] == " " * 14
    assert patron.get("AE") == "Jürgen Müller"
    assert patron.getall("AU") == ["39000000000011", "39000000000012", "39000000000013"]
    assert [c for c, _ in patron.fields if c in ("PA", "PB", "PC", "PI", "XI", "ZZ")] == [
        "PA", "PB", "PC", "PI", "XI", "ZZ"]
    assert patron.get("ZZ") == "whatever"
    assert patron.flag("patron_status") is False


def test_unknown_vendor_fields_survive_a_round_trip_in_order() -> None:
    fields = [("AO", "MAIN"), ("CV", "01"), ("AU", "1"), ("CT", "X"), ("AU", "2"), ("CY", "p"),
              ("DA", "n"), ("CS", "c"), ("CR", "r"), ("PB", "19800101"), ("PC", "A"), ("XI", "7"),
              ("ZZ", ""), ("AU", "3")]
    decoded = decode(encode(message("64", fixed_values(MESSAGES["64"]), fields), sequence=0))
    assert decoded.fields == fields
    assert decoded.getall("AU") == ["1", "2", "3"]


def test_a_frame_with_its_terminator_decodes() -> None:
    wire = frame(b"941AY0AZFDFD")
    assert wire == b"941AY0AZFDFD\r"
    assert decode(wire).flag("ok")
    assert decode(b"941AY0AZFDFD\r\n").flag("ok")
    assert decode(b"\n941AY0AZFDFD\r").flag("ok")


def test_item_information_response_reports_circulation_status() -> None:
    wire = with_checksum("18040001" + DATE + "AH20260402    235900|AB39000000000011|AJMoby Dick|AY6AZ")
    item = decode(wire)
    assert item.fixed["circulation_status"] == "04"
    assert item.fixed["security_marker"] == "00"
    assert item.fixed["fee_type"] == "01"


# --- delimiters and line breaks in values -------------------------------------------------------


@pytest.mark.parametrize("value", ["a|b", "line\rbreak", "line\nbreak", "|"])
def test_a_variable_value_with_the_delimiter_or_a_line_break_is_refused(value: str) -> None:
    with pytest.raises(Sip2EncodeError):
        encode(message("35", {"transaction_date": DATE}, [("AO", "MAIN"), ("AA", value)]))


@pytest.mark.parametrize("value", ["a|", "\r", "\n"])
def test_a_fixed_value_with_the_delimiter_or_a_line_break_is_refused(value: str) -> None:
    with pytest.raises(Sip2EncodeError):
        encode(message("23", {"language": value, "transaction_date": DATE}))


def test_decode_joins_a_delimiter_inside_a_value_to_the_previous_field() -> None:
    wire = with_checksum("10YYNN" + DATE + "AOMAIN|AB1|AQMAIN|AFLate fee 10 kr|paid at desk|AG1|AY1AZ")
    checkin = decode(wire)
    assert checkin.getall("AF") == ["Late fee 10 kr|paid at desk"]
    assert [c for c, _ in checkin.fields] == ["AO", "AB", "AQ", "AF", "AG"]


def test_decode_keeps_an_empty_segment_inside_a_value() -> None:
    checkin = decode(b"10YYNN" + DATE.encode() + b"AOMAIN|AFa||b|AB1|")
    assert checkin.get("AF") == "a||b"
    assert checkin.get("AB") == "1"


def test_a_message_without_a_final_delimiter_keeps_its_last_field() -> None:
    assert decode(b"10YYNN" + DATE.encode() + b"AOMAIN|AB1").get("AB") == "1"


# --- dates --------------------------------------------------------------------------------------


def test_local_date_has_a_blank_zone(copenhagen: None) -> None:
    assert format_date(dt.datetime(2026, 3, 12, 10, 15)) == "20260312    101500"
    aware = dt.datetime(2026, 3, 12, 9, 15, tzinfo=dt.UTC).astimezone()
    assert format_date(aware.astimezone(dt.timezone(dt.timedelta(hours=5)))) == "20260312    101500"


def test_utc_date_has_z_in_the_last_zone_position() -> None:
    assert format_date(dt.datetime(2026, 3, 12, 9, 15, tzinfo=dt.UTC)) == "20260312   Z091500"


def test_no_date_is_eighteen_blanks() -> None:
    assert format_date(None) == " " * 18 == BLANK_DATE


def test_parse_local_date(copenhagen: None) -> None:
    parsed = parse_date("20260312    101500")
    assert parsed is not None
    assert parsed.astimezone(dt.UTC) == dt.datetime(2026, 3, 12, 9, 15, tzinfo=dt.UTC)


def test_parse_utc_date(copenhagen: None) -> None:
    assert parse_date("20260312   Z091500") == dt.datetime(2026, 3, 12, 9, 15, tzinfo=dt.UTC)


def test_date_round_trips_through_the_wire_format(copenhagen: None) -> None:
    when = dt.datetime(2026, 7, 1, 23, 59, 58, tzinfo=dt.UTC)
    assert parse_date(format_date(when)) == when
    local = dt.datetime(2026, 7, 1, 23, 59, 58).astimezone()
    assert parse_date(format_date(local)) == local


@pytest.mark.parametrize("text", [" " * 18, "0" * 18, "00000000    000000", "", "2026", "garbage!" * 3,
                                  "20261301    101500", "2026031x    101500"])
def test_blank_zero_or_unreadable_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("08.06.2016", dt.datetime(2016, 6, 8)),
    ("5/23/2008,23:59", dt.datetime(2008, 5, 23, 23, 59)),
    ("2026-04-02", dt.datetime(2026, 4, 2)),
    ("2026-04-02 23:59:00", dt.datetime(2026, 4, 2, 23, 59)),
    ("20260402   Z235900", dt.datetime(2026, 4, 2, 23, 59, tzinfo=dt.UTC)),
])
def test_free_form_due_dates_parse(text: str, expected: dt.datetime) -> None:
    assert parse_due_date(text) == expected


def test_a_due_date_in_sip_format_is_local_time(copenhagen: None) -> None:
    parsed = parse_due_date("20260402    235900")
    assert parsed is not None
    assert parsed.utcoffset() == dt.timedelta(hours=2)
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == (2026, 4, 2, 23, 59)


@pytest.mark.parametrize("text", ["", "   ", "next tuesday", "32.13.2016", "2016/06/08 noon"])
def test_unknown_due_date_formats_are_none(text: str) -> None:
    assert parse_due_date(text) is None


# --- decode errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("wire", "error"), [
    (b"", Sip2DecodeError),
    (b"\r", Sip2DecodeError),
    (b"9", Sip2DecodeError),
    (b"99008", Sip2DecodeError),
    (b"12" + b"1NNY2026", Sip2DecodeError),
    (b"55hello", Sip2DecodeError),
    (b"XX00802.00", Sip2DecodeError),
    (b"9A00802.00", Sip2DecodeError),
    (b"9900802.00AY1AZFCA1", ChecksumError),
    (b"941AY0AZFDFE", ChecksumError),
])
def test_bad_frames_give_the_right_decode_error(wire: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(wire)


def test_a_checksum_error_is_a_decode_error() -> None:
    assert issubclass(ChecksumError, Sip2DecodeError)


def test_only_a_checksum_problem_is_a_checksum_error() -> None:
    for wire in (b"", b"55hello", b"99008"):
        with pytest.raises(Sip2DecodeError) as error:
            decode(wire)
        assert not isinstance(error.value, ChecksumError)


def test_bytes_that_are_not_valid_utf8_are_a_decode_error() -> None:
    with pytest.raises(Sip2DecodeError):
        decode(b"941\xff|", encoding="utf-8")


def test_garbage_before_the_first_field_is_a_decode_error() -> None:
    with pytest.raises(Sip2DecodeError):
        decode(b"941garbage|AOx|")
