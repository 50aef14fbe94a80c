"""Fixtures that run the pysip2-based ACS (``pysip2_peer.py``) as a process on a free port.

Import into a conftest with ``from tests.sync.sip2.peer_fixtures import pysip2_server  # noqa: F401``.
``pysip2_server`` gives a fresh server (fresh loans) per test; :func:`running_pysip2_peer` starts one
with other options (encoding, error detection, idle timeout) for a test that needs them.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.sync.sip2.pysip2_peer import SEED, Seed

PEER_SCRIPT = Path(__file__).with_name("pysip2_peer.py")
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


class Pysip2Peer(NamedTuple):
    host: str
    port: int
    seed: Seed


@contextmanager
def running_pysip2_peer(log_path: Path, *, encoding: str = "cp850", error_detection: str = "auto",
                        idle_timeout: float | None = None) -> Iterator[Pysip2Peer]:
    """Start the peer on 127.0.0.1 with an OS-chosen port; stop it by its process id on exit.

    The peer's log (each connection it closed, and why) is written to ``log_path`` and printed at
    exit, so pytest shows it when a test fails.
    """
    command = [sys.executable, str(PEER_SCRIPT), "--host", "127.0.0.1", "--port", "0",
               "--encoding", encoding, "--error-detection", error_detection, "--log-level", "INFO"]
    if idle_timeout is not None:
        command += ["--idle-timeout", str(idle_timeout)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    try:
        host, port = _wait_for_listening(process, log_path)
        yield Pysip2Peer(host, port, SEED)
    finally:
        _stop(process)
        process.stdout.close()
        print(f"--- pysip2 peer log ({log_path}) ---\n{log_path.read_text(errors='replace')}")


def _wait_for_listening(process: subprocess.Popen[bytes], log_path: Path) -> tuple[str, int]:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline().decode("ascii", "replace").strip()
            if line.startswith("listening on "):
                host, _, port = line.removeprefix("listening on ").rpartition(":")
                return host, int(port)
            if line:
                continue
        if process.poll() is not None:
            break
    raise RuntimeError(f"the pysip2 peer did not start (exit {process.poll()}): "
                       f"{log_path.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT_S)


@pytest.fixture
def pysip2_server(tmp_path: Path) -> Iterator[Pysip2Peer]:
    """A pysip2 ACS seeded with :data:`tests.sync.sip2.pysip2_peer.SEED`: ``(host, port, seed)``."""
    with running_pysip2_peer(tmp_path / "pysip2-peer.log") as peer:
        yield peer
