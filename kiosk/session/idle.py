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
from kiosk.session.view import PLAIN_DISPLAY, Message, Screen
from kiosk.settings import SessionSettings

log = logging.getLogger("kiosk.session")


FINISH_WAIT_S = 30.0  # the longest a leaving patron's item in progress is waited for

Wait = Callable[[Callable[[], None]], bool]
"""Asked before the reset: True when something is still under way; it then calls its argument once
done (the reset goes ahead then, or after :data:`FINISH_WAIT_S` at the latest)."""


class PrivacyReset:
    """Back to the start screen with every trace of the patron gone. The parts that keep something of
    the patron register what they forget with :meth:`forgetting`; a part with work under way that
    must not be cut off (an item being lent) registers with :meth:`waiting_for`, and the screen
    says the session is being finished meanwhile."""

    def __init__(self, core: Core, lms: LibrarySystem, display: Display, presence: Presence,
                 secrets: SecretRegistry, settings: SessionSettings, clock: Clock) -> None:
        self._core, self._lms, self._display, self._presence = core, lms, display, presence
        self._secrets, self._settings, self._clock = secrets, settings, clock
        self._forget: list[Callable[[], None]] = []
        self._waits: list[Wait] = []
        self._pending: tuple[Message | None, str, tuple[str, ...]] | None = None
        self._deadline = 0.0

    def forgetting(self, forget: Callable[[], None]) -> None:
        self._forget.append(forget)

    def waiting_for(self, wait: Wait) -> None:
        self._waits.append(wait)

    @property
    def finishing(self) -> bool:
        return self._pending is not None

    def __call__(self, message: Message | None, why: str, lms_messages: tuple[str, ...] = ()) -> None:
        if self._pending is not None:
            return  # already finishing: the first reason stands
        for wait in self._waits:
            if wait(self._finished):
                self._pending = (message, why, lms_messages)
                self._deadline = self._clock.monotonic() + FINISH_WAIT_S
                log.info("finishing the item in progress before the session ends (%s)", why)
                self._display.show(finishing=True, idle_warning=False)
                return
        self._reset(message, why, lms_messages)

    def tick(self) -> None:
        """Past the wait: reset anyway (the item's journal row tells what became of it)."""
        if self._pending is not None and self._clock.monotonic() >= self._deadline:
            log.warning("an item was still in progress after %.0f s: the session ends all the same",
                        FINISH_WAIT_S)
            self._finished()

    def _finished(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._reset(*pending)

    def _reset(self, message: Message | None, why: str, lms_messages: tuple[str, ...]) -> None:
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
        # The farewell is said in the patron's language and display; the next person starts in the
        # default language and the plain display (see IdleWatch.tick).
        display.blank(display.view.language,
                      display.view.display_mode if message is not None else PLAIN_DISPLAY)
        display.show(message=message, lms_messages=lms_messages,
                     lockout_minutes=math.ceil(self._settings.pin_lockout_s / 60))


class IdleWatch:
    """Counts the time since the last touch: a warning ``idle_warning_s`` before the timeout, then the
    privacy reset. On the start screen it clears an old message and goes back to the default
    language and the plain display (high contrast, large text and reach are one visit's choices)."""

    def __init__(self, clock: Clock, display: Display, settings: SessionSettings, default_language: str,
                 reset: PrivacyReset) -> None:
        self._clock, self._display, self._settings = clock, display, settings
        self._default_language, self._reset = default_language, reset
        self._last_activity = clock.monotonic()

    def set_default_language(self, language: str) -> None:
        """The language the next person starts in, from now on."""
        self._default_language = language

    def touch(self) -> None:
        self._last_activity = self._clock.monotonic()
        if self._display.view.idle_warning:
            self._display.show(idle_warning=False, seconds_left=0)

    def tick(self) -> None:
        display, now = self._display, self._clock.monotonic()
        view = display.view
        idle = now - self._last_activity
        timeout, warning = idle_limits(self._settings, view.speech)
        if self._reset.finishing:
            self._reset.tick()
            return
        if view.screen is Screen.START:
            plain = PLAIN_DISPLAY
            if view.message is not None and now >= display.message_until:
                display.show(message=None, lms_messages=(), language=self._default_language,
                             display_mode=plain, display_choices=False)
            elif idle >= timeout and (view.language != self._default_language
                                      or view.display_mode != plain or view.display_choices):
                # the next person starts in Danish, on the plain display
                display.show(language=self._default_language, display_mode=plain, display_choices=False)
            return
        if idle >= timeout:
            self._reset(Message.TIMED_OUT, "idle timeout")
        elif idle >= timeout - warning:
            display.show(idle_warning=True, seconds_left=max(1, math.ceil(timeout - idle)))


def idle_limits(settings: SessionSettings, speech: bool) -> tuple[float, float]:
    """The idle timeout and how long before it the warning shows, in seconds: longer in speech
    mode (listening to a screen takes longer than reading it), the warning at least
    ``speech_warning_min_s`` there."""
    timeout, warning = float(settings.idle_timeout_s), float(settings.idle_warning_s)
    if not speech:
        return timeout, warning
    factor = settings.speech_time_factor
    longer_warning = max(warning * factor, float(settings.speech_warning_min_s))
    return max(timeout * factor, longer_warning + warning), longer_warning


def _log_end_session(_result: object, error: BaseException | None) -> None:
    if error is not None:
        log.warning("ending the LMS session failed: %s", error)
