"""SIP2 message codec: bytes <-> :class:`Message`, with AY/AZ error detection.

* Fixed fields are taken by position in spec order; variable fields are ``CODEvalue|`` in any
  order, repeats allowed, unknown and vendor codes kept as they came.
* The checksum is computed over the *encoded bytes* (sum of bytes up to and including ``AZ``, two's
  complement, 4 upper-case hex digits); lower case is accepted on input.
* A value that contains the delimiter cannot be encoded faithfully: encoding refuses it. Decoding
  tolerates servers that send one anyway (a segment that does not begin with a field code is
  the rest of the previous value).
* The decoder never raises anything but :class:`Sip2DecodeError`, whatever the bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kiosk.domain.errors import LmsProtocolError
from sync.sip2.spec import DATE_LENGTH, MESSAGES

DELIMITER = "|"
TERMINATOR = b"\r"
_TRAILER = re.compile(rb"(?:AY([0-9])(?=AZ))?AZ([0-9A-Fa-f]{4})$")
_FIELD_CODE = re.compile(r"[A-Z][A-Z0-9]")
BLANK_DATE = " " * DATE_LENGTH


class Sip2DecodeError(LmsProtocolError):
    """Bytes that are not a SIP2 message we can read. The message says why, without values."""


class Sip2EncodeError(ValueError):
    """A message that cannot be put on the wire faithfully (e.g. a value with the delimiter)."""


class ChecksumError(Sip2DecodeError):
    """The AZ checksum does not match the bytes."""


@dataclass
class Message:
    """One SIP2 message. ``fixed`` holds the fixed fields by name, as raw text."""

    command: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str]] = field(default_factory=list)
    sequence: int | None = None
    checksum: str | None = None

    def get(self, code: str, default: str = "") -> str:
        """The first value of a variable field, or ``default``."""
        for c, value in self.fields:
            if c == code:
                return value
        return default

    def getall(self, code: str) -> list[str]:
        return [value for c, value in self.fields if c == code]

    def has(self, code: str) -> bool:
        return any(c == code for c, _ in self.fields)

    def flag(self, name: str) -> bool:
        """A fixed Y/N (or 1/0) field as a bool."""
        return self.fixed.get(name, "").strip().upper() in ("Y", "1")

    def add(self, code: str, value: object) -> Message:
        self.fields.append((code, str(value)))
        return self

    @property
    def name(self) -> str:
        spec = MESSAGES.get(self.command)
        return spec.name if spec else f"unknown_{self.command}"


def checksum(data: bytes) -> str:
    """The AZ value for ``data`` (everything up to and including ``AZ``)."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def _check_value(code: str, value: str) -> None:
    if DELIMITER in value or "\r" in value or "\n" in value:
        raise Sip2EncodeError(f"field {code} contains the delimiter or a line break")


def encode(
    message: Message,
    *,
    encoding: str = "cp850",
    sequence: int | None = None,
    error_detection: bool = True,
) -> bytes:
    """The wire bytes of ``message`` without the terminator.

    With ``error_detection`` an ``AY<sequence>AZ<checksum>`` trailer is added (AY only when a
    sequence number is given, as in ``97AZFEF5``).
    """
    spec = MESSAGES.get(message.command)
    if spec is None or len(message.command) != 2 or not message.command.isdigit():
        raise Sip2EncodeError(f"unknown command {message.command!r}")
    parts = [message.command]
    for name, length in spec.fixed:
        value = message.fixed.get(name, "")
        if len(value) > length:
            raise Sip2EncodeError(f"fixed field {name} is longer than {length}")
        _check_value(name, value)
        parts.append(value.ljust(length))
    for code, value in message.fields:
        if not _FIELD_CODE.fullmatch(code) or code in ("AY", "AZ"):
            raise Sip2EncodeError(f"bad field code {code!r}")
        _check_value(code, value)
        parts.append(f"{code}{value}{DELIMITER}")
    try:
        body = "".join(parts).encode(encoding)
    except UnicodeEncodeError as exc:
        raise Sip2EncodeError(f"a value cannot be written in {encoding}: {exc.reason}") from None
    if not error_detection:
        return body
    trailer = (f"AY{sequence % 10}" if sequence is not None else "") + "AZ"
    body += trailer.encode("ascii")
    return body + checksum(body).encode("ascii")


def frame(data: bytes, terminator: bytes = TERMINATOR) -> bytes:
    return data + terminator


