"""Serving an ASGI application with uvicorn on a socket bound before it starts, in a thread of its own
(the demo, the tests and ``library-kiosk central``, whose main thread waits for the signal)."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from typing import Any

import uvicorn

log = logging.getLogger("sync.central.server")

START_TIMEOUT_S = 10.0
# uvicorn logs every request when any handler is configured, and its start and stop at INFO: in a
# kiosk's log (the demo runs the service in the kiosk's process) that is noise; errors still show.
logging.getLogger("uvicorn.access").propagate = False
logging.getLogger("uvicorn.error").setLevel(logging.WARNING)


class Serving:
    """``app`` on ``host:port`` (0: any free port, known once constructed), HTTPS with ``tls``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 tls: ssl.SSLContext | None = None, name: str = "central") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP said outright: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it every GET answer waited 40 ms for a delayed ACK (Nagle).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
            self.port: int = self._socket.getsockname()[1]
        except OSError:
            self._socket.close()
            raise
        config = uvicorn.Config(app, interface="asgi3", log_config=None, access_log=False, lifespan="off",
                                proxy_headers=False,
                                timeout_keep_alive=30, timeout_graceful_shutdown=2, server_header=False)
        config.load()
        config.ssl = tls  # uvicorn only builds a context from files; ours is made already
        self.host, self.tls, self.name = host, tls is not None, name
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def start(self) -> None:
        """Serve in a daemon thread; returns once connections are accepted."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > START_TIMEOUT_S:
                raise OSError(f"{self.name} did not start serving on {self.url}")
            threading.Event().wait(0.01)
            waited += 0.01

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def stop(self) -> None:
        """Stop accepting, finish what is under way (at most 2 s), close the socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                log.warning("%s: still serving 10 s after being told to stop", self.name)
        self._socket.close()
