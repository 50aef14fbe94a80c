"""Access decisions for unstaffed hours: the values the rules produce, and their settings.

An :class:`AccessDecision` says allow or refuse, why (a :class:`AccessReason` code), which rule
decided, what the patron reads (in their language, with the next step) and what staff read (no PIN,
CPR number or name), with the verdict of every rule for ``library-kiosk access check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccessReason(StrEnum):
    OK = "ok"
    STAFF = "staff"  # let in by the staff/cleaner whitelist
    STAFFED_HOURS = "staffed_hours"  # the door is open to everyone
    UNKNOWN_CARD = "unknown_card"
    WRONG_PIN = "wrong_pin"
    PIN_REQUIRED = "pin_required"
    BLOCKED = "blocked"
    FEES_OVER_LIMIT = "fees_over_limit"
    TOO_YOUNG = "too_young"
    TOO_YOUNG_AT_THIS_TIME = "too_young_at_this_time"
    AGE_UNKNOWN = "age_unknown"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    NO_CONSENT = "no_consent"
    REVOKED = "revoked"
    CLOSED = "closed"
    AFTER_LAST_ENTRY = "after_last_entry"
    LMS_UNAVAILABLE_NOT_CACHED = "lms_unavailable_not_cached"


class Verdict(StrEnum):
    PASS = "pass"  # this rule has no objection
    REFUSE = "refuse"
    ALLOW = "allow"  # this rule lets the person in without the rest (staff, staffed hours)
    SKIP = "skip"  # not applicable, or decided earlier




@dataclass(frozen=True)
class RuleResult:
    """One line of the trace: a rule, its verdict, and why (staff-facing, no secrets)."""

    rule: str
    verdict: Verdict
    reason: AccessReason = AccessReason.OK
    detail: str = ""


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: AccessReason
    rule: str  # the rule that decided
    headline: str  # "Adgang nægtet" / "Døren er låst op"
    explanation: str  # why, for the patron
    next_step: str  # what to do now, for the patron
    staff_detail: str
    trace: tuple[RuleResult, ...]
    language: str = "da"
    from_cache: bool = False

    @property
    def message(self) -> str:
        """The patron-facing text: headline, why, and what to do next."""
        return " ".join(part for part in (self.headline + ".", self.explanation, self.next_step) if part)
