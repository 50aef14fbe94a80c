"""Fuzz targets: every parser and client that takes bytes from outside, fed by hypothesis, each with
the errors it documents. Anything else it raises is a crash; a call over :data:`HANG_S` is a hang;
a call that grows the process by :data:`MEMORY_MB` is a memory blow-up.

:func:`run` runs one target for a number of inputs and reports; the quick profile is in
``tests/fuzz/test_fuzz.py`` (``make test``), the long one is ``make fuzz`` (``benchmarks/fuzz.py``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import resource
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kiosk.domain.errors import KioskError

HANG_S = 2.0
MEMORY_MB = 100.0
WARM_UP = 50  # inputs before memory is measured
BATCH = 2_000


@dataclass
class Target:
    name: str
    inputs: st.SearchStrategy[Any]
    call: Callable[[Any], object]
    documented: tuple[type[BaseException], ...]
    setup: Callable[[], contextlib.AbstractContextManager[Any]] | None = None  # a server, for the clients


@dataclass
class Report:
    target: str
    tried: int = 0
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    memory_mb: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.crashes and not self.hangs and self.memory_mb < MEMORY_MB

    def line(self) -> str:
        return (f"{self.target:<16} {self.tried:>8,} inputs  {len(self.crashes)} crashes  "
                f"{len(self.hangs)} hangs  +{self.memory_mb:.1f} MB  {self.seconds:.0f} s")


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(target: Target, examples: int, seed: int = 0) -> Report:
    """Feed ``target`` ``examples`` inputs; every crash and hang is recorded (the run goes on).

    In batches of :data:`BATCH`, each a fresh hypothesis run with a seed of its own: hypothesis keeps
    a tree of every input of a run, which for 20,000 nested settings tables is 600 MB of its own (and
    its garbage collections, seconds long, would look like hangs). Memory is what one call adds to
    the process's peak, the largest of all calls."""
    report = Report(target.name)
    logging.disable(logging.CRITICAL)  # the clients log every refusal: a million lines say nothing
    started = time.monotonic()
    context = target.setup() if target.setup is not None else contextlib.nullcontext()
    with context as environment:
        for batch in range(0, examples, BATCH):
            size = min(BATCH, examples - batch)

            @hypothesis.seed(seed * 1_000_003 + batch)
            @settings(max_examples=size, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(target.inputs)
            def feed(value: Any) -> None:
                report.tried += 1
                before = _rss_peak_mb()
                began = time.monotonic()
                try:
                    target.call((environment, value) if target.setup is not None else value)
                except target.documented:
                    pass
                except Exception as exc:  # an undocumented error: the finding
                    if len(report.crashes) < 20:
                        report.crashes.append(f"{type(exc).__name__}: {exc!s:.200} on {value!r:.200}\n"
                                              + "".join(traceback.format_tb(exc.__traceback__)[-3:]))
                lasted = time.monotonic() - began
                if lasted > HANG_S and len(report.hangs) < 20:
                    report.hangs.append(f"{lasted:.1f} s on {value!r:.200}")
                if report.tried > WARM_UP:  # the modules imported, the caches filled: from here, it counts
                    report.memory_mb = max(report.memory_mb, _rss_peak_mb() - before)

            feed()
            gc.collect()
    logging.disable(logging.NOTSET)
    report.seconds = time.monotonic() - started
    return report


# -- SIP2 ------------------------------------------------------------------------------------------

def _sip2_frames() -> st.SearchStrategy[bytes]:
    """Random bytes, and replies of the right kind with fields the LMS gets wrong."""
    from sync.sip2.codec import encode, message
    from sync.sip2.spec import MESSAGES

    weird = st.sampled_from(["", " ", "²²²²", "NaN", "-inf", "1e999999999", "٣", "0000", "9999",
                             "x" * 300, "|", "\r", "AY", "AZ", "Y", "N", "20261224    235959", "9" * 40])
    value = weird | st.text(max_size=40)
    fields = st.lists(st.tuples(st.sampled_from(["AA", "AB", "AE", "AF", "AH", "AJ", "AO", "AS", "AT",
                                                 "AU", "AV", "BL", "BV", "CF", "CH", "CQ", "PB", "PC", "BH"]),
                                value), max_size=30)
    fixed_value = st.text(alphabet="YN 0123456789²-", max_size=40)

    @st.composite
    def reply(draw: st.DrawFn) -> bytes:
        code = draw(st.sampled_from(["64", "12", "10", "18", "30", "98", "94", "38", "96"]))
        spec = MESSAGES[code]
        fixed = {name: draw(fixed_value)[:length].ljust(length) for name, length in spec.fixed}
        try:
            return encode(message(code, fixed, draw(fields)), encoding="utf-8")
        except Exception:  # a value the encoder refuses: send it raw instead
            return code.encode() + "".join(fixed.values()).encode("utf-8", "replace")

    return st.binary(max_size=600) | reply()


def _sip2_decode(data: bytes) -> object:
    from sync.sip2.codec import decode

    return decode(data, encoding="cp850", verify=True)


def _replay_client(reply: bytes) -> Any:
    """The real client, whose every request gets the fuzzed reply (decoded as it would be)."""
    from kiosk.settings import Sip2Settings
    from sync.sip2.client import Sip2Client
    from sync.sip2.codec import Message, decode

    class Replay(Sip2Client):
        def request(self, request: Message) -> Message:
            return decode(reply, encoding="utf-8", verify=False)

    return Replay(Sip2Settings(page_size=5, keepalive_s=0))


def _sip2_adapter(reply: bytes) -> object:
    from kiosk.domain.model import Credential, CredentialKind
    from sync.sip2.library import Sip2LibrarySystem

    lms = Sip2LibrarySystem(_replay_client(reply))
    card = Credential(CredentialKind.BARCODE, "1000000001")
    lms.authenticate_patron(card, "1234")
    lms.account("1000000001", "1234")
    lms.item_info("5010000001")
    lms.checkout("1000000001", "5010000001", pin="1234")
    lms.checkin("5010000001")
    return lms.renew("1000000001", "5010000001", pin="1234")


@contextlib.contextmanager
def hostile_tcp(close_after: bool = False) -> Iterator[tuple[dict[str, Any], int]]:
    """A server on a free port that answers whatever comes with ``state["reply"]``: bytes, or a
    function that writes to the connection as it likes (slowly, endlessly); with ``close_after`` it
    hangs up after the first answer (HTTP with Connection: close). Yields (state, port)."""
    state: dict[str, Any] = {"reply": b""}
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(1.0)
                while conn.recv(65536):
                    reply = state["reply"]
                    conn.sendall(reply) if isinstance(reply, bytes) else reply(conn)
                    if close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state, server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(2)


def _sip2_client(job: tuple[tuple[dict[str, bytes], int], bytes]) -> object:
    from kiosk.settings import Sip2Settings
    from sync.sip2.client import Sip2Client
    from sync.sip2.library import Sip2LibrarySystem

    (state, port), reply = job
    state["reply"] = reply
    client = Sip2Client(Sip2Settings(port=port, timeout_s=0.05, retries=0, keepalive_s=0,
                                     connect_timeout_s=0.5, max_message_bytes=4096))
    try:
        return Sip2LibrarySystem(client).item_info("5010000001")
    finally:
        client.close()


def _hostile_lines() -> st.SearchStrategy[bytes]:
    return (st.binary(max_size=300) | _sip2_frames().map(lambda frame: frame + b"\r")
            | st.just(b"x" * 9000) | st.just(b"98" + b"Y" * 5000 + b"\r"))


# -- tags, scanner ---------------------------------------------------------------------------------

def _tag(memory: bytes) -> object:
    from hardware.rfid import danish, iso28560_2

    with contextlib.suppress(*_TAG_ERRORS):
        danish.decode(memory)
    return iso28560_2.decode(memory)


def _tag_memories() -> st.SearchStrategy[bytes]:
    return st.binary(max_size=128) | st.binary(min_size=32, max_size=32).map(lambda b: b"\x11" + b[1:])


def _scan(raw: str) -> object:
    from hardware.scanner.classify import classify

    return classify(raw)


# -- settings, scenarios ---------------------------------------------------------------------------

_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
                       | st.sampled_from(["~nosuchuser/x", "../../etc", "NaN", "25:00", "-1"]),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                                   inner, max_size=4),
                       max_leaves=12)


