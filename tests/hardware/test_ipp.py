"""The IPP codec and client: libcups (through pycups) reads what we write and writes what we read;
replies built byte by byte after RFC 8010; a printer that answers rubbish, HTTP errors or nothing."""

from __future__ import annotations

import contextlib
import http.server
import struct
import threading
from collections.abc import Callable, Iterator

import cups  # type: ignore[import-not-found]
import pytest

from hardware.printers.ipp import (
    MAX_NESTING,
    NOT_FOUND,
    Attr,
    GarbledReply,
    IppClient,
    IppRefused,
    Operation,
    PrinterUnreachable,
    Tag,
    decode_reply,
    encode_request,
)


def attribute(tag: int, name: str, value: bytes) -> bytes:
    return struct.pack(">BH", tag, len(name)) + name.encode() + struct.pack(">H", len(value)) + value


def reply(status: int, *groups: bytes, request_id: int = 1) -> bytes:
    return b"\x01\x01" + struct.pack(">HI", status, request_id) + b"".join(groups) + b"\x03"


JOB = bytes([Tag.JOB]) + b"".join([
    attribute(Tag.INTEGER, "job-id", struct.pack(">i", 12)),
    attribute(Tag.ENUM, "job-state", struct.pack(">i", 8)),
    attribute(Tag.KEYWORD, "job-state-reasons", b"aborted-by-system"),
    attribute(Tag.KEYWORD, "", b"job-completed-with-errors"),
    attribute(Tag.TEXT_WITH_LANGUAGE, "job-state-message",
              struct.pack(">H", 2) + b"da" + struct.pack(">H", 12) + "Papirstop æ".encode()),
    attribute(Tag.NAME, "job-name", "kiosk-k-42-ø".encode()),
    attribute(Tag.RANGE, "copies-supported", struct.pack(">ii", 1, 999)),
    attribute(0x13, "job-media-sheets-completed", b""),  # no-value
    attribute(Tag.BEGIN_COLLECTION, "media-col", b""),
    attribute(Tag.MEMBER_NAME, "", b"media-size"),
    attribute(Tag.BEGIN_COLLECTION, "", b""),
    attribute(Tag.MEMBER_NAME, "", b"x-dimension"),
    attribute(Tag.INTEGER, "", struct.pack(">i", 21000)),
    attribute(Tag.END_COLLECTION, "", b""),
    attribute(Tag.MEMBER_NAME, "", b"media-source"),
    attribute(Tag.KEYWORD, "", b"main"),
    attribute(Tag.END_COLLECTION, "", b""),
])


def test_a_reply_is_read_with_every_value_kind() -> None:
    data = reply(0x0000, bytes([Tag.OPERATION]) + attribute(Tag.CHARSET, "attributes-charset", b"utf-8"),
                 JOB, JOB, request_id=77)

    answer = decode_reply(data)

    assert (answer.ok, answer.request_id, len(answer.every(Tag.JOB))) == (True, 77, 2)
    job = answer.group(Tag.JOB)
    assert job["job-id"] == [12] and job["job-state"] == [8]
    assert job["job-state-reasons"] == ["aborted-by-system", "job-completed-with-errors"]
    assert job["job-state-message"] == ["Papirstop æ"] and job["job-name"] == ["kiosk-k-42-ø"]
    assert job["copies-supported"] == [(1, 999)] and job["job-media-sheets-completed"] == [None]
    assert job["media-col"] == [{"media-size": [{"x-dimension": [21000]}], "media-source": ["main"]}]


def test_a_reply_written_by_libcups_is_read() -> None:
    request = cups.IPPRequest(Operation.GET_JOB_ATTRIBUTES)
    request.add(cups.IPPAttribute(cups.IPP_TAG_JOB, cups.IPP_TAG_KEYWORD, "job-state-reasons",
                                  ["media-jam", "job-printing"]))
    request.add(cups.IPPAttribute(cups.IPP_TAG_JOB, cups.IPP_TAG_INTEGER, "job-impressions-completed", 3))
    request.add(cups.IPPAttribute(cups.IPP_TAG_JOB, cups.IPP_TAG_BOOLEAN, "job-printer-is-up", True))
    written = bytearray()

    def write(chunk: bytes) -> int:
        written.extend(chunk)
        return len(chunk)

    request.writeIO(write)

    job = decode_reply(bytes(written)).group(Tag.JOB)

    assert job == {"job-state-reasons": ["media-jam", "job-printing"], "job-impressions-completed": [3],
                   "job-printer-is-up": [True]}


