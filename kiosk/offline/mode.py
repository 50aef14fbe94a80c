"""Online or offline towards the LMS, and the library system the services see in either mode.

:class:`LmsMode` is the one place that knows whether the LMS answers. Any failed call (from any
thread) switches it offline at once; while offline the core's ticks probe the LMS every
``probe_interval_s`` on a worker, and when it answers, the offline journal is replayed first
(:mod:`kiosk.offline.replay`) and only then is the mode online again. Each change is published
on the core as :class:`LmsModeChanged` for the screens.

:class:`OfflineCapableLibrary` wraps the real adapter: while offline, a patron is recognised by
the cached access list (card + PIN against a slow salted verifier) instead of the LMS.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from kiosk.domain.errors import LmsError, LmsUnavailable
from kiosk.domain.events import Core, Tick
from kiosk.domain.model import (
    Account,
    AuthResult,
    CheckinResult,
    CheckoutResult,
    Credential,
    FeePaidResult,
    Item,
    LmsStatus,
    RenewAllResult,
    RenewResult,
)
from kiosk.domain.ports import Clock, LibrarySystem

log = logging.getLogger(__name__)

T = TypeVar("T")
CachedAuth = Callable[[Credential, str | None], AuthResult | None]


@dataclass(frozen=True)
class LmsModeChanged:
    online: bool
    reason: str = ""


class LmsMode:
    def __init__(self, core: Core, lms: LibrarySystem, clock: Clock, *, probe_interval_s: float,
                 replay: Callable[[], bool] | None = None, replay_waiting: Callable[[], bool] = lambda: False
                 ) -> None:
        """``replay()`` runs on a worker once the LMS answers again; True when nothing is left.
        ``replay_waiting()``: are there offline transactions to replay (checked at start)?"""
        self._core, self._lms, self._clock = core, lms, clock
        self._interval = probe_interval_s
        self._replay = replay
        self._lock = threading.Lock()
        self._online = True
        self._probing = False
        self._next_probe = 0.0
        self._replay_due = replay_waiting()

    def attach(self) -> None:
        """Probe and replay on the core's ticks."""
        self._core.on(Tick, lambda _event: self.tick())

    @property
    def online(self) -> bool:
        with self._lock:
            return self._online

    def replay_soon(self) -> None:
        """There is something to replay again (staff sent a refused transaction back): on the next
        tick, probe and replay, as at start."""
        with self._lock:
            self._replay_due = True
            self._next_probe = 0.0

    def failed(self, error: BaseException) -> None:
        """A call to the LMS failed (any thread). Unreachable: offline from now on."""
        if not isinstance(error, LmsUnavailable):
            return
        with self._lock:
            was, self._online = self._online, False
            self._next_probe = self._clock.monotonic() + self._interval
        if was:
            log.warning("LMS unreachable, offline mode: %s", error)
            self._core.post(LmsModeChanged(False, str(error)))

    def tick(self) -> None:
        """On the core thread: probe while offline, or replay what an earlier run left."""
        now = self._clock.monotonic()
        with self._lock:
            due = (not self._online or self._replay_due) and not self._probing and now >= self._next_probe
            if not due:
                return
            self._probing = True
        self._core.run_in_worker(self._probe, self._probed)

    def _probe(self) -> bool:
        status = self._lms.status()
        if not status.online:
            raise LmsUnavailable("the LMS reports itself offline")
        return self._replay() if self._replay is not None else True

    def _probed(self, done: Any, error: BaseException | None) -> None:
        with self._lock:
            self._probing = False
            self._next_probe = self._clock.monotonic() + self._interval
            if error is not None or not done:
                if error is not None and not isinstance(error, LmsError):
                    log.error("probing the LMS failed unexpectedly", exc_info=error)
                return
            was, self._online, self._replay_due = self._online, True, False
        if not was:
            log.info("LMS answers again: online mode")
            self._core.post(LmsModeChanged(True))


class OfflineCapableLibrary:
    """A :class:`LibrarySystem` that reports failures to the mode and, offline, recognises patrons
    from the cached access list. Everything else passes through (circulation journals offline
    loans itself: it must, to replay them)."""

    def __init__(self, lms: LibrarySystem, mode: LmsMode, cached: CachedAuth | None) -> None:
        self._lms, self._mode, self._cached = lms, mode, cached

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        if self._mode.online:
            try:
                return self._lms.authenticate_patron(credential, pin)
            except LmsError as exc:
                self._mode.failed(exc)
                if not isinstance(exc, LmsUnavailable):
                    raise
        answer = self._cached(credential, pin) if self._cached is not None else None
        if answer is None:
            raise LmsUnavailable("the LMS cannot be reached and the card is not in the cached access list")
        # Offline, the card itself identifies the patron towards the LMS when the loan is replayed.
        patron = replace(answer.patron, patron_id=credential.value) if answer.patron is not None else None
        return replace(answer, patron=patron, offline=True)

    # -- the rest passes through; offline it fails at once instead of waiting for a timeout -------
    def _call(self, call: Callable[[], T]) -> T:
        if not self._mode.online:
            raise LmsUnavailable("offline mode: the LMS is not answering")
        try:
            return call()
        except LmsError as exc:
            self._mode.failed(exc)
            raise

    def status(self) -> LmsStatus:
        return self._lms.status()

    def account(self, patron_id: str, pin: str | None) -> Account:
        return self._call(lambda: self._lms.account(patron_id, pin))

    def checkout(self, patron_id: str, item_id: str, *, pin: str | None = None,
                 fee_acknowledged: bool = False, no_block: bool = False,
                 transaction_date: dt.datetime | None = None, due_date: dt.datetime | None = None,
                 cancel: bool = False) -> CheckoutResult:
        return self._call(lambda: self._lms.checkout(
            patron_id, item_id, pin=pin, fee_acknowledged=fee_acknowledged, no_block=no_block,
            transaction_date=transaction_date, due_date=due_date, cancel=cancel))

    def checkin(self, item_id: str, *, location: str = "", no_block: bool = False,
                transaction_date: dt.datetime | None = None, return_date: dt.datetime | None = None,
                cancel: bool = False) -> CheckinResult:
        return self._call(lambda: self._lms.checkin(
            item_id, location=location, no_block=no_block, transaction_date=transaction_date,
            return_date=return_date, cancel=cancel))

    def renew(self, patron_id: str, item_id: str, *, pin: str | None = None) -> RenewResult:
        return self._call(lambda: self._lms.renew(patron_id, item_id, pin=pin))

    def renew_all(self, patron_id: str, *, pin: str | None = None) -> RenewAllResult:
        return self._call(lambda: self._lms.renew_all(patron_id, pin=pin))

    def item_info(self, item_id: str) -> Item:
        return self._call(lambda: self._lms.item_info(item_id))

    def fee_paid(self, patron_id: str, amount: Decimal, *, fee_id: str = "", currency: str = "DKK"
                 ) -> FeePaidResult:
        return self._call(lambda: self._lms.fee_paid(patron_id, amount, fee_id=fee_id, currency=currency))

    def end_session(self, patron_id: str) -> None:
        if self._mode.online:
            self._call(lambda: self._lms.end_session(patron_id))
