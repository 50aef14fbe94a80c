"""Running an emulator in the foreground (``library-kiosk lms-emulator``, ``central-emulator``):
start it, say where it listens, serve until SIGINT or SIGTERM, stop it."""

from __future__ import annotations

import signal
import ssl
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType


def serve_until_signalled(name: str, start: Callable[[], str], stop: Callable[[], None], where: str) -> int:
    """``start()`` begins serving and returns what to print after "listening on"; ``where`` names the
    address for the error when it cannot listen. 0 on a clean stop, 2 when it cannot listen."""
    stopping = threading.Event()
    previous: dict[signal.Signals, Callable[[int, FrameType | None], object] | int | None] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stopping.set())
    try:
        try:
            address = start()
        except OSError as exc:
            print(f"{name}: cannot listen on {where}: {exc}", file=sys.stderr)
            return 2
        print(f"listening on {address}", flush=True)
        while not stopping.wait(0.5):
            pass
        return 0
    finally:
        stop()
        for number, handler in previous.items():
            signal.signal(number, handler)


def server_tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The TLS context of ``--tls-cert``/``--tls-key`` (None without either); ValueError with one."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
