"""Byte protocols of the USB relay boards that drive a door strike: LCUS (binary) and Numato (text).

Pure functions, no I/O: the drivers in :mod:`hardware.door.relay` and the simulators in
:mod:`hardware.door.relay_sim` both build and check their bytes here, so they cannot drift apart.

LCUS-1/2/4/8 (LC Technology, CH340, 9600 8N1): every command is four bytes
``A0 <channel, 1-based> <00 off | 01 on> <sum of the first three & 0xFF>``; the board never answers.

Numato USB relay modules (CDC-ACM): ASCII commands ending in CR (``relay on 0\\r``, ``relay off 0\\r``,
``relay read 0\\r``, ``gpio read 0\\r``, ``ver\\r``). The board echoes the command, then ``\\n\\r``, then
the answer of a read followed by ``\\n\\r``, then the prompt ``>``. Relays and GPIOs count from 0;
boards with more than ten use the letters A-V for 10-31.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.errors import DeviceError

LCUS_HEADER = 0xA0
LCUS_FRAME_LEN = 4
LCUS_MAX_CHANNEL = 8

NUMATO_EOL = b"\n\r"  # Numato echoes with LF CR, not CR LF (Numato command-set docs and demo scripts)
NUMATO_PROMPT = b">"
NUMATO_MAX_INDEX = 31
_NUMATO_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUV"


class RelayProtocolError(DeviceError):
    """Bytes that are not a valid frame or answer of the board's protocol."""


@dataclass(frozen=True)
class RelayCommand:
    """One relay switch command: ``channel`` in the board's own numbering, ``on`` energised."""

    channel: int
    on: bool


# --- LCUS ------------------------------------------------------------------------------------------


def lcus_frame(channel: int, on: bool) -> bytes:
    """The four bytes that switch LCUS ``channel`` (1-based) on or off."""
    if not 1 <= channel <= LCUS_MAX_CHANNEL:
        raise ValueError(f"LCUS channels are 1-{LCUS_MAX_CHANNEL}, not {channel}")
    body = bytes((LCUS_HEADER, channel, 1 if on else 0))
    return body + bytes((sum(body) & 0xFF,))


def parse_lcus_frame(frame: bytes) -> RelayCommand:
    """Decode one LCUS frame; :class:`RelayProtocolError` says what is wrong with a bad one."""
    if len(frame) != LCUS_FRAME_LEN:
        raise RelayProtocolError(f"LCUS frame must be 4 bytes, got {frame.hex(' ')}")
    header, channel, state, checksum = frame
    if header != LCUS_HEADER:
        raise RelayProtocolError(f"LCUS frame must start with A0: {frame.hex(' ')}")
    if checksum != (header + channel + state) & 0xFF:
        raise RelayProtocolError(f"LCUS checksum wrong: {frame.hex(' ')}")
    if not 1 <= channel <= LCUS_MAX_CHANNEL:
        raise RelayProtocolError(f"LCUS channel out of range: {frame.hex(' ')}")
    if state not in (0, 1):
        raise RelayProtocolError(f"LCUS state must be 00 or 01: {frame.hex(' ')}")
    return RelayCommand(channel, state == 1)


# --- Numato ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumatoCommand:
    """A parsed Numato command line: ``verb`` is ``relay on``, ``relay off``, ``relay read``,
    ``gpio read`` or ``ver``; ``index`` is the relay or GPIO number (None for ``ver``)."""

    verb: str
    index: int | None = None


NUMATO_VERBS = ("relay on", "relay off", "relay read", "gpio read")


def numato_index(index: int) -> str:
    """A relay or GPIO number as the board spells it (0-9, then A-V)."""
    if not 0 <= index <= NUMATO_MAX_INDEX:
        raise ValueError(f"Numato relays and GPIOs are 0-{NUMATO_MAX_INDEX}, not {index}")
    return _NUMATO_DIGITS[index]


def numato_command(verb: str, index: int | None = None) -> bytes:
    """The bytes of one command, CR-terminated, e.g. ``numato_command("relay on", 0)``."""
    if verb == "ver":
        return b"ver\r"
    if verb not in NUMATO_VERBS or index is None:
        raise ValueError(f"not a Numato command: {verb!r} {index!r}")
    return f"{verb} {numato_index(index)}\r".encode("ascii")


def numato_relay(channel: int, on: bool) -> bytes:
    return numato_command("relay on" if on else "relay off", channel)


def parse_numato_command(line: bytes) -> NumatoCommand:
    """Decode one command line (with or without its CR) as the board would."""
    try:
        text = line.rstrip(b"\r").decode("ascii")
    except UnicodeDecodeError as exc:
        raise RelayProtocolError(f"Numato command is not ASCII: {line!r}") from exc
    if text == "ver":
        return NumatoCommand("ver")
    verb, _, index = text.rpartition(" ")
    if verb not in NUMATO_VERBS or len(index) != 1 or index.upper() not in _NUMATO_DIGITS:
        raise RelayProtocolError(f"not a Numato command: {line!r}")
    return NumatoCommand(verb, _NUMATO_DIGITS.index(index.upper()))


def numato_reply(command: bytes, value: str | None = None) -> bytes:
    """What the board sends back for ``command``: its echo, the value of a read, the prompt."""
    reply = command.rstrip(b"\r") + NUMATO_EOL
    if value is not None:
        reply += value.encode("ascii") + NUMATO_EOL
    return reply + NUMATO_PROMPT


def parse_numato_reply(command: bytes, reply: bytes) -> str | None:
    """Check that ``reply`` answers ``command`` (echo, prompt) and return the value of a read,
    or None for a command that returns nothing."""
    echo = command.rstrip(b"\r")
    if not reply.endswith(NUMATO_PROMPT):
        raise RelayProtocolError(f"Numato answer to {echo!r} has no prompt: {reply!r}")
    # The echo may carry the CR as typed; tolerate CR/LF in any order between the parts.
    parts = [p for p in reply[: -len(NUMATO_PROMPT)].replace(b"\r", b"\n").split(b"\n") if p]
    if not parts or parts[0].strip() != echo:
        raise RelayProtocolError(f"Numato did not echo {echo!r}: {reply!r}")
    if len(parts) > 2:
        raise RelayProtocolError(f"Numato answer to {echo!r} has extra lines: {reply!r}")
    return parts[1].strip().decode("ascii", "replace") if len(parts) == 2 else None


def parse_relay_state(value: str | None) -> bool:
    """``relay read`` answers ``on`` or ``off``."""
    if value not in ("on", "off"):
        raise RelayProtocolError(f"Numato relay state must be on or off, got {value!r}")
    return value == "on"


def parse_gpio_level(value: str | None) -> bool:
    """``gpio read`` answers ``1`` (high) or ``0`` (low)."""
    if value not in ("0", "1"):
        raise RelayProtocolError(f"Numato GPIO level must be 0 or 1, got {value!r}")
    return value == "1"
