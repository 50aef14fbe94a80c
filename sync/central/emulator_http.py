"""The HTTP side of the central emulator: a threading HTTP/1.1 server (keep-alive, optional TLS)
that hands each request to a :class:`Backend` and sends its reply as JSON."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast

from sync.central.emulator_api import Reply, Request

log = logging.getLogger("sync.central.emulator")

MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class Exchange:
    """One request the emulator answered: what was asked, the status, and the body bytes sent."""

    method: str
    path: str
    status: int
    body_bytes: int


class Backend(Protocol):
    def answer(self, request: Request) -> Reply | bytes | None:
        """The reply (bytes: sent as a 200 body as they are); None: close without one."""

    def record(self, exchange: Exchange) -> None: ...


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        self.backend = backend
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def drop_connections(self) -> None:
        """Close kept-alive connections, so no request is served after stop()."""
        with self._connections_lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "central-emulator/1"
    timeout = 30.0

    def setup(self) -> None:
        super().setup()
        self._server().track(self.connection, True)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except OSError:
                self._server().track(self.connection, False)
                raise

    def finish(self) -> None:
        self._server().track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        try:
            super().handle()
        except OSError as exc:  # the client went away, or a TLS handshake failed
            log.debug("connection from %s: %s", self.client_address[0], exc)
            self.close_connection = True

    def _server(self) -> EmulatorServer:
        return cast(EmulatorServer, self.server)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(Reply.error(413 if length > 0 else 400, "bad_request", "body too large or no length"))
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self._server().backend.answer(Request(self.command, self.path, headers, body))
        if answer is None:
            self.close_connection = True
        elif isinstance(answer, bytes):
            self._send(Reply(200), raw=answer)
        else:
            self._send(answer)

    def _send(self, reply: Reply, raw: bytes | None = None) -> None:
        if raw is not None:
            data = raw
        elif reply.body is None:
            data = b""
        else:
            data = json.dumps(reply.body, ensure_ascii=False).encode()
        # Recorded before it is sent, so a client that has the answer finds it in exchanges().
        path = self.path.split("?", 1)[0]
        self._server().backend.record(Exchange(self.command, path, reply.status, len(data)))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            if data:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], format % args)
