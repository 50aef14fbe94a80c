"""The learned access list, the terminal's half: what an online card + PIN check taught the kiosk
goes to the central system, which shares it with every terminal of the municipality, so that a
patron who came in at one branch gets in at another while the LMS is down.

After the LMS answered a card and PIN (at the door or at a kiosk's login), on the worker that asked:

* OK or BLOCKED: an ``access_learned`` event with the card's token, a fresh slow PIN verifier and
  the eligibility (category, birth date, blocked, consent, how long the entry holds), unless the
  cached list already says exactly that, PIN included: then only ``access_used`` (the central
  system keeps entries that are used). A block thus reaches every door in the next delta.
* UNKNOWN_PATRON: ``access_revoked`` with the token (a lost or replaced card).
* A wrong PIN, an answer from the cached list, no PIN, or no access-list key yet: nothing.

The events go through the journal and the outbox like every other, once and in order; nothing here
raises into the caller. No card number, PIN or name leaves: the token is the municipality's HMAC of
the card number, and the PIN only as a salted scrypt verifier.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from kiosk.domain.errors import KioskError
from kiosk.domain.model import AuthOutcome, AuthResult, Credential, Patron
from kiosk.domain.pins import pin_verifier
from kiosk.store import Journal
from kiosk.store.access_cache import AccessCache, CachedPatron
from kiosk.store.journal import JournalState

log = logging.getLogger(__name__)

LEARNED, USED, REVOKED = "access_learned", "access_used", "access_revoked"
HOLDS_DAYS = 90  # how long a learned entry lets a patron in without a new online check


class AccessLearning:
    """``cache`` is the live access list (None before the first configuration: nothing is learned);
    ``consent`` says whether the LMS's patron has consented, as the door's consent rule reads it."""

    def __init__(self, journal: Journal, cache: Callable[[], AccessCache | None],
                 consent: Callable[[Patron], bool], today: Callable[[], dt.date],
                 *, holds_days: int = HOLDS_DAYS) -> None:
        self._journal, self._cache, self._consent, self._today = journal, cache, consent, today
        self._holds = dt.timedelta(days=holds_days)

    def checked(self, credential: Credential, pin: str | None, result: AuthResult) -> None:
        """The LMS answered ``credential`` and ``pin`` with ``result`` (see the module)."""
        try:
            self._checked(credential, pin, result)
        except KioskError as exc:
            log.warning("what the LMS said about a card could not be kept for the access list: %s", exc)
        except Exception:
            log.error("learning from an LMS answer failed unexpectedly", exc_info=True)

    def _checked(self, credential: Credential, pin: str | None, result: AuthResult) -> None:
        cache = self._cache()
        if cache is None or result.offline:
            return
        token = cache.token(credential.value)
        if result.outcome is AuthOutcome.UNKNOWN_PATRON:
            if cache.entry(credential.value) is not None:
                self._send(REVOKED, {"key": token})
            return
        patron = result.patron
        if pin is None or patron is None or result.outcome not in (AuthOutcome.OK, AuthOutcome.BLOCKED):
            return
        blocked = patron.blocked or result.outcome is AuthOutcome.BLOCKED
        eligibility = {"category": patron.category[:64],
                       "birth_date": patron.birth_date.isoformat() if patron.birth_date else None,
                       "blocked": blocked, "consent": self._consent(patron)}
        known = cache.entry(credential.value)
        if known is not None and _same(known, eligibility) and cache.check(credential.value, pin).auth.patron:
            self._send(USED, {"key": token})
            return
        self._send(LEARNED, {"key": token, "pin_verifier": pin_verifier(pin), **eligibility,
                             "expires": (self._today() + self._holds).isoformat()})

    def _send(self, kind: str, payload: dict[str, object]) -> None:
        self._journal.append(kind, payload, state=JournalState.DONE)


def _same(known: CachedPatron, eligibility: Mapping[str, object]) -> bool:
    return (known.category, known.birth_date.isoformat() if known.birth_date else None, known.blocked,
            known.consent) == (eligibility["category"], eligibility["birth_date"], eligibility["blocked"],
                               eligibility["consent"])
