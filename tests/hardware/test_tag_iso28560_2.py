"""ISO 28560-2 (ISO/IEC 15962 data sets): the decoder, checked on hand-assembled memory, and the encoder."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.rfid import DataModel, TagContent, TagDataError, iso28560_2


def bits_to_bytes(bits: str, pad: str = "1") -> bytes:
    """Pack a bit string, padding the last byte with ``pad`` bits (1 is the ISIL encoding's padding)."""
    bits = bits.replace(" ", "")
    bits += pad * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


# ISIL "FI-He": F I - H in the upper-case table, then shift-lower (29) and e.
FI_HE = bits_to_bytes("00110 01001 00000 01000 11101 00101")
# ISIL "DK-775100": D K -, latch-numeric (30), then 7 7 5 1 0 0 four bits each.
DK_775100 = bits_to_bytes("00100 01011 00000 11110 0111 0111 0101 0001 0000 0000")

HELSINKI_STYLE = (
    bytes([0x11, 6]) + (31234000123456).to_bytes(6, "big")  # integer, OID 1: primary item id
    + bytes([0x02, 1, 0b11100000])  # application-defined, OID 2: content parameter, OIDs 3 4 5
    + bytes([0x03, len(FI_HE)]) + FI_HE  # application-defined, OID 3: owner library ISIL
    + bytes([0x24, 2, 0x03, 0x02])  # numeric, OID 4: set information "0302"
    + bytes([0x05, 1, 0x11])  # application-defined, OID 5: type of usage, class 1 sub-class 1
    + bytes(6)  # terminator and empty memory
)


def test_a_hand_assembled_tag_decodes_every_basic_element() -> None:
    content = iso28560_2.decode(HELSINKI_STYLE)

    assert content.model is DataModel.ISO28560_2
    assert content.item_id == "31234000123456"
    assert (content.country, content.library, content.owner_library) == ("FI", "He", "FI-He")
    assert (content.parts_in_set, content.part_number) == (3, 2)
    assert (content.type_of_usage, content.usage_qualifier) == (1, 1)
    assert content.other_elements == ((2, "OIDs 3 4 5"),)


def test_the_isil_special_compaction_latches_into_digits() -> None:
    memory = bytes([0x11, 1, 7, 0x03, len(DK_775100)]) + DK_775100 + b"\x00"

    assert iso28560_2.decode(memory).owner_library == "DK-775100"


def test_the_encoder_writes_the_isil_as_assembled_by_hand() -> None:
    memory = iso28560_2.encode(TagContent(item_id="5010000001", country="DK", library="775100"))

    assert bytes([0x03, len(DK_775100)]) + DK_775100 in memory


def test_an_isil_in_octets_is_read_too() -> None:
    memory = bytes([0x11, 1, 7, 0x63, 9]) + b"DK-775100" + b"\x00"

    assert iso28560_2.decode(memory).owner_library == "DK-775100"


@pytest.mark.parametrize(("precursor", "value", "item_id"), [
    (0x21, bytes.fromhex("0012345f"), "0012345"),  # numeric: digits in nibbles, F pads an odd count
    (0x31, bits_to_bytes("00001 00010 00011", pad="0"), "ABC"),  # 5-bit upper case
    (0x41, bits_to_bytes("000001 000010 110001 110010", pad="0"), "AB12"),  # 6-bit
    (0x51, bits_to_bytes("1000001 1100010 0110001", pad="0"), "Ab1"),  # 7-bit ASCII
    (0x61, "Bøger".encode("latin-1"), "Bøger"),  # octets, ISO 8859-1
    (0x71, "Bøger №1".encode(), "Bøger №1"),  # UTF-8
])
def test_each_compaction_of_the_item_id_decodes(precursor: int, value: bytes, item_id: str) -> None:
    memory = bytes([precursor, len(value)]) + value + b"\x00"

    assert iso28560_2.decode(memory).item_id == item_id


def test_a_data_set_with_an_offset_skips_its_padding() -> None:
    memory = bytes([0x91, 2, 2, 0x13, 0x88, 0xEE, 0xEE, 0x05, 1, 0x20, 0x00])  # item 5000, 2 pad bytes

    content = iso28560_2.decode(memory)

    assert (content.item_id, content.type_of_usage) == ("5000", 2)


def test_an_extended_relative_oid_is_kept_as_another_element() -> None:
    memory = bytes([0x11, 1, 7, 0x6F, 17 - 15, 5]) + b"Bogen" + b"\x00"  # OID 17: title, in octets

    assert iso28560_2.decode(memory).other_elements == ((17, "Bogen"),)


def test_a_type_of_usage_in_the_wrong_form_does_not_make_the_item_unreadable() -> None:
    memory = bytes([0x11, 1, 7, 0x65, 2]) + b"11" + b"\x00"

    content = iso28560_2.decode(memory)

    assert content.type_of_usage == 6  # ISO 28560-1: no information about usage
    assert content.other_elements == ((5, "11"),)


def test_a_missing_set_means_one_part_of_one() -> None:
    content = iso28560_2.decode(bytes([0x11, 1, 7, 0x00]))

    assert (content.parts_in_set, content.part_number) == (1, 1)


@pytest.mark.parametrize(("memory", "message"), [
    (bytes([0x00, 0x11, 1, 7]), "starts with the terminator"),
    (bytes([0x05, 1, 0x10, 0x11, 1, 7, 0]), "first ISO 28560-2 data set is OID 5"),
    (bytes([0x11, 9, 1, 2]), "cut off: OID 1 data runs past"),
    (bytes([0x91, 4, 1, 7]), "cut off: OID 1 padding"),
    (bytes([0x10, 1, 7]), "relative OID 0"),
    (bytes([0x11, 1, 7, 0x11, 1, 8, 0]), "OID 1 appears more than once"),
    (bytes([0x71, 2, 0xC3, 0x28, 0]), "not valid UTF-8"),
    (bytes([0x21, 2, 0x1A, 0x2F, 0]), "not a digit"),
    (bytes([0x11, 1, 7, 0x24, 2, 0x02, 0x03, 0]), "part 3 of 2"),
    (bytes([0x61, 2, 0x0D, 0x0A, 0]), "not printable"),
])
def test_malformed_memory_is_refused_with_a_reason(memory: bytes, message: str) -> None:
    with pytest.raises(TagDataError, match=message):
        iso28560_2.decode(memory)


def test_the_encoder_uses_numeric_compaction_to_keep_leading_zeros() -> None:
    memory = iso28560_2.encode(TagContent(item_id="0042", library=""))

    assert memory[:4] == bytes([0x21, 2, 0x00, 0x42])
    assert iso28560_2.decode(memory).item_id == "0042"


def test_the_encoder_refuses_a_character_no_isil_has() -> None:
    with pytest.raises(TagDataError, match="not an ISIL character"):
        iso28560_2.encode(TagContent(item_id="1", country="DK", library="775 100"))


isil_text = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:/"),
                    min_size=1, max_size=16)
