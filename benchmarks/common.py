"""Timing helpers: run a workload several times, report the median and the spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    unit: str
    median: float
    low: float
    high: float
    runs: int

    def line(self) -> str:
        return (f"{self.name:<48} median {self.median:>12,.1f} {self.unit}"
                f"   (min {self.low:,.1f}, max {self.high:,.1f}, {self.runs} runs)")


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
