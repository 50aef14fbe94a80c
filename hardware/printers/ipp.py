"""IPP/1.1 spoken to a printer directly: the encoding (RFC 8010), the four operations the kiosk needs
(RFC 8011: Get-Printer-Attributes, Get-Jobs, Get-Job-Attributes, Cancel-Job), over HTTP POST.

libcups (through pycups) only speaks to a CUPS server about its own queues: it addresses a job as
``ipp://localhost/jobs/N``, which a printer refuses, and pycups cannot send a request of our making.
So this module writes and reads the messages itself. A reply that is not IPP (cut short, a length
past its end, collections nested without end, more than :data:`MAX_REPLY_BYTES`) raises
:class:`GarbledReply`; nothing a printer sends can raise anything but :class:`IppError`.
"""

from __future__ import annotations

import http.client
import itertools
import ssl
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from urllib.parse import urlsplit

from kiosk.domain.errors import DeviceError, DeviceUnavailable

MAX_REPLY_BYTES = 1 << 20
MAX_NESTING = 8  # collections in collections: media-col has two levels
IPP_VERSION = b"\x01\x01"
DEFAULT_PORT = 631


class IppError(DeviceError):
    """Talking IPP to a printer failed. The message says how, for staff."""


class PrinterUnreachable(IppError, DeviceUnavailable):
    """No connection, no answer in time, or an answer that is not IPP over HTTP 200."""


class GarbledReply(IppError):
    """The printer answered HTTP 200 with a body that is not an IPP message."""


class IppRefused(IppError):
    """The printer answered in IPP, with an error status (RFC 8011 §4.1.6.1)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Operation(IntEnum):
    CANCEL_JOB = 0x0008
    GET_JOB_ATTRIBUTES = 0x0009
    GET_JOBS = 0x000A
    GET_PRINTER_ATTRIBUTES = 0x000B


class Tag(IntEnum):
    """Delimiter and value tags (RFC 8010 §3.5)."""

    OPERATION = 0x01
    JOB = 0x02
    END = 0x03
    PRINTER = 0x04
    UNSUPPORTED_GROUP = 0x05
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE = 0x33
    BEGIN_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    CHARSET = 0x47
    LANGUAGE = 0x48
    MIME_TYPE = 0x49
    MEMBER_NAME = 0x4A
    EXTENSION = 0x7F


# Status codes the kiosk acts on (RFC 8011 §4.1.6.1).
NOT_POSSIBLE = 0x0404
NOT_FOUND = 0x0406
GONE = 0x0407

Value = int | bool | str | bytes | tuple[int, ...] | dict[str, list["Value"]] | None
Attributes = dict[str, list[Value]]
_STRINGS = frozenset(range(0x40, 0x50))


@dataclass(frozen=True)
class Reply:
    """An IPP response: its status and its attribute groups, in order (one per job for Get-Jobs)."""

    status: int
    request_id: int
    groups: tuple[tuple[int, Attributes], ...] = ()

    @property
    def ok(self) -> bool:
        return self.status < 0x0100

    def group(self, tag: int) -> Attributes:
        """The first group with ``tag``, or an empty one."""
        return next((attributes for t, attributes in self.groups if t == tag), {})

    def every(self, tag: int) -> list[Attributes]:
        return [attributes for t, attributes in self.groups if t == tag]

    @property
    def message(self) -> str:
        """The printer's status-message, if it gave one."""
        return first_text(self.group(Tag.OPERATION), "status-message")


def first_text(attributes: Attributes, name: str) -> str:
    values = attributes.get(name) or [None]
    return values[0] if isinstance(values[0], str) else ""


