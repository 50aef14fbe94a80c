"""Card numbers from contactless cards: the UID as the LMS knows it, or a number kept in memory.

Libraries register contactless cards by UID, but systems print a UID differently: readers send an
ISO 15693 UID least significant byte first (``78 56 34 12 00 01 04 E0``), the tag's own notation
reverses it (``E004010012345678``), and many access systems show it as a decimal number. The
:class:`UidFormat` names the form this library's LMS expects; :func:`format_uid` turns raw bytes
into it. Patron cards that carry their number in memory (ISO 28560-3 / DS/INF 163 layout: the
identifier, NUL-padded, at bytes 3-18) are read with :func:`card_number_from_memory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ByteOrder(StrEnum):
    AS_READ = "as_read"  # the order the reader returns (ISO 15693 and ISO 14443: LSB first)
    REVERSED = "reversed"


class UidEncoding(StrEnum):
    HEX = "hex"  # upper-case, no separators
    DECIMAL = "decimal"  # the bytes, in the chosen order, as one big-endian unsigned number


@dataclass(frozen=True)
class UidFormat:
    """How a UID becomes a patron identifier. ``pad_to`` left-pads with zeros to that many
    characters (0: no padding); ``prefix`` is put in front afterwards (e.g. an LMS card-type code)."""

    byte_order: ByteOrder = ByteOrder.AS_READ
    encoding: UidEncoding = UidEncoding.HEX
    pad_to: int = 0
    prefix: str = ""

    def __post_init__(self) -> None:
        if self.pad_to < 0:
            raise ValueError(f"pad_to must be 0 or more, not {self.pad_to}")


@dataclass(frozen=True)
class MemoryNumberFormat:
    """Where a card keeps its number in memory and how to read it over PC/SC ``FF B0``.

    Blocks ``first_block`` .. ``first_block + block_count - 1`` of ``block_size`` bytes are read and
    joined; the number is the ``length`` bytes from ``offset`` in the joined data, ASCII digits,
    NUL-padded on the right. The defaults fit the ISO 28560-3 basic block on 4-byte-block tags.
    """

    first_block: int = 0
    block_count: int = 5
    block_size: int = 4
    offset: int = 3
    length: int = 16

    def __post_init__(self) -> None:
        if not 0 <= self.first_block <= 0xFFFF or self.block_count < 1 or not 1 <= self.block_size <= 255:
            raise ValueError("blocks must be 0..65535, at least one, of 1..255 bytes")
        size = self.block_count * self.block_size
        if self.offset < 0 or self.length < 1 or self.offset + self.length > size:
            raise ValueError("the number must lie inside the blocks read")

    @property
    def blocks(self) -> range:
        return range(self.first_block, self.first_block + self.block_count)


def format_uid(uid: bytes, fmt: UidFormat = UidFormat()) -> str:
    """The patron identifier for a card's UID. ``ValueError`` for an empty UID."""
    if not uid:
        raise ValueError("the card sent an empty UID")
    ordered = uid if fmt.byte_order is ByteOrder.AS_READ else uid[::-1]
    text = ordered.hex().upper() if fmt.encoding is UidEncoding.HEX else str(int.from_bytes(ordered, "big"))
    return fmt.prefix + text.rjust(fmt.pad_to, "0")


def card_number_from_memory(memory: bytes, fmt: MemoryNumberFormat = MemoryNumberFormat()) -> str:
    """The card number stored in ``memory`` (the joined blocks). ``ValueError`` saying what is
    wrong if the field is empty or holds anything but ASCII digits followed by NUL padding."""
    field = memory[fmt.offset:fmt.offset + fmt.length]
    if len(field) < fmt.length:
        raise ValueError(f"card memory is {len(memory)} bytes, too short for the number field")
    number = field.rstrip(b"\x00")
    if not number:
        raise ValueError("the card's number field is empty")
    if not (number.isascii() and number.isdigit()):
        raise ValueError("the card's number field is not ASCII digits")
    return number.decode("ascii")
