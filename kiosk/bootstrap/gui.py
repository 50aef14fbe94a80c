"""The kiosk with its window: the Qt application, the bridge from the core, the event filters.

``beside`` adds a window next to the kiosk's (the demo's simulator panel); this module builds and
starts, and decides nothing.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from hardware.scanner.wedge_source import KeyboardWedgeScanner
from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.central import RestartWanted
from kiosk.session.view import Screen
from ui.bridge import CoreBridge
from ui.main_window import ActivityFilter, KioskWindow
from ui.sounds import Sounds

log = logging.getLogger(__name__)

EXIT_CORE_FAILED = 70  # EX_SOFTWARE: the core thread died or hangs; the service manager restarts us
EXIT_RESTART = 75  # EX_TEMPFAIL: start again (a new configuration): the command starts itself again


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
    restart = threading.Event()

    def restart_wanted(event: RestartWanted) -> None:
        log.info("restart wanted when nobody uses the kiosk: %s", event.reason)
        restart.set()

    kiosk.core.on(RestartWanted, restart_wanted)  # before the core thread runs
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

    def check_failure() -> None:
        why = kiosk.core.failure()
        if why is not None:  # the window would show a kiosk that no longer answers: end, to be restarted
            log.critical("%s: stopping the kiosk (exit status %d)", why, EXIT_CORE_FAILED)
            app.exit(EXIT_CORE_FAILED)

    def check_core() -> None:
        if restart.is_set() and kiosk.session.view.screen is Screen.START:  # nobody is using it
            log.info("restarting (exit status %d)", EXIT_RESTART)
            app.exit(EXIT_RESTART)
        check_failure()

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


def start_again() -> None:
    """Replace this process with the same command (after :data:`EXIT_RESTART`): the same process id,
    so a service manager sees no stop."""
    log.info("starting again: %s", " ".join(sys.argv))
    logging.shutdown()
    os.execv(sys.executable, [sys.executable, "-m", "kiosk.cli", *sys.argv[1:]])
