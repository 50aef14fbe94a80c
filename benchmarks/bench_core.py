"""The core's own costs: journal writes (fsync'd SQLite) and the event loop's round trip."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Result, latency, rate
from kiosk.domain.events import Core
from kiosk.store import Journal, JournalState, open_store


@dataclass(frozen=True)
class Ping:
    pass


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.sqlite3")
        journal = Journal(store)

        def append_and_mark() -> None:
            for i in range(100):
                entry = journal.append("checkout", {"item": f"{i:010d}"})
                journal.mark(entry.id, JournalState.DONE)

        results.append(rate("journal append+mark (durable, WAL, FULL sync)", 100, append_and_mark))
        store.close()

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
