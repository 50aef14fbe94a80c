"""A scripted ACS for client tests: a real TCP (or TLS) server whose replies a test writes.

The LMS is outside the kiosk's machine, so a scripted peer at that edge is fair: it lets a test
produce exactly the faults real servers produce (bad checksums, a 97 answered with AY0, silence,
a dropped connection) and inspect the exact bytes the client sent.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sync.sip2.codec import Message, decode, encode, format_date, message

# What a handler returns: bytes to send (terminator included), None for silence, or CLOSE.
CLOSE = b"<close>"
Handler = Callable[[bytes, "Connection"], bytes | list[bytes] | None]


@dataclass
class Connection:
    number: int
    received: list[bytes] = field(default_factory=list)


class ScriptedAcs:
    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None,
                 greeting: bytes = b"") -> None:
        self.handler = handler
        self.tls = tls
        self.greeting = greeting
        self.connections: list[Connection] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def frames(self) -> list[bytes]:
        return [f for c in self.connections for f in c.received]

    def start(self) -> ScriptedAcs:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._server.close()

    def _serve(self) -> None:
        self._server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                sock, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            threading.Thread(target=self._handle, args=(sock,), daemon=True).start()

    def _handle(self, sock: socket.socket) -> None:
        conn = Connection(len(self.connections) + 1)
        self.connections.append(conn)
        try:
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            if self.greeting:
                sock.sendall(self.greeting)
            buffer = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\r" in buffer or b"\n" in buffer:
                    cut = min(i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0)
                    line, buffer = buffer[:cut], buffer[cut + 1:]
                    if not line:
                        continue
                    conn.received.append(line)
                    replies = self.handler(line, conn)
                    for reply in [replies] if isinstance(replies, bytes) else (replies or []):
                        if reply == CLOSE:
                            sock.close()
                            return
                        sock.sendall(reply)
        except OSError:
            return
        finally:
            sock.close()


def reply(msg: Message, request: bytes | None = None, *, sequence: int | None = None,
          encoding: str = "cp850", terminator: bytes = b"\r") -> bytes:
    """Encode a response, echoing the request's AY when it had one."""
    if sequence is None and request is not None:
        sequence = decode(request, encoding=encoding, verify=False).sequence
    return encode(msg, encoding=encoding, sequence=sequence,
                  error_detection=sequence is not None) + terminator


def login_ok(request: bytes) -> bytes:
    return reply(message("94", {"ok": "1"}), request)


def acs_status(request: bytes) -> bytes:
    return reply(message("98", {
        "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "acs_renewal_policy": "Y",
        "status_update_ok": "N", "offline_ok": "Y", "timeout_period": "030", "retries_allowed": "003",
        "date_time_sync": format_date(None).replace(" ", "0"), "protocol_version": "2.00",
    }, [("AO", "DK-775100"), ("AM", "Testbibliotek"), ("BX", "YYYYYYYYYYYYYYYY")]), request)


def standard(request: bytes) -> bytes | None:
    """Answer 93 and 99 as a healthy ACS would; None for anything else."""
    if request.startswith(b"93"):
        return login_ok(request)
    if request.startswith(b"99"):
        return acs_status(request)
    return None


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with the openssl command."""
    cert, key = folder / "acs.pem", folder / "acs.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key
