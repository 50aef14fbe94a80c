"""FEIG OBID i-scan ISO-Host protocol: frames, CRC, and the ISO 15693 commands a library pad needs.

Pure bytes in, typed values out; no I/O. Both the driver (:mod:`hardware.rfid.feig`) and the
simulator (:mod:`hardware.rfid.feig_sim`) use this module, so a frame one side builds is the frame the
other side checks.

Frames (FEIG system manuals, e.g. ID ISC.LR200 §7.1; research/hardware.md §2.1):

* standard: ``LEN COM-ADR CTRL DATA… CRC_LSB CRC_MSB`` (LEN counts every byte, at most 255);
* advanced: ``02 ALEN_hi ALEN_lo COM-ADR CTRL DATA… CRC_LSB CRC_MSB`` (ALEN counts every byte);
* a reply puts a STATUS byte after CTRL.

UIDs are 8 bytes, most significant first as the reader sends them (``E0 04 …``), and appear in the
API as 16 upper-case hex digits. Block data in the API is always in tag memory order.

Decoding raises nothing but :class:`FeigProtocolError`, whatever the input. Parsing a host's requests
is the reader's side of the protocol and lives with the simulator (:func:`feig_sim.parse_request`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from kiosk.domain.errors import DeviceError

STX = 0x02
BROADCAST = 0xFF  # COM-ADR 255 addresses any reader on the bus
CTRL_ISO = 0xB0  # ISO 15693 mandatory and optional commands
CTRL_CUSTOM = 0xB1  # ISO 15693 custom commands, followed by a manufacturer byte
MFR_NXP = 0x04
TR_TYPE_ISO15693 = 0x03
UID_LEN = 8
MAX_STANDARD = 255
MAX_ADVANCED = 0xFFFF
MAX_READ_BYTES = 128  # FEIG: at most 128 data bytes per Read Multiple Blocks (ID ISC.LR200 §7.1.4)

MODE_ADDRESSED = 0x01
MODE_MORE = 0x80  # inventory: give the data sets the last answer had no room for


class IsoCommand(IntEnum):
    INVENTORY = 0x01
    READ_MULTIPLE_BLOCKS = 0x23
    WRITE_MULTIPLE_BLOCKS = 0x24
    WRITE_AFI = 0x27
    GET_SYSTEM_INFO = 0x2B


class NxpCommand(IntEnum):
    """NXP ICODE SLI custom commands (NXP SL2ICS53 datasheet; FEIG PR101 manual §8.3)."""

    SET_EAS = 0xA2
    RESET_EAS = 0xA3
    LOCK_EAS = 0xA4
    EAS_ALARM = 0xA5


class Status(IntEnum):
    """Reader STATUS bytes (FEIG manuals, annex "Index of Status Bytes")."""

    OK = 0x00
    NO_TRANSPONDER = 0x01
    DATA_FALSE = 0x02
    WRITE_ERROR = 0x03
    ADDRESS_ERROR = 0x04
    WRONG_TRANSPONDER_TYPE = 0x05
    PARAMETER_RANGE = 0x11
    UNKNOWN_COMMAND = 0x80
    LENGTH_ERROR = 0x81
    COMMAND_NOT_AVAILABLE = 0x82
    RF_COMMUNICATION_ERROR = 0x83
    RF_WARNING = 0x84
    MORE_DATA = 0x94
    ISO_ERROR = 0x95  # the next byte is the tag's ISO 15693 error code


class IsoError(IntEnum):
    """ISO 15693 error codes a tag answers with (carried after STATUS 0x95)."""

    NOT_SUPPORTED = 0x01
    UNKNOWN = 0x0F
    BLOCK_NOT_AVAILABLE = 0x10
    LOCKED = 0x12


def status_text(status: int) -> str:
    """A short staff-readable name for a STATUS byte, e.g. ``"0x83 rf communication error"``."""
    try:
        name = Status(status).name.lower().replace("_", " ")
    except ValueError:
        name = "unknown status"
    return f"0x{status:02X} {name}"


class FeigProtocolError(DeviceError):
    """Bytes that are not a valid frame or command. ``status`` is the STATUS a reader would answer."""

    def __init__(self, message: str, status: int = Status.LENGTH_ERROR) -> None:
        super().__init__(message)
        self.status = status


def crc16(data: bytes) -> int:
    """CRC-16 as FEIG frames use it: poly 0x8408 (reflected 0x1021), preset 0xFFFF, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def uid_bytes(uid: str) -> bytes:
    """``"E004010012345678"`` -> 8 bytes; :class:`ValueError` for anything else."""
    raw = bytes.fromhex(uid)
    if len(raw) != UID_LEN:
        raise ValueError(f"a tag UID has {UID_LEN} bytes, not {len(raw)}: {uid!r}")
    return raw


def uid_text(uid: bytes) -> str:
    return uid.hex().upper()


# --- frames -------------------------------------------------------------------------------------