def _settings_tables() -> st.SearchStrategy[dict[str, Any]]:
    sections = st.sampled_from(["terminal", "session", "paths", "logging", "lms", "devices", "access",
                                "calendar", "central", "offline", "entry_log", "receipt_email"])
    return st.dictionaries(sections, st.dictionaries(st.sampled_from(
        ["id", "branch", "kind", "host", "port", "tls", "password", "data_dir", "timeout_s", "file",
         "idle_timeout_s", "rules", "url", "seed", "sip2", "language", "level", "role"]), _VALUES,
        max_size=5), max_size=6)


def _settings(data: dict[str, Any]) -> object:
    from kiosk.settings import parse_settings

    return parse_settings(data, Path("/nonexistent/fuzz.toml"))


def _scenario_tables() -> st.SearchStrategy[dict[str, Any]]:
    step = st.dictionaries(st.sampled_from(["do", "item", "items", "patron", "pin", "button", "seconds", "at",
                                            "screenshot", "note", "screen", "state", "count", "tags"]),
                           _VALUES | st.sampled_from(["place", "press", "type_pin", "restart_kiosk",
                                                      "expect_journal", "wait"]), max_size=4)
    return st.fixed_dictionaries({"step": st.lists(step, max_size=5)},
                                 optional={"lms": _VALUES, "terminal": _VALUES, "central": _VALUES,
                                           "start": _VALUES, "name": _VALUES})


