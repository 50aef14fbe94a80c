"""The kiosk with its window: the Qt application, the bridge from the core, the event filters.

``beside`` adds a window next to the kiosk's (the demo's simulator panel); this module builds and
starts, and decides nothing.
"""

from __future__ import annotations

import logging
import shlex
import signal
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from hardware.scanner.wedge_source import KeyboardWedgeScanner
from kiosk.bootstrap.kiosk import Kiosk
from ui.bridge import CoreBridge
from ui.main_window import ActivityFilter, KioskWindow
from ui.sounds import Sounds

log = logging.getLogger(__name__)

EXIT_CORE_FAILED = 70  # EX_SOFTWARE: the core thread died or hangs; the service manager restarts us


def run_gui(kiosk: Kiosk, *, fullscreen: bool, beside: Callable[[Kiosk], QWidget] | None = None) -> int:
    """Show the kiosk's window (fullscreen, or in a window with ``beside`` next to it) and run
    until the window is closed or the process is told to stop; the kiosk is stopped after."""
    settings = kiosk.settings
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    window = KioskWindow(
        kiosk.session,
        title=settings.terminal.name or settings.terminal.branch,
        languages=settings.terminal.languages,
        now=kiosk.clock.now,
        sounds=Sounds(player=shlex.split(settings.devices.announcer.player) or ("aplay",)),
    )
    bridge = CoreBridge(kiosk.core)
    bridge.notified.connect(window.show_view)
    activity = ActivityFilter(kiosk.session.activity)
    app.installEventFilter(activity)
    scanner = kiosk.devices.barcode_scanner
    if isinstance(scanner, KeyboardWedgeScanner):
        from ui.wedge import WedgeFilter

        wedge = WedgeFilter()
        wedge.scanned.connect(scanner.feed)
        app.installEventFilter(wedge)
    other = beside(kiosk) if beside is not None else None
    kiosk.start()
    if fullscreen and other is None:
        window.showFullScreen()
    else:
        window.resize(720, 1100)
        window.show()
    if other is not None:
        other.move(window.x() + window.width() + 20, window.y())
        other.show()
    # SIGTERM (systemd) and Ctrl+C end the event loop, so that stop() runs: relay off, LMS closed.
    previous = {number: signal.signal(number, lambda *_: app.quit())
                for number in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers while Qt waits
    wake.start(250)

    def check_core() -> None:
        why = kiosk.core.failure()
        if why is not None:  # the window would show a kiosk that no longer answers: end, to be restarted
            log.critical("%s: stopping the kiosk (exit status %d)", why, EXIT_CORE_FAILED)
            app.exit(EXIT_CORE_FAILED)

    watch = QTimer()
    watch.timeout.connect(check_core)
    watch.start(1000)
    try:
        return app.exec()
    finally:
        # No core notification may reach a widget while Qt tears the windows down.
        bridge.notified.disconnect(window.show_view)
        wake.stop()
        watch.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
        kiosk.stop()
        window.deleteLater()
        if other is not None:
            other.deleteLater()
