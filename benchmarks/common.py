"""Timing helpers: run a workload several times, report the median and the spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def rss_mb() -> float:
    """The process's resident set size, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@dataclass(frozen=True)
class Result:
    name: str
    unit: str
    median: float
    low: float
    high: float
    runs: int

    def line(self) -> str:
        digits = 2 if self.unit == "x" else 1  # ratios
        return (f"{self.name:<48} median {self.median:>12,.{digits}f} {self.unit}"
                f"   (min {self.low:,.{digits}f}, max {self.high:,.{digits}f}, {self.runs} runs)")


def rate(name: str, operations: int, workload: Callable[[], object], runs: int = 7) -> Result:
    """Operations per second of ``workload`` (which performs ``operations`` operations)."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        workload()
        rates.append(operations / (time.perf_counter() - start))
    return Result(name, "ops/s", statistics.median(rates), min(rates), max(rates), runs)


def latency(name: str, workload: Callable[[], object], runs: int = 200) -> Result:
    """Microseconds per call of ``workload``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        workload()
        times.append((time.perf_counter() - start) * 1e6)
    return Result(name, "µs", statistics.median(times), min(times), max(times), runs)


def paired(name: str, unit: str, ours: Callable[[], float], reference: Callable[[], float], runs: int = 7
           ) -> tuple[Result, Result, Result]:
    """``ours`` and ``reference`` (each returning a rate) run alternately, so that both see the same
    machine; (ours, reference, ours/reference per pair of runs)."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(ours())
        theirs.append(reference())
    ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
    return (Result(name, unit, statistics.median(mine), min(mine), max(mine), runs),
            Result(f"  reference: {name}", unit, statistics.median(theirs), min(theirs), max(theirs), runs),
            Result(f"  ratio: {name}", "x", statistics.median(ratios), min(ratios), max(ratios), runs))
