"""The central service under a municipality's load, on loopback: ``--terminals`` terminals (200:
Aarhus has about 100) each heartbeating every 30 s, sending a batch of 10 events every minute (a busy
hour: entries, loans, what they learned for the access list) and asking for its access-list delta
every minute, played ``--speed`` times faster than real time for ``--seconds``. The service runs in
a process of its own, on an SQLite file and (``--postgres``, the default when the server is
installed) on PostgreSQL, with a 50,000-patron access list. Reports p50 and p95 latency per
operation, requests per second, and how much the database grows per day at these rates.

    python -m benchmarks.bench_central [--terminals 200] [--seconds 60] [--speed 10] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from benchmarks.common import ROOT, Result
from kiosk.domain.pins import pin_verifier
from sync.central.server.store import CentralStore

BRANCHES = ("hovedbiblioteket", "viby", "tilst", "risskov", "harlev", "hasle", "lystrup", "beder")
PATRONS = 50_000
VERIFIER = pin_verifier("1234")


def _prepare(database: str, terminals: int) -> dict[str, str]:
    """Credentials for the terminals, a calendar per branch, the municipality's access list."""
    store = CentralStore(database)
    try:
        credentials = {f"t{n:03d}": store.issue_credential(f"t{n:03d}", BRANCHES[n % len(BRANCHES)])
                       for n in range(terminals)}
        for branch in BRANCHES:
            store.set_calendar(branch, {"zone": "Europe/Copenhagen",
                                        "week": {"monday": ["07:00-22:00 unstaffed"]}})
        store.add_revision("defaults", "", {"session": {"idle_timeout_s": 60}}, author="bench")
        store.upsert_entries({"key": f"{n:032x}", "pin_verifier": VERIFIER, "category": "adult",
                              "birth_date": "1980-01-01", "blocked": False, "consent": True,
                              "expires": "2030-12-31"} for n in range(PATRONS))
    finally:
        store.close()
    return credentials


@contextmanager
def _serving(database: str) -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "sync.central.cli", "--port", "0", "--db", database],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError("the central service did not start")
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.wait(timeout=15)


def _events(terminal: str, n: int) -> list[dict[str, object]]:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    batch: list[dict[str, object]] = []
    for i in range(10):
        if i == 0:  # one patron checked online and learned per batch: the deltas carry it
            payload: dict[str, object] = {
                "key": f"{(hash((terminal, n)) % PATRONS):032x}", "pin_verifier": VERIFIER,
                "category": "adult",
                "birth_date": None, "blocked": False, "consent": True, "expires": "2031-01-01",
                "type": "access_learned", "state": "done", "error": None}
            kind = "access_learned"
        elif i % 2:
            payload, kind = {"token": "ab" * 16, "decision": "allowed", "reason": "ok", "type": "entry",
                             "state": "done", "error": None}, "entry"
        else:
            payload, kind = {"item": f"50100{i:05d}", "patron": "cd" * 16, "type": "checkout",
                             "state": "done", "error": None}, "transaction"
        batch.append({"id": str(uuid.uuid4()), "kind": kind, "at": at, "payload": payload})
    return batch


def _terminal(url: str, terminal: str, credential: str, branch: str, cursor: str, until: float, speed: float,
              latencies: dict[str, list[float]], lock: threading.Lock, offset: float) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {credential}"
    due = {"heartbeat": time.monotonic() + offset, "events": time.monotonic() + offset * 2,
           "access-list": time.monotonic() + offset * 2}
    every = {"heartbeat": 30 / speed, "events": 60 / speed, "access-list": 60 / speed}
    sent = 0
    while True:
        what, when = min(due.items(), key=lambda item: item[1])
        if when > until:
            break
        time.sleep(max(0.0, when - time.monotonic()))
        started = time.perf_counter()
        if what == "heartbeat":
            response = session.post(f"{url}/v1/terminals/{terminal}/heartbeat", json={
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "mode": "online",
                "devices": [{"device": "rfid_pad", "state": "ok", "detail": ""}],
                "outbox": {"pending": 0, "oldest_age_s": None}}, timeout=30)
        elif what == "events":
            sent += 1
            response = session.post(f"{url}/v1/terminals/{terminal}/events",
                                    json={"events": _events(terminal, sent)}, timeout=30)
        else:
            response = session.get(f"{url}/v1/branches/{branch}/access-list", params={"cursor": cursor},
                                   timeout=30)
            if response.ok:
                cursor = response.json()["cursor"]
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 300:
            raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        with lock:
            latencies[what].append(elapsed)
        due[what] = when + every[what]
    session.close()


def _size(database: str) -> int:
    if "://" in database:
        import psycopg

        with psycopg.connect(database.replace("postgresql+psycopg", "postgresql")) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0
    path = Path(database)
    return sum(part.stat().st_size for part in (path, path.with_name(path.name + "-wal")) if part.exists())


def load(database: str, label: str, terminals: int, seconds: float, speed: float) -> list[Result]:
    credentials = _prepare(database, terminals)
    with _serving(database) as url:
        cursor = requests.get(f"{url}/v1/branches/{BRANCHES[0]}/access-list", params={"limit": 1},
                              headers={"Authorization": f"Bearer {credentials['t000']}"}, timeout=60).json()
        start_cursor = f"c-{cursor['cursor'].split('-')[1]}"
        before = _size(database)
        latencies: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=_terminal, args=(
            url, terminal, credential, BRANCHES[n % len(BRANCHES)], start_cursor, until, speed, latencies,
            lock, (n / terminals) * 30 / speed), daemon=True) for n, (terminal, credential) in
            enumerate(credentials.items())]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - started
        growth = _size(database) - before
    results = []
    requests_total = sum(len(values) for values in latencies.values())
    for what, values in sorted(latencies.items()):
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        results.append(Result(f"central {label}: {what} p50", "ms", statistics.median(values), values[0],
                              values[-1], len(values)))
        results.append(Result(f"central {label}: {what} p95", "ms", p95, values[0], values[-1], len(values)))
    results.append(Result(f"central {label}: requests/s ({terminals} terminals x{speed:g})", "req/s",
                          requests_total / took, requests_total / took, requests_total / took, 1))
    per_day = growth / (seconds * speed) * 86_400 / 1e6
    results.append(Result(f"central {label}: database growth per day", "MB", per_day, per_day, per_day, 1))
    return results


def run(terminals: int = 200, seconds: float = 60, speed: float = 10, postgres: bool = True) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        results += load(str(Path(tmp) / "central.db"), "sqlite", terminals, seconds, speed)
        if postgres:
            from tests.postgres import PostgresCluster, _binaries

            if _binaries() is not None:
                folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
                cluster = PostgresCluster(folder)
                try:
                    results += load(cluster.database(), "postgresql", terminals, seconds, speed)
                finally:
                    cluster.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_central",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--terminals", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--speed", type=float, default=10, help="times real time")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    for result in run(args.terminals, args.seconds, args.speed, not args.no_postgres):
        print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
