"""The kiosk with its window: the Qt application, the bridge from the core, the event filters.

``beside`` adds a window next to the kiosk's (the demo's simulator panel); :func:`run_windows` shows
several terminals at once (the demo branch: the kiosk and the entrance door). A fullscreen kiosk is
locked down (:mod:`ui.lockdown`) and, under a service manager, says ``READY=1`` once its window is
shown and its core runs, then ``WATCHDOG=1`` from this event loop while every core is well
(:mod:`kiosk.bootstrap.notify`): a hung window or a hung core stops the pings. This module builds and
starts, and decides nothing.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from hardware.scanner.wedge_source import KeyboardWedgeScanner
from kiosk.bootstrap.blanking import ScreenBlanking, screen_blanking
from kiosk.bootstrap.kiosk import Kiosk
from kiosk.bootstrap.notify import ServiceNotifier, write_ready_file
from kiosk.bootstrap.speech import headset_jack, speech_engine
from kiosk.domain.central import RestartWanted
from kiosk.session.view import Screen
from kiosk.staff.events import MaintenanceExitWanted
from ui.bridge import CoreBridge
from ui.lockdown import LockdownFilter
from ui.main_window import ActivityFilter, KioskWindow
from ui.sounds import Sounds

log = logging.getLogger(__name__)

EXIT_CORE_FAILED = 70  # EX_SOFTWARE: the core thread died or hangs; the service manager restarts us
EXIT_RESTART = 75  # EX_TEMPFAIL: start again (a new configuration): the command starts itself again
# Staff chose the maintenance exit: the unit does not restart it (RestartPreventExitStatus=79). Not a
# sysexits(3) code, so that no other failure is mistaken for it.
EXIT_MAINTENANCE = 79

Beside = Callable[[Kiosk], QWidget]


@dataclass
class _Terminal:
    """One terminal on the screen: its window, the bridge to it, what watches it."""

    kiosk: Kiosk
    window: KioskWindow
    bridge: CoreBridge
    other: QWidget | None
    restart: threading.Event = field(default_factory=threading.Event)
    maintenance: threading.Event = field(default_factory=threading.Event)
    filters: list[QObject] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)


def run_gui(kiosk: Kiosk, *, fullscreen: bool, beside: Beside | None = None,
            notifier: ServiceNotifier | None = None) -> int:
    """Show the kiosk's window (fullscreen, or in a window with ``beside`` next to it) and run
    until the window is closed or the process is told to stop; the kiosk is stopped after."""
    return run_windows([(kiosk, beside)], fullscreen=fullscreen, notifier=notifier)


def run_windows(kiosks: Sequence[tuple[Kiosk, Beside | None]], *, fullscreen: bool,
                notifier: ServiceNotifier | None = None) -> int:
    """:func:`run_gui` for several terminals side by side (fullscreen only for one without a
    window beside it); they are all stopped after. ``notifier``: the service manager's (by default
    from the environment: nothing is sent without ``$NOTIFY_SOCKET``)."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    notifier = notifier or ServiceNotifier.from_environment()
    terminals = [_terminal(app, kiosk, beside) for kiosk, beside in kiosks]
    lockdown: LockdownFilter | None = None
    blanking: ScreenBlanking | None = None
    x = 0
    for terminal in terminals:
        terminal.kiosk.start()
        if fullscreen and terminal.other is None and len(terminals) == 1:
            lockdown = LockdownFilter()
            lockdown.guard(terminal.window)
            app.installEventFilter(lockdown)
            terminal.filters.append(lockdown)
            terminal.window.showFullScreen()
            blanking = screen_blanking(terminal.kiosk.settings, terminal.window, terminal.kiosk.clock.now,
                                       terminal.kiosk.calendar)
            if blanking is not None:
                terminal.bridge.notified.connect(blanking.view_shown)
                blanking.start(app)
            continue
        terminal.window.resize(720, 1100)
        terminal.window.move(x, 0)
        terminal.window.show()
        x += terminal.window.width() + 20
        if terminal.other is not None:
            terminal.other.move(x, 0)
            terminal.other.show()
            x += terminal.other.width() + 20
    # SIGTERM (systemd) and Ctrl+C end the event loop, so that stop() runs: relay off, LMS closed.
    # exit(), not quit(): quit() asks the windows to close first, and a locked-down one refuses.
    previous = {number: signal.signal(number, lambda *_: app.exit(0))
                for number in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers while Qt waits
    wake.start(250)

    def well() -> bool:
        return all(terminal.kiosk.core.failure() is None for terminal in terminals)

    def ready() -> None:
        if not well() or not all(terminal.window.isVisible() for terminal in terminals):
            QTimer.singleShot(250, ready)
            return
        status = f"ready: {', '.join(terminal.kiosk.settings.terminal.id for terminal in terminals)}"
        notifier.ready(status)
        for terminal in terminals:
            _stamp_ready(terminal.kiosk)
        log.info("%s (version %s)", status, _version())

    def ping() -> None:
        if well():  # a core that hangs or died gets no ping: the service manager restarts us
            notifier.watchdog()

    QTimer.singleShot(0, ready)  # from the event loop: the window has been shown by then
    pings = QTimer()
    pings.timeout.connect(ping)
    if notifier.ping_every_s is not None:
        pings.start(max(100, round(notifier.ping_every_s * 1000)))

    def check() -> None:
        for terminal in terminals:
            kiosk = terminal.kiosk
            if terminal.maintenance.is_set():
                log.warning("maintenance exit chosen in staff mode (exit status %d)", EXIT_MAINTENANCE)
                if lockdown is not None:
                    lockdown.release()
                app.exit(EXIT_MAINTENANCE)
                return
            if terminal.restart.is_set() and kiosk.session.view.screen is Screen.START:  # nobody uses it
                log.info("restarting (exit status %d)", EXIT_RESTART)
                app.exit(EXIT_RESTART)
            why = kiosk.core.failure()
            if why is not None:  # the window would show a kiosk that no longer answers: end, to be restarted
                log.critical("%s: stopping the kiosk (exit status %d)", why, EXIT_CORE_FAILED)
                app.exit(EXIT_CORE_FAILED)

    watch = QTimer()
    watch.timeout.connect(check)
    watch.start(1000)
    code = 1
    try:
        code = app.exec()
        return code
    finally:
        wake.stop()
        watch.stop()
        pings.stop()
        if blanking is not None:
            blanking.stop(app)
        if code in (0, EXIT_MAINTENANCE):  # a restart's new process says READY=1 again, a failure nothing
            notifier.stopping("maintenance exit" if code == EXIT_MAINTENANCE else "stopping")
        for number, handler in previous.items():
            signal.signal(number, handler)
        for terminal in terminals:
            # No core notification may reach a widget while Qt tears the windows down.
            terminal.bridge.notified.disconnect(terminal.window.show_view)
            for event_filter in terminal.filters:
                app.removeEventFilter(event_filter)
            terminal.kiosk.stop()
            for close in terminal.closers:
                close()
            terminal.window.deleteLater()
            if terminal.other is not None:
                terminal.other.deleteLater()


def _terminal(app: QApplication, kiosk: Kiosk, beside: Beside | None) -> _Terminal:
    settings = kiosk.settings
    speaker = speech_engine(settings.speech)
    window = KioskWindow(
        kiosk.session,
        title=settings.terminal.name or settings.terminal.branch,
        languages=settings.terminal.languages,
        now=kiosk.clock.now,
        sounds=Sounds(player=shlex.split(settings.devices.announcer.player) or ("aplay",)),
        speaker=speaker,
        keys=settings.speech.keys,
        speech_key=settings.speech.offered,
        screen=settings.terminal.screen,
    )
    bridge = CoreBridge(kiosk.core)
    bridge.notified.connect(window.show_view)
    terminal = _Terminal(kiosk, window, bridge, beside(kiosk) if beside is not None else None)

    def headset(plugged: bool) -> None:  # from the jack's thread
        if speaker is not None:
            speaker.use_headset(plugged)
        kiosk.session.headset_changed(plugged)

    jack = headset_jack(settings.speech, kiosk.locations.data_dir, headset)
    if jack is not None:
        terminal.closers.append(jack.close)
    if speaker is not None:
        terminal.closers.append(speaker.close)
    activity = ActivityFilter(kiosk.session.activity)
    app.installEventFilter(activity)
    terminal.filters.append(activity)
    scanner = kiosk.devices.barcode_scanner
    if isinstance(scanner, KeyboardWedgeScanner):
        from ui.wedge import WedgeFilter

        wedge = WedgeFilter()
        wedge.scanned.connect(scanner.feed)
        app.installEventFilter(wedge)
        terminal.filters.append(wedge)

    def restart_wanted(event: RestartWanted) -> None:
        log.info("restart wanted when nobody uses the kiosk: %s", event.reason)
        terminal.restart.set()

    def maintenance_wanted(event: MaintenanceExitWanted) -> None:
        log.warning("maintenance exit wanted: %s", event.reason)
        terminal.maintenance.set()

    kiosk.core.on(RestartWanted, restart_wanted)  # before the core thread runs
    kiosk.core.on(MaintenanceExitWanted, maintenance_wanted)
    return terminal


def _version() -> str:
    try:
        return importlib.metadata.version("library-kiosk")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "unknown"


def _stamp_ready(kiosk: Kiosk) -> None:
    """The ready file in the data folder, for the updater's health check (never fatal)."""
    try:
        write_ready_file(kiosk.locations.data_dir, _version(), dt.datetime.now(dt.UTC))
    except OSError as exc:
        log.error("the ready file could not be written in %s: %s", kiosk.locations.data_dir, exc)


def start_again() -> None:
    """Replace this process with the same command (after :data:`EXIT_RESTART`): the same process id,
    so a service manager sees no stop."""
    log.info("starting again: %s", " ".join(sys.argv))
    logging.shutdown()
    os.execv(sys.executable, [sys.executable, "-m", "kiosk.cli", *sys.argv[1:]])
