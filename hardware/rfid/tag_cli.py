"""``library-kiosk tag``: decode a tag's user memory, or encode item data as the Danish data model.

``tag decode HEX [--uid UID] [--afi HEX] [--json]`` prints every field the tag holds;
``tag encode --item-id ID [...]`` prints the user memory to write, as hex. Bad input (hex that is not
hex, a tag that is too short, a bad CRC) gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from hardware.rfid import TagContent, split_isil
from hardware.rfid.tagdata import (
    SECURED_AFI,
    UNSECURED_AFI,
    SecurityPolicy,
    decode_tag_content,
    encode_tag_data,
    normalise_uid,
    security_from_afi,
)
from kiosk.domain.errors import KioskError

USAGE_CHOICES = {
    "acquisition": 0, "circulating": 1, "not-for-circulation": 2, "local": 3, "no-information": 6,
    "discarded": 7, "patron-card": 8, "equipment": 9,
}
MODEL_NAMES = {"iso28560-3": "ISO 28560-3 (Danish data model, DS/INF 163)", "iso28560-2": "ISO 28560-2"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="tag_command", required=True, metavar="COMMAND")
    decode = commands.add_parser("decode", help="decode a tag's user memory given as hex")
    decode.add_argument("hex", metavar="HEX",
                        help="user memory from block 0, as hex (spaces and colons are ignored)")
    decode.add_argument("--uid", default="", help="the tag's UID, as hex")
    decode.add_argument("--afi", help="the tag's AFI byte, as hex, to show its security state")
    decode.add_argument("--secured-afi", default=f"{SECURED_AFI:02X}", help="AFI of a secured item (hex)")
    decode.add_argument("--unsecured-afi", default=f"{UNSECURED_AFI:02X}",
                        help="AFI of an item on loan (hex)")
    decode.add_argument("--json", action="store_true", help="print the fields as JSON")
    encode = commands.add_parser("encode", help="encode item data as Danish data model user memory")
    encode.add_argument("--item-id", required=True, help="primary item id (the barcode), up to 16 characters")
    encode.add_argument("--parts", type=int, default=1, help="number of parts in the set (default 1)")
    encode.add_argument("--part", type=int, default=1, help="this part's number in the set (default 1)")
    encode.add_argument("--country", help="country of the owner library (default DK, or the ISIL's prefix)")
    encode.add_argument("--isil", default="", help='owner library, e.g. "775100" or "DK-775100"')
    encode.add_argument("--type-of-usage", default="circulating",
                        help=f"one of {', '.join(USAGE_CHOICES)}, or a number 0-15 (default circulating)")
    encode.add_argument("--memory-size", type=int, help="pad to the tag's user memory size in bytes")
    encode.add_argument("--json", action="store_true", help="print the bytes as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        if args.tag_command == "decode":
            return _decode(args)
        if args.tag_command == "encode":
            return _encode(args)
    except (KioskError, ValueError) as exc:
        print(f"library-kiosk tag: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled tag command {args.tag_command}")


def parse_hex(text: str, what: str) -> bytes:
    """Bytes from hex with optional spaces, colons or a 0x prefix; ValueError says what is wrong."""
    compact = re.sub(r"[\s:]", "", text.removeprefix("0x").removeprefix("0X"))
    if not re.fullmatch(r"[0-9A-Fa-f]*", compact):
        raise ValueError(f"{what} {text!r} is not hexadecimal")
    if len(compact) % 2:
        raise ValueError(f"{what} has an odd number of hex digits ({len(compact)}): a byte is cut in half")
    return bytes.fromhex(compact)


def _byte(text: str, what: str) -> int:
    value = parse_hex(text, what)
    if len(value) != 1:
        raise ValueError(f"{what} must be one byte (two hex digits), not {text!r}")
    return value[0]


def _decode(args: argparse.Namespace) -> int:
    data = parse_hex(args.hex, "tag data")
    if not data:
        raise ValueError("tag data is empty")
    content = decode_tag_content(data)
    fields = _fields(content)
    if args.uid:
        fields["uid"] = normalise_uid(args.uid)
    if args.afi is not None:
        policy = SecurityPolicy(secured_afi=_byte(args.secured_afi, "--secured-afi"),
                                unsecured_afi=_byte(args.unsecured_afi, "--unsecured-afi"))
        afi = _byte(args.afi, "--afi")
        fields["afi"] = f"0x{afi:02X}"
        fields["security"] = security_from_afi(afi, policy).value
    if args.json:
        print(json.dumps(fields, indent=2, ensure_ascii=False))
    else:
        _print_fields(fields)
    return 0


def _fields(content: TagContent) -> dict[str, Any]:
    return {
        "model": content.model.value,
        "item_id": content.item_id,
        "parts_in_set": content.parts_in_set,
        "part_number": content.part_number,
        "owner_library": content.owner_library,
        "country": content.country,
        "library": content.library,
        "type_of_usage": content.type_of_usage,
        "usage_name": content.usage_name,
        "usage_qualifier": content.usage_qualifier,
        "version": content.version,
        "crc": None if content.crc is None else f"0x{content.crc:04X}",
        "quirks": [quirk.value for quirk in content.quirks],
        "optional_blocks": [{"block_id": f"0x{block.block_id:04X}", "data": block.data.hex(),
                             "checksum_ok": block.checksum_ok} for block in content.optional_blocks],
        "other_elements": [{"oid": oid, "value": value} for oid, value in content.other_elements],
    }


def _print_fields(fields: dict[str, Any]) -> None:
    lines = [
        ("data model", MODEL_NAMES.get(fields["model"], fields["model"])),
        ("item id", fields["item_id"]),
        ("set", f"part {fields['part_number']} of {fields['parts_in_set']}"),
        ("owner library", fields["owner_library"] or "(none)"),
        ("type of usage", f"{fields['type_of_usage']} ({fields['usage_name']})"),
    ]
    if fields["model"] == "iso28560-3":
        lines += [("version", str(fields["version"])), ("CRC", f"{fields['crc']} (valid)")]
    else:
        lines.append(("usage qualifier", str(fields["usage_qualifier"])))
    if "uid" in fields:
        lines.append(("uid", fields["uid"]))
    if "security" in fields:
        lines.append(("security", f"{fields['security']} (AFI {fields['afi']})"))
    if fields["quirks"]:
        lines.append(("tolerated", ", ".join(fields["quirks"])))
    for block in fields["optional_blocks"]:
        state = "checksum ok" if block["checksum_ok"] else "CHECKSUM BAD"
        lines.append(("optional block", f"{block['block_id']}, {state}: {block['data'] or '(empty)'}"))
    for element in fields["other_elements"]:
        lines.append(("other element", f"OID {element['oid']}: {element['value']}"))
    for label, value in lines:
        print(f"{label:<16}{value}")


def _usage(text: str) -> int:
    if text in USAGE_CHOICES:
        return USAGE_CHOICES[text]
    if text.isascii() and text.isdigit() and 0 <= int(text) <= 15:
        return int(text)
    raise ValueError(f"type of usage {text!r} is not one of {', '.join(USAGE_CHOICES)} or a number 0-15")


def _encode(args: argparse.Namespace) -> int:
    prefix, library = split_isil(args.isil)
    if prefix and args.country and prefix != args.country:
        raise ValueError(f"--country {args.country} disagrees with the ISIL {args.isil}")
    content = TagContent(item_id=args.item_id, parts_in_set=args.parts, part_number=args.part,
                         country=prefix or args.country or "DK", library=library,
                         type_of_usage=_usage(args.type_of_usage))
    memory = encode_tag_data(content, memory_size=args.memory_size)
    blocks = [memory[i:i + 4].hex().upper() for i in range(0, len(memory), 4)]
    if args.json:
        print(json.dumps({"hex": memory.hex().upper(), "length": len(memory), "blocks": blocks}, indent=2))
    else:
        print(" ".join(blocks))
    return 0
