"""``library-kiosk tag decode`` and ``tag encode``, run as the command line runs them."""

from __future__ import annotations

import argparse
import json

import pytest

from hardware.rfid import TagContent, danish, iso28560_2
from hardware.rfid.tag_cli import add_arguments, run
from tests.hardware.test_tag_danish import BOOK, CD_SET_PART_2_OF_3

RESEARCH_EXAMPLE = "11010135 30313233 34353637 38000000 000000FE 1C444B37 37353130 30000000"


def tag(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="library-kiosk tag")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def test_decode_prints_every_field_of_a_danish_tag(capsys: pytest.CaptureFixture[str]) -> None:
    status = tag("decode", CD_SET_PART_2_OF_3.hex(" "), "--uid", "e0:04:01:50:12:34:56:78", "--afi", "07")

    out = capsys.readouterr().out
    assert status == 0
    assert "ISO 28560-3 (Danish data model" in out
    assert "item id         5010000234" in out
    assert "part 2 of 3" in out
    assert "owner library   DK-775100" in out
    assert "1 (circulating item)" in out
    assert "CRC             0x1B16 (valid)" in out
    assert "uid             E004015012345678" in out
    assert "security        secured (AFI 0x07)" in out


def test_decode_as_json_gives_the_fields_and_the_security_state(capsys: pytest.CaptureFixture[str]) -> None:
    status = tag("decode", BOOK.hex(), "--afi", "c2", "--json")

    fields = json.loads(capsys.readouterr().out)
    assert status == 0
    assert fields["item_id"] == "5010000001" and fields["owner_library"] == "DK-775100"
    assert (fields["parts_in_set"], fields["part_number"], fields["type_of_usage"]) == (1, 1, 1)
    assert (fields["security"], fields["afi"], fields["crc"]) == ("unsecured", "0xC2", "0x5AB0")


def test_decode_with_legacy_afi_values(capsys: pytest.CaptureFixture[str]) -> None:
    tag("decode", BOOK.hex(), "--afi", "D7", "--secured-afi", "D7", "--unsecured-afi", "DA", "--json")

    assert json.loads(capsys.readouterr().out)["security"] == "secured"


def test_decode_says_when_it_corrected_byte_reversed_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    assert tag("decode", danish.reverse_blocks(BOOK).hex(":")) == 0

    out = capsys.readouterr().out
    assert "item id         5010000001" in out
    assert "tolerated       blocks-reversed" in out


def test_decode_reads_iso28560_2_tags_too(capsys: pytest.CaptureFixture[str]) -> None:
    memory = iso28560_2.encode(TagContent(item_id="31234000123456", country="FI", library="He",
                                          usage_qualifier=2))

    assert tag("decode", memory.hex()) == 0

    out = capsys.readouterr().out
    assert "data model      ISO 28560-2" in out
    assert "owner library   FI-He" in out
    assert "usage qualifier 2" in out


@pytest.mark.parametrize(("argv", "message"), [
    (("decode", "11 01 zz"), "not hexadecimal"),
    (("decode", "110"), "odd number of hex digits"),
    (("decode", ""), "empty"),
    (("decode", BOOK.hex()[:40]), "only 20 bytes, at least 32 needed"),
    (("decode", (BOOK[:5] + b"9" + BOOK[6:]).hex()), "CRC mismatch: stored 0x5AB0"),
    (("decode", "00" * 32), "no library data"),
    (("decode", BOOK.hex(), "--afi", "7"), "odd number of hex digits"),
    (("decode", BOOK.hex(), "--afi", "0707"), "one byte"),
    (("decode", BOOK.hex(), "--uid", "xyz"), "UID"),
    (("decode", BOOK.hex(), "--afi", "07", "--secured-afi", "C2"), "must differ"),
    (("encode", "--item-id", "5010000001", "--parts", "2", "--part", "3"), "part 3 of 2"),
    (("encode", "--item-id", "50100000010000000"), "room for 16"),
    (("encode", "--item-id", "5010000001", "--type-of-usage", "lendable"), "type of usage 'lendable'"),
    (("encode", "--item-id", "5010000001", "--country", "SE", "--isil", "DK-775100"), "disagrees"),
    (("encode", "--item-id", "5010000001", "--memory-size", "30"), "tag of 30 bytes"),
])
def test_bad_input_is_one_clear_line_and_status_2(
        argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = tag(*argv)

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("library-kiosk tag: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_encode_prints_the_research_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert tag("encode", "--item-id", "5012345678", "--isil", "775100") == 0

    assert capsys.readouterr().out.strip() == RESEARCH_EXAMPLE


def test_encode_takes_the_country_from_a_full_isil(capsys: pytest.CaptureFixture[str]) -> None:
    tag("encode", "--item-id", "5012345678", "--isil", "DK-775100")

    assert capsys.readouterr().out.strip() == RESEARCH_EXAMPLE


def test_encode_then_decode_round_trips_through_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    tag("encode", "--item-id", "5010000234", "--parts", "3", "--part", "2", "--isil", "775100",
        "--type-of-usage", "not-for-circulation")
    written = capsys.readouterr().out.strip()

    tag("decode", written, "--json")

    fields = json.loads(capsys.readouterr().out)
    assert (fields["item_id"], fields["parts_in_set"], fields["part_number"]) == ("5010000234", 3, 2)
    assert (fields["type_of_usage"], fields["usage_name"]) == (2, "item not for circulation")


def test_encode_as_json_for_a_whole_tag(capsys: pytest.CaptureFixture[str]) -> None:
    tag("encode", "--item-id", "5010000001", "--isil", "775100", "--type-of-usage", "9",
        "--memory-size", "112", "--json")

    written = json.loads(capsys.readouterr().out)
    assert written["length"] == 112 and len(written["blocks"]) == 28
    assert written["hex"].startswith("19010135")  # version 1, library equipment
    assert danish.decode(bytes.fromhex(written["hex"])).type_of_usage == 9


def test_the_tag_command_is_wired_into_library_kiosk(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli.main import main

    assert main(["tag", "encode", "--item-id", "5010000001", "--isil", "DK-775100"]) == 0
    encoded = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["tag", "decode", encoded, "--json"]) == 0
    assert '"5010000001"' in capsys.readouterr().out
