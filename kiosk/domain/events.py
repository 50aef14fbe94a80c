"""The event queue and the core loop.

Drivers, workers and the UI post events to one thread-safe queue. One core thread takes them one at
a time and hands each to the handlers registered for its type, so the services that own session
state never see two events at once. Slow calls (LMS, HTTP, printing) go to a worker pool and come
back as a :class:`WorkDone` event. Listeners (the Qt bridge) receive what the services publish.

Tests drive the same loop without threads: ``Core(workers=InlineWorkers())`` and :meth:`Core.drain`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

STUCK_AFTER_S = 10.0  # no event handled for this long while ticks are due: the core hangs

E = TypeVar("E")
T = TypeVar("T")


@dataclass(frozen=True)
class Tick:
    """Posted periodically so that services can check their timers against the clock."""


@dataclass(frozen=True)
class Stop:
    """Ends the core loop."""


@dataclass(frozen=True)
class WorkDone:
    """A worker finished; ``callback`` runs on the core thread with the result or the error."""

    callback: Callable[[Any, BaseException | None], None] = field(repr=False)
    result: Any = field(default=None, repr=False)
    error: BaseException | None = None


class Workers(Protocol):
    def submit(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        ...

    def shutdown(self) -> None: ...


class Core:
    """The single owner of session state: a queue and one loop that dispatches by event type."""

    def __init__(self, workers: Workers | None = None) -> None:
        self._queue: queue.Queue[object] = queue.Queue()
        self._handlers: dict[type, list[Callable[[Any], None]]] = {}
        self._listeners: list[Callable[[object], None]] = []
        self._workers = workers or ThreadWorkers(self)
        if isinstance(self._workers, InlineWorkers):
            self._workers.core = self
        self._thread: threading.Thread | None = None
        self._died: BaseException | None = None
        self._last_handled = time.monotonic()

    # -- wiring ---------------------------------------------------------------------------------
    def on(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` on the core thread for every event of ``event_type``."""
        self._handlers.setdefault(event_type, []).append(handler)

    def subscribe(self, listener: Callable[[object], None]) -> None:
        """``listener`` receives every published notification, on the core thread."""
        self._listeners.append(listener)

    # -- use ------------------------------------------------------------------------------------
    def post(self, event: object) -> None:
        """Thread-safe: queue an event for the core thread."""
        self._queue.put(event)

    def publish(self, notification: object) -> None:
        """Called by services on the core thread to tell listeners (the UI) something."""
        for listener in list(self._listeners):
            try:
                listener(notification)
            except Exception:
                log.exception("listener failed on %s", type(notification).__name__)

    def run_in_worker(
        self, fn: Callable[[], T], done: Callable[[T, BaseException | None], None]
    ) -> None:
        """Run ``fn`` off the core thread; ``done(result, error)`` runs later on the core thread."""
        self._workers.submit(fn, done)

    # -- running --------------------------------------------------------------------------------
    def dispatch(self, event: object) -> None:
        if isinstance(event, WorkDone):
            try:
                event.callback(event.result, event.error)
            except Exception:
                log.exception("work callback failed")
            return
        for handler in self._handlers.get(type(event), []):
            try:
                handler(event)
            except Exception:
                # Invariant 6: one bad event must not take the kiosk down.
                log.exception("handler failed on %s", type(event).__name__)

    def drain(self, max_events: int = 10_000) -> int:
        """Handle every queued event on the calling thread (tests). Returns how many were handled."""
        handled = 0
        while handled < max_events:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return handled
            if not isinstance(event, Stop):
                self.dispatch(event)
            handled += 1
        return handled

    def start(self, tick_seconds: float = 0.25) -> None:
        """Run the loop on a core thread, with a ticker posting :class:`Tick` at once and then every
        ``tick_seconds``."""
        if self._thread is not None:
            return
        self._last_handled = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="kiosk-core", daemon=True)
        self._thread.start()
        self._ticker_stop = threading.Event()
        self._ticker = threading.Thread(
            target=self._tick, args=(tick_seconds,), name="kiosk-ticker", daemon=True
        )
        self._ticker.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """End the loop; False (and an error in the log) if the core thread did not end in time: a
        handler hangs, and its work may still be going on."""
        thread = self._thread
        if thread is None:
            return True
        self._ticker_stop.set()
        self.post(Stop())
        thread.join(timeout)
        self._thread = None
        self._workers.shutdown()
        if thread.is_alive():
            log.error("the core thread did not stop within %.0f s (a handler hangs)", timeout)
            return False
        return True

    def failure(self, stuck_after_s: float = STUCK_AFTER_S) -> str | None:
        """Why the core cannot go on (it died, or it has not handled an event for ``stuck_after_s``
        while the ticker keeps posting), or None while it is well. Any thread may ask; the kiosk's
        window asks every second and ends the process when there is an answer, so that the service
        manager starts it again."""
        if self._died is not None:
            return f"the core thread died: {self._died!r}"
        thread = self._thread
        if thread is None:
            return None
        if not thread.is_alive():
            return "the core thread has ended"
        silent = time.monotonic() - self._last_handled
        if silent >= stuck_after_s:
            return f"the core has handled nothing for {silent:.0f} s (a handler hangs)"
        return None

    def _run(self) -> None:
        try:
            while True:
                event = self._queue.get()
                if isinstance(event, Stop):
                    return
                self.dispatch(event)
                self._last_handled = time.monotonic()
        except BaseException as exc:  # past dispatch's guard (SystemExit, a BaseException of a library)
            self._died = exc
            log.critical("the core thread died: %r", exc, exc_info=exc)

    def _tick(self, seconds: float) -> None:
        self.post(Tick())  # at once: the first tick's work (a heartbeat, the opening state) waits for no one
        while not self._ticker_stop.wait(seconds):
            self.post(Tick())


class ThreadWorkers:
    """A small thread pool whose results come back to the core as :class:`WorkDone` events."""

    def __init__(self, core: Core, max_workers: int = 4) -> None:
        self._core = core
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kiosk-worker")

    def submit(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        def run() -> None:
            try:
                result = fn()
            except BaseException as error:  # reported to the core, which decides what it means
                self._core.post(WorkDone(done, None, error))
            else:
                self._core.post(WorkDone(done, result, None))

        self._pool.submit(run)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class InlineWorkers:
    """Runs work at once on the calling thread; the result is still queued as an event."""

    def __init__(self) -> None:
        self.core: Core | None = None

    def submit(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        assert self.core is not None
        try:
            result = fn()
        except Exception as error:
            self.core.post(WorkDone(done, None, error))
        else:
            self.core.post(WorkDone(done, result, None))

    def shutdown(self) -> None:
        pass
