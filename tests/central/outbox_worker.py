"""A kiosk that only journals and sends, for the kill -9 test of the outbox (tests/central/test_outbox.py).

``python -m tests.central.outbox_worker DB URL TOKEN TERMINAL`` writes events and finished transactions to
the journal in ``DB`` and sends them to the central system at ``URL``, round after round, until it
is killed. It prints ``ready`` before the first round, so the test can kill it in the middle of one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from pathlib import Path

from kiosk.central.outbox import Outbox
from kiosk.store import Journal, JournalState, open_store
from sync.central.client import CentralClient


class WallClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def main(argv: list[str]) -> None:
    db, url, token, terminal = argv
    journal = Journal(open_store(Path(db)))
    outbox = Outbox(journal, CentralClient(url, token, retries=0, timeout_s=(2, 5)), terminal, WallClock(),
                    batch=20)
    print("ready", flush=True)
    for round_ in itertools.count():
        for n in range(6):
            journal.append("entry", {"terminal": terminal, "decision": "allow", "round": round_, "n": n})
        loan = journal.append("checkout", {"terminal": terminal, "item": f"50{round_:08d}",
                                           "patron": "ab" * 16, "patron_sealed": "sealed-secret"})
        journal.mark(loan.id, JournalState.DONE)
        journal.append("door_alarm", {"terminal": terminal, "alarm": "held_open", "round": round_})
        outbox.send_once()


if __name__ == "__main__":
    main(sys.argv[1:])
