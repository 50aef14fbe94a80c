"""SIP2 transport: a TCP or TLS socket that reads whole messages, whatever their length.

Sends CR; accepts CR, CRLF and LF; reads until the terminator (never one ``recv``), up to a cap.
TLS verifies certificates by default, and a TLS failure is an error, never a plain-text retry.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from sync.sip2.errors import Sip2ConnectionError, Sip2ProtocolError, Sip2Timeout, Sip2TlsError

_LINE_END = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: bool = False
    tls_verify: bool = True
    tls_ca_file: Path | None = None
    connect_timeout_s: float = 5.0
    max_message_bytes: int = 1_048_576


class Connection:
    """One socket to the ACS. Not thread-safe: the client serialises use."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._sock: socket.socket | None = None
        self._buffer = bytearray()

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        ep = self.endpoint
        try:
            raw = socket.create_connection((ep.host, ep.port), timeout=ep.connect_timeout_s)
        except TimeoutError:
            raise Sip2Timeout(f"connecting to {ep.host}:{ep.port} timed out") from None
        except OSError as exc:
            reason = exc.strerror or exc
            raise Sip2ConnectionError(f"cannot connect to {ep.host}:{ep.port}: {reason}") from None
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ep.tls:
            context = ssl.create_default_context(cafile=str(ep.tls_ca_file) if ep.tls_ca_file else None)
            if not ep.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            try:
                raw = context.wrap_socket(raw, server_hostname=ep.host)
            except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
                raw.close()
                raise Sip2TlsError(f"TLS with {ep.host}:{ep.port} failed: {exc}") from None
        self._sock = raw
        self._buffer.clear()

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buffer.clear()

    def send(self, data: bytes) -> None:
        sock = self._require()
        try:
            sock.sendall(data)
        except OSError as exc:
            self.close()
            raise Sip2ConnectionError(f"sending failed: {exc}") from None

    def send_line(self, data: bytes, terminator: bytes = b"\r") -> None:
        self.send(data + terminator)

    def discard_pending(self) -> int:
        """Throw away whatever already arrived (late replies to earlier requests).

        Raises :class:`Sip2ConnectionError` if the ACS has closed the connection meanwhile.
        """
        sock = self._require()
        dropped = len(self._buffer)
        self._buffer.clear()
        sock.settimeout(0)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    self.close()
                    raise Sip2ConnectionError("the ACS closed the connection")
                dropped += len(chunk)
        except (BlockingIOError, ssl.SSLWantReadError):
            return dropped
        except OSError as exc:
            self.close()
            raise Sip2ConnectionError(f"connection broke: {exc}") from None

    def receive(self, timeout_s: float) -> bytes:
        """One message without its terminator. Blank lines (the LF of a CRLF) are skipped."""
        deadline = time.monotonic() + timeout_s
        while True:
            line = self._take_line()
            if line is not None:
                if line:
                    return line
                continue
            if len(self._buffer) > self.endpoint.max_message_bytes:
                self.close()
                raise Sip2ProtocolError(
                    f"message longer than {self.endpoint.max_message_bytes} bytes without a terminator")
            self._fill(deadline)

    def read_until(self, marker: bytes, timeout_s: float) -> bytes:
        """Raw read up to and including ``marker`` (telnet prompts), case-insensitive."""
        deadline = time.monotonic() + timeout_s
        while True:
            index = self._buffer.lower().find(marker.lower())
            if index >= 0:
                data = bytes(self._buffer[: index + len(marker)])
                del self._buffer[: index + len(marker)]
                return data
            if len(self._buffer) > self.endpoint.max_message_bytes:
                self.close()
                raise Sip2ProtocolError(
                    f"more than {self.endpoint.max_message_bytes} bytes without the prompt {marker!r}")
            self._fill(deadline)

    def _take_line(self) -> bytes | None:
        found = _LINE_END.search(self._buffer)
        if found is None:
            return None
        line = bytes(self._buffer[: found.start()])
        del self._buffer[: found.start() + 1]
        return line

    def _fill(self, deadline: float) -> None:
        sock = self._require()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Sip2Timeout("no answer from the ACS in time")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise Sip2Timeout("no answer from the ACS in time") from None
        except OSError as exc:
            self.close()
            raise Sip2ConnectionError(f"connection broke: {exc}") from None
        if not chunk:
            self.close()
            raise Sip2ConnectionError("the ACS closed the connection")
        self._buffer.extend(chunk)

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise Sip2ConnectionError("not connected")
        return self._sock
