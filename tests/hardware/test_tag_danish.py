"""The Danish data model (ISO 28560-3) codec, and the common face that recognises a tag's model."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.rfid import (
    BlankTagError,
    DataModel,
    OptionalBlock,
    Quirk,
    TagContent,
    TagCrcError,
    TagDataError,
    danish,
    iso28560_2,
)
from hardware.rfid.tagdata import (
    SecurityPolicy,
    afi_for,
    decode_tag_content,
    decode_tag_data,
    encode_tag_data,
    security_from_afi,
)
from kiosk.domain.errors import ConfigError, DeviceError
from kiosk.domain.model import SecurityState, Tag

# libdanrfid's CRCTest/DDMDataTest vector: item "11223344", 1 of 1, owner DE-705, CRC 0x3E51 stored 51 3E.
LIBDANRFID_DUMP = bytes.fromhex("11010131313232333334340000000000000000513e4445373035000000000000")

# Realistic Danish tags (32 bytes, as on an ICODE SLIX read from block 0), for this and other tests.
BOOK = bytes.fromhex("11010135 30313030 30303030 31000000 000000b0 5a444b37 37353130 30000000")
CD_SET_PART_2_OF_3 = bytes.fromhex("11030235 30313030 30303233 34000000 00000016 1b444b37 37353130 30000000")
REFERENCE_BOOK = bytes.fromhex("12010133 32373436 34383933 30000000 000000ff c6444b37 31353730 30000000")
BOOK_WITH_OPTIONAL_BLOCK = bytes.fromhex(
    "11010135 30313030 30303030 31000000 000000b0 5a444b37 37353130 30000000 00000a01 00310a31 32330000")


def with_crc(memory: bytes) -> bytes:
    """The memory with bytes 19-20 set to the right CRC (to build tags the encoder would not write)."""
    crc = danish.basic_block_crc(memory)
    return memory[:19] + bytes([crc & 0xFF, crc >> 8]) + memory[21:]


def test_crc_matches_the_published_check_values() -> None:
    assert danish.crc16(b"RFID tag data model") == 0x1AEE  # libdanrfid's referenceCRC
    assert danish.crc16(b"123456789") == 0x29B1  # the CRC-16/CCITT-FALSE catalogue check value


def test_libdanrfid_tag_dump_decodes_with_its_crc_stored_lsb_first() -> None:
    content = danish.decode(LIBDANRFID_DUMP)

    assert (content.item_id, content.country, content.library) == ("11223344", "DE", "705")
    assert (content.parts_in_set, content.part_number, content.type_of_usage) == (1, 1, 1)
    assert content.crc == 0x3E51
    assert LIBDANRFID_DUMP[19:21] == b"\x51\x3e"


def test_the_research_worked_example_encodes_byte_exact() -> None:
    memory = encode_tag_data(TagContent(item_id="5012345678", country="DK", library="775100"))

    assert memory == bytes.fromhex(
        "11 01 01 35 30 31 32 33 34 35 36 37 38 00 00 00 00 00 00 FE 1C 44 4B 37 37 35 31 30 30 00 00 00")


@pytest.mark.parametrize(("memory", "item_id", "parts", "part", "usage"), [
    (BOOK, "5010000001", 1, 1, 1),
    (CD_SET_PART_2_OF_3, "5010000234", 3, 2, 1),
    (REFERENCE_BOOK, "3274648930", 1, 1, 2),
])
def test_example_danish_tags_decode_to_their_fields(
        memory: bytes, item_id: str, parts: int, part: int, usage: int) -> None:
    content = decode_tag_content(memory)

    assert content.model is DataModel.DANISH
    assert (content.item_id, content.parts_in_set, content.part_number) == (item_id, parts, part)
    assert content.type_of_usage == usage
    assert content.country == "DK" and content.quirks == ()


def test_a_library_code_longer_than_9_bytes_needs_the_full_34_byte_block() -> None:
    content = TagContent(item_id="5010000001", library="DK775100999")  # 11 bytes, the full field

    memory = encode_tag_data(content)

    assert len(memory) == 36  # 34-byte block, padded to whole 4-byte blocks
    assert danish.decode(memory).library == "DK775100999"


def test_the_crc_of_a_truncated_block_equals_that_of_a_full_block_with_an_empty_tail() -> None:
    assert danish.basic_block_crc(BOOK) == danish.basic_block_crc(BOOK + b"\x00\x00")


def test_version_and_type_of_usage_written_the_other_way_round_are_tolerated() -> None:
    swapped = with_crc(bytes([0x21]) + BOOK[1:])  # type of usage 2 in the high nibble, version 1 low

    content = danish.decode(swapped)

    assert (content.version, content.type_of_usage) == (1, 2)
    assert content.quirks == (Quirk.NIBBLES_SWAPPED,)


def test_a_reader_that_reverses_each_4_byte_block_is_detected_and_corrected() -> None:
    as_read = danish.reverse_blocks(BOOK_WITH_OPTIONAL_BLOCK)
    assert as_read[:4] == bytes.fromhex("35010111")

    content = danish.decode(as_read)

    assert content.item_id == "5010000001" and content.library == "775100"
    assert content.optional_blocks == (OptionalBlock(1, bytes.fromhex("0a3132330000")),)
    assert content.quirks == (Quirk.BLOCKS_REVERSED,)


def test_a_32_byte_block_on_a_bigger_tag_with_old_data_after_it_still_decodes() -> None:
    memory = BOOK + bytes.fromhex("c0ffee00") + bytes(76)  # leftovers in bytes 32-35 of a 112-byte tag

    content = danish.decode(memory)

    assert (content.item_id, content.library, content.optional_blocks) == ("5010000001", "775100", ())


def test_a_bad_crc_is_refused_naming_what_was_stored_and_what_was_expected() -> None:
    damaged = BOOK[:5] + b"9" + BOOK[6:]  # one digit of the item id changed

    with pytest.raises(TagCrcError, match=r"stored 0x5AB0, computed 0x[0-9A-F]{4}"):
        danish.decode(damaged)


def test_memory_shorter_than_the_truncated_block_is_refused() -> None:
    with pytest.raises(TagDataError, match=r"28 bytes .* at least 32"):
        danish.decode(BOOK[:28])


def test_a_crc_valid_block_with_an_impossible_set_is_refused() -> None:
    with pytest.raises(TagDataError, match="part 4 of 3"):
        danish.decode(with_crc(BOOK[:1] + bytes([3, 4]) + BOOK[3:]))


def test_an_item_id_kept_in_an_extension_block_is_reported_not_misread() -> None:
    with pytest.raises(TagDataError, match="extension block"):
        danish.decode(with_crc(BOOK[:3] + b"\x01" + bytes(15) + BOOK[19:]))


def test_optional_blocks_are_kept_raw_with_their_xor_checksum_checked() -> None:
    blocks = (OptionalBlock(0x0001, b"\x0a123"), OptionalBlock(0x8001, b"vendor data"))
    memory = encode_tag_data(TagContent(item_id="5010000001", library="775100", optional_blocks=blocks))

    assert danish.decode(memory).optional_blocks == blocks


def test_an_optional_block_with_a_bad_checksum_is_kept_but_marked() -> None:
    memory = bytearray(BOOK_WITH_OPTIONAL_BLOCK)
    memory[38] ^= 0xFF  # a data byte of the optional block

    (block,) = danish.decode(bytes(memory)).optional_blocks

    assert block.block_id == 1 and not block.checksum_ok


def test_filler_bytes_between_optional_blocks_are_skipped() -> None:
    frame = BOOK_WITH_OPTIONAL_BLOCK[34:44]
    memory = BOOK + b"\x00\x00" + b"\x01\x01" + frame

    assert danish.decode(memory).optional_blocks == (OptionalBlock(1, bytes.fromhex("0a3132330000")),)


def test_a_broken_optional_block_frame_keeps_the_basic_data_and_says_so() -> None:
    memory = BOOK + b"\x00\x00" + b"\x30\x01\x00\x00"  # claims 48 bytes, only 4 follow

    content = danish.decode(memory)

    assert content.item_id == "5010000001"
    assert content.quirks == (Quirk.OPTIONAL_BLOCKS_DAMAGED,)


@pytest.mark.parametrize(("change", "message"), [
    ({"item_id": "12345678901234567"}, "room for 16"),
    ({"item_id": ""}, "empty"),
    ({"item_id": "bog-æ"}, "printable ASCII"),
    ({"parts_in_set": 0, "part_number": 0}, "1 to 255"),
    ({"parts_in_set": 2, "part_number": 3}, "part 3 of 2"),
    ({"country": "DNK"}, "room for 2"),
    ({"country": "dk"}, "two capital letters"),
    ({"library": "775100-branch-7"}, "room for 11"),
    ({"type_of_usage": 16}, "0 to 15"),
    ({"version": 2}, "only version 1"),
])
def test_the_encoder_refuses_content_that_does_not_fit(change: dict[str, object], message: str) -> None:
    content = dataclasses.replace(TagContent(item_id="5010000001", library="775100"), **change)  # type: ignore[arg-type]

    with pytest.raises(TagDataError, match=message):
        encode_tag_data(content)


def test_memory_size_pads_to_the_tag_and_refuses_a_tag_too_small() -> None:
    content = TagContent(item_id="5010000001", library="775100")

    assert encode_tag_data(content, memory_size=112) == BOOK + bytes(80)
    with pytest.raises(TagDataError, match="tag of 28 bytes"):
        encode_tag_data(content, memory_size=28)


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16)


@st.composite
def danish_contents(draw: st.DrawFn) -> TagContent:
    parts = draw(st.integers(1, 255))
    return TagContent(
        item_id=draw(printable.filter(bool)),
        parts_in_set=parts,
        part_number=draw(st.integers(1, parts)),
        country=draw(st.sampled_from(["", "DK", "SE", "NO", "DE"])),
        library=draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=11)),
        type_of_usage=draw(st.integers(0, 15)),
        optional_blocks=tuple(draw(st.lists(st.builds(
            OptionalBlock, st.integers(0, 0xFFFF), st.binary(max_size=24)), max_size=3))),
    )


@given(danish_contents())
def test_encode_then_decode_gives_back_the_content(content: TagContent) -> None:
    decoded = danish.decode(encode_tag_data(content))

    assert decoded == dataclasses.replace(content, crc=decoded.crc)


@given(danish_contents())
def test_encode_then_decode_survives_a_block_reversing_reader(content: TagContent) -> None:
    decoded = danish.decode(danish.reverse_blocks(encode_tag_data(content)))

    assert decoded == dataclasses.replace(content, crc=decoded.crc, quirks=(Quirk.BLOCKS_REVERSED,))


@given(st.binary(max_size=160))
def test_arbitrary_bytes_raise_nothing_but_tag_data_error(memory: bytes) -> None:
    for decode in (danish.decode, decode_tag_content, iso28560_2.decode):
        with contextlib.suppress(TagDataError):
            decode(memory)


@given(danish_contents(), st.integers(0, 200), st.integers(0, 255))
def test_a_valid_tag_with_any_byte_changed_raises_nothing_but_tag_data_error(
        content: TagContent, index: int, value: int) -> None:
    memory = bytearray(encode_tag_data(content))
    memory[index % len(memory)] = value
    with contextlib.suppress(TagDataError):
        decode_tag_content(bytes(memory))


@given(st.binary(min_size=32, max_size=96))
def test_arbitrary_bytes_with_a_valid_crc_raise_nothing_but_tag_data_error(memory: bytes) -> None:
    with contextlib.suppress(TagDataError):
        danish.decode(with_crc(memory))


# The common face: what the FEIG driver calls.

def test_decode_tag_data_gives_the_core_a_tag() -> None:
    tag = decode_tag_data("e0:04:01:50:12:34:56:78", CD_SET_PART_2_OF_3, SecurityState.SECURED)

    assert tag == Tag(uid="E004015012345678", item_id="5010000234", owner_library="DK-775100",
                      part_number=2, parts_in_set=3, security=SecurityState.SECURED)


def test_an_iso28560_2_tag_is_recognised_without_a_crc() -> None:
    memory = iso28560_2.encode(TagContent(item_id="5010000001", library="775100"))

    assert decode_tag_content(memory).model is DataModel.ISO28560_2
    assert decode_tag_data("E004", memory, SecurityState.UNKNOWN).owner_library == "DK-775100"


@pytest.mark.parametrize("memory", [bytes(32), b"\xff" * 32, b""])
def test_a_blank_tag_is_told_apart_from_a_broken_one(memory: bytes) -> None:
    with pytest.raises(BlankTagError, match="no library data"):
        decode_tag_content(memory)


def test_a_danish_tag_with_a_bad_crc_is_reported_as_a_crc_error() -> None:
    with pytest.raises(TagCrcError, match="CRC mismatch"):
        decode_tag_content(BOOK[:5] + b"9" + BOOK[6:])


def test_unknown_data_is_reported_as_neither_model() -> None:
    with pytest.raises(TagDataError, match=r"neither .* ISO 28560-2") as raised:
        decode_tag_content(bytes(range(40, 72)))
    assert isinstance(raised.value, DeviceError)


def test_a_bad_uid_is_a_tag_data_error() -> None:
    with pytest.raises(TagDataError, match="UID"):
        decode_tag_data("not hex", BOOK, SecurityState.UNKNOWN)


def test_afi_security_policy_maps_both_ways_with_the_danish_defaults() -> None:
    policy = SecurityPolicy()

    assert security_from_afi(0x07, policy) is SecurityState.SECURED
    assert security_from_afi(0xC2, policy) is SecurityState.UNSECURED
    assert security_from_afi(0x00, policy) is SecurityState.UNKNOWN
    assert (afi_for(SecurityState.SECURED, policy), afi_for(SecurityState.UNSECURED, policy)) == (0x07, 0xC2)


def test_legacy_3m_afi_values_are_configurable() -> None:
    policy = SecurityPolicy(secured_afi=0xD7, unsecured_afi=0xDA)

    assert security_from_afi(0xDA, policy) is SecurityState.UNSECURED
    assert security_from_afi(0x07, policy) is SecurityState.UNKNOWN


def test_in_eas_mode_the_afi_says_nothing_about_security() -> None:
    policy = SecurityPolicy(mode="eas")

    assert security_from_afi(0x07, policy) is SecurityState.UNKNOWN
    with pytest.raises(ValueError, match="EAS"):
        afi_for(SecurityState.SECURED, policy)


def test_unknown_state_has_no_afi() -> None:
    with pytest.raises(ValueError, match="unknown"):
        afi_for(SecurityState.UNKNOWN)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "gate"}, "'afi' or 'eas'"),
    ({"secured_afi": 0x100}, "must be a byte"),
    ({"secured_afi": 0xC2}, "must differ"),
])
def test_an_unworkable_security_policy_is_a_config_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SecurityPolicy(**kwargs)  # type: ignore[arg-type]
