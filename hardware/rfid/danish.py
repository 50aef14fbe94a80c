"""ISO 28560-3 fixed length encoding, as the Danish data model (DS/INF 163) lays it out.

Tag memory, byte 0 = first byte of block 0 (research/hardware.md §1.1, offsets from libdanrfid's
DDMData.java, checked against its test vectors):

====== ==========================================================================
0      version (high nibble, 1) and type of usage (low nibble); normally 0x11
1      number of parts in the set (1..255)
2      ordinal part number (1..parts)
3-18   primary item id, ASCII, NUL-padded (0x01 in byte 3: the id is in an extension block)
19-20  CRC-16/CCITT-FALSE, LSB first
21-22  country of the owner library (ISO 3166, "DK")
23-33  owner library (ISIL without the country, "775100"), NUL-padded; 23-31 on 32-byte tags
34-    optional blocks: [length incl. itself][block id, LSB first][XOR checksum][data]...
====== ==========================================================================

The CRC covers the 34-byte basic block without its two CRC bytes (32 bytes), bytes missing on a
32-byte tag counting as 0x00; so a truncated 32-byte block and a full one with an empty tail agree.
"""

from __future__ import annotations

from functools import reduce

from hardware.rfid import OptionalBlock, Quirk, TagContent, TagCrcError, TagDataError

BASIC_BLOCK_SIZE = 34
TRUNCATED_SIZE = 32  # the smallest tag the model allows: ISIL cut to 9 bytes, no optional blocks
ITEM_ID_SIZE = 16
LIBRARY_SIZE = BASIC_BLOCK_SIZE - 23
TRUNCATED_LIBRARY_SIZE = TRUNCATED_SIZE - 23
VERSION = 1
_FRAME = 4  # optional block header: length, block id (2), checksum
_EXTENDED_ITEM_ID = 0x01  # byte 3: primary item id longer than 16 bytes (biblstandard.dk clarification)


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def basic_block_crc(memory: bytes) -> int:
    """The CRC the basic block at the start of ``memory`` should carry in bytes 19-20."""
    block = memory[:BASIC_BLOCK_SIZE].ljust(BASIC_BLOCK_SIZE, b"\x00")
    return crc16(block[:19] + block[21:])


def stored_crc(memory: bytes) -> int:
    return memory[19] | memory[20] << 8


def reverse_blocks(memory: bytes) -> bytes:
    """Each whole 4-byte block byte-reversed (a trailing partial block is left as it is)."""
    whole = len(memory) - len(memory) % 4
    return b"".join(memory[i:i + 4][::-1] for i in range(0, whole, 4)) + memory[whole:]


def in_tag_order(memory: bytes) -> tuple[bytes, bool] | None:
    """``(memory, reversed)`` in true tag order if it holds a CRC-valid basic block, else None.

    The memory returned is cut to 32 bytes if only the truncated block's CRC matches.

    Some readers return every 4-byte block byte-reversed (FEIG in host mode, Biblio-RFID's CPRM02.pm,
    libdanrfid's isvalid()); the CRC says which order is the real one.
    """
    if len(memory) < TRUNCATED_SIZE:
        return None
    for candidate, flipped in ((memory, False), (reverse_blocks(memory), True)):
        # A 32-byte block written on a bigger tag may have old data in bytes 32-33: try it alone too.
        for view in (candidate, candidate[:TRUNCATED_SIZE]):
            if stored_crc(view) == basic_block_crc(view):
                return view, flipped
    return None


def looks_like_danish(memory: bytes) -> bool:
    """Does the memory look like a Danish basic block (CRC aside)? Tells a bad CRC from another model."""
    return any(_plausible(candidate) for candidate in (memory, reverse_blocks(memory)))


def _plausible(memory: bytes) -> bool:
    if len(memory) < TRUNCATED_SIZE or VERSION not in (memory[0] >> 4, memory[0] & 0x0F):
        return False
    item_id = memory[3:19].rstrip(b"\x00")
    country = memory[21:23]
    return (
        (memory[3] == _EXTENDED_ITEM_ID or (bool(item_id) and _printable(item_id)))
        and (country == b"\x00\x00" or (country.isalpha() and country.isupper()))
    )


def crc_mismatch(memory: bytes) -> TagCrcError:
    """The error for a basic block whose CRC fails in both byte orders, saying what was found."""
    return TagCrcError(
        f"Danish data model CRC mismatch: stored 0x{stored_crc(memory):04X}, computed "
        f"0x{basic_block_crc(memory):04X} (byte-reversed blocks tried too)")


def decode(memory: bytes) -> TagContent:
    """Decode a Danish-model tag from its user memory as the reader returned it.

    Raises :class:`TagCrcError` if the CRC matches in neither byte order, and :class:`TagDataError`
    if the memory is too short or a CRC-valid block holds something impossible (part 3 of 2).
    """
    if len(memory) < TRUNCATED_SIZE:
        raise TagDataError(
            f"{len(memory)} bytes of tag data: the Danish data model needs at least {TRUNCATED_SIZE}")
    ordered = in_tag_order(memory)
    if ordered is None:
        raise crc_mismatch(memory)
    tag, was_reversed = ordered
    quirks = [Quirk.BLOCKS_REVERSED] if was_reversed else []
    version, usage = tag[0] >> 4, tag[0] & 0x0F
    if version != VERSION:
        if usage == VERSION:  # Bibliotheca writes the two nibbles the other way round (libdanrfid)
            version, usage = usage, version
            quirks.append(Quirk.NIBBLES_SWAPPED)
        else:
            quirks.append(Quirk.UNKNOWN_VERSION)
    parts, part = tag[1], tag[2]
    if not 1 <= part <= parts:
        raise TagDataError(f"set information is impossible: part {part} of {parts}")
    if tag[3] == _EXTENDED_ITEM_ID:
        raise TagDataError("the primary item id is longer than 16 characters and kept in a library "
                           "extension block, which this kiosk cannot read")
    blocks, damaged = _optional_blocks(tag)
    if damaged:
        quirks.append(Quirk.OPTIONAL_BLOCKS_DAMAGED)
    item_id = _text(tag[3:19], "primary item id")
    if not item_id:
        raise TagDataError("the primary item id is empty")
    return TagContent(
        item_id=item_id,
        parts_in_set=parts,
        part_number=part,
        country=_text(tag[21:23], "country"),
        library=_text(tag[23:BASIC_BLOCK_SIZE], "owner library"),
        type_of_usage=usage,
        version=version,
        optional_blocks=blocks,
        quirks=tuple(quirks),
        crc=stored_crc(tag),
    )


