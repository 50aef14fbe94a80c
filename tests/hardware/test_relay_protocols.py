"""The LCUS and Numato relay byte protocols, frame by frame."""

from __future__ import annotations

import pytest

from hardware.door.relay_protocols import (
    NumatoCommand,
    RelayCommand,
    RelayProtocolError,
    lcus_frame,
    numato_command,
    numato_relay,
    numato_reply,
    parse_gpio_level,
    parse_lcus_frame,
    parse_numato_command,
    parse_numato_reply,
    parse_relay_state,
)


@pytest.mark.parametrize(
    ("channel", "on", "frame"),
    [
        (1, True, "a0 01 01 a2"),
        (1, False, "a0 01 00 a1"),
        (2, True, "a0 02 01 a3"),
        (8, False, "a0 08 00 a8"),
    ],
)
def test_lcus_frames_are_header_channel_state_and_sum(channel: int, on: bool, frame: str) -> None:
    assert lcus_frame(channel, on) == bytes.fromhex(frame)
    assert parse_lcus_frame(bytes.fromhex(frame)) == RelayCommand(channel, on)


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        ("a0 01 01 a3", "checksum"),
        ("a1 01 01 a3", "start with A0"),
        ("a0 01 01", "4 bytes"),
        ("a0 09 01 aa", "channel"),
        ("a0 01 02 a3", "state"),
    ],
)
def test_a_bad_lcus_frame_is_rejected_with_the_reason(frame: str, complaint: str) -> None:
    with pytest.raises(RelayProtocolError, match=complaint):
        parse_lcus_frame(bytes.fromhex(frame))


def test_lcus_has_no_channel_zero() -> None:
    with pytest.raises(ValueError, match="1-8"):
        lcus_frame(0, True)


def test_numato_commands_are_ascii_ending_in_carriage_return() -> None:
    assert numato_relay(0, True) == b"relay on 0\r"
    assert numato_relay(1, False) == b"relay off 1\r"
    assert numato_command("relay read", 0) == b"relay read 0\r"
    assert numato_command("gpio read", 3) == b"gpio read 3\r"
    assert numato_command("ver") == b"ver\r"


def test_numato_relays_past_nine_are_letters() -> None:
    assert numato_relay(10, True) == b"relay on A\r"
    assert numato_relay(31, True) == b"relay on V\r"
    assert parse_numato_command(b"relay on A\r") == NumatoCommand("relay on", 10)


def test_numato_commands_parse_back() -> None:
    assert parse_numato_command(b"gpio read 2\r") == NumatoCommand("gpio read", 2)
    assert parse_numato_command(b"ver") == NumatoCommand("ver")


@pytest.mark.parametrize("line", [b"relay toggle 0\r", b"relay on\r", b"relay on 12\r", b"\xffver\r"])
def test_a_bad_numato_command_is_rejected(line: bytes) -> None:
    with pytest.raises(RelayProtocolError):
        parse_numato_command(line)


def test_numato_answers_echo_then_value_then_prompt() -> None:
    assert numato_reply(b"relay read 0\r", "on") == b"relay read 0\n\ron\n\r>"
    assert numato_reply(b"relay on 0\r") == b"relay on 0\n\r>"
    assert parse_numato_reply(b"relay read 0\r", b"relay read 0\n\ron\n\r>") == "on"
    assert parse_numato_reply(b"gpio read 1\r", b"gpio read 1\n\r1\n\r>") == "1"
    assert parse_numato_reply(b"relay on 0\r", b"relay on 0\n\r>") is None


def test_a_numato_answer_with_the_cr_echoed_is_accepted() -> None:
    assert parse_numato_reply(b"gpio read 1\r", b"gpio read 1\r\n1\n\r>") == "1"


@pytest.mark.parametrize(
    ("reply", "complaint"),
    [
        (b"relay read 0\n\ron\n\r", "no prompt"),
        (b"relay read 1\n\ron\n\r>", "did not echo"),
        (b"relay read 0\n\ron\n\roff\n\r>", "extra lines"),
    ],
)
def test_a_numato_answer_that_does_not_fit_is_rejected(reply: bytes, complaint: str) -> None:
    with pytest.raises(RelayProtocolError, match=complaint):
        parse_numato_reply(b"relay read 0\r", reply)


def test_numato_values_are_on_off_and_zero_one() -> None:
    assert parse_relay_state("on") is True
    assert parse_relay_state("off") is False
    assert parse_gpio_level("1") is True
    assert parse_gpio_level("0") is False
    with pytest.raises(RelayProtocolError):
        parse_relay_state("1")
    with pytest.raises(RelayProtocolError):
        parse_gpio_level(None)