def frame_length(head: bytes) -> int | None:
    """The whole frame's length from its first bytes, or None while more head bytes are needed
    (1 for a standard frame, 3 for an advanced one)."""
    if not head:
        return None
    if head[0] == STX:  # LEN 2 is impossible in a standard frame, so 0x02 always starts one
        if len(head) < 3:
            return None
        length = int.from_bytes(head[1:3], "big")
        if length < 7:
            raise FeigProtocolError(f"advanced frame length {length} is too short")
        return length
    if head[0] < 5:
        raise FeigProtocolError(f"frame length {head[0]} is too short")
    return head[0]


def encode_frame(address: int, control: int, payload: bytes, *, advanced: bool = False) -> bytes:
    """One frame with its CRC. ``payload`` is everything between CTRL and the CRC."""
    if advanced:
        length = 7 + len(payload)
        if length > MAX_ADVANCED:
            raise ValueError(f"a frame of {length} bytes does not fit the advanced format")
        body = bytes([STX]) + length.to_bytes(2, "big") + bytes([address, control]) + payload
    else:
        length = 5 + len(payload)
        if length > MAX_STANDARD:
            raise ValueError(f"a frame of {length} bytes needs the advanced format")
        body = bytes([length, address, control]) + payload
    return body + crc16(body).to_bytes(2, "little")


@dataclass(frozen=True)
class Frame:
    """A frame as received: bus address, control byte, payload (STATUS first in a reply)."""

    address: int
    control: int
    payload: bytes
    advanced: bool = False


def decode_frame(raw: bytes) -> Frame:
    """Check length and CRC of one complete frame and split it."""
    expected = frame_length(raw[:3])
    if expected is None:
        raise FeigProtocolError(f"frame of {len(raw)} bytes is too short")
    if len(raw) != expected:
        raise FeigProtocolError(f"frame says {expected} bytes, got {len(raw)}")
    crc = crc16(raw[:-2])
    if raw[-2:] != crc.to_bytes(2, "little"):
        raise FeigProtocolError(f"CRC mismatch: frame has {raw[-2:].hex()}, computed {crc:04x}")
    header = 3 if raw[0] == STX else 1
    return Frame(raw[header], raw[header + 1], raw[header + 2:-2], header == 3)


@dataclass(frozen=True)
class Reply:
    """A reader's answer: STATUS and the response data after it."""

    address: int
    control: int
    status: int
    data: bytes = b""
    advanced: bool = False

    def encode(self) -> bytes:
        payload = bytes([self.status]) + self.data
        advanced = self.advanced or 5 + len(payload) > MAX_STANDARD
        return encode_frame(self.address, self.control, payload, advanced=advanced)

    @property
    def iso_error(self) -> int | None:
        return self.data[0] if self.status == Status.ISO_ERROR and self.data else None


def decode_reply(raw: bytes) -> Reply:
    frame = decode_frame(raw)
    if not frame.payload:
        raise FeigProtocolError("reply has no STATUS byte")
    return Reply(frame.address, frame.control, frame.payload[0], frame.payload[1:], frame.advanced)


# --- requests -----------------------------------------------------------------------------------


def reverse_blocks(data: bytes, block_size: int) -> bytes:
    """Memory order <-> wire order: FEIG sends each block's bytes reversed, "always MSB first in host
    mode" (LRU3000 manual p.20; Biblio-RFID CPRM02.pm reverses every block)."""
    return b"".join(data[i:i + block_size][::-1] for i in range(0, len(data), block_size))


def _addressed(command: int, uid: bytes, tail: bytes = b"") -> bytes:
    return bytes([command, MODE_ADDRESSED]) + uid + tail


@dataclass(frozen=True)
class Inventory:
    """[0x01] Inventory; ``more`` fetches the data sets a previous STATUS 0x94 answer held back."""

    more: bool = False
    control: ClassVar[int] = CTRL_ISO

    def data(self) -> bytes:
        return bytes([IsoCommand.INVENTORY, MODE_MORE if self.more else 0x00])


@dataclass(frozen=True)
class ReadBlocks:
    """[0x23] Read Multiple Blocks, addressed."""

    uid: bytes
    first: int
    count: int
    control: ClassVar[int] = CTRL_ISO

    def data(self) -> bytes:
        return _addressed(IsoCommand.READ_MULTIPLE_BLOCKS, self.uid, bytes([self.first, self.count]))


@dataclass(frozen=True)
class WriteBlocks:
    """[0x24] Write Multiple Blocks, addressed. ``data_blocks`` is in tag memory order."""

    uid: bytes
    first: int
    block_size: int
    data_blocks: bytes
    control: ClassVar[int] = CTRL_ISO

    @property
    def count(self) -> int:
        return len(self.data_blocks) // self.block_size

    def data(self) -> bytes:
        head = bytes([self.first, self.count, self.block_size])
        wire = reverse_blocks(self.data_blocks, self.block_size)
        return _addressed(IsoCommand.WRITE_MULTIPLE_BLOCKS, self.uid, head + wire)


