"""The self-service kiosk as a process of its own, for the crash tests: the victim of kill -9.

``python -m tests.crash.kiosk_worker --data DIR --lms PORT --pad DEVICE`` builds the real kiosk (its
threaded core and workers, SIP2 to the emulator on PORT, the FEIG driver on the pad at DEVICE, whose
simulator lives in the test process and so keeps the tags through a kill). Once started, and once
whatever a crash left in doubt is settled (no checkout or checkin row pending or in doubt), it
prints :data:`READY`; then it reads commands on stdin, one per line, and prints ``ok`` when done:

* ``borrow N`` / ``account N``: demo patron N (from 1) logs in for a loan or to their account;
* ``return``: a return visit (no login);
* ``renew``: on the account screen, renew everything;
* ``end``: back to the start screen (a logout, a finished return).

The test puts the tags on the pad itself, and kills this process whenever it likes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.bootstrap.demo import demo_cards, read_seed
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.session.service import Screen
from kiosk.settings import (
    DEMO_SETTINGS,
    CalendarSettings,
    CentralSettings,
    LmsSettings,
    Settings,
    Sip2Settings,
    load_settings,
)
from kiosk.simulate.build import DEMO_SEED
from kiosk.store import JournalState
from kiosk.testing.memory import MemoryCardReader, in_memory

READY = "kiosk ready"
WAIT_S = 20.0
SETTLE_S = 15.0


def settings_for(data_dir: Path, port: int, pad: str) -> Settings:
    base = load_settings(DEMO_SETTINGS)
    paths = base.paths.model_copy(update={"data_dir": data_dir, "log_dir": data_dir / "log"})
    account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": port, "user": "kiosk",
                                           "password": "kiosk", "keepalive_s": 0.0, "timeout_s": 2.0,
                                           "retries": 1})
    devices = in_memory(base.devices)
    devices = devices.model_copy(update={
        "rfid_pad": devices.rfid_pad.model_copy(update={"kind": "feig", "port": pad, "address": 0x00,
                                                        "poll_interval_s": 0.1}),
        "barcode_scanner": devices.barcode_scanner.model_copy(update={"kind": "none"})})
    return base.model_copy(update={
        "paths": paths, "logging": base.logging.model_copy(update={"console": False}),
        "lms": LmsSettings(kind="sip2", sip2=account), "central": CentralSettings(), "devices": devices,
        "calendar": CalendarSettings()})


def wait_for(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the kiosk did not get there")
        time.sleep(0.01)


def settled(kiosk: Kiosk) -> bool:
    doubtful = (JournalState.PENDING, getattr(JournalState, "IN_DOUBT", "in_doubt"))
    return not kiosk.journal.in_states(doubtful, kinds=("checkout", "checkin"), limit=1)


def log_in(kiosk: Kiosk, patron: int, purpose: Purpose) -> None:
    card = demo_cards(read_seed(DEMO_SEED))[patron - 1]
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    kiosk.session.start_visit(purpose)
    wait_for(lambda: kiosk.session.view.screen is Screen.IDENTIFY)
    reader.present(card.credential)
    wait_for(lambda: kiosk.session.view.screen is Screen.PIN)
    kiosk.session.submit_pin(card.pin)
    wanted = Screen.BORROW if purpose is Purpose.BORROW else Screen.ACCOUNT
    wait_for(lambda: kiosk.session.view.screen is wanted)


def serve(kiosk: Kiosk, command: str) -> None:
    word, _, argument = command.partition(" ")
    session = kiosk.session
    if word in ("borrow", "account"):
        log_in(kiosk, int(argument or "1"), Purpose.BORROW if word == "borrow" else Purpose.ACCOUNT)
    elif word == "return":
        session.start_visit(Purpose.RETURN)
        wait_for(lambda: session.view.screen is Screen.RETURN)
    elif word == "renew":
        session.renew_all()
        wait_for(lambda: session.view.visit is not None and not session.view.visit.busy)
    elif word == "end":
        session.logout() if session.view.screen is not Screen.RETURN else session.finish_visit()
        wait_for(lambda: session.view.screen in (Screen.START, Screen.RECEIPT))
        if session.view.screen is Screen.RECEIPT:
            session.choose_receipt(ReceiptChoice.NONE)
            wait_for(lambda: session.view.screen is Screen.START)
    else:
        raise ValueError(f"unknown command {command!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.kiosk_worker")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--lms", type=int, required=True)
    parser.add_argument("--pad", required=True)
    args = parser.parse_args(argv)
    kiosk = build(settings_for(args.data, args.lms, args.pad), profile="demo", log_to_console=False)
    kiosk.start()
    try:
        try:  # a kiosk that does not settle shows in the test as LMS and tags that disagree
            wait_for(lambda: settled(kiosk), SETTLE_S)
        except TimeoutError:
            print("not settled", file=sys.stderr, flush=True)
        print(READY, flush=True)
        for line in sys.stdin:
            if line.strip():
                serve(kiosk, line.strip())
                print("ok", flush=True)
    finally:
        kiosk.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
