"""Who the patron is: a card (or barcode, or health card), then the PIN, and the lock-out after too
many wrong PINs. What checks the PIN is the terminal's business (the LMS at the kiosk, the access
rules at the door): it is handed in as ``verify``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Protocol

from kiosk.domain.inputs import CredentialPresented
from kiosk.domain.logs import SecretRegistry
from kiosk.domain.model import Credential
from kiosk.domain.ports import Clock
from kiosk.session.display import Display
from kiosk.session.events import PinSubmitted
from kiosk.session.idle import IdleWatch, PrivacyReset
from kiosk.session.presence import Presence
from kiosk.session.view import Message, Screen
from kiosk.settings import SessionSettings

log = logging.getLogger("kiosk.session")

Verify = Callable[[Credential, str], None]
"""Starts checking a card and PIN; the answer comes back to the session later, as an event."""


class PinFailures(Protocol):
    """Wrong PINs per card, kept across visits: in memory, or in the terminal's database
    (:class:`kiosk.store.pin_failures.StoredPinFailures`, shared by every process on it and kept
    through a restart)."""

    def count(self, credential: Credential) -> int:
        """Wrong PINs in a row for this card, 0 once its lock-out has run out."""
        ...

    def failed(self, credential: Credential, count: int, lockout_s: float) -> None:
        """The card now has ``count`` wrong PINs, remembered for ``lockout_s`` seconds."""
        ...

    def clear(self, credential: Credential) -> None: ...


class MemoryPinFailures:
    """In memory, by a hash of the card number, on the monotonic clock."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._failures: dict[str, tuple[int, float]] = {}

    def count(self, credential: Credential) -> int:
        now = self._monotonic()
        self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
        return self._failures.get(_card_key(credential), (0, 0.0))[0]

    def failed(self, credential: Credential, count: int, lockout_s: float) -> None:
        self._failures[_card_key(credential)] = (count, self._monotonic() + lockout_s)

    def clear(self, credential: Credential) -> None:
        self._failures.pop(_card_key(credential), None)


class Identification:
    def __init__(self, clock: Clock, display: Display, presence: Presence, settings: SessionSettings,
                 secrets: SecretRegistry, idle: IdleWatch, reset: PrivacyReset,
                 failures: PinFailures | None = None) -> None:
        self._clock, self._display, self._presence = clock, display, presence
        self._settings, self._secrets, self._idle, self._reset = settings, secrets, idle, reset
        self.verify: Verify = lambda _credential, _pin: None
        self._attempts = 0
        # Wrong PINs per card, kept across visits (and, stored, across restarts and processes).
        self._failures: PinFailures = failures if failures is not None else MemoryPinFailures(clock.monotonic)
        reset.forgetting(self._forget)

    @property
    def attempts_left(self) -> int:
        return self._settings.max_pin_attempts - self._attempts

    def on_credential(self, event: CredentialPresented) -> None:
        display, presence = self._display, self._presence
        if display.view.screen not in (Screen.START, Screen.IDENTIFY, Screen.PIN):
            log.info("credential ignored: a session is in progress")
            return
        if display.view.screen is Screen.START:
            presence.purpose = None  # a card on the start screen: the patron's menu after the PIN
        self._secrets.clear()
        presence.credential = event.credential
        self._attempts = self._failures.count(event.credential)
        if self._attempts >= self._settings.max_pin_attempts:
            log.info("credential refused: locked after too many wrong PINs")
            self._reset(Message.TOO_MANY_ATTEMPTS, "card locked for now")
            return
        self._idle.touch()
        log.info("credential presented (%s)", event.credential.kind.value)
        display.show(screen=Screen.PIN, message=None, lms_messages=(), attempts_left=self.attempts_left)

    def on_pin(self, event: PinSubmitted) -> None:
        display, presence = self._display, self._presence
        credential = presence.credential
        if display.view.screen is not Screen.PIN or credential is None:
            return
        pin = event.pin
        self._secrets.add(pin)
        self._idle.touch()
        settings = self._settings
        digits = pin.isascii() and pin.isdigit()
        if not (settings.pin_min_length <= len(pin) <= settings.pin_max_length and digits):
            self.wrong_pin(())
            return
        presence.pin = pin
        presence.generation += 1
        display.show(screen=Screen.AUTHENTICATING, message=None)
        self.verify(credential, pin)

    def accepted(self) -> None:
        """The card and PIN were right: the card's wrong PINs are forgotten."""
        if self._presence.credential is not None:
            self._failures.clear(self._presence.credential)

    def wrong_pin(self, messages: tuple[str, ...]) -> None:
        """Count a wrong PIN: another try on the PIN screen, or the lock-out."""
        self._attempts += 1
        credential = self._presence.credential
        if credential is not None:
            # Counted from what is kept, so that another terminal's wrong PINs count here too.
            self._attempts = max(self._attempts, self._failures.count(credential) + 1)
            self._failures.failed(credential, self._attempts, self._settings.pin_lockout_s)
        log.info("wrong PIN (attempt %d of %d)", self._attempts, self._settings.max_pin_attempts)
        if self._attempts >= self._settings.max_pin_attempts:
            self._reset(Message.TOO_MANY_ATTEMPTS, "too many PIN attempts")
            return
        self._display.show(screen=Screen.PIN, message=Message.WRONG_PIN, lms_messages=messages,
                           attempts_left=self.attempts_left)

    def _forget(self) -> None:
        self._attempts = 0


def _card_key(credential: Credential) -> str:
    return hashlib.sha256(f"{credential.kind}:{credential.value}".encode()).hexdigest()
