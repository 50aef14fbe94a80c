"""The offline replay against the same LMS doing the same checkouts without the kiosk's bookkeeping.

The SIP2 emulator on loopback and the kiosk's SIP2 client; :data:`ROWS` offline loans in the journal
(sealed patron, original dates) replayed by the real :class:`~kiosk.offline.replay.Replayer`, against
the same :data:`ROWS` checkouts sent by the same client with no-block and dates but no journal, in
alternating runs (the emulator's own request rate, measured alongside). Between runs the items are
taken back, untimed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result, paired
from kiosk.offline.replay import Replayer
from kiosk.offline.sealing import Sealer
from kiosk.settings import Sip2Settings
from kiosk.store import Journal, JournalState, open_store
from sync.sip2.client import Sip2Client
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import parse_data
from sync.sip2.library import Sip2LibrarySystem

ROWS = 200
PATRON = "1000000001"
ITEMS = [f"51{i:08d}" for i in range(ROWS)]


def run() -> list[Result]:
    emulator = Sip2Emulator(parse_data({
        "library": {"institution": "DK-775100", "name": "Bench", "location": "hovedbiblioteket"},
        "patrons": [{"id": PATRON, "pin": "1234", "name": "Jensen, Anna"}],
        "items": [{"id": item, "title": f"Bog {n}"} for n, item in enumerate(ITEMS)],
    }, "benchmark"), port=0)
    emulator.start()
    host, port = emulator.address
    client = Sip2Client(Sip2Settings(host=host, port=port, user="kiosk", password="kiosk",
                                    institution="DK-775100", keepalive_s=0))
    lms = Sip2LibrarySystem(client)
    sealer = Sealer(bytes(range(32)))
    at = dt.datetime(2026, 12, 4, 21, 30, tzinfo=dt.UTC)
    due = at + dt.timedelta(days=28)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "kiosk.sqlite3")
            journal = Journal(store)
            replayer = Replayer(journal, lms, sealer)

            def take_back() -> None:
                for item in ITEMS:
                    lms.checkin(item)

            def replay() -> float:
                for item in ITEMS:
                    journal.append("checkout", {
                        "terminal": "bench", "patron": "a" * 64, "patron_sealed": sealer.seal(PATRON),
                        "item": item, "uids": [f"E004{item}"], "at": at.isoformat(), "due": due.isoformat(),
                        "offline": True}, state=JournalState.OFFLINE)
                started = time.perf_counter()
                replayer.replay()
                rate = ROWS / (time.perf_counter() - started)
                assert journal.count(JournalState.OFFLINE) == 0
                take_back()
                return rate

            def bare() -> float:
                started = time.perf_counter()
                for item in ITEMS:
                    assert lms.checkout(PATRON, item, no_block=True, transaction_date=at, due_date=due).ok
                rate = ROWS / (time.perf_counter() - started)
                take_back()
                return rate

            lms.item_info(ITEMS[0])  # connected and logged in before the first timing
            try:
                return list(paired("offline replay vs bare SIP2 checkouts (rows/s)", "rows/s", replay, bare,
                                   runs=5))
            finally:
                store.close()
    finally:
        client.close()
        emulator.stop()


if __name__ == "__main__":
    for result in run():
        print(result.line())