@dataclass(frozen=True)
class WriteAfi:
    """[0x27] Write AFI, addressed."""

    uid: bytes
    afi: int
    control: ClassVar[int] = CTRL_ISO

    def data(self) -> bytes:
        return _addressed(IsoCommand.WRITE_AFI, self.uid, bytes([self.afi]))


@dataclass(frozen=True)
class GetSystemInfo:
    """[0x2B] Get System Information, addressed."""

    uid: bytes
    control: ClassVar[int] = CTRL_ISO

    def data(self) -> bytes:
        return _addressed(IsoCommand.GET_SYSTEM_INFO, self.uid)


@dataclass(frozen=True)
class NxpEas:
    """NXP EAS command through [0xB1]; ``uid`` None sends it non-addressed (EAS Alarm on any tag)."""

    command: NxpCommand
    uid: bytes | None = None
    control: ClassVar[int] = CTRL_CUSTOM

    def data(self) -> bytes:
        tail = bytes([0x00]) if self.uid is None else bytes([MODE_ADDRESSED]) + self.uid
        return bytes([MFR_NXP, self.command]) + tail


Request = Inventory | ReadBlocks | WriteBlocks | WriteAfi | GetSystemInfo | NxpEas


def encode_request(request: Request, address: int = BROADCAST, *, advanced: bool = False) -> bytes:
    return encode_frame(address, request.control, request.data(), advanced=advanced)


# --- response data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryEntry:
    uid: bytes
    dsfid: int = 0
    tr_type: int = TR_TYPE_ISO15693


def encode_inventory(entries: list[InventoryEntry]) -> bytes:
    """Inventory response data: ``DATA-SETS`` then ``TR-TYPE DSFID UID[8]`` per tag."""
    return bytes([len(entries)]) + b"".join(bytes([e.tr_type, e.dsfid]) + e.uid for e in entries)


def decode_inventory(data: bytes) -> list[InventoryEntry]:
    if not data:
        raise FeigProtocolError("inventory answer without DATA-SETS")
    count, body = data[0], data[1:]
    if len(body) != count * 10:
        raise FeigProtocolError(f"inventory answer: {count} data sets in {len(body)} bytes")
    entries = [InventoryEntry(body[i + 2:i + 10], body[i + 1], body[i]) for i in range(0, len(body), 10)]
    for entry in entries:
        if entry.tr_type != TR_TYPE_ISO15693:
            raise FeigProtocolError(f"transponder type 0x{entry.tr_type:02X} is not ISO 15693")
    return entries


@dataclass(frozen=True)
class Blocks:
    """Read Multiple Blocks response: blocks in memory order, with each block's security status."""

    block_size: int
    blocks: tuple[bytes, ...]
    security: tuple[int, ...] = ()

    @property
    def data(self) -> bytes:
        return b"".join(self.blocks)

    def encode(self) -> bytes:
        security = self.security or (0,) * len(self.blocks)
        head = bytes([len(self.blocks), self.block_size])
        return head + b"".join(bytes([s]) + b[::-1] for s, b in zip(security, self.blocks, strict=True))


def decode_blocks(data: bytes) -> Blocks:
    """``DB-N DB-SIZE`` then ``SEC-STATUS DB[DB-SIZE]`` per block (blocks reversed on the wire)."""
    if len(data) < 2:
        raise FeigProtocolError("read blocks answer without DB-N and DB-SIZE")
    count, size = data[0], data[1]
    body = data[2:]
    if size == 0 or len(body) != count * (size + 1):
        raise FeigProtocolError(f"read blocks answer: {count} blocks of {size} bytes in {len(body)} bytes")
    step = size + 1
    return Blocks(size, tuple(body[i + 1:i + step][::-1] for i in range(0, len(body), step)),
                  tuple(body[i] for i in range(0, len(body), step)))


@dataclass(frozen=True)
class SystemInfo:
    """Get System Information response data. ``block_count`` and ``block_size`` are real counts."""

    uid: bytes
    afi: int
    dsfid: int = 0
    block_count: int = 28
    block_size: int = 4
    ic_ref: int = 0x01

    def encode(self) -> bytes:
        # MEM-SIZE arrives MSB first: block size - 1, then block count - 1 (Biblio-RFID CPRM02.pm).
        mem = bytes([(self.block_size - 1) & 0x1F, self.block_count - 1])
        return bytes([self.dsfid]) + self.uid + bytes([self.afi]) + mem + bytes([self.ic_ref])


def decode_system_info(data: bytes) -> SystemInfo:
    if len(data) != 13:
        raise FeigProtocolError(f"system info answer has {len(data)} bytes, expected 13")
    return SystemInfo(uid=data[1:9], afi=data[9], dsfid=data[0], block_count=data[11] + 1,
                      block_size=(data[10] & 0x1F) + 1, ic_ref=data[12])
