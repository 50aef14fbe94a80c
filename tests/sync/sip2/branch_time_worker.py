"""Run by test_branch_time.py under a TZ of the test's choosing: an offline loan made at the kiosk
(the system clock in the branch's zone, the offline due date from it) is replayed to the SIP2 LMS
emulator; prints the checkout frame as the LMS received it, and the clock's offset, as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.domain.clock import SystemClock
from kiosk.offline.sealing import offline_due_date
from kiosk.settings import OfflineSettings, Sip2Settings
from sync.sip2.client import Sip2Client
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from sync.sip2.library import Sip2LibrarySystem

BRANCH = ZoneInfo("Europe/Copenhagen")


def main(seed: Path) -> int:
    clock = SystemClock(BRANCH)
    now = clock.now()
    due = offline_due_date(OfflineSettings(loan_days=14), now)
    emulator = Sip2Emulator(load_data(seed), host="127.0.0.1", port=0, user="kiosk", password="kiosk")
    emulator.start()
    frames: list[str] = []
    try:
        host, port = emulator.address
        account = Sip2Settings(host=host, port=port, user="kiosk", password="kiosk", keepalive_s=0)
        client = Sip2Client(account, trace=lambda _direction, data: frames.append(data.decode("cp850")))
        lms = Sip2LibrarySystem(client, zone=BRANCH)
        lms.checkout("1000000001", "5010000001", no_block=True, transaction_date=now, due_date=due)
        client.close()
    finally:
        emulator.stop()
    checkout = next(frame for frame in frames if frame.startswith("11"))
    offset = now.utcoffset()
    assert offset is not None
    print(json.dumps({"checkout": checkout, "offset_h": offset.total_seconds() / 3600, "due": due.isoformat(),
                      "now": now.isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
