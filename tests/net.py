"""Loopback ports for tests and benchmarks."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback TCP port nothing listens on (bound and released: free for a moment, or refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
