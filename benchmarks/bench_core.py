"""The core's own costs: the event loop's round trip (the journal: :mod:`benchmarks.bench_journal`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from benchmarks.common import Result, latency
from kiosk.domain.events import Core


@dataclass(frozen=True)
class Ping:
    pass


def run() -> list[Result]:
    results = []
    core = Core()
    handled = threading.Event()
    core.on(Ping, lambda _e: handled.set())
    core.start()

    def round_trip() -> None:
        handled.clear()
        core.post(Ping())
        handled.wait(1)

    results.append(latency("core event round trip (post -> handler)", round_trip, runs=2000))
    core.stop()
    return results
