"""Track 2, the Danish health card layout, and the scan classifier: what becomes a credential."""

from __future__ import annotations

import pytest

from hardware.scanner.classify import ClassifierRules, ScanRefused, classify, mask_cpr
from hardware.scanner.magstripe import (
    MagstripeError,
    encode_track2,
    lrc,
    parse_health_card,
    parse_track2,
)
from hardware.scanner.scanner_sim import health_card_track2, track1
from kiosk.domain.cpr import birth_date as cpr_birth_date
from kiosk.domain.model import CredentialKind

CPR = "0101702345"
# The published example track 2 (dauer/sygesikringskort, SygesikringskortSpec), CPR 0101702345.
PUBLISHED = ";9208100401017023451041173083461010814?"


def test_the_published_example_decodes_field_by_field() -> None:
    card = parse_health_card(parse_track2(PUBLISHED))
    assert (card.card_type, card.nationality, card.usage_area, card.issuer) == ("9", "208", "1", "004")
    assert card.cpr == CPR
    assert (card.insurance_group, card.gp_number, card.region, card.municipality, card.valid_from) == (
        "1", "041173", "083", "461", "010814")


def test_the_cpr_is_at_characters_9_to_18_counted_from_the_start_sentinel() -> None:
    assert PUBLISHED[9:19] == CPR
    assert health_card_track2(CPR) == PUBLISHED


def test_a_swipe_becomes_a_health_card_credential_holding_the_cpr() -> None:
    credential = classify(PUBLISHED)
    assert credential.kind is CredentialKind.HEALTH_CARD
    assert credential.value == CPR
    assert CPR not in repr(credential) and CPR not in str(credential)


@pytest.mark.parametrize(
    "swipe",
    [
        PUBLISHED[1:-1],  # reader drops both sentinels
        PUBLISHED[:-1],  # reader drops the end sentinel
        encode_track2(PUBLISHED[1:-1], with_lrc=True),  # reader passes the LRC on
        f"  {PUBLISHED}\r\n",
        "æ" + PUBLISHED[1:-1] + "_",  # a wedge reader typing through a Danish keyboard layout
        track1() + PUBLISHED,  # a two-track reader: track 1 (name, address) first
        track1() + encode_track2(PUBLISHED[1:-1], with_lrc=True),
    ],
    ids=["no-sentinels", "no-end", "with-lrc", "whitespace", "danish-layout", "track1", "track1-lrc"],
)
def test_readers_that_frame_track_2_differently_all_give_the_cpr(swipe: str) -> None:
    credential = classify(swipe)
    assert (credential.kind, credential.value) == (CredentialKind.HEALTH_CARD, CPR)


def test_the_lrc_is_the_xor_of_the_4_bit_characters() -> None:
    # ";" 0xB ^ "1" 0x1 ^ "?" 0xF = 0x5
    assert lrc(";1?") == "5"
    assert parse_track2(";1?5").lrc_checked


@pytest.mark.parametrize(
    ("swipe", "reason"),
    [
        (":" + PUBLISHED[1:], "bad_sentinel"),
        ("!" + PUBLISHED[1:], "bad_sentinel"),
        (PUBLISHED[:20] + "?" + PUBLISHED[20:], "trailing_data"),
        (PUBLISHED[:20] + ";" + PUBLISHED[21:], "bad_sentinel"),
        (PUBLISHED + "4", "bad_lrc"),  # the right LRC is "0"
        (PUBLISHED[:12] + "A" + PUBLISHED[13:], "bad_character"),
        (health_card_track2("3102702345"), "bad_cpr_date"),  # 31 February
        (health_card_track2("2902002345"), "bad_cpr_date"),  # 29 February 1900 was no date
        (health_card_track2("0113702345"), "bad_cpr_date"),  # month 13
        (PUBLISHED[:-3] + "?", "not_health_card"),  # too short
        ("hello world", "unknown_format"),
    ],
    ids=["colon-start", "junk-start", "trailing", "inner-sentinel", "lrc", "letter", "31-feb",
         "29-feb-1900", "month-13", "short", "no-match"],
)
def test_garbled_swipes_are_refused_with_a_reason_and_no_number(swipe: str, reason: str) -> None:
    with pytest.raises(ScanRefused) as refusal:
        classify(swipe)
    assert refusal.value.reason == reason
    message = str(refusal.value)
    assert message and "0101" not in message and "70234" not in message and "3102" not in message


def test_a_valid_29_february_in_a_leap_year_is_accepted() -> None:
    # Seventh digit 4 and year 00: born in 2000, a leap year.
    assert classify(health_card_track2("2902004345")).value == "2902004345"


@pytest.mark.parametrize(
    ("cpr", "born"),
    [("0101702345", "1970-01-01"), ("0101204345", "2020-01-01"), ("0101404345", "1940-01-01"),
     ("0101575345", "2057-01-01"), ("0101585345", "1858-01-01"), ("0101369345", "2036-01-01"),
     ("0101379345", "1937-01-01")],
)
def test_the_century_comes_from_the_seventh_digit(cpr: str, born: str) -> None:
    date = cpr_birth_date(cpr)
    assert date is not None and date.isoformat() == born


def test_modulus_11_is_not_enforced() -> None:
    assert sum(int(d) * w for d, w in zip(CPR, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 != 0
    assert classify(health_card_track2(CPR)).value == CPR


def test_a_library_card_barcode_becomes_a_barcode_credential() -> None:
    credential = classify("3274001234567")
    assert (credential.kind, credential.value) == (CredentialKind.BARCODE, "3274001234567")


def test_barcode_patterns_come_from_configuration() -> None:
    rules = ClassifierRules(barcode_patterns=(r"LB[0-9]{8}",))
    assert classify("LB12345678", rules).value == "LB12345678"
    with pytest.raises(ScanRefused, match="matches no library card pattern"):
        classify("3274001234567", rules)


def test_an_aim_symbology_identifier_is_not_part_of_the_number() -> None:
    assert classify("]E05701234567892").value == "5701234567892"


def test_a_library_card_on_a_magnetic_stripe_gives_its_first_field() -> None:
    credential = classify(encode_track2("32740012345=2512"))
    assert (credential.kind, credential.value) == (CredentialKind.BARCODE, "32740012345")


def test_a_payment_card_is_refused_rather_than_taken_for_a_patron() -> None:
    with pytest.raises(ScanRefused) as refusal:
        classify(encode_track2("4571123412341234=2512101"))
    assert refusal.value.reason == "unknown_card" and "4571" not in str(refusal.value)


def test_a_health_card_with_letters_in_the_cpr_is_refused_by_the_layout_check() -> None:
    track = parse_track2(PUBLISHED)
    object.__setattr__(track, "data", track.data[:10] + "AB" + track.data[12:])
    with pytest.raises(MagstripeError, match="not digits") as refusal:
        parse_health_card(track)
    assert refusal.value.reason == "bad_cpr"


@pytest.mark.parametrize(
    ("given", "shown"),
    [("0101702345", "010170-****"), ("010170-2345", "010170-****"), ("0101AB2345", "******-****"),
     ("3213702345", "******-****"), ("", "******-****")],
)
def test_mask_cpr_shows_the_date_part_only(given: str, shown: str) -> None:
    assert mask_cpr(given) == shown
