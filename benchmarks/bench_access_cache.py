"""The access list cache at municipal scale: 500,000 patrons on one door terminal's disk.

* full refresh: 50 pages of 10,000 entries, from the first page to the switch and the old list's
  removal (median of 3; the first fills an empty database, the others replace a live list). Only
  the cache's work is timed, not making the pages (in real life: the network and JSON);
* delta refresh: one page of 5,000 changes on the full list (2,500 changed, 1,500 new, 1,000
  deleted; median of 5);
* lookup: p50 and p99 of 10,000 lookups of random cards, half in the list and half not; and the
  whole cached answer to a card and PIN (one lookup and one scrypt, N=2^14);
* the database file after the runs, and the peak RSS of the process.

PIN verifiers of the bulk are random strings in the right format (500,000 real scrypts would take
hours); the few cards whose PIN is checked have real ones.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Result, latency
from kiosk.domain.pins import pin_verifier
from kiosk.store import open_store
from kiosk.store.access_cache import AccessCache

ENTRIES = 500_000
PAGE = 10_000
DELTA = 5_000
LOOKUPS = 10_000
FULL_RUNS, DELTA_RUNS = 3, 5
KEY = bytes.fromhex("3c" * 32)
PIN = "2468"
REAL_PINS = 10  # cards 0..9 carry a real verifier of PIN


def card(n: int) -> str:
    return f"{1_000_000_000 + n}"


class Generator:
    """Entries as the central system sends them, made page by page so that memory stays flat."""

    def __init__(self, cache: AccessCache, seed: int = 1) -> None:
        self._cache = cache
        self._rnd = random.Random(seed)
        self._real = {n: pin_verifier(PIN) for n in range(REAL_PINS)}

    def entry(self, n: int, category: str = "adult") -> dict[str, Any]:
        rnd = self._rnd
        verifier = (self._real.get(n)
                    or f"scrypt$16384$8$1${rnd.randbytes(16).hex()}${rnd.randbytes(32).hex()}")
        year = rnd.randrange(1930, 2020)
        return {"key": self._cache.token(card(n)), "pin_verifier": verifier, "category": category,
                "birth_date": f"{year}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}",
                "blocked": rnd.random() < 0.02, "consent": rnd.random() < 0.9, "expires": "2030-12-31",
                "deleted": False}

    def full_pages(self, run: int) -> list[Callable[[], dict[str, Any]]]:
        pages = ENTRIES // PAGE

        def make(p: int) -> Callable[[], dict[str, Any]]:
            return lambda: {"entries": [self.entry(n) for n in range(p * PAGE, (p + 1) * PAGE)],
                            "cursor": f"full-{run}-{p}", "more": p < pages - 1, "full": True}

        return [make(p) for p in range(pages)]

    def delta(self, run: int) -> dict[str, Any]:
        start = REAL_PINS + run * DELTA
        changed = [self.entry(n, "senior") for n in range(start, start + 2_500)]
        new = [self.entry(ENTRIES + run * 1_500 + n) for n in range(1_500)]
        deleted = [{"key": self._cache.token(card(n)), "deleted": True}
                   for n in range(start + 2_500, start + 3_500)]
        return {"entries": changed + new + deleted, "cursor": f"delta-{run}", "more": False, "full": False}


def _seconds(name: str, times: list[float], unit: str = "s", scale: float = 1.0) -> Result:
    scaled = [t * scale for t in times]
    return Result(name, unit, statistics.median(scaled), min(scaled), max(scaled), len(scaled))


def _one(name: str, value: float, unit: str) -> Result:
    return Result(name, unit, value, value, value, 1)


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        store = open_store(path)
        cache = AccessCache(store, KEY, lambda: dt.datetime.now(dt.UTC).astimezone())
        make = Generator(cache)

        full_times = []
        for r in range(FULL_RUNS):
            spent = 0.0
            for next_page in make.full_pages(r):
                page = next_page()
                start = time.perf_counter()
                cache.apply(page)
                spent += time.perf_counter() - start
            full_times.append(spent)
        assert cache.stats().entries == ENTRIES

        delta_times = []
        for r in range(DELTA_RUNS):
            page = make.delta(r)
            start = time.perf_counter()
            cache.apply(page)
            delta_times.append(time.perf_counter() - start)
        assert cache.stats().entries == ENTRIES + DELTA_RUNS * 500

        rnd = random.Random(2)
        cards = [card(rnd.randrange(ENTRIES)) if i % 2 else card(rnd.randrange(10**9))
                 for i in range(LOOKUPS)]
        lookups = []
        for number in cards:
            start = time.perf_counter()
            cache.lookup(number)
            lookups.append((time.perf_counter() - start) * 1e6)
        lookups.sort()
        p50, p99 = lookups[len(lookups) // 2], lookups[len(lookups) * 99 // 100]
        check = latency("access list check, card + PIN (lookup + scrypt)",
                        lambda: cache.check(card(REAL_PINS - 1), PIN), runs=20)
        assert cache.check(card(0), PIN).auth.ok

        store.close()
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    full, delta = statistics.median(full_times), statistics.median(delta_times)
    return [
        _seconds(f"access list full refresh ({ENTRIES:,} in pages of {PAGE:,})", full_times),
        _one("access list full refresh rate", ENTRIES / full, "entries/s"),
        _seconds(f"access list delta refresh ({DELTA:,} changes)", delta_times, "ms", 1e3),
        _one("access list full refresh / delta refresh time", full / delta, "x"),
        Result(f"access list lookup p50 ({LOOKUPS:,}, half absent)", "µs", p50, lookups[0], lookups[-1],
               LOOKUPS),
        Result(f"access list lookup p99 ({LOOKUPS:,}, half absent)", "µs", p99, lookups[0], lookups[-1],
               LOOKUPS),
        _one("access list lookup p99 / p50", p99 / p50, "x"),
        check,
        _one("access list db files (3 full refreshes done)", size / 1e6, "MB"),
        _one("access list db bytes per entry", size / ENTRIES, "B"),
        _one("peak RSS of the benchmark process", peak, "MB"),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.line())
