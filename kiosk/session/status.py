"""The session's watch on what is around it: the card reader's health, the door's opening state,
and whether the LMS answers (offline mode). Mixed into :class:`SessionService`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.domain.model import DeviceHealth
from kiosk.offline.mode import LmsModeChanged

log = logging.getLogger("kiosk.session.service")

HEALTH_CHECK_S = 2.0
OPENING_CHECK_S = 20.0


class SessionStatus:
    _card_reader_health: Callable[[], DeviceHealth] | None
    _card_reader_ok: bool
    _next_health_check: float
    _opening_now: Callable[[], tuple[str, dt.datetime | None]] | None
    _opening: tuple[str, dt.datetime | None]
    _next_opening_check: float
    _lms_online: bool

    def _show(self, **changes: object) -> None:
        raise NotImplementedError

    def _check_card_reader(self, now: float) -> None:
        if self._card_reader_health is None or now < self._next_health_check:
            return
        self._next_health_check = now + HEALTH_CHECK_S
        health = self._card_reader_health()
        if health.ok != self._card_reader_ok:
            self._card_reader_ok = health.ok
            if health.ok:
                log.info("card reader is back")
            else:
                log.warning("card reader unavailable: %s", health.detail)
            self._show(card_reader_ok=health.ok)

    def _check_opening(self, now: float) -> None:
        if self._opening_now is None or now < self._next_opening_check:
            return
        self._next_opening_check = now + OPENING_CHECK_S
        opening = self._opening_now()
        if opening != self._opening:
            self._opening = opening
            self._show(opening_kind=opening[0], opening_until=opening[1])

    def _on_lms_mode(self, event: LmsModeChanged) -> None:
        self._lms_online = event.online
        self._show(lms_offline=not event.online)
