"""A SIP2 2.00 LMS (ACS) emulator: a real TCP server for the demo and the tests.

It speaks bytes like a Koha or Evergreen SIP server would: login first (raw transport) or a telnet
pseudo-login, AY/AZ error detection with 96/97 and duplicate replay, CR/CRLF/LF from clients, and
a set of *quirks* that make it misbehave on purpose (CRLF replies, no error detection, another
encoding, slow replies, dropped connections, garbage replies, silence).

Usage::

    server = Sip2Emulator(load_data("config/demo/lms.toml"))
    server.start()                # listening on server.address (port 0 = OS-chosen)
    server.update_quirks(delay=2.0)
    ...
    server.stop()

The state (:class:`EmulatorData`) changes with every transaction; ``server.transactions`` lists
what was applied, once per applied request (a replayed duplicate is not applied again): the last
:data:`TRANSACTION_LOG` of them, so that an emulator serving a demo all night does not grow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import socket
import socketserver
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.sip2.codec import ChecksumError, Message, Sip2DecodeError, Sip2EncodeError, decode, encode
from sync.sip2.emulator_handlers import TransactionRecord, handle
from sync.sip2.emulator_model import EmulatorData, save_data
from sync.sip2.emulator_quirks import Quirks, garbage, sanitize

__all__ = ["MAX_REQUEST", "REQUEST_SC_RESEND", "Quirks", "Sip2Emulator", "TransactionRecord"]

log = logging.getLogger("sync.sip2.emulator")

TRANSACTION_LOG = 1000  # applied transactions kept for ``transactions``; older ones are forgotten

REQUEST_SC_RESEND = b"96AZFEF6"
MAX_REQUEST = 64 * 1024
class _TooLong(Exception):
    pass


class _LineReader:
    """Frames from a socket: split on CR or LF (so CR, CRLF and LF all work), empty lines skipped."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def read(self) -> bytes | None:
        while True:
            for index, byte in enumerate(self._buffer):
                if byte in (0x0D, 0x0A):
                    line, self._buffer = self._buffer[:index], self._buffer[index + 1:]
                    if line:
                        return line
                    break
            else:
                if len(self._buffer) > MAX_REQUEST:
                    raise _TooLong
                chunk = self._sock.recv(65536)
                if not chunk:
                    return None
                self._buffer += chunk


@dataclass
class _Session:
    peer: str
    logged_in: bool = False
    last_request: bytes | None = None
    last_response: bytes | None = None
    messages: int = 0
    replies: int = 0
    done: bool = False


@dataclass
class _Reply:
    data: bytes | None
    close: bool = False
    keep: bool = True  # remember as the last response (for 97 and duplicates)
    send: bool = True


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], emulator: Sip2Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        self.server.emulator._serve(sock, self.client_address)


