"""Access rules for unstaffed hours: who may come in now, and why not.

The rules run in the configured order and every one of them is traced; the first refusal decides.
Before them come the staff/cleaner whitelist (works without the LMS), the opening state (the calendar
says staffed, unstaffed or closed) and the LMS's answer. Nothing here logs or keeps a PIN, a CPR
number or a name: lists hold pseudonymous tokens, PINs only as slow salted verifiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.cpr import birth_date as cpr_birth_date
from kiosk.domain.model import AuthOutcome, AuthResult, Credential, CredentialKind, Patron
from kiosk.domain.pins import verify_pin
from kiosk.door.access_model import (
    AccessDecision,
    AccessReason,
    RuleResult,
    Verdict,
)
from kiosk.door.calendar import OpeningKind
from kiosk.settings import WEEKDAYS, AccessSettings, AgeBand, RuleName
from kiosk.store.access_lists import StaffEntry
from kiosk.texts import has, text
from kiosk.texts.formats import money

Pseudonym = Callable[[str], str]


# -- age -------------------------------------------------------------------------------------------

def birth_date_from_cpr(cpr: str) -> dt.date | None:
    """The birth date in a CPR number (DDMMYY-SSSS), by the 7th digit's century rule; None if invalid."""
    return cpr_birth_date(cpr.strip().replace("-", ""))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years; one is added on the birthday itself (29 February: on 1 March in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- the rules -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Case:
    """What one decision is about: the rules read this and nothing else."""

    credential: Credential
    auth: AuthResult | None
    local: dt.datetime
    pin_given: bool
    tokens: frozenset[str]
    centrally_revoked: bool = False  # on the municipality's revocation list

    @property
    def patron(self) -> Patron | None:
        return self.auth.patron if self.auth else None


def _no_patron(rule: str) -> RuleResult:
    return RuleResult(rule, Verdict.SKIP, detail="no patron to check (the LMS gave none)")


class AccessRules:
    """The configured rule set of one branch. Pure: same inputs, same decision."""

    def __init__(self, settings: AccessSettings, *, pseudonym: Pseudonym | None = None,
                 revoked: frozenset[str] = frozenset(), staff: tuple[StaffEntry, ...] = (),
                 central_revoked: Callable[[str], bool] | None = None) -> None:
        """``central_revoked``: is a card number or patron identifier on the municipality's
        revocation list (the central service's, as last received)?"""
        if (revoked or staff) and pseudonym is None:
            raise ValueError("a revocation list or staff list needs the pseudonym key")
        self.settings = settings
        self._pseudonym = pseudonym
        self._revoked = revoked
        self._central_revoked = central_revoked
        self._staff = {entry.token: entry for entry in staff}

    def check_staff(self, credential: Credential, pin: str | None
                    ) -> tuple[AccessReason | None, StaffEntry | None]:
        """Is this card on the staff/cleaner whitelist (None: no), and is the PIN its own
        (``STAFF``; ``WRONG_PIN`` if not)? Needs no LMS."""
        if not self._staff or self._pseudonym is None:
            return None, None
        entry = self._staff.get(self._pseudonym(credential.value))
        if entry is None:
            return None, None
        if pin is None or not verify_pin(pin, entry.pin_verifier):
            return AccessReason.WRONG_PIN, entry
        return AccessReason.STAFF, entry

    def decide(self, credential: Credential, auth: AuthResult | None, opening: OpeningKind,
               at: dt.datetime, language: str = "da", *, pin: str | None = None,
               from_cache: bool = False) -> AccessDecision:
        """Decide on one entry. ``auth`` None: the LMS did not answer and nothing was cached.

        ``from_cache``: ``auth`` came from the cached access list, not the LMS (said in the detail).
        ``pin`` is checked against the staff whitelist only (the LMS has checked it for ``auth``);
        without one, ``correct_pin`` refuses. It is never kept.
        """
        if at.tzinfo is None:
            raise ValueError("decide() needs a timezone-aware time")
        tokens = {credential.value} | ({auth.patron.patron_id} if auth and auth.patron else set())
        central = self._central_revoked
        case = _Case(credential, auth, at.astimezone(self.settings.zone), pin is not None,
                     frozenset(self._pseudonym(t) for t in tokens) if self._pseudonym else frozenset(),
                     central is not None and any(central(t) for t in tokens))
        trace = [self._staff_rule(credential, pin, opening), self._opening_rule(opening),
                 self._lms_rule(auth, from_cache)]
        trace += [self._rule(name, case) for name in self.settings.rules]
        decider = next((r for r in trace if r.verdict in (Verdict.REFUSE, Verdict.ALLOW)), None)
        if decider is None and (auth is None or auth.patron is None):
            decider = self._no_patron_guard(auth)
            trace.append(decider)
        if decider is None:
            decider = RuleResult("all", Verdict.ALLOW, AccessReason.OK, "every rule passed")
        return self._decision(decider, tuple(trace), case, language, from_cache)

    # -- the steps before the configured rules ----------------------------------------------------
    def _staff_rule(self, credential: Credential, pin: str | None, opening: OpeningKind) -> RuleResult:
        if not self._staff:
            return RuleResult("staff_whitelist", Verdict.SKIP, detail="no staff list")
        check, entry = self.check_staff(credential, pin)
        if check is None or entry is None:
            return RuleResult("staff_whitelist", Verdict.SKIP, detail="not on the staff list")
        if check is AccessReason.WRONG_PIN:
            return RuleResult("staff_whitelist", Verdict.REFUSE, AccessReason.WRONG_PIN,
                              f"on the staff list ({entry.role}), PIN does not match")
        if opening is OpeningKind.CLOSED and not entry.closed_hours:
            return RuleResult("staff_whitelist", Verdict.PASS,
                              detail=f"on the staff list ({entry.role}), but not for closed hours")
        return RuleResult("staff_whitelist", Verdict.ALLOW, AccessReason.STAFF,
                          f"on the staff list ({entry.role}), PIN verified locally")

    @staticmethod
    def _opening_rule(opening: OpeningKind) -> RuleResult:
        if opening is OpeningKind.CLOSED:
            return RuleResult("opening", Verdict.REFUSE, AccessReason.CLOSED, "the branch is closed")
        if opening is OpeningKind.AFTER_LAST_ENTRY:
            return RuleResult("opening", Verdict.REFUSE, AccessReason.AFTER_LAST_ENTRY,
                              "past the last entry before closing")
        if opening is OpeningKind.STAFFED:
            return RuleResult("opening", Verdict.ALLOW, AccessReason.STAFFED_HOURS,
                              "staffed hours: the door is open to everyone")
        return RuleResult("opening", Verdict.PASS, detail="unstaffed hours")

    @staticmethod
    def _lms_rule(auth: AuthResult | None, from_cache: bool) -> RuleResult:
        if auth is None:
            return RuleResult("lms", Verdict.REFUSE, AccessReason.LMS_UNAVAILABLE_NOT_CACHED,
                              "the LMS did not answer and the card is not in the cached access list")
        where = "the cached access list" if from_cache else "the LMS"
        return RuleResult("lms", Verdict.PASS, detail=f"answered by {where}: {auth.outcome.value}")

    @staticmethod
    def _no_patron_guard(auth: AuthResult | None) -> RuleResult:
        """No rule refused, yet nobody is known: never let an unknown card in by configuration."""
        reason = {AuthOutcome.WRONG_PIN: AccessReason.WRONG_PIN,
                  AuthOutcome.BLOCKED: AccessReason.BLOCKED}.get(
            auth.outcome if auth else AuthOutcome.UNKNOWN_PATRON, AccessReason.UNKNOWN_CARD)
        return RuleResult("known_patron", Verdict.REFUSE, reason, "no rule refused, but the LMS gave "
                          f"no patron ({auth.outcome.value if auth else 'no answer'})")

    # -- the configured rules ---------------------------------------------------------------------
    def _rule(self, name: RuleName, case: _Case) -> RuleResult:
        rule: Callable[[_Case], RuleResult] = getattr(self, f"_{name}")
        return rule(case)

    def _valid_card(self, case: _Case) -> RuleResult:
        if case.auth is None:
            return RuleResult("valid_card", Verdict.SKIP, detail="no answer to check")
        if case.auth.outcome is AuthOutcome.UNKNOWN_PATRON:
            return RuleResult("valid_card", Verdict.REFUSE, AccessReason.UNKNOWN_CARD,
                              f"the LMS does not know the card ({case.credential.kind.value})")
        return RuleResult("valid_card", Verdict.PASS, detail="the LMS knows the card")

    def _correct_pin(self, case: _Case) -> RuleResult:
        if case.auth is None or case.auth.outcome is AuthOutcome.UNKNOWN_PATRON:
            return RuleResult("correct_pin", Verdict.SKIP, detail="no known card to check a PIN for")
        if not case.pin_given:
            return RuleResult("correct_pin", Verdict.REFUSE, AccessReason.PIN_REQUIRED, "no PIN entered")
        if case.auth.outcome is AuthOutcome.WRONG_PIN:
            return RuleResult("correct_pin", Verdict.REFUSE, AccessReason.WRONG_PIN, "the PIN is wrong")
        return RuleResult("correct_pin", Verdict.PASS, detail="PIN accepted")

    def _not_blocked(self, case: _Case) -> RuleResult:
        patron = case.patron
        if patron is None:
            return _no_patron("not_blocked")
        blocked = patron.blocked or (case.auth is not None and case.auth.outcome is AuthOutcome.BLOCKED)
        if blocked:
            why = ", ".join(patron.block_reasons) or "no reason given"
            return RuleResult("not_blocked", Verdict.REFUSE, AccessReason.BLOCKED,
                              f"blocked by the LMS ({why})")
        return RuleResult("not_blocked", Verdict.PASS, detail="not blocked")

    def _revocation(self, case: _Case) -> RuleResult:
        if case.centrally_revoked:
            return RuleResult("revocation", Verdict.REFUSE, AccessReason.REVOKED,
                              "on the municipality's revocation list")
        if not self._revoked:
            return RuleResult("revocation", Verdict.PASS, detail="no card is revoked")
        hits = case.tokens & self._revoked
        if hits:
            return RuleResult("revocation", Verdict.REFUSE, AccessReason.REVOKED,
                              f"on the revocation list (token {min(hits)[:8]}…)")
        return RuleResult("revocation", Verdict.PASS, detail="not on the revocation list")

    def _fee_limit(self, case: _Case) -> RuleResult:
        patron = case.patron
        if patron is None:
            return _no_patron("fee_limit")
        fees, limit = patron.fee_total, self.settings.fee_limit
        if fees >= limit:
            return RuleResult("fee_limit", Verdict.REFUSE, AccessReason.FEES_OVER_LIMIT,
                              f"fees {fees:.2f} {patron.currency}, limit {limit:.2f}")
        return RuleResult("fee_limit", Verdict.PASS, detail=f"fees {fees:.2f} under limit {limit:.2f}")

    def _consent(self, case: _Case) -> RuleResult:
        patron = case.patron
        if patron is None:
            return _no_patron("consent")
        field = self.settings.consent_field
        value = consent_value(self.settings, patron)
        if consented(self.settings, patron):
            return RuleResult("consent", Verdict.PASS, detail=f"{field}={value or 'missing (allowed)'}")
        return RuleResult("consent", Verdict.REFUSE, AccessReason.NO_CONSENT,
                          f"{field}={value}: not signed up" if value else f"{field} missing: not signed up")

    def _category(self, case: _Case) -> RuleResult:
        patron = case.patron
        if patron is None:
            return _no_patron("category")
        allowed = {c.casefold() for c in self.settings.categories}
        if not allowed or patron.category.casefold() in allowed:
            return RuleResult("category", Verdict.PASS, detail=f"category {patron.category!r} allowed")
        return RuleResult("category", Verdict.REFUSE, AccessReason.CATEGORY_NOT_ALLOWED,
                          f"category {patron.category!r} is not one of "
                          f"{', '.join(self.settings.categories)}")

    def _age_band(self, local: dt.datetime) -> AgeBand | None:
        """The strictest band in force at this local time."""
        bands = [b for b in self.settings.age_bands if b.covers(local)]
        return max(bands, key=lambda b: b.min_age) if bands else None

    def _age(self, case: _Case) -> RuleResult:
        band = self._age_band(case.local)
        when = f"{WEEKDAYS[case.local.weekday()]} {case.local:%H:%M}"
        if band is None:
            return RuleResult("age", Verdict.PASS, detail=f"no age limit on {when}")
        health_card = case.credential.kind is CredentialKind.HEALTH_CARD
        if case.patron is None and not health_card:
            return _no_patron("age")
        birth, source = (case.patron.birth_date, "LMS birth date") if case.patron else (None, "")
        if birth is None and health_card:
            birth, source = birth_date_from_cpr(case.credential.value), "health card"
        if birth is None:
            if self.settings.unknown_age == "allow":
                return RuleResult("age", Verdict.PASS, detail="age unknown (allowed)")
            return RuleResult("age", Verdict.REFUSE, AccessReason.AGE_UNKNOWN,
                              f"age unknown, {band.min_age}+ needed on {when}")
        age = age_on(birth, case.local.date())
        limit = f"{band.min_age}+ needed on {when}"
        if age >= band.min_age:
            return RuleResult("age", Verdict.PASS, detail=f"age {age} ({source}), {limit}")
        reason = AccessReason.TOO_YOUNG if band.all_the_time else AccessReason.TOO_YOUNG_AT_THIS_TIME
        return RuleResult("age", Verdict.REFUSE, reason, f"age {age} ({source}), {limit}")

    # -- the decision -----------------------------------------------------------------------------
    def _decision(self, decider: RuleResult, trace: tuple[RuleResult, ...], case: _Case, language: str,
                  from_cache: bool) -> AccessDecision:
        allowed = decider.verdict is Verdict.ALLOW
        band = self._age_band(case.local)
        fees = case.patron.fee_total if case.patron else self.settings.fee_limit
        why = text(f"access.{decider.reason.value}.why", language,
                   fees=money(fees, "DKK", language), limit=money(self.settings.fee_limit, "DKK", language),
                   age=band.min_age if band else "", when=band_words(band, language) if band else "")
        next_key = f"access.{decider.reason.value}.next"  # a decision that lets in has no next step
        next_step = text(next_key, language) if has(next_key, language) else ""
        detail = f"{decider.reason.value} by {decider.rule}: {decider.detail}"
        if from_cache:
            detail += " (decided from the cached access list)"
        headline = text(f"access.headline.{'allowed' if allowed else 'refused'}", language)
        return AccessDecision(allowed=allowed, reason=decider.reason, rule=decider.rule, headline=headline,
                              explanation=why, next_step=next_step,
                              staff_detail=detail, trace=trace, language=language, from_cache=from_cache)


def band_words(band: AgeBand, language: str) -> str:
    """When an age band applies, for the patron: "efter kl. 20:00", "between 20:00 and 22:00"."""
    if band.end == "24:00":
        return text("access.band.after", language, start=band.start)
    return text("access.band.between", language, start=band.start, end=band.end)


def consent_value(settings: AccessSettings, patron: Patron) -> str:
    """What the LMS says about the patron's consent (``Y``, ``N``; "" when it says nothing)."""
    return dict(patron.extra).get(settings.consent_field, "").strip().upper()


def consented(settings: AccessSettings, patron: Patron) -> bool:
    """Whether the consent rule lets the patron in: ``Y``, or nothing said where that is allowed."""
    value = consent_value(settings, patron)
    return value == "Y" or (not value and settings.consent_missing == "allow")
