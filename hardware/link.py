"""Keeping a device open: open on demand, report health, reopen by itself after an unplug.

Every driver holds its connection (a serial port, a PC/SC context, a printer) in a
:class:`DeviceLink`. A failed operation marks the link broken; the next use reopens it, no sooner
than the back-off allows, so an unplugged device costs nothing while it is away and works again as
soon as it is back, without anyone restarting the kiosk.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

H = TypeVar("H")
R = TypeVar("R")

BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# What a device that went away raises: a vanished tty raises termios.error (not an OSError) from
# pyserial's buffer resets and drains.
DEVICE_FAILURES: tuple[type[BaseException], ...] = (OSError, termios.error)


class DeviceLink(Generic[H]):
    """A device handle that is opened when needed and reopened after a failure. Thread-safe."""

    def __init__(
        self,
        name: str,
        open_device: Callable[[], H],
        close_device: Callable[[H], None],
        *,
        backoff_s: Sequence[float] = BACKOFF_S,
        failures: tuple[type[BaseException], ...] = DEVICE_FAILURES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._open = open_device
        self._close = close_device
        self._backoff = tuple(backoff_s) or (0.0,)
        self._failures = failures
        self._open_failures: tuple[type[BaseException], ...] = (*failures, DeviceUnavailable)
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._handle: H | None = None
        self._failed_attempts = 0
        self._next_attempt = 0.0
        self._detail = "not opened yet"
        self._ever_opened = False

    @property
    def is_open(self) -> bool:
        return self._handle is not None

    def get(self) -> H:
        """The open handle; opens it first if needed. :class:`DeviceUnavailable` if it cannot be."""
        with self._lock:
            if self._handle is not None:
                return self._handle
            now = self._monotonic()
            if now < self._next_attempt:
                raise DeviceUnavailable(f"{self.name}: {self._detail}")
            try:
                handle = self._open()
            except self._open_failures as exc:
                self._note_failure(exc)
                raise DeviceUnavailable(f"{self.name}: {self._detail}") from exc
            if self._failed_attempts or not self._ever_opened:
                log.info("%s %s", self.name, "is back" if self._ever_opened else "opened")
            self._handle = handle
            self._ever_opened = True
            self._failed_attempts = 0
            self._detail = ""
            return handle

    def run(self, operation: Callable[[H], R]) -> R:
        """Run ``operation`` on the open handle; a device failure breaks the link and is re-raised
        as :class:`DeviceUnavailable`."""
        handle = self.get()
        try:
            return operation(handle)
        except self._failures as exc:
            self.fail(exc)
            raise DeviceUnavailable(f"{self.name}: {self._detail}") from exc

    def fail(self, error: BaseException | str) -> None:
        """The device stopped working: close it; the next :meth:`get` tries to reopen it."""
        with self._lock:
            handle, self._handle = self._handle, None
            if handle is not None:
                log.warning("%s failed: %s", self.name, error)
                try:
                    self._close(handle)
                except Exception:  # the device is already gone; closing is best effort
                    log.debug("%s: closing after a failure failed", self.name, exc_info=True)
            self._note_failure(error)

    def close(self) -> None:
        with self._lock:
            handle, self._handle = self._handle, None
            self._detail = "closed"
            if handle is not None:
                try:
                    self._close(handle)
                except self._failures:  # unplugged while open: there is nothing left to close
                    log.debug("%s: closing failed", self.name, exc_info=True)

    def health(self) -> DeviceHealth:
        with self._lock:
            if self._handle is not None:
                return DeviceHealth(self.name, DeviceState.OK)
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, self._detail)

    def _note_failure(self, error: BaseException | str) -> None:
        self._detail = str(error) or type(error).__name__
        delay = self._backoff[min(self._failed_attempts, len(self._backoff) - 1)]
        self._failed_attempts += 1
        self._next_attempt = self._monotonic() + delay
