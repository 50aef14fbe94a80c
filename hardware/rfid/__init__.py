"""Library RFID tag data (ISO 28560): what a tag's user memory says about the item it is stuck on.

This package speaks bytes and returns values; it never touches a reader. The FEIG driver and the
simulators call :func:`hardware.rfid.tagdata.decode_tag_data` and
:func:`hardware.rfid.tagdata.encode_tag_data`; the codecs behind them are
:mod:`hardware.rfid.danish` (ISO 28560-3 / Danish data model DS/INF 163) and
:mod:`hardware.rfid.iso28560_2` (ISO 28560-2, ISO/IEC 15962 object identifiers).

This module holds the vocabulary the codecs share: :class:`TagContent` and the errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.domain.errors import DeviceError

# ISO 28560-1 type of usage, primary class (high nibble of the full value).
USAGE_NAMES: dict[int, str] = {
    0: "acquisition item",
    1: "circulating item",
    2: "item not for circulation",
    3: "for local use",
    4: "for local use",
    6: "no information about usage",
    7: "discarded item",
    8: "patron card",
    9: "library equipment",
}


class TagDataError(DeviceError):
    """The tag's memory cannot be understood. The message says what is wrong, for staff and the log.

    A subclass of :class:`kiosk.domain.errors.DeviceError` (and so of ``KioskError``): the item reader reports
    an unreadable tag like any other device trouble. Decoders raise nothing else, whatever the bytes.
    """


class BlankTagError(TagDataError):
    """The tag holds no library data at all (all 0x00 or all 0xFF): a new or erased tag."""


class TagCrcError(TagDataError):
    """The Danish basic block's CRC does not match, in either byte order: a bad read or a bad tag."""


class DataModel(StrEnum):
    """Which ISO 28560 encoding a tag holds."""

    DANISH = "iso28560-3"  # fixed length encoding: Danish data model DS/INF 163
    ISO28560_2 = "iso28560-2"  # ISO/IEC 15962 object identifiers


class Quirk(StrEnum):
    """Something a decoder tolerated on the way; the content is still trustworthy."""

    NIBBLES_SWAPPED = "nibbles-swapped"  # version and type of usage swapped in byte 0 (Bibliotheca)
    BLOCKS_REVERSED = "blocks-reversed"  # the reader returned each 4-byte block byte-reversed
    OPTIONAL_BLOCKS_DAMAGED = "optional-blocks-damaged"  # the optional blocks' frame broke off
    UNKNOWN_VERSION = "unknown-version"  # CRC is good, but the version is not 1


@dataclass(frozen=True)
class OptionalBlock:
    """One optional (extension) block after the Danish basic block, kept as raw bytes.

    ``data`` is the block's payload after its 4-byte frame (length, block id LSB first, checksum).
    A block whose XOR checksum fails is kept with ``checksum_ok`` False; its data is not to be trusted.
    """

    block_id: int
    data: bytes
    checksum_ok: bool = True


@dataclass(frozen=True)
class TagContent:
    """Every field decoded from a library tag, whichever data model it holds.

    ``country`` and ``library`` are the two parts of the owner library's ISIL ("DK", "775100");
    :attr:`owner_library` joins them. ``type_of_usage`` is the ISO 28560-1 primary class (1 is a
    circulating item); ``usage_qualifier`` is its sub-class, which only ISO 28560-2 tags carry.
    ``other_elements`` holds ISO 28560-2 data elements this package has no field for, as
    (relative OID, value as text). ``crc`` is the Danish basic block's CRC as stored on the tag.
    """

    item_id: str
    parts_in_set: int = 1
    part_number: int = 1
    country: str = "DK"
    library: str = ""
    type_of_usage: int = 1
    usage_qualifier: int = 0
    version: int = 1
    model: DataModel = DataModel.DANISH
    optional_blocks: tuple[OptionalBlock, ...] = ()
    other_elements: tuple[tuple[int, str], ...] = ()
    quirks: tuple[Quirk, ...] = ()
    crc: int | None = None

    @property
    def owner_library(self) -> str:
        """The owner library's ISIL, e.g. "DK-775100" (SIP2 AO/BG use this form)."""
        if self.country and self.library:
            return f"{self.country}-{self.library}"
        return self.library or self.country

    @property
    def usage_name(self) -> str:
        return USAGE_NAMES.get(self.type_of_usage, "reserved for future use")


def split_isil(isil: str) -> tuple[str, str]:
    """Split an ISIL into (prefix, library): "DK-775100" -> ("DK", "775100"); no prefix -> ("", isil)."""
    prefix, dash, rest = isil.partition("-")
    if dash and 1 <= len(prefix) <= 4 and rest:
        return prefix, rest
    return "", isil


__all__ = [
    "USAGE_NAMES",
    "BlankTagError",
    "DataModel",
    "OptionalBlock",
    "Quirk",
    "TagContent",
    "TagCrcError",
    "TagDataError",
    "split_isil",
]