class Sip2Emulator:
    """The SIP2 server. Thread-safe: every connection has its thread, the state one lock."""

    def __init__(self, data: EmulatorData, *, host: str = "127.0.0.1", port: int = 0,
                 user: str = "kiosk", password: str = "kiosk", quirks: Quirks | None = None,
                 tls_context: ssl.SSLContext | None = None, telnet: bool = False,
                 state_path: Path | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self._data = data
        self._host, self._port = host, port
        self._user, self._password = user, password
        self._quirks = quirks or Quirks()
        self._tls = tls_context
        self._telnet = telnet
        self._state_path = state_path
        self._clock = clock or (lambda: dt.datetime.now().astimezone())
        self._lock = threading.RLock()
        self._quirks_lock = threading.Lock()
        self._transactions: deque[TransactionRecord] = deque(maxlen=TRANSACTION_LOG)
        self._server: _TcpServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[threading.Thread, socket.socket] = {}

    # ------------------------------------------------------------ public API

    @property
    def data(self) -> EmulatorData:
        """The live state. Read it between requests, or hold :attr:`lock` while changing it."""
        return self._data

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def quirks(self) -> Quirks:
        with self._quirks_lock:
            return self._quirks

    @quirks.setter
    def quirks(self, value: Quirks) -> None:
        with self._quirks_lock:
            self._quirks = value

    def update_quirks(self, **changes: Any) -> Quirks:
        """Change some quirks at run time; the next message on any connection sees them."""
        with self._quirks_lock:
            self._quirks = dataclasses.replace(self._quirks, **changes)
            return self._quirks

    @property
    def transactions(self) -> list[TransactionRecord]:
        with self._lock:
            return list(self._transactions)

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def save_state(self, path: Path | str) -> None:
        with self._lock:
            save_data(self._data, path)

    def start(self) -> Sip2Emulator:
        """Bind and serve in a background thread; returns once it is listening."""
        if self._server is not None:
            raise RuntimeError("the emulator is already started")
        self._server = _TcpServer((self._host, self._port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sip2-emulator", daemon=True)
        self._thread.start()
        host, port = self.address
        self._port = port  # a restart (start after stop) listens where the clients already connect
        log.info("SIP2 emulator listening on %s:%d%s", host, port, " (TLS)" if self._tls else "")
        return self

    def stop(self) -> None:
        """Stop listening, close every connection and wait for their threads."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = dict(self._connections)
        for sock in connections.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in connections:
            thread.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("SIP2 emulator stopped")

    def __enter__(self) -> Sip2Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ connections

    def _serve(self, sock: socket.socket, address: tuple[str, int]) -> None:
        peer = f"{address[0]}:{address[1]}"
        log.info("connection from %s", peer)
        me = threading.current_thread()
        with self._lock:
            self._connections[me] = sock
        try:
            if self._tls is not None:
                sock.settimeout(10)
                sock = self._tls.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
                with self._lock:
                    self._connections[me] = sock
            self._converse(sock, _Session(peer))
        except _TooLong:
            log.warning("%s: request longer than %d bytes, closing", peer, MAX_REQUEST)
            self._send(sock, REQUEST_SC_RESEND + self.quirks.terminator)
        except (OSError, ssl.SSLError) as exc:
            log.info("%s: connection ended: %s", peer, exc.__class__.__name__)
        finally:
            with self._lock:
                self._connections.pop(me, None)
            with contextlib.suppress(OSError):
                sock.close()
            log.info("%s: closed", peer)

    def _converse(self, sock: socket.socket, session: _Session) -> None:
        reader = _LineReader(sock)
        if self._telnet and not self._telnet_login(sock, reader, session):
            return
        while not session.done:
            frame = reader.read()
            if frame is None:
                return
            session.messages += 1
            quirks = self.quirks
            reply = self._process(session, frame, quirks)
            if reply.keep and reply.data is not None:
                session.last_request, session.last_response = frame, reply.data
            if reply.data is not None and reply.send:
                if quirks.delay:
                    time.sleep(quirks.delay)
                session.replies += 1
                wire = reply.data
                if quirks.garbage_every and session.replies % quirks.garbage_every == 0:
                    wire = garbage()
                self._send(sock, wire + quirks.terminator)
            if reply.close or (quirks.drop_after and session.messages >= quirks.drop_after):
                log.info("%s: closing the connection", session.peer)
                return

    def _telnet_login(self, sock: socket.socket, reader: _LineReader, session: _Session) -> bool:
        encoding = self.quirks.encoding
        self._send(sock, b"login: ")
        user = reader.read()
        self._send(sock, b"password: ")
        password = reader.read()
        if user is None or password is None:
            return False
        ok = (user.decode(encoding, "replace").strip() == self._user
              and password.decode(encoding, "replace").strip() == self._password)
        log.info("%s: telnet login %s", session.peer, "ok" if ok else "refused")
        self._send(sock, b"Login OK.  Initiating SIP\r\n" if ok else b"Login failed\r\n")
        session.logged_in = ok
        return ok

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> None:
        sock.sendall(data)

    # ------------------------------------------------------------ messages

    def _process(self, session: _Session, frame: bytes, quirks: Quirks) -> _Reply:
        command = frame[:2]
        if not session.logged_in and command != b"93":
            log.info("%s: message before login, closing", session.peer)
            return _Reply(None, close=True, keep=False)
        if command == b"97":
            # Re-send the last response as it was (the spec; Koha re-sequences it as AY0).
            return _Reply(session.last_response or REQUEST_SC_RESEND, keep=False)
        has_trailer = frame[-6:-4] == b"AZ"
        if (quirks.error_detection and has_trailer and frame == session.last_request
                and session.last_response is not None):
            log.info("%s: duplicate request, replaying the last response", session.peer)
            return _Reply(session.last_response, keep=False)
        try:
            request = decode(frame, encoding=quirks.encoding, verify=quirks.error_detection)
        except ChecksumError:
            log.info("%s: bad checksum, asking for a resend", session.peer)
            return _Reply(REQUEST_SC_RESEND)
        except Sip2DecodeError as exc:
            log.info("%s: unreadable request (%s), answering 96", session.peer, exc)
            return _Reply(REQUEST_SC_RESEND if has_trailer and quirks.error_detection else b"96")
        if request.command in quirks.no_reply_commands:
            log.info("%s: ignoring %s (quirk)", session.peer, request.name)
            return _Reply(None, keep=False)
        trailer = quirks.error_detection and request.checksum is not None
        response = self._respond(session, request)
        if response is None:
            # Koha answers what it cannot handle with a 96.
            return _Reply(REQUEST_SC_RESEND if trailer else b"96")
        data = self._encode(response, quirks, request.sequence if trailer else None, trailer)
        if request.command in quirks.lost_reply_commands:
            log.info("%s: not sending the reply to %s (quirk)", session.peer, request.name)
            return _Reply(data, send=False)
        return _Reply(data)

    def _respond(self, session: _Session, request: Message) -> Message | None:
        if request.command == "93":
            ok = request.get("CN") == self._user and request.get("CO") == self._password
            session.logged_in = ok
            log.info("%s: login %s", session.peer, "ok" if ok else "refused")
            return Message("94", {"ok": "1" if ok else "0"})
        with self._lock:
            try:
                outcome = handle(self._data, request, self._clock())
            except Exception:
                # An emulator bug must not take the connection down: answer like an unknown message.
                log.exception("%s: %s failed inside the emulator", session.peer, request.name)
                return None
            if outcome is None:
                log.info("%s: unsupported %s, answering 96", session.peer, request.name)
                return None
            self._transactions.append(outcome.record)
            if outcome.mutated and self._state_path is not None:
                save_data(self._data, self._state_path)
        record = outcome.record
        log.info("%s: %s item=%s ok=%s %s", session.peer, request.name, record.item or "-",
                 "1" if record.ok else "0", record.detail)
        return outcome.response

    @staticmethod
    def _encode(response: Message, quirks: Quirks, sequence: int | None, trailer: bool) -> bytes:
        clean = Message(response.command, dict(response.fixed),
                        [(code, sanitize(value, quirks.encoding)) for code, value in response.fields])
        try:
            return encode(clean, encoding=quirks.encoding, sequence=sequence, error_detection=trailer)
        except Sip2EncodeError as exc:
            log.error("cannot encode a %s: %s", response.name, exc)
            return REQUEST_SC_RESEND

