"""What the session shows about the terminal itself, watched on the core's ticks: whether the card
reader works, the door's opening hours or the kiosk's, and whether the LMS answers (offline mode)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace

from kiosk.domain.model import DeviceHealth
from kiosk.door.calendar import KioskHours, Opening
from kiosk.offline.mode import LmsModeChanged
from kiosk.session.display import Display

log = logging.getLogger("kiosk.session")

HEALTH_CHECK_S = 2.0
OPENING_CHECK_S = 20.0
CLOSING_WARNING = dt.timedelta(minutes=10)  # before the kiosk's cut-off, a patron is told to finish up


class TerminalStatus:
    def __init__(self, display: Display, now: Callable[[], float],
                 card_reader_health: Callable[[], DeviceHealth] | None = None,
                 opening_now: Callable[[], Opening] | None = None,
                 hours_now: Callable[[], tuple[KioskHours, dt.datetime]] | None = None) -> None:
        self._display, self._now = display, now
        self._card_reader_health, self._opening_now = card_reader_health, opening_now
        self._hours_now = hours_now
        self._next_health_check = self._next_opening_check = 0.0
        if opening_now is not None:
            display.view = replace(display.view, opening=opening_now())
        if hours_now is not None:
            hours, wall = hours_now()
            display.view = replace(display.view, hours=hours, closing_soon=_closing_soon(hours, wall))

    def kiosk_open(self) -> bool:
        """Does the kiosk take a new visit now? (Always, without a calendar.) Shows the hours."""
        if self._hours_now is None:
            return True
        hours, wall = self._hours_now()
        self._show_hours(hours, wall)
        return hours.open

    def tick(self) -> None:
        now = self._now()
        self._check_card_reader(now)
        self._check_opening(now)

    def _check_card_reader(self, now: float) -> None:
        if self._card_reader_health is None or now < self._next_health_check:
            return
        self._next_health_check = now + HEALTH_CHECK_S
        health = self._card_reader_health()
        if health.ok != self._display.view.card_reader_ok:
            if health.ok:
                log.info("card reader is back")
            else:
                log.warning("card reader unavailable: %s", health.detail)
            self._display.show(card_reader_ok=health.ok)

    def _check_opening(self, now: float) -> None:
        if (self._opening_now is None and self._hours_now is None) or now < self._next_opening_check:
            return
        self._next_opening_check = now + OPENING_CHECK_S
        if self._opening_now is not None:
            opening = self._opening_now()
            if opening != self._display.view.opening:
                self._display.show(opening=opening)
        if self._hours_now is not None:
            self._show_hours(*self._hours_now())

    def _show_hours(self, hours: KioskHours, wall: dt.datetime) -> None:
        view, soon = self._display.view, _closing_soon(hours, wall)
        if (hours, soon) != (view.hours, view.closing_soon):
            if hours.open != (view.hours.open if view.hours else True):
                log.info("kiosk %s (calendar)", "open" if hours.open else "closed for new visits")
            self._display.show(hours=hours, closing_soon=soon)

    def on_lms_mode(self, event: LmsModeChanged) -> None:
        self._display.show(lms_offline=not event.online)


def _closing_soon(hours: KioskHours, wall: dt.datetime) -> bool:
    return hours.open and hours.closes is not None and hours.closes - wall <= CLOSING_WARNING