def _scenario(data: dict[str, Any]) -> object:
    from kiosk.simulate.scenario import parse_scenario

    return parse_scenario(data, Path("/nonexistent/fuzz.toml"))


# -- the central client ------------------------------------------------------------------------------

@contextlib.contextmanager
def _hostile_http() -> Iterator[Any]:
    with hostile_tcp(close_after=True) as (state, port):
        yield state, port


def _http_answers() -> st.SearchStrategy[bytes]:
    bodies = (st.binary(max_size=300) | st.just(b"[" * 5000) | st.just(b'{"terminal_id": 1}')
              | st.just(b'{"terminal_id": "t", "settings": {}, "access_list_key": "zz"}'))

    @st.composite
    def answer(draw: st.DrawFn) -> bytes:
        status = draw(st.sampled_from([200, 204, 304, 400, 401, 404, 410, 500, 503, 999]))
        body = draw(bodies)
        headers = draw(st.sampled_from([f"Content-Length: {len(body)}\r\n", "Content-Length: -5\r\n",
                                        "Content-Length: 99999999\r\n", "Transfer-Encoding: chunked\r\n",
                                        "Content-Encoding: gzip\r\n", ""]))
        return f"HTTP/1.1 {status} X\r\n{headers}Connection: close\r\n\r\n".encode() + body

    return answer() | st.binary(max_size=200)


def _central(job: tuple[tuple[dict[str, bytes], int], bytes]) -> object:
    from sync.central.client import CentralClient

    (state, port), answer = job
    state["reply"] = answer
    client = CentralClient(f"http://127.0.0.1:{port}", "t0ken", retries=0, timeout_s=(0.5, 0.2),
                           deadline_s=0.5, max_body_bytes=1 << 20)
    try:
        return client.terminal_config("t")
    finally:
        client.close()


# -- a printer's IPP replies ---------------------------------------------------------------------------

