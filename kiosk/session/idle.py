"""Idle time and the privacy reset (invariant 4): a patron who walks away is warned, then logged
out, and nothing of them stays on the screen, in the session or in the LMS's session."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from kiosk.domain.events import Core
from kiosk.domain.logs import SecretRegistry
from kiosk.domain.ports import Clock, LibrarySystem
from kiosk.session.display import Display
from kiosk.session.presence import Presence
from kiosk.session.view import Message, Screen
from kiosk.settings import SessionSettings

log = logging.getLogger("kiosk.session")


class PrivacyReset:
    """Back to the start screen with every trace of the patron gone. The parts that keep something of
    the patron register what they forget with :meth:`forgetting`."""

    def __init__(self, core: Core, lms: LibrarySystem, display: Display, presence: Presence,
                 secrets: SecretRegistry, settings: SessionSettings) -> None:
        self._core, self._lms, self._display, self._presence = core, lms, display, presence
        self._secrets, self._settings = secrets, settings
        self._forget: list[Callable[[], None]] = []

    def forgetting(self, forget: Callable[[], None]) -> None:
        self._forget.append(forget)

    def __call__(self, message: Message | None, why: str, lms_messages: tuple[str, ...] = ()) -> None:
        display, presence = self._display, self._presence
        was_active = display.view.screen is not Screen.START
        patron = presence.patron
        presence.forget()
        for forget in self._forget:
            forget()
        self._secrets.clear()
        if patron is not None:
            patron_id = patron.patron_id
            self._core.run_in_worker(lambda: self._lms.end_session(patron_id), _log_end_session)
        if was_active:
            log.info("session ended (%s)", why)
        display.hold_message()
        # The farewell is said in the patron's language; the next person starts in the default.
        display.blank(display.view.language)
        display.show(message=message, lms_messages=lms_messages,
                     lockout_minutes=math.ceil(self._settings.pin_lockout_s / 60))


class IdleWatch:
    """Counts the time since the last touch: a warning ``idle_warning_s`` before the timeout, then the
    privacy reset. On the start screen it clears an old message and goes back to the default
    language."""

    def __init__(self, clock: Clock, display: Display, settings: SessionSettings, default_language: str,
                 reset: PrivacyReset) -> None:
        self._clock, self._display, self._settings = clock, display, settings
        self._default_language, self._reset = default_language, reset
        self._last_activity = clock.monotonic()

    def touch(self) -> None:
        self._last_activity = self._clock.monotonic()
        if self._display.view.idle_warning:
            self._display.show(idle_warning=False, seconds_left=0)

    def tick(self) -> None:
        display, now = self._display, self._clock.monotonic()
        view = display.view
        idle = now - self._last_activity
        timeout, warning = self._settings.idle_timeout_s, self._settings.idle_warning_s
        if view.screen is Screen.START:
            if view.message is not None and now >= display.message_until:
                display.show(message=None, lms_messages=(), language=self._default_language)
            elif view.language != self._default_language and idle >= timeout:
                display.show(language=self._default_language)  # the next person starts in Danish
            return
        if idle >= timeout:
            self._reset(Message.TIMED_OUT, "idle timeout")
        elif idle >= timeout - warning:
            display.show(idle_warning=True, seconds_left=max(1, math.ceil(timeout - idle)))


def _log_end_session(_result: object, error: BaseException | None) -> None:
    if error is not None:
        log.warning("ending the LMS session failed: %s", error)
