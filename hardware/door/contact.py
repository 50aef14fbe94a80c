"""The door contact on a Numato relay board's GPIO input, polled and debounced."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hardware.door.relay import NumatoBoard
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState

log = logging.getLogger(__name__)


class NumatoDoorSensor:
    """The :class:`kiosk.domain.ports.DoorSensor`: a door contact on a Numato GPIO input, polled.

    ``open_level`` is the GPIO level that means "door open" (True = high; a contact that closes to
    ground when the door shuts reads high when it opens). A change is reported only once the new
    level has held for ``debounce_s``. ``on_change`` is called from the sensor's own thread; the
    level seen at :meth:`start` is the baseline and is not reported."""

    def __init__(self, board: NumatoBoard, pin: int, *, open_level: bool = True,
                 debounce_s: float = 0.05, poll_interval_s: float = 0.02,
                 monotonic: Callable[[], float] = time.monotonic, name: str = "door_sensor") -> None:
        self.name = name
        self._board, self._pin, self._open_level = board, pin, open_level
        self._debounce_s, self._poll_s = debounce_s, poll_interval_s
        self._mono = monotonic
        self._state_lock = threading.Lock()
        self._open: bool | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_change: Callable[[bool], None]) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, args=(on_change,), name=f"{self.name}-poll",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def is_open(self) -> bool:
        """The debounced state while started, else a fresh reading. :class:`DeviceUnavailable`
        if the state is not known."""
        with self._state_lock:
            known = self._open if self._thread is not None else None
        return known if known is not None else self._read()

    def health(self) -> DeviceHealth:
        board = self._board.health()
        if board.ok:
            return DeviceHealth(self.name, DeviceState.OK)
        return DeviceHealth(self.name, DeviceState.UNAVAILABLE, f"{board.device}: {board.detail}")

    def _read(self) -> bool:
        return self._board.gpio(self._pin) == self._open_level

    def _poll(self, on_change: Callable[[bool], None]) -> None:
        candidate: bool | None = None
        since = 0.0
        away = False
        while not self._stop.is_set():
            try:
                now_open = self._read()
                if away:
                    log.info("%s: reading the door contact again", self.name)
                away = False
            except DeviceUnavailable as exc:
                if not away:
                    log.warning("%s: door contact unreadable: %s", self.name, exc)
                away = True
                self._stop.wait(self._poll_s)
                continue
            now = self._mono()
            with self._state_lock:
                if self._open is None or now_open == self._open:
                    self._open = now_open if self._open is None else self._open
                    candidate = None
                    changed = False
                else:
                    if candidate != now_open:
                        candidate, since = now_open, now
                    changed = now - since >= self._debounce_s
                    if changed:
                        self._open, candidate = now_open, None
            if changed:
                log.info("%s: door %s", self.name, "opened" if now_open else "closed")
                try:
                    on_change(now_open)
                except Exception:  # a listener's bug must not stop the door being watched
                    log.exception("%s: door listener failed", self.name)
            self._stop.wait(self._poll_s)
