"""ISO 28560-2: library data elements as ISO/IEC 15962 data sets (no-directory format).

User memory is a run of data sets ended by a 0x00 byte (or by the end of memory). Each data set is
(research/hardware.md §1.2, read from the Helsinki "Helmet" parser):

    precursor [OID extension] [pad count] length data [pad bytes]

The precursor's bit 7 says a pad count follows, bits 6-4 are the compaction code and bits 3-0 the
relative OID (1 primary item id, 2 content parameter, 3 owner library ISIL, 4 set information,
5 type of usage, ...). A relative OID nibble of 0xF means "15 + the next byte" (ISO/IEC 15962 as
summarised in the research; UNVERIFIED against the standard's text, as is the position of that byte
before the pad count).
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.rfid import DataModel, TagContent, TagDataError, split_isil

PRIMARY_ITEM_ID, CONTENT_PARAMETER, OWNER_ISIL, SET_INFORMATION, TYPE_OF_USAGE = 1, 2, 3, 4, 5
APPLICATION, INTEGER, NUMERIC, UPPER_5BIT, SIX_BIT, SEVEN_BIT, OCTET, UTF8 = range(8)
NO_USAGE_INFORMATION = 0x60  # ISO 28560-1 class 6: "no information about usage on the tag"

# ISIL compaction (ISO 28560-2, application-defined for OID 3): two 5-bit letter tables and a 4-bit
# numeric table with latch/shift codes, starting in upper case.
_UPPER = "-ABCDEFGHIJKLMNOPQRSTUVWXYZ:"
_LOWER = "-abcdefghijklmnopqrstuvwxyz/"
_DIGITS = "0123456789-:"
_TABLES = {"U": _UPPER, "L": _LOWER, "N": _DIGITS}
_WIDTH = {"U": 5, "L": 5, "N": 4}
# code -> (latch or shift, target table), per table
_SWITCHES = {
    "U": {28: ("latch", "L"), 29: ("shift", "L"), 30: ("latch", "N"), 31: ("shift", "N")},
    "L": {28: ("latch", "U"), 29: ("shift", "U"), 30: ("latch", "N"), 31: ("shift", "N")},
    "N": {12: ("latch", "U"), 13: ("shift", "U"), 14: ("latch", "L"), 15: ("shift", "L")},
}


@dataclass(frozen=True)
class DataSet:
    """One data set as it sits on the tag: relative OID, compaction code and the compacted bytes."""

    oid: int
    compaction: int
    value: bytes


def data_sets(memory: bytes) -> list[DataSet]:
    """The data sets in ``memory`` up to the terminator; raises :class:`TagDataError` if one is cut off."""
    sets: list[DataSet] = []
    position = 0

    def take(count: int, what: str) -> bytes:
        nonlocal position
        if position + count > len(memory):
            raise TagDataError(f"ISO 28560-2 data set cut off: {what} runs past byte {len(memory)}")
        chunk = memory[position:position + count]
        position += count
        return chunk

    while position < len(memory) and memory[position] != 0x00:
        precursor = take(1, "precursor")[0]
        oid = precursor & 0x0F
        if oid == 0:
            raise TagDataError(f"ISO 28560-2 precursor 0x{precursor:02X} names relative OID 0")
        if oid == 0x0F:
            oid = 15 + take(1, "OID extension")[0]
        padding = take(1, "pad count")[0] if precursor & 0x80 else 0
        length = take(1, "length")[0]
        sets.append(DataSet(oid, (precursor >> 4) & 0x07, take(length, f"OID {oid} data")))
        take(padding, f"OID {oid} padding")
    return sets


def decode(memory: bytes) -> TagContent:
    """Decode an ISO 28560-2 tag. The first data set must be the primary item identifier.

    Raises :class:`TagDataError` for anything that is not a well-formed ISO 28560-2 memory.
    """
    sets = data_sets(memory)
    if not sets:
        raise TagDataError("no ISO 28560-2 data sets (the memory starts with the terminator)")
    if sets[0].oid != PRIMARY_ITEM_ID:
        raise TagDataError(f"the first ISO 28560-2 data set is OID {sets[0].oid}, "
                           "not the primary item identifier")
    seen = [data_set.oid for data_set in sets]
    if duplicates := sorted({oid for oid in seen if seen.count(oid) > 1}):
        raise TagDataError(f"ISO 28560-2 OID {duplicates[0]} appears more than once")
    by_oid = {data_set.oid: data_set for data_set in sets}
    item_id = _text(by_oid[PRIMARY_ITEM_ID])
    if not item_id or not item_id.isprintable():
        raise TagDataError(f"the primary item identifier {item_id!r} is empty or not printable")
    country, library = split_isil(_isil(by_oid[OWNER_ISIL])) if OWNER_ISIL in by_oid else ("", "")
    parts, part = _set_information(by_oid[SET_INFORMATION]) if SET_INFORMATION in by_oid else (1, 1)
    usage = _type_of_usage(by_oid.get(TYPE_OF_USAGE))
    known = {PRIMARY_ITEM_ID, OWNER_ISIL, SET_INFORMATION} | ({TYPE_OF_USAGE} if usage is not None else set())
    if usage is None:
        usage = NO_USAGE_INFORMATION
    return TagContent(
        item_id=item_id,
        parts_in_set=parts,
        part_number=part,
        country=country,
        library=library,
        type_of_usage=usage >> 4,
        usage_qualifier=usage & 0x0F,
        model=DataModel.ISO28560_2,
        other_elements=tuple((s.oid, _describe(s)) for s in sets if s.oid not in known),
    )


def _text(data_set: DataSet) -> str:
    """The value as text, by its compaction; application-defined values come back as hex."""
    value, compaction = data_set.value, data_set.compaction
    if compaction == INTEGER:
        return str(int.from_bytes(value, "big")) if value else ""
    if compaction == NUMERIC:
        return _numeric(value)
    if compaction in (UPPER_5BIT, SIX_BIT, SEVEN_BIT):
        return _packed(value, compaction)
    if compaction == OCTET:
        return value.decode("latin-1")
    if compaction == UTF8:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise TagDataError(f"OID {data_set.oid} is marked UTF-8 but is not valid UTF-8") from None
    return value.hex()


def _numeric(value: bytes) -> str:
    """Digits four bits each, a trailing 0xF nibble padding an odd count (as the Helsinki parser reads)."""
    nibbles = [n for byte in value for n in (byte >> 4, byte & 0x0F)]
    if nibbles and nibbles[-1] == 0x0F:
        nibbles.pop()
    if any(n > 9 for n in nibbles):
        raise TagDataError(f"numeric-compacted value {value.hex()} holds a nibble that is not a digit")
    return "".join(str(n) for n in nibbles)


def _packed(value: bytes, compaction: int) -> str:
    """5-, 6- or 7-bit character codes, packed most significant bit first."""
    width = {UPPER_5BIT: 5, SIX_BIT: 6, SEVEN_BIT: 7}[compaction]
    bits = int.from_bytes(value, "big")
    total = len(value) * 8
    codes = [(bits >> (total - width * (i + 1))) & ((1 << width) - 1) for i in range(total // width)]
    # A last all-zero code that the byte count does not need is padding, not a character.
    if codes and codes[-1] == 0 and -(-(len(codes) - 1) * width // 8) == len(value):
        codes.pop()
    if compaction == UPPER_5BIT:
        return "".join(chr(0x40 | code) for code in codes)
    if compaction == SIX_BIT:
        return "".join(chr(code if code >= 0x20 else 0x40 | code) for code in codes)
    return "".join(chr(code) for code in codes)


def _isil(data_set: DataSet) -> str:
    if data_set.compaction != APPLICATION:
        return _text(data_set)
    bits = "".join(f"{byte:08b}" for byte in data_set.value)
    out: list[str] = []
    latched, shifted = "U", ""
    position = 0
    while True:
        table = shifted or latched
        width = _WIDTH[table]
        if position + width > len(bits):
            break  # what is left is padding
        code = int(bits[position:position + width], 2)
        position += width
        shifted = ""
        switch = _SWITCHES[table].get(code)
        if switch is None:
            if code >= len(_TABLES[table]):
                raise TagDataError(f"ISIL code {code} is not in the {table} table")
            out.append(_TABLES[table][code])
        elif switch[0] == "latch":
            latched = switch[1]
        else:
            shifted = switch[1]
    return "".join(out)


def _set_information(data_set: DataSet) -> tuple[int, int]:
    """(parts in set, part number) from the digits "total then part", each half the digits.

    The order follows ISO 28560-3's basic block (parts, then ordinal); UNVERIFIED for ISO 28560-2.
    """
    digits = _text(data_set)
    if not (digits.isascii() and digits.isdigit()):  # '²' passes isdigit, and int() refuses it
        raise TagDataError(f"set information {digits!r} is not digits")
    digits = digits.zfill(len(digits) + len(digits) % 2)
    half = len(digits) // 2
    parts, part = int(digits[:half]), int(digits[half:])
    if not 1 <= part <= parts:
        raise TagDataError(f"set information is impossible: part {part} of {parts}")
    return parts, part


def _type_of_usage(data_set: DataSet | None) -> int | None:
    """The class/qualifier byte, or None if absent or not the one application-defined byte it must be
    (then it is kept in ``other_elements``: a quirky type of usage should not make the item unlendable)."""
    if data_set is None or data_set.compaction != APPLICATION or len(data_set.value) != 1:
        return None
    return data_set.value[0]


def _describe(data_set: DataSet) -> str:
    if data_set.oid == CONTENT_PARAMETER and data_set.compaction == APPLICATION:
        present = [3 + i for i in range(len(data_set.value) * 8)
                   if data_set.value[i // 8] & (0x80 >> (i % 8))]
        return "OIDs " + " ".join(str(oid) for oid in present)
    return _text(data_set)


def encode(content: TagContent) -> bytes:
    """``content`` as ISO 28560-2 data sets: item id, content parameter, ISIL, set, type of usage.

    The item id uses integer compaction when it is digits without a leading zero, numeric when it is
    other digits, else octets (ISO 8859-1) or UTF-8. Zero-padded to whole 4-byte blocks.
    """
    if not content.item_id:
        raise TagDataError("the item id is empty")
    sets = [_item_id_set(content.item_id)]
    optional: list[DataSet] = []
    if content.owner_library:
        optional.append(DataSet(OWNER_ISIL, APPLICATION, _isil_bytes(content.owner_library)))
    if (content.parts_in_set, content.part_number) != (1, 1):
        if not 1 <= content.part_number <= content.parts_in_set:
            raise TagDataError(
                f"part {content.part_number} of {content.parts_in_set} is not a part of the set")
        width = len(str(content.parts_in_set))
        digits = str(content.parts_in_set).zfill(width) + str(content.part_number).zfill(width)
        optional.append(DataSet(SET_INFORMATION, NUMERIC, _numeric_bytes(digits)))
    if not (0 <= content.type_of_usage <= 15 and 0 <= content.usage_qualifier <= 15):
        raise TagDataError("type of usage and its qualifier must each be 0 to 15")
    optional.append(DataSet(TYPE_OF_USAGE, APPLICATION,
                            bytes([content.type_of_usage << 4 | content.usage_qualifier])))
    bitmap = 0
    for data_set in optional:
        bitmap |= 0x80 >> (data_set.oid - 3)
    sets += [DataSet(CONTENT_PARAMETER, APPLICATION, bytes([bitmap])), *optional]
    memory = b"".join(_data_set_bytes(data_set) for data_set in sets) + b"\x00"
    return memory.ljust(-(-len(memory) // 4) * 4, b"\x00")


def _item_id_set(item_id: str) -> DataSet:
    if item_id.isdigit() and item_id.isascii() and item_id[0] != "0":
        number = int(item_id)
        return DataSet(PRIMARY_ITEM_ID, INTEGER, number.to_bytes(-(-number.bit_length() // 8), "big"))
    if item_id.isdigit() and item_id.isascii():
        return DataSet(PRIMARY_ITEM_ID, NUMERIC, _numeric_bytes(item_id))
    try:
        return DataSet(PRIMARY_ITEM_ID, OCTET, item_id.encode("latin-1"))
    except UnicodeEncodeError:
        return DataSet(PRIMARY_ITEM_ID, UTF8, item_id.encode("utf-8"))


def _numeric_bytes(digits: str) -> bytes:
    padded = digits + ("F" if len(digits) % 2 else "")
    return bytes.fromhex(padded)


def _isil_bytes(isil: str) -> bytes:
    """ISIL compaction; the last byte is padded with 1 bits, which decode as a harmless final shift."""
    bits = ""
    latched = "U"
    for index, char in enumerate(isil):
        if char in _TABLES[latched]:
            bits += f"{_TABLES[latched].index(char):0{_WIDTH[latched]}b}"
            continue
        target = next((t for t in "UNL" if char in _TABLES[t]), None)
        if target is None:
            raise TagDataError(f"ISIL {isil!r}: {char!r} is not an ISIL character (A-Z a-z 0-9 - : /)")
        following = isil[index + 1:index + 2]
        action = "latch" if following and following in _TABLES[target] else "shift"
        code = next(c for c, switch in _SWITCHES[latched].items() if switch == (action, target))
        bits += f"{code:0{_WIDTH[latched]}b}" + f"{_TABLES[target].index(char):0{_WIDTH[target]}b}"
        if action == "latch":
            latched = target
    bits += "1" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _data_set_bytes(data_set: DataSet) -> bytes:
    if len(data_set.value) > 255:
        raise TagDataError(f"OID {data_set.oid} is {len(data_set.value)} bytes; at most 255 fit")
    return bytes([data_set.compaction << 4 | data_set.oid, len(data_set.value)]) + data_set.value
