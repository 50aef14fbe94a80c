"""Drives the real kiosk window offscreen through whole visits and reports ``None``'s reference count.

Run by ``tests/ui/test_qt_refcount.py`` in a process of its own: a Qt binding that drops references to
``None`` (PySide6 6.12.0 on Python 3.11) ends the process with ``Fatal Python error: none_dealloc``,
and the test must see that as a failure rather than die with it.

    python -m tests.ui.qt_refcount_worker FOLDER VISITS   # prints one JSON line
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

from kiosk.bootstrap.kiosk import build
from kiosk.domain.events import InlineWorkers
from kiosk.session.service import SessionView
from kiosk.simulate.patron import borrow_and_return, hands_for
from kiosk.testing.memory import ManualClock
from tests.conftest import isolated_settings
from ui.main_window import KioskWindow
from ui.sounds import Sounds


def main(folder: Path, visits: int) -> int:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    clock = ManualClock()
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

    hands = hands_for(kiosk)
    kiosk.core.subscribe(show)
    kiosk.connect_devices()
    window.resize(1080, 1920)
    window.show()
    kiosk.session.publish()
    try:
        borrow_and_return(kiosk, hands, settle)  # fonts, style sheets, caches: made once, before counting
        gc.collect()
        before, updates = sys.getrefcount(None), 0
        for _ in range(visits):
            borrow_and_return(kiosk, hands, settle)
        gc.collect()
        after = sys.getrefcount(None)
    finally:
        kiosk.close()
    print(json.dumps({"visits": visits, "updates": updates, "none_before": before, "none_after": after,
                      "python": list(sys.version_info[:3])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