def _text(field: bytes, name: str) -> str:
    value = field.rstrip(b"\x00")
    if not _printable(value):
        raise TagDataError(f"the {name} field holds bytes that are not printable ASCII: {field.hex(' ')}")
    return value.decode("ascii")


def _printable(value: bytes) -> bool:
    return all(0x20 <= byte <= 0x7E for byte in value)


def _optional_blocks(tag: bytes) -> tuple[tuple[OptionalBlock, ...], bool]:
    """The optional blocks after the basic block, and whether their framing broke off midway."""
    blocks: list[OptionalBlock] = []
    position = BASIC_BLOCK_SIZE
    while position < len(tag):
        length = tag[position]
        if length == 0:  # end block
            return tuple(blocks), False
        if length == 1:  # filler byte, used to align blocks (DDM §3.3.2)
            position += 1
            continue
        if length < _FRAME or position + length > len(tag):
            return tuple(blocks), True
        frame = tag[position:position + length]
        blocks.append(OptionalBlock(block_id=frame[1] | frame[2] << 8, data=bytes(frame[_FRAME:]),
                                    checksum_ok=_xor(frame) == 0))
        position += length
    return tuple(blocks), False


def _xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode(content: TagContent, *, memory_size: int | None = None) -> bytes:
    """The user memory for ``content`` in the Danish data model, zero-padded to whole 4-byte blocks.

    Without ``memory_size`` the result is as short as the content allows: the 32-byte truncated
    basic block when the library code fits in 9 bytes and there are no optional blocks, else the full
    34-byte block and the optional blocks. With ``memory_size`` (a multiple of 4) it is padded to that
    size. ``usage_qualifier`` and ``other_elements`` have no place in this model and are not written.
    Raises :class:`TagDataError` naming the field that does not fit.
    """
    item_id = _ascii(content.item_id, "item id", ITEM_ID_SIZE)
    if not item_id:
        raise TagDataError("the item id is empty")
    if item_id[0] == _EXTENDED_ITEM_ID:
        raise TagDataError("the item id must not start with byte 0x01")
    country = _ascii(content.country, "country", 2)
    if country and not (len(country) == 2 and country.isalpha() and country.isupper()):
        raise TagDataError(f"country {content.country!r} is not two capital letters (ISO 3166, e.g. DK)")
    library = _ascii(content.library, "owner library", LIBRARY_SIZE)
    if not 1 <= content.parts_in_set <= 255:
        raise TagDataError(f"parts in set must be 1 to 255, not {content.parts_in_set}")
    if not 1 <= content.part_number <= content.parts_in_set:
        raise TagDataError(f"part {content.part_number} of {content.parts_in_set} is not a part of the set")
    if content.version != VERSION:
        raise TagDataError(f"the Danish data model has only version {VERSION}, not {content.version}")
    if not 0 <= content.type_of_usage <= 15:
        raise TagDataError(f"type of usage must be 0 to 15, not {content.type_of_usage}")
    block = bytearray(BASIC_BLOCK_SIZE)
    block[0] = content.version << 4 | content.type_of_usage
    block[1], block[2] = content.parts_in_set, content.part_number
    block[3:3 + len(item_id)] = item_id
    block[21:21 + len(country)] = country
    block[23:23 + len(library)] = library
    crc = basic_block_crc(bytes(block))
    block[19], block[20] = crc & 0xFF, crc >> 8
    truncated = not content.optional_blocks and len(library) <= TRUNCATED_LIBRARY_SIZE
    memory = bytes(block[:TRUNCATED_SIZE]) if truncated else bytes(block)
    memory += b"".join(_frame(optional) for optional in content.optional_blocks)
    memory = memory.ljust(-(-len(memory) // 4) * 4, b"\x00")
    if memory_size is not None:
        if memory_size % 4 or memory_size < len(memory):
            raise TagDataError(
                f"the data needs {len(memory)} bytes; a tag of {memory_size} bytes cannot hold it")
        memory = memory.ljust(memory_size, b"\x00")
    return memory


def _ascii(value: str, name: str, size: int) -> bytes:
    if not all(" " <= char <= "~" for char in value):
        raise TagDataError(f"the {name} {value!r} must be printable ASCII")
    raw = value.encode("ascii")
    if len(raw) > size:
        raise TagDataError(f"the {name} {value!r} is {len(raw)} characters; the tag has room for {size}")
    return raw


def _frame(block: OptionalBlock) -> bytes:
    length = _FRAME + len(block.data)
    if length > 255:
        raise TagDataError(f"optional block 0x{block.block_id:04X} is {length} bytes; at most 255 fit")
    if not 0 <= block.block_id <= 0xFFFF:
        raise TagDataError(f"optional block id {block.block_id} does not fit in 16 bits")
    frame = bytearray([length, block.block_id & 0xFF, block.block_id >> 8, 0]) + block.data
    frame[3] = _xor(bytes(frame))
    return bytes(frame)