def test_libcups_reads_a_request_as_we_write_it() -> None:
    data = encode_request(Operation.GET_JOBS, 7, [
        Attr(Tag.URI, "printer-uri", ("ipp://printer.local/ipp/print",)),
        Attr(Tag.NAME, "requesting-user-name", ("kiosk",)),
        Attr(Tag.KEYWORD, "requested-attributes", ("job-id", "job-name")),
        Attr(Tag.INTEGER, "limit", (5,)), Attr(Tag.BOOLEAN, "my-jobs", (False,))])
    unread = [data]

    def read(size: int) -> bytes:
        chunk, unread[0] = unread[0][:size], unread[0][size:]
        return chunk

    request = cups.IPPRequest()
    state = request.readIO(read)

    assert state == cups.IPP_STATE_DATA and request.operation == Operation.GET_JOBS
    assert [(a.name, a.values) for a in request.attributes] == [
        ("attributes-charset", ["utf-8"]), ("attributes-natural-language", ["en"]),
        ("printer-uri", ["ipp://printer.local/ipp/print"]), ("requesting-user-name", ["kiosk"]),
        ("requested-attributes", ["job-id", "job-name"]), ("limit", [5]), ("my-jobs", [False])]


def test_a_reply_cut_short_anywhere_is_garbled_not_a_crash() -> None:
    data = reply(0, JOB)

    for end in range(len(data)):
        with pytest.raises(GarbledReply, match=r"cut short|not an IPP reply"):
            decode_reply(data[:end])


@pytest.mark.parametrize(("data", "says"), [
    (b"<html>Printer</html>", "not an IPP reply"),
    (reply(0, attribute(Tag.KEYWORD, "job-name", b"x")), "before any group"),
    (reply(0, bytes([Tag.JOB]) + attribute(Tag.KEYWORD, "", b"x")), "no attribute"),
    (reply(0, bytes([Tag.JOB]) + attribute(Tag.INTEGER, "job-id", b"\x00\x01")), "2 bytes, not 4"),
    (reply(0, bytes([Tag.JOB]) + attribute(Tag.BEGIN_COLLECTION, "media-col", b"") * (MAX_NESTING + 2)),
     "deeper than"),
    (reply(0, bytes([Tag.JOB]) + attribute(Tag.BEGIN_COLLECTION, "media-col", b"")
           + attribute(Tag.INTEGER, "", struct.pack(">i", 1))), "without a member name"),
])
def test_a_reply_that_breaks_the_rules_is_garbled(data: bytes, says: str) -> None:
    with pytest.raises(GarbledReply, match=says):
        decode_reply(data)


Answer = Callable[[bytes], tuple[int, bytes]]


@contextlib.contextmanager
def printer_answering(answer: Answer) -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP server on a free port that answers every POST with ``answer(body)``."""
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            status, data = answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/ipp")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ipp://127.0.0.1:{server.server_address[1]}/ipp/print", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_client_asks_for_a_job_by_printer_uri_and_job_id_as_the_user() -> None:
    with printer_answering(lambda _body: (200, reply(0, JOB))) as (uri, received):
        client = IppClient(uri + "?waitjob=false", user="kiosk")

        job = client.get_job_attributes(12, ["job-state"])

    request = decode_reply(received[0]).group(Tag.OPERATION)  # a request reads like a reply
    assert request["printer-uri"] == [uri] and request["job-id"] == [12]
    assert request["requesting-user-name"] == ["kiosk"] and request["requested-attributes"] == ["job-state"]
    assert job["job-state"] == [8]


def test_an_ipp_error_status_is_refused_with_its_status() -> None:
    message = bytes([Tag.OPERATION]) + attribute(Tag.TEXT, "status-message", b"Job does not exist.")
    with (printer_answering(lambda _body: (200, reply(NOT_FOUND, message))) as (uri, _),
          pytest.raises(IppRefused, match="0x0406 Job does not exist") as refused):
        IppClient(uri, user="kiosk").get_job_attributes(99, [])

    assert refused.value.status == NOT_FOUND


@pytest.mark.parametrize(("status", "body", "error", "says"), [
    (401, b"", PrinterUnreachable, "HTTP 401"),
    (200, b"\x00" * 3, GarbledReply, "not an IPP reply"),
    (200, reply(0, JOB)[:40], GarbledReply, "cut short"),
])
def test_a_printer_that_answers_no_ipp_gives_a_clear_error(status: int, body: bytes, error: type[Exception],
                                                           says: str) -> None:
    with printer_answering(lambda _body: (status, body)) as (uri, _), pytest.raises(error, match=says):
        IppClient(uri, user="kiosk").get_printer_attributes(["printer-state"])


def test_a_printer_that_is_not_there_is_unreachable() -> None:
    with printer_answering(lambda _body: (200, b"")) as (uri, _):
        pass  # the port is free again

    with pytest.raises(PrinterUnreachable, match="does not answer"):
        IppClient(uri, user="kiosk", timeout_s=1.0).get_printer_attributes([])


@pytest.mark.parametrize("uri", ["dnssd://Printer._ipps._tcp.local/", "socket://10.0.0.5", "ipp:///no-host"])
def test_only_ipp_and_http_uris_name_a_printer(uri: str) -> None:
    with pytest.raises(ValueError, match="not a printer URI"):
        IppClient(uri, user="kiosk")
