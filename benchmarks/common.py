"""Timing helpers: run a workload several times, report the median and the spread."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_TERMINALS = ("demo-1", "demo-door")  # the ids of config/demo/terminal.toml and door.toml


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident set size (this one's by default), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
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


@dataclass(frozen=True)
class BranchServers:
    lms: str  # host:port of the SIP2 LMS
    central: str  # the central service's URL
    pids: tuple[int, int]  # of the LMS and the central service
    credentials: dict[str, str]  # the demo terminals' credentials with the central service, by id


@contextmanager
def branch_servers(folder: Path) -> Iterator[BranchServers]:
    """The demo's SIP2 LMS and central service, each in a process of its own as at a branch, with
    the central service's database in ``folder``."""
    from kiosk.settings import DEMO_SETTINGS

    demo = DEMO_SETTINGS.parent
    commands = [
        [sys.executable, "-m", "sync.lms_emulator", "--port", "0", "--data", str(demo / "lms.toml")],
        [sys.executable, "-m", "sync.central.cli", "--port", "0", "--db", str(folder / "central.db"),
         "--seed", str(demo / "central.toml")],
    ]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  cwd=ROOT) for command in commands]
    try:
        addresses = []
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("listening on "):
                raise RuntimeError(f"{process.args!r}: did not start")
            addresses.append(line.removeprefix("listening on ").strip())
        admin = [sys.executable, "-m", "sync.central.admin_cli", "--db", str(folder / "central.db"),
                 "credential"]
        credentials = {terminal: subprocess.run(
            [*admin, "--terminal", terminal, "--branch", "hovedbiblioteket"], check=True, capture_output=True,
            text=True, cwd=ROOT).stdout.strip() for terminal in DEMO_TERMINALS}
        yield BranchServers(addresses[0], addresses[1], (processes[0].pid, processes[1].pid), credentials)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
