"""FEIG ISO-Host frames: CRC, every frame the driver sends or parses, and garbage that never crashes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.rfid import feig_protocol as fp
from hardware.rfid.feig_sim import parse_request

UID = bytes.fromhex("E004010012345678")


def test_crc_matches_the_published_vectors() -> None:
    assert fp.crc16(b"123456789") == 0x6F91  # CRC-16/MCRF4XX check value
    assert fp.crc16(bytes.fromhex("07FFB00100")) == 0x561C  # sent LSB first: 1C 56


def test_inventory_frames_match_the_verified_bytes() -> None:
    assert fp.encode_request(fp.Inventory()) == bytes.fromhex("07FFB001001C56")
    assert fp.encode_request(fp.Inventory(), advanced=True) == bytes.fromhex("020009FFB001001843")
    assert fp.encode_request(fp.Inventory(more=True))[:5] == bytes.fromhex("07FFB00180")


def test_an_inventory_answer_matches_the_verified_bytes() -> None:
    reply = fp.Reply(0xFF, fp.CTRL_ISO, fp.Status.OK, fp.encode_inventory([fp.InventoryEntry(UID)]))
    assert reply.encode() == bytes.fromhex("11FFB0000103 00 E004010012345678 E51C".replace(" ", ""))


@pytest.mark.parametrize(
    ("request_", "data_hex"),
    [
        (fp.Inventory(), "0100"),
        (fp.Inventory(more=True), "0180"),
        (fp.ReadBlocks(UID, 2, 8), "2301 E004010012345678 0208"),
        (fp.WriteBlocks(UID, 1, 4, bytes.fromhex("11223344 55667788")),
         "2401 E004010012345678 010204 44332211 88776655"),
        (fp.WriteAfi(UID, 0xC2), "2701 E004010012345678 C2"),
        (fp.GetSystemInfo(UID), "2B01 E004010012345678"),
        (fp.NxpEas(fp.NxpCommand.SET_EAS, UID), "04A201 E004010012345678"),
        (fp.NxpEas(fp.NxpCommand.RESET_EAS, UID), "04A301 E004010012345678"),
        (fp.NxpEas(fp.NxpCommand.EAS_ALARM), "04A500"),
    ],
)
def test_each_request_encodes_to_the_manual_s_bytes_and_parses_back(
        request_: fp.Request, data_hex: str) -> None:
    data = bytes.fromhex(data_hex.replace(" ", ""))
    raw = fp.encode_request(request_, 0x03)
    assert raw[:3] == bytes([len(data) + 5, 0x03, request_.control])
    assert raw[3:-2] == data
    frame = fp.decode_frame(raw)
    assert (frame.address, frame.control, frame.payload) == (0x03, request_.control, data)
    assert parse_request(frame.control, frame.payload) == request_


def test_read_blocks_answer_carries_blocks_reversed_and_decodes_to_memory_order() -> None:
    blocks = fp.Blocks(4, (b"\x11\x01\x01\x35", b"\x30\x31\x32\x33"), (0, 1))
    data = blocks.encode()
    assert data == bytes.fromhex("0204 00 35010111 01 33323130".replace(" ", ""))
    assert fp.decode_blocks(data) == blocks
    assert fp.decode_blocks(data).data == bytes.fromhex("1101013530313233")


def test_system_info_round_trips_afi_and_memory_size() -> None:
    info = fp.SystemInfo(UID, afi=0xC2, dsfid=0, block_count=28, block_size=4, ic_ref=0x01)
    data = info.encode()
    assert data == bytes.fromhex("00 E004010012345678 C2 03 1B 01".replace(" ", ""))
    assert fp.decode_system_info(data) == info


def test_a_reply_too_long_for_a_standard_frame_goes_advanced() -> None:
    entries = [fp.InventoryEntry(bytes([0xE0, 4, 1, 0, 0, 0, 0, i])) for i in range(30)]
    raw = fp.Reply(0xFF, fp.CTRL_ISO, fp.Status.OK, fp.encode_inventory(entries)).encode()
    assert raw[0] == fp.STX and int.from_bytes(raw[1:3], "big") == len(raw) == 8 + 1 + 300
    reply = fp.decode_reply(raw)
    assert reply.advanced and fp.decode_inventory(reply.data) == entries


def test_an_iso_error_reply_names_the_tag_error() -> None:
    reply = fp.decode_reply(fp.Reply(0, fp.CTRL_ISO, fp.Status.ISO_ERROR, b"\x12").encode())
    assert reply.iso_error == fp.IsoError.LOCKED
    assert fp.status_text(reply.status) == "0x95 iso error"
    assert fp.status_text(0x83) == "0x83 rf communication error"


@pytest.mark.parametrize(
    ("raw_hex", "message"),
    [
        ("07FFB001001C57", "CRC mismatch"),
        ("07FFB001001C", "says 7 bytes"),
        ("03FFB0", "too short"),
        ("", "too short"),
        ("0200", "too short"),
        ("020003FFB0", "too short"),
    ],
)
def test_broken_frames_are_a_protocol_error(raw_hex: str, message: str) -> None:
    with pytest.raises(fp.FeigProtocolError, match=message):
        fp.decode_frame(bytes.fromhex(raw_hex))


def test_malformed_requests_carry_the_status_a_reader_answers() -> None:
    with pytest.raises(fp.FeigProtocolError) as unknown:
        parse_request(fp.CTRL_ISO, b"\x99\x00")
    assert unknown.value.status == fp.Status.UNKNOWN_COMMAND
    with pytest.raises(fp.FeigProtocolError) as short:
        parse_request(fp.CTRL_ISO, bytes.fromhex("2301E0040100"))
    assert short.value.status == fp.Status.LENGTH_ERROR
    with pytest.raises(fp.FeigProtocolError) as unaddressed:
        parse_request(fp.CTRL_ISO, bytes.fromhex("2700E004010012345678C2"))
    assert unaddressed.value.status == fp.Status.PARAMETER_RANGE


def test_a_uid_must_be_eight_bytes_of_hex() -> None:
    assert fp.uid_text(fp.uid_bytes("e004010012345678")) == "E004010012345678"
    with pytest.raises(ValueError):
        fp.uid_bytes("E00401")


@given(st.binary(max_size=300))
def test_decoding_any_bytes_raises_only_a_protocol_error(raw: bytes) -> None:
    for decode in (fp.decode_reply, fp.decode_inventory, fp.decode_blocks, fp.decode_system_info):
        with contextlib.suppress(fp.FeigProtocolError):
            decode(raw)


@given(st.integers(0, 255), st.binary(max_size=80))
def test_parsing_any_request_raises_only_a_protocol_error(control: int, data: bytes) -> None:
    with contextlib.suppress(fp.FeigProtocolError):
        parse_request(control, data)


@given(st.binary(min_size=1, max_size=200))
def test_any_valid_frame_around_any_payload_decodes(payload: bytes) -> None:
    for advanced in (False, True):
        frame = fp.decode_frame(fp.encode_frame(0x01, 0xB0, payload, advanced=advanced))
        assert (frame.payload, frame.advanced) == (payload, advanced)
