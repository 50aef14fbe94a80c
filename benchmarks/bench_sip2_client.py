"""The kiosk's SIP2 client against the LMS emulator on loopback: what a patron waits for."""

from __future__ import annotations

import datetime as dt

from benchmarks.common import Result, latency
from kiosk.settings import Sip2Settings
from sync.sip2.client import Sip2Client
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import EmulatorData, parse_data
from sync.sip2.library import Sip2LibrarySystem

PATRON = "1000000001"


def _data(loans: int) -> EmulatorData:
    items = [{"id": f"4{i:09d}", "title": f"Bog nummer {i}"} for i in range(loans)]
    return parse_data({
        "library": {"institution": "DK-775100", "name": "Bench", "location": "hovedbiblioteket"},
        "patrons": [{"id": PATRON, "pin": "1234", "name": "Storlåner, Åse",
                     "loans": [{"item": i["id"], "due": dt.date(2099, 1, 1)} for i in items]}],
        "items": [*items, {"id": "5000000000", "title": "Ledig bog"}],
    }, "benchmark")


def run() -> list[Result]:
    emulator = Sip2Emulator(_data(300), port=0)
    emulator.start()
    host, port = emulator.address
    client = Sip2Client(Sip2Settings(host=host, port=port, user="kiosk", password="kiosk",
                                    institution="DK-775100", keepalive_s=0))
    lms = Sip2LibrarySystem(client)
    try:
        lms.item_info("5000000000")
        results = [
            latency("sip2 client item information (17/18) vs emulator", lambda: lms.item_info("5000000000"),
                    runs=500),
            latency("sip2 client checkout + checkin vs emulator", lambda: (
                lms.checkout(PATRON, "5000000000"), lms.checkin("5000000000")), runs=200),
            latency("sip2 client 300-loan account (63 pages + 300×17)",
                    lambda: lms.account(PATRON, "1234"), runs=5),
        ]
    finally:
        client.close()
        emulator.stop()
    return results