item_ids = st.one_of(
    st.integers(1, 10**20).map(str),
    st.text(st.sampled_from("0123456789"), min_size=1, max_size=20),
    st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=30),
)


@st.composite
def iso2_contents(draw: st.DrawFn) -> TagContent:
    parts = draw(st.integers(1, 999))
    return TagContent(
        item_id=draw(item_ids),
        parts_in_set=parts,
        part_number=draw(st.integers(1, parts)),
        country=draw(st.sampled_from(["DK", "FI", "SE", "NL"])),
        library=draw(isil_text),
        type_of_usage=draw(st.integers(0, 15)),
        usage_qualifier=draw(st.integers(0, 15)),
        model=DataModel.ISO28560_2,
    )


@given(iso2_contents())
def test_encode_then_decode_gives_back_the_content(content: TagContent) -> None:
    decoded = iso28560_2.decode(iso28560_2.encode(content))

    assert decoded.item_id == content.item_id
    assert decoded.owner_library == content.owner_library
    assert (decoded.parts_in_set, decoded.part_number) == (content.parts_in_set, content.part_number)
    assert decoded.type_of_usage == content.type_of_usage
    assert decoded.usage_qualifier == content.usage_qualifier


@given(st.binary(max_size=128))
def test_arbitrary_bytes_raise_nothing_but_tag_data_error(memory: bytes) -> None:
    with contextlib.suppress(TagDataError):
        iso28560_2.decode(memory)


@given(iso2_contents(), st.integers(0, 200), st.integers(0, 255))
def test_a_valid_tag_with_any_byte_changed_raises_nothing_but_tag_data_error(
        content: TagContent, index: int, value: int) -> None:
    memory = bytearray(iso28560_2.encode(content))
    memory[index % len(memory)] = value
    with contextlib.suppress(TagDataError):
        iso28560_2.decode(bytes(memory))
