"""Entering in unstaffed hours: decide within the LMS's time budget, log, and unlock (DESIGN.md §4).

After the card and the PIN, the door terminal asks the LMS; if it has not answered within the
budget (default 3 s), the decision is taken without it, from what the terminal holds locally
(the staff/cleaner whitelist now; the cached access list of the offline issue later), and the log
says so. The entry is journaled and logged before the door is unlocked; the pulse itself runs on
a worker so that the core never waits for the relay.

Runs on the core thread; late answers from the LMS are dropped (generation counter). The LMS is
asked, and the cached access list's slow PIN check made, on a worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.domain.errors import DeviceError, KioskError
from kiosk.domain.events import Core
from kiosk.domain.model import AuthResult, Credential
from kiosk.domain.ports import AuthObserver, Clock, DoorLock, LibrarySystem
from kiosk.door.access_model import AccessDecision, AccessReason
from kiosk.door.access_rules import AccessRules
from kiosk.door.calendar import OpeningKind
from kiosk.door.supervision import DoorSupervisor

log = logging.getLogger(__name__)

OFFLINE_FLAG = "offline"


@dataclass(frozen=True)
class EntryView:
    """The answer at the door, for the screen."""

    allowed: bool
    reason: AccessReason
    message: str  # why, and what to do next, in the patron's language (the screen's title says the rest)
    from_cache: bool = False
    children: int = 0  # let in with the patron ("+N children with me")
    door_unlocked: bool | None = None  # None while the pulse is on its way; False if the lock failed


class EntryController:
    def __init__(
        self,
        core: Core,
        lms: LibrarySystem,
        clock: Clock,
        rules: Callable[[], AccessRules],
        opening: Callable[[dt.datetime], OpeningKind],
        supervisor: DoorSupervisor,
        door_lock: DoorLock | None,
        pseudonym: Callable[[str], str],
        *,
        publish: Callable[[EntryView], None],
        budget_s: float = 3.0,
        pulse_s: float = 5.0,
        cached: Callable[[Credential, str | None], AuthResult | None] | None = None,
        observe: AuthObserver | None = None,
    ) -> None:
        self._core = core
        self._lms = lms
        self._clock = clock
        self._rules = rules
        self._opening = opening
        self._supervisor = supervisor
        self._door = door_lock
        self._pseudonym = pseudonym
        self._publish = publish
        self._budget_s = budget_s
        self._pulse_s = pulse_s
        self._cached = cached  # the cached access list's answer, when the LMS gives none in time
        self._observe = observe  # told what the LMS answered (the learned access list)
        self._generation = 0
        self._pending: tuple[Credential, str | None, str, int, float] | None = None
        self.view: EntryView | None = None

    @property
    def max_children(self) -> int:
        """How many children a patron may bring in with them; 0: the door does not offer it."""
        return self._supervisor.max_children

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def begin(self, credential: Credential, pin: str | None, language: str, children: int = 0) -> None:
        """Card and PIN are in: ask the LMS, unless the library is closed anyway."""
        self._generation += 1
        generation = self._generation
        self.view = None
        now = self._clock.now()
        if self._opening(now) is OpeningKind.CLOSED:
            self._decide(credential, None, pin, language, children, from_cache=False)
            return
        self._pending = (credential, pin, language, children, self._clock.monotonic() + self._budget_s)
        self._core.run_in_worker(lambda: self._ask(credential, pin),
                                 lambda answer, error: self._answered(generation, answer, error))

    def tick(self) -> None:
        """Past the budget without an answer: decide without the LMS."""
        pending = self._pending
        if pending is None or self._clock.monotonic() < pending[4]:
            return
        credential, pin, language, children, _deadline = pending
        self._generation += 1  # the LMS's answer, if it still comes, is too late
        generation = self._generation
        self._pending = (credential, pin, language, children, math.inf)
        log.warning("the LMS did not answer within %.1f s: deciding without it", self._budget_s)
        self._core.run_in_worker(lambda: (self._from_cache(credential, pin), True),
                                 lambda answer, error: self._answered(generation, answer, error))

    def cancel(self) -> None:
        self._generation += 1
        self._pending = None
        self.view = None

    def _ask(self, credential: Credential, pin: str | None) -> tuple[AuthResult | None, bool]:
        """On a worker: the LMS's answer, or when it gives none the cached access list's (whose PIN
        check is slow on purpose, so it is not made on the core thread); and whether from the cache."""
        try:
            result = self._lms.authenticate_patron(credential, pin)
        except KioskError:
            result = None
        except Exception:
            log.error("authentication at the door failed unexpectedly", exc_info=True)
            result = None
        if result is not None:
            if self._observe is not None:
                self._observe(credential, pin, result)
            return result, False
        return self._from_cache(credential, pin), True

    def _answered(self, generation: int, answer: tuple[AuthResult | None, bool] | None,
                  error: BaseException | None) -> None:
        pending = self._pending
        if generation != self._generation or pending is None:
            return
        credential, pin, language, children, _deadline = pending
        if error is not None or answer is None:  # the question itself failed: no answer at all
            log.error("the door got no answer: %s", error)
            answer = (None, True)
        auth, from_cache = answer
        self._decide(credential, auth, pin, language, children, from_cache=from_cache)

    def _from_cache(self, credential: Credential, pin: str | None) -> AuthResult | None:
        """The cached access list's answer (None: not in it, or no list): the LMS gave none."""
        if self._cached is None:
            return None
        try:
            return self._cached(credential, pin)
        except KioskError as exc:
            log.error("the cached access list could not be read: %s", exc)
            return None

    def _decide(self, credential: Credential, auth: AuthResult | None, pin: str | None, language: str,
                children: int, *, from_cache: bool) -> None:
        self._pending = None
        decision: AccessDecision = self._rules().decide(
            credential, auth, self._opening(self._clock.now()), self._clock.now(), language,
            pin=pin, from_cache=from_cache)
        token = self._pseudonym(credential.value)
        flags = (OFFLINE_FLAG,) if from_cache else ()
        if not decision.allowed:
            self._supervisor.refused(token, decision.reason.value, flags=flags)
            log.info("entry refused (%s)", decision.reason.value)
            self._show(EntryView(False, decision.reason, _why(decision), from_cache))
            return
        # Journal and entry log first (DoorSupervisor.granted), the relay after.
        self._supervisor.granted(token, children, reason=decision.reason.value, flags=flags)
        log.info("entry allowed (%s%s)", decision.reason.value, ", offline" if from_cache else "")
        self._show(EntryView(True, decision.reason, _why(decision), from_cache, children))
        if self._door is None:
            return
        door, seconds, generation = self._door, self._pulse_s, self._generation
        self._core.run_in_worker(lambda: door.pulse(seconds),
                                 lambda _r, error: self._pulsed(generation, error))

    def _pulsed(self, generation: int, error: BaseException | None) -> None:
        if error is not None:
            level = logging.ERROR if not isinstance(error, DeviceError) else logging.WARNING
            log.log(level, "the door could not be unlocked: %s", error)
        if generation == self._generation and self.view is not None:
            view = self.view
            self._show(replace(view, door_unlocked=error is None))

    def _show(self, view: EntryView) -> None:
        self.view = view
        self._publish(view)


def _why(decision: AccessDecision) -> str:
    return " ".join(part for part in (decision.explanation, decision.next_step) if part)
