"""The door's inputs on a Numato relay board's GPIOs, polled and debounced: the door contact and the
request-to-exit (REX) button or exit sensor."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hardware.door.relay import NumatoBoard
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState

log = logging.getLogger(__name__)


class NumatoInput:
    """One GPIO input, polled on a thread of its own. ``active_level`` is the level that means
    "active" (True = high). A change is reported (``on_change(active)``) only once the new level has
    held for ``debounce_s``; the level seen at :meth:`start` is the baseline and is not reported."""

    def __init__(self, board: NumatoBoard, pin: int, *, active_level: bool = True,
                 debounce_s: float = 0.05, poll_interval_s: float = 0.02,
                 monotonic: Callable[[], float] = time.monotonic, name: str = "input") -> None:
        self.name = name
        self._board, self._pin, self._active_level = board, pin, active_level
        self._debounce_s, self._poll_s = debounce_s, poll_interval_s
        self._mono = monotonic
        self._state_lock = threading.Lock()
        self._active: bool | None = None
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

    def active(self) -> bool:
        """The debounced state while started, else a fresh reading. :class:`DeviceUnavailable`
        if the state is not known."""
        with self._state_lock:
            known = self._active if self._thread is not None else None
        return known if known is not None else self._read()

    def health(self) -> DeviceHealth:
        board = self._board.health()
        if board.ok:
            return DeviceHealth(self.name, DeviceState.OK)
        return DeviceHealth(self.name, DeviceState.UNAVAILABLE, f"{board.device}: {board.detail}")

    def _read(self) -> bool:
        return self._board.gpio(self._pin) == self._active_level

    def _poll(self, on_change: Callable[[bool], None]) -> None:
        candidate: bool | None = None
        since = 0.0
        away = False
        while not self._stop.is_set():
            try:
                now_active = self._read()
                if away:
                    log.info("%s: reading the input again", self.name)
                away = False
            except DeviceUnavailable as exc:
                if not away:
                    log.warning("%s: input unreadable: %s", self.name, exc)
                away = True
                self._stop.wait(self._poll_s)
                continue
            now = self._mono()
            with self._state_lock:
                if self._active is None or now_active == self._active:
                    self._active = now_active if self._active is None else self._active
                    candidate = None
                    changed = False
                else:
                    if candidate != now_active:
                        candidate, since = now_active, now
                    changed = now - since >= self._debounce_s
                    if changed:
                        self._active, candidate = now_active, None
            if changed:
                try:
                    on_change(now_active)
                except Exception:  # a listener's bug must not stop the input being watched
                    log.exception("%s: listener failed", self.name)
            self._stop.wait(self._poll_s)


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
        self._input = NumatoInput(board, pin, active_level=open_level, debounce_s=debounce_s,
                                  poll_interval_s=poll_interval_s, monotonic=monotonic, name=name)

    def start(self, on_change: Callable[[bool], None]) -> None:
        def changed(is_open: bool) -> None:
            log.info("%s: door %s", self.name, "opened" if is_open else "closed")
            on_change(is_open)

        self._input.start(changed)

    def stop(self) -> None:
        self._input.stop()

    def is_open(self) -> bool:
        """The debounced state while started, else a fresh reading. :class:`DeviceUnavailable`
        if the state is not known."""
        return self._input.active()

    def health(self) -> DeviceHealth:
        return self._input.health()


class NumatoExitButton:
    """The :class:`kiosk.domain.ports.ExitButton`: a request-to-exit button (or a PIR exit sensor, or
    an exit-side contact) on a Numato GPIO input. Each debounced press calls ``on_press()`` once, from
    the input's own thread; holding the button is one press. ``pressed_level`` is the GPIO level
    while pressed (True = high)."""

    def __init__(self, board: NumatoBoard, pin: int, *, pressed_level: bool = True,
                 debounce_s: float = 0.05, poll_interval_s: float = 0.02,
                 monotonic: Callable[[], float] = time.monotonic, name: str = "exit_button") -> None:
        self.name = name
        self._input = NumatoInput(board, pin, active_level=pressed_level, debounce_s=debounce_s,
                                  poll_interval_s=poll_interval_s, monotonic=monotonic, name=name)

    def start(self, on_press: Callable[[], None]) -> None:
        def changed(pressed: bool) -> None:
            if pressed:
                log.info("%s: exit requested", self.name)
                on_press()

        self._input.start(changed)

    def stop(self) -> None:
        self._input.stop()

    def health(self) -> DeviceHealth:
        return self._input.health()