def first_int(attributes: Attributes, name: str) -> int | None:
    values = attributes.get(name) or [None]
    value = values[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def texts(attributes: Attributes, name: str) -> tuple[str, ...]:
    return tuple(v for v in attributes.get(name, []) if isinstance(v, str))


# -- encoding ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attr:
    """One attribute of a request: its value tag, name and values."""

    tag: Tag
    name: str
    values: Sequence[int | bool | str] = field(default_factory=tuple)


def encode_request(operation: Operation, request_id: int, attributes: Iterable[Attr]) -> bytes:
    """A request whose only group is the operation attributes (charset and language first, as
    RFC 8011 §4.1.4 requires)."""
    out = bytearray(IPP_VERSION + struct.pack(">HI", operation, request_id))
    out.append(Tag.OPERATION)
    head = [Attr(Tag.CHARSET, "attributes-charset", ("utf-8",)),
            Attr(Tag.LANGUAGE, "attributes-natural-language", ("en",))]
    for attr in itertools.chain(head, attributes):
        for index, value in enumerate(attr.values):
            name = attr.name.encode() if index == 0 else b""
            out += struct.pack(">BH", attr.tag, len(name)) + name
            body = _encode_value(attr.tag, value)
            out += struct.pack(">H", len(body)) + body
    out.append(Tag.END)
    return bytes(out)


def _encode_value(tag: Tag, value: int | bool | str) -> bytes:
    if tag is Tag.BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag in (Tag.INTEGER, Tag.ENUM):
        return struct.pack(">i", int(value))
    return str(value).encode()


# -- decoding ---------------------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, count: int, what: str) -> bytes:
        if self.at + count > len(self.data):
            raise GarbledReply(f"IPP reply cut short in {what} at byte {self.at} of {len(self.data)}")
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def short(self, what: str) -> int:
        value: int = struct.unpack(">H", self.take(2, what))[0]
        return value


def decode_reply(data: bytes) -> Reply:
    """Read an IPP response. :class:`GarbledReply` if ``data`` is not one."""
    reader = _Reader(data)
    version = reader.take(2, "the version")
    if version[0] not in (1, 2):
        raise GarbledReply(f"not an IPP reply (version bytes {version.hex()})")
    status, request_id = struct.unpack(">HI", reader.take(6, "the header"))
    groups: list[tuple[int, Attributes]] = []
    attributes: Attributes | None = None
    last: list[Value] | None = None
    while True:
        tag = reader.take(1, "a tag")[0]
        if tag == Tag.END:
            return Reply(status, request_id, tuple(groups))
        if tag < 0x10:  # a delimiter: a new group begins
            attributes, last = {}, None
            groups.append((tag, attributes))
            continue
        if attributes is None:
            raise GarbledReply(f"IPP reply has a value before any group, at byte {reader.at - 1}")
        name, value = _read_attribute(reader, tag, 0)
        if name:
            last = attributes.setdefault(name, [])
        elif last is None:
            raise GarbledReply(f"IPP reply has an extra value with no attribute, at byte {reader.at}")
        last.append(value)


def _read_attribute(reader: _Reader, tag: int, depth: int) -> tuple[str, Value]:
    name = reader.take(reader.short("a name length"), "a name").decode("utf-8", "replace")
    raw = reader.take(reader.short("a value length"), f"the value of {name or 'an attribute'}")
    if tag == Tag.BEGIN_COLLECTION:
        return name, _read_collection(reader, depth + 1)
    return name, _value(tag, raw, name)


def _read_collection(reader: _Reader, depth: int) -> dict[str, list[Value]]:
    if depth > MAX_NESTING:
        raise GarbledReply(f"IPP reply nests collections deeper than {MAX_NESTING}")
    members: dict[str, list[Value]] = {}
    current: list[Value] | None = None
    while True:
        tag = reader.take(1, "a collection member")[0]
        if tag == Tag.END_COLLECTION:
            reader.take(reader.short("a name length"), "a name")
            reader.take(reader.short("a value length"), "a value")
            return members
        if tag < 0x10:
            raise GarbledReply(f"IPP collection not closed before byte {reader.at - 1}")
        _, value = _read_attribute(reader, tag, depth)
        if tag == Tag.MEMBER_NAME:
            current = members.setdefault(str(value), [])
        elif current is None:
            raise GarbledReply(f"IPP collection value without a member name, at byte {reader.at}")
        else:
            current.append(value)


def _value(tag: int, raw: bytes, name: str) -> Value:
    def fixed(size: int, layout: str) -> tuple[int, ...]:
        if len(raw) != size:
            raise GarbledReply(f"IPP value of {name} is {len(raw)} bytes, not {size}")
        values: tuple[int, ...] = struct.unpack(layout, raw)
        return values

    if 0x10 <= tag < 0x20:  # out of band: unsupported, unknown, no-value
        return None
    if tag in (Tag.INTEGER, Tag.ENUM):
        return fixed(4, ">i")[0]
    if tag == Tag.BOOLEAN:
        return bool(fixed(1, ">B")[0])
    if tag == Tag.RANGE:
        return fixed(8, ">ii")
    if tag == Tag.RESOLUTION:
        return fixed(9, ">iiB")
    if tag in (Tag.TEXT_WITH_LANGUAGE, Tag.NAME_WITH_LANGUAGE):
        inner = _Reader(raw)
        inner.take(inner.short("a language length"), "a language")
        return inner.take(inner.short("a text length"), "a text").decode("utf-8", "replace")
    if tag in _STRINGS:
        return raw.decode("utf-8", "replace")
    return raw  # octetString, dateTime, an extension


# -- the client -------------------------------------------------------------------------------------

class IppClient:
    """Requests to one printer, by its URI (``ipp://``, ``ipps://``, ``http://``, ``https://``; a
    query such as CUPS's ``?waitjob=false`` is left out). One connection per request, so a printer
    that restarted costs nothing. ``ipps`` accepts the printer's self-signed certificate, as CUPS
    does: there is no one to ask. Thread-safe."""

    def __init__(self, uri: str, *, user: str, timeout_s: float = 5.0) -> None:
        parts = urlsplit(uri)
        if parts.scheme not in ("ipp", "ipps", "http", "https") or not parts.hostname:
            raise ValueError(f"not a printer URI: {uri}")
        self.tls = parts.scheme in ("ipps", "https")
        self.host = parts.hostname
        self.port = parts.port or (DEFAULT_PORT if parts.scheme.startswith("ipp") else
                                   443 if self.tls else 80)
        self.path = parts.path or "/"
        self.uri = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{self.path}"
        self.user = user
        self.timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()

    def get_printer_attributes(self, names: Sequence[str]) -> Attributes:
        reply = self.request(Operation.GET_PRINTER_ATTRIBUTES, self._requested(names))
        return reply.group(Tag.PRINTER)

    def get_jobs(self, which: str, names: Sequence[str]) -> list[Attributes]:
        """The printer's jobs (``which``: "not-completed" or "completed"), newest last."""
        reply = self.request(Operation.GET_JOBS, [Attr(Tag.KEYWORD, "which-jobs", (which,)),
                                                  *self._requested(names)])
        return reply.every(Tag.JOB)

    def get_job_attributes(self, job_id: int, names: Sequence[str]) -> Attributes:
        reply = self.request(Operation.GET_JOB_ATTRIBUTES,
                             [Attr(Tag.INTEGER, "job-id", (job_id,)), *self._requested(names)])
        return reply.group(Tag.JOB)

    def cancel_job(self, job_id: int) -> None:
        self.request(Operation.CANCEL_JOB, [Attr(Tag.INTEGER, "job-id", (job_id,))])

    def _requested(self, names: Sequence[str]) -> list[Attr]:
        return [Attr(Tag.KEYWORD, "requested-attributes", tuple(names))] if names else []

    def request(self, operation: Operation, attributes: Sequence[Attr]) -> Reply:
        """Send one request; :class:`IppRefused` unless the printer says it succeeded."""
        with self._ids_lock:
            request_id = next(self._ids)
        body = encode_request(operation, request_id, [
            Attr(Tag.URI, "printer-uri", (self.uri,)),
            Attr(Tag.NAME, "requesting-user-name", (self.user,)), *attributes])
        reply = decode_reply(self._post(body))
        if not reply.ok:
            raise IppRefused(reply.status, f"{self.uri} refused {operation.name}: "
                                           f"0x{reply.status:04x} {reply.message}".rstrip())
        return reply

    def _post(self, body: bytes) -> bytes:
        connection: http.client.HTTPConnection
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout_s,
                                                     context=context)
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request("POST", self.path, body, {"Content-Type": "application/ipp"})
            response = connection.getresponse()
            if response.status != 200:
                raise PrinterUnreachable(f"{self.uri} answered HTTP {response.status} {response.reason}")
            data = response.read(MAX_REPLY_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise PrinterUnreachable(f"{self.uri} does not answer ({exc or type(exc).__name__})") from exc
        finally:
            connection.close()
        if len(data) > MAX_REPLY_BYTES:
            raise GarbledReply(f"{self.uri} sent a reply over {MAX_REPLY_BYTES} bytes")
        return data
