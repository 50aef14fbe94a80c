"""Drives the real kiosk window offscreen through whole visits and reports ``None``'s reference count.

Run by ``tests/test_qt_refcount.py`` in a process of its own: a Qt binding that drops references to
``None`` (PySide6 6.12.0 on Python 3.11) ends the process with ``Fatal Python error: none_dealloc``,
and the test must see that as a failure rather than die with it.

    python -m tests.qt_refcount_worker FOLDER VISITS   # prints one JSON line
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.events import InlineWorkers
from kiosk.session.service import Screen, SessionView
from kiosk.testing.memory import FakeCardReader, FakeClock, FakeItemReader
from tests.conftest import isolated_settings
from ui.main_window import KioskWindow
from ui.sounds import Sounds

ITEMS = ("5010000001", "5010000003")  # two plain books of the demo data: no fee, no set

Settle = Callable[[Callable[[SessionView], bool]], None]
"""Lets the kiosk and the window catch up, until the view on screen is the one expected."""


def _lent(view: SessionView, outcome: Outcome) -> bool:
    return view.visit is not None and len(view.visit.items) == len(ITEMS) and not view.visit.busy \
        and all(row.outcome is outcome for row in view.visit.items)


def one_visit(kiosk: Kiosk, settle: Settle, receipt: ReceiptChoice = ReceiptChoice.NONE) -> None:
    """Borrow two books with a card and PIN and take a receipt (or not); then return the books."""
    reader, pad = kiosk.devices.card_reader, kiosk.devices.item_reader
    assert isinstance(reader, FakeCardReader) and isinstance(pad, FakeItemReader)
    card = kiosk.demo_cards[0]
    tags = [tag for tag in kiosk.demo_tags if tag.item_id in ITEMS]
    session = kiosk.session

    session.start_visit(Purpose.BORROW)
    settle(lambda view: view.screen is Screen.IDENTIFY)
    reader.present(card.credential)
    settle(lambda view: view.screen is Screen.PIN)
    session.submit_pin(card.pin)
    settle(lambda view: view.screen is Screen.BORROW)
    pad.place(*tags)
    settle(lambda view: _lent(view, Outcome.BORROWED))
    lent = pad.inventory()
    pad.remove(*(tag.uid for tag in lent))
    session.finish_visit()
    settle(lambda view: view.screen is Screen.RECEIPT)
    session.choose_receipt(receipt)
    settle(lambda view: view.screen is Screen.START)

    session.start_visit(Purpose.RETURN)
    settle(lambda view: view.screen is Screen.RETURN)
    pad.place(*lent)
    settle(lambda view: _lent(view, Outcome.RETURNED))
    pad.remove(*(tag.uid for tag in lent))
    session.finish_visit()
    settle(lambda view: view.screen in (Screen.RECEIPT, Screen.START))
    if session.view.screen is Screen.RECEIPT:
        session.choose_receipt(ReceiptChoice.NONE)
        settle(lambda view: view.screen is Screen.START)


def main(folder: Path, visits: int) -> int:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    clock = FakeClock()
    kiosk = build(isolated_settings(folder), profile="demo", clock=clock, workers=InlineWorkers(),
                  log_to_console=False)
    window = KioskWindow(kiosk.session, title="Test", languages=("da", "en"), now=clock.now,
                         sounds=Sounds(audible=False))
    updates = 0

    def show(note: object) -> None:
        nonlocal updates
        if isinstance(note, SessionView):
            window.show_view(note)
            updates += 1

    def settle(expected: Callable[[SessionView], bool]) -> None:
        kiosk.core.drain()
        app.processEvents()
        window.repaint()  # paint what the patron would see (QPainter calls, not only setters)
        assert window.view is not None and expected(window.view), window.view

    kiosk.core.subscribe(show)
    kiosk.connect_devices()
    window.resize(1080, 1920)
    window.show()
    kiosk.session.publish()
    try:
        one_visit(kiosk, settle)  # fonts, style sheets and caches are made once, before counting
        gc.collect()
        before, updates = sys.getrefcount(None), 0
        for _ in range(visits):
            one_visit(kiosk, settle)
        gc.collect()
        after = sys.getrefcount(None)
    finally:
        kiosk.close()
    print(json.dumps({"visits": visits, "updates": updates, "none_before": before, "none_after": after,
                      "python": list(sys.version_info[:3])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