def _ipp_replies() -> st.SearchStrategy[bytes]:
    """Random bytes, and IPP replies put together from parts a printer might send, in any order."""
    import struct

    def attribute(tag: int, name: bytes, value: bytes) -> bytes:
        return struct.pack(">BH", tag, len(name)) + name + struct.pack(">H", len(value)) + value

    names = st.sampled_from([b"job-id", b"job-state", b"job-name", b"job-state-reasons", b"media-col", b""])
    values = st.binary(max_size=12) | st.sampled_from([b"\x00\x00\x00\x09", b"\xff" * 9, b"\x00\x05ab"])
    part = (st.builds(attribute, st.integers(0, 255), names, values)
            | st.sampled_from([b"\x01", b"\x02", b"\x04", b"\x03", attribute(0x34, b"media-col", b""),
                               attribute(0x4A, b"", b"media-size"), attribute(0x37, b"", b"")]))

    @st.composite
    def reply(draw: st.DrawFn) -> bytes:
        head = draw(st.sampled_from([b"\x01\x01", b"\x02\x00", b"\x00\x00"])) + struct.pack(
            ">HI", draw(st.sampled_from([0, 0x406, 0x500, 0xFFFF])), 1)
        return head + b"".join(draw(st.lists(part, max_size=20)))

    return reply() | st.binary(max_size=200)


def _ipp_decode(data: bytes) -> object:
    from hardware.printers.ipp import decode_reply

    return decode_reply(data)


def _ipp_answers() -> st.SearchStrategy[bytes]:
    @st.composite
    def answer(draw: st.DrawFn) -> bytes:
        status = draw(st.sampled_from([200, 100, 401, 426, 500, 999]))
        body = draw(_ipp_replies())
        headers = draw(st.sampled_from([f"Content-Length: {len(body)}\r\n", "Content-Length: -5\r\n",
                                        "Content-Length: 99999999\r\n", "Transfer-Encoding: chunked\r\n",
                                        ""]))
        return f"HTTP/1.1 {status} X\r\n{headers}Connection: close\r\n\r\n".encode() + body

    return answer() | st.binary(max_size=200)


def _ipp_client(job: tuple[tuple[dict[str, bytes], int], bytes]) -> object:
    from hardware.printers.ipp import IppClient

    (state, port), answer = job
    state["reply"] = answer
    return IppClient(f"ipp://127.0.0.1:{port}/ipp/print", user="kiosk", timeout_s=0.5).get_jobs(
        "completed", ["job-id"])


def _ipp_errors() -> tuple[type[BaseException], ...]:
    from hardware.printers.ipp import IppError

    return (IppError,)


def _tag_errors() -> tuple[type[BaseException], ...]:
    from hardware.rfid import TagDataError

    return (TagDataError,)


_TAG_ERRORS = _tag_errors()


def targets() -> list[Target]:
    return [
        Target("sip2-decode", _sip2_frames(), _sip2_decode, (KioskError,)),
        Target("sip2-adapter", _sip2_frames(), _sip2_adapter, (KioskError,)),
        Target("sip2-client", _hostile_lines(), _sip2_client, (KioskError,), setup=hostile_tcp),
        Target("tag-decode", _tag_memories(), _tag, _TAG_ERRORS),
        Target("scanner", st.text(max_size=120) | st.from_regex(r";?\d{10,20}=\d{0,20}\??", fullmatch=True),
               _scan, (KioskError,)),
        Target("settings", _settings_tables(), _settings, (KioskError,)),
        Target("scenario", _scenario_tables(), _scenario, (KioskError,)),
        Target("central-client", _http_answers(), _central, (KioskError,), setup=_hostile_http),
        Target("ipp-decode", _ipp_replies(), _ipp_decode, _ipp_errors()),
        Target("ipp-client", _ipp_answers(), _ipp_client, _ipp_errors(), setup=_hostile_http),
    ]