def decode(data: bytes, *, encoding: str = "cp850", verify: bool = True) -> Message:
    """Read one message (terminator already removed; a trailing CR/LF is tolerated).

    With ``verify`` a present checksum must match (:class:`ChecksumError` otherwise).
    """
    data = data.rstrip(b"\r\n").lstrip(b"\n")
    if len(data) < 2:
        raise Sip2DecodeError("message too short")
    sequence: int | None = None
    received: str | None = None
    trailer = _TRAILER.search(data)
    if trailer:
        received = trailer.group(2).decode("ascii").upper()
        if trailer.group(1) is not None:
            sequence = int(trailer.group(1))
        if verify and checksum(data[: trailer.start(2)]) != received:
            raise ChecksumError("checksum does not match")
        data = data[: trailer.start()]
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Sip2DecodeError(f"not valid {encoding}: {exc}") from None
    command = text[:2]
    if not command.isdigit():
        raise Sip2DecodeError("message does not start with a two-digit command")
    spec = MESSAGES.get(command)
    if spec is None:
        raise Sip2DecodeError(f"unknown command {command}")
    rest = text[2:]
    if len(rest) < spec.fixed_length:
        raise Sip2DecodeError(
            f"{spec.name}: fixed part is {len(rest)} characters, expected {spec.fixed_length}"
        )
    fixed: dict[str, str] = {}
    position = 0
    for name, length in spec.fixed:
        fixed[name] = rest[position:position + length]
        position += length
    fields = _split_fields(rest[position:])
    return Message(command, fixed, fields, sequence, received)


def _split_fields(text: str) -> list[tuple[str, str]]:
    if not text:
        return []
    segments = text.split(DELIMITER)
    if segments and segments[-1] == "":
        segments.pop()
    fields: list[list[str]] = []
    for segment in segments:
        if len(segment) >= 2 and _FIELD_CODE.fullmatch(segment[:2]):
            fields.append([segment[:2], segment[2:]])
        elif fields:
            # A server put the delimiter inside a value; it belongs to the previous field.
            fields[-1][1] += DELIMITER + segment
        elif segment.strip():
            raise Sip2DecodeError("variable part does not start with a field code")
    return [(code, value) for code, value in fields]


def format_date(when: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """The 18-character SIP date. Local time gets a blank zone; UTC gets ``   Z``. An aware time is
    written as the wall time in ``zone``, the branch's time the ACS assumes for a blank zone (None:
    this machine's zone, which a kiosk set to UTC gets wrong)."""
    if when is None:
        return BLANK_DATE
    if when.tzinfo is not None and when.utcoffset() == dt.timedelta(0) and when.tzinfo is dt.UTC:
        return when.strftime("%Y%m%d") + "   Z" + when.strftime("%H%M%S")
    if when.tzinfo is not None:
        when = when.astimezone(zone)
    return when.strftime("%Y%m%d") + "    " + when.strftime("%H%M%S")


def parse_date(text: str, local: dt.tzinfo | None = None) -> dt.datetime | None:
    """Parse an 18-character SIP date; blanks or zeros give None, anything else unreadable too. A
    blank zone is the ACS's local time: ``local`` (None: this machine's)."""
    text = text.strip("\r\n")
    if len(text) != DATE_LENGTH or not text.strip() or set(text) <= {"0", " "}:
        return None
    try:
        day = dt.datetime.strptime(text[:8] + text[12:], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    zone = text[8:12]
    if zone.strip() == "Z":
        return day.replace(tzinfo=dt.UTC)
    if zone.strip() == "":
        return day.replace(tzinfo=local) if local is not None else day.astimezone()
    return day  # another zone letter: kept naive rather than guessed


_FREE_DATE_FORMATS = ("%d.%m.%Y", "%d-%m-%Y", "%m/%d/%Y,%H:%M", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S",
                      "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%d/%m/%Y")


def parse_due_date(text: str, local: dt.tzinfo | None = None) -> dt.datetime | None:
    """AH is free-form: try the SIP format, then common ones. The text is always kept as well."""
    text = text.strip()
    if not text:
        return None
    if len(text) == DATE_LENGTH and (parsed := parse_date(text, local)) is not None:
        return parsed
    for pattern in _FREE_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def yn(value: bool) -> str:
    return "Y" if value else "N"


def message(command: str, fixed: dict[str, str] | None = None,
            fields: Iterable[tuple[str, object]] = ()) -> Message:
    """Build a message; field values are turned into text."""
    return Message(command, dict(fixed or {}), [(c, str(v)) for c, v in fields])
