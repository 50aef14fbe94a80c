"""Access decisions for unstaffed hours: the values the rules produce, and their settings.

An :class:`AccessDecision` says allow or refuse, why (a :class:`AccessReason` code), which rule
decided, what the patron reads (in their language, with the next step) and what staff read (no PIN,
CPR number or name), with the verdict of every rule for ``library-kiosk access check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kiosk.settings import AgeBand


class OpeningKind(StrEnum):
    """What the branch is at a moment, as the opening calendar says."""

    STAFFED = "staffed"
    UNSTAFFED = "unstaffed"
    AFTER_LAST_ENTRY = "after_last_entry"  # still unstaffed hours, but too close to closing to come in
    CLOSED = "closed"


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


# -- what the patron reads -------------------------------------------------------------------------

HEADLINES = {
    "da": {True: "Døren er låst op", False: "Adgang nægtet"},
    "en": {True: "The door is unlocked", False: "Access refused"},
}
_STAFF_DA = "Kontakt personalet i betjent åbningstid."
_STAFF_EN = "Contact staff during staffed hours."

# reason -> (why, next step); {fees}, {limit}, {age} and {when} are filled in by the rules.
MESSAGES: dict[str, dict[AccessReason, tuple[str, str]]] = {
    "da": {
        AccessReason.OK: ("Velkommen.", ""),
        AccessReason.STAFF: ("Velkommen.", ""),
        AccessReason.STAFFED_HOURS: ("Biblioteket er åbent med personale.", ""),
        AccessReason.UNKNOWN_CARD: ("Biblioteket kender ikke kortet.", _STAFF_DA),
        AccessReason.WRONG_PIN: ("Forkert pinkode.", "Prøv igen. Har du glemt den, kan du lave en ny "
                                 "med MitID på bibliotekets hjemmeside."),
        AccessReason.PIN_REQUIRED: ("Du skal taste din pinkode.", "Vis dit kort igen og tast din pinkode."),
        AccessReason.BLOCKED: ("Dit lånerkort er spærret.", _STAFF_DA),
        AccessReason.FEES_OVER_LIMIT: ("Du har {fees} i gebyrer. Grænsen er {limit}",
                                       "Betal på bibliotekets hjemmeside, eller " + _STAFF_DA[0].lower()
                                       + _STAFF_DA[1:]),
        AccessReason.TOO_YOUNG: ("Du skal være mindst {age} år i selvbetjent åbningstid.",
                                 "Kom i betjent åbningstid."),
        AccessReason.TOO_YOUNG_AT_THIS_TIME: ("Du skal være mindst {age} år for at komme ind {when}.",
                                              "Kom igen på et andet tidspunkt eller i betjent åbningstid."),
        AccessReason.AGE_UNKNOWN: ("Vi kan ikke se din alder.", _STAFF_DA),
        AccessReason.CATEGORY_NOT_ALLOWED: ("Din lånertype giver ikke adgang i selvbetjent åbningstid.",
                                            _STAFF_DA),
        AccessReason.NO_CONSENT: ("Du er ikke tilmeldt selvbetjent åbningstid.",
                                  "Tilmeld dig med MitID på bibliotekets hjemmeside."),
        AccessReason.REVOKED: ("Dit kort har ikke længere adgang i selvbetjent åbningstid.", _STAFF_DA),
        AccessReason.CLOSED: ("Biblioteket er lukket nu.", "Se åbningstiderne på bibliotekets hjemmeside."),
        AccessReason.AFTER_LAST_ENTRY: ("Biblioteket lukker snart. Der er ikke adgang de sidste minutter "
                                        "før lukketid.", "Se åbningstiderne på bibliotekets hjemmeside."),
        AccessReason.LMS_UNAVAILABLE_NOT_CACHED: ("Vi kan ikke tjekke dit kort lige nu.",
                                                  "Prøv igen om lidt, eller kom i betjent åbningstid."),
    },
    "en": {
        AccessReason.OK: ("Welcome.", ""),
        AccessReason.STAFF: ("Welcome.", ""),
        AccessReason.STAFFED_HOURS: ("The library is open with staff.", ""),
        AccessReason.UNKNOWN_CARD: ("The library does not know this card.", _STAFF_EN),
        AccessReason.WRONG_PIN: ("Wrong PIN.", "Try again. If you have forgotten it, make a new one "
                                 "with MitID on the library's website."),
        AccessReason.PIN_REQUIRED: ("Please enter your PIN.", "Show your card again and enter your PIN."),
        AccessReason.BLOCKED: ("Your library card is blocked.", _STAFF_EN),
        AccessReason.FEES_OVER_LIMIT: ("You owe {fees} in fees. The limit is {limit}.",
                                       "Pay on the library's website, or contact staff during staffed "
                                       "hours."),
        AccessReason.TOO_YOUNG: ("You must be at least {age} to enter during unstaffed hours.",
                                 "Please come during staffed hours."),
        AccessReason.TOO_YOUNG_AT_THIS_TIME: ("You must be at least {age} to enter {when}.",
                                              "Please come back at another time or during staffed hours."),
        AccessReason.AGE_UNKNOWN: ("We cannot see your age.", _STAFF_EN),
        AccessReason.CATEGORY_NOT_ALLOWED: ("Your type of library card does not give access during "
                                            "unstaffed hours.", _STAFF_EN),
        AccessReason.NO_CONSENT: ("You have not signed up for unstaffed opening hours.",
                                  "Sign up with MitID on the library's website."),
        AccessReason.REVOKED: ("Your card no longer gives access during unstaffed hours.", _STAFF_EN),
        AccessReason.CLOSED: ("The library is closed now.",
                              "See the opening hours on the library's website."),
        AccessReason.AFTER_LAST_ENTRY: ("The library closes soon. There is no entry in the last minutes "
                                        "before closing.", "See the opening hours on the library's website."),
        AccessReason.LMS_UNAVAILABLE_NOT_CACHED: ("We cannot check your card right now.",
                                                  "Try again in a moment, or come during staffed hours."),
    },
}


def money(amount: Decimal, language: str) -> str:
    """450.00 -> "450,00 kr." (Danish) or "DKK 450.00" (English)."""
    text = f"{amount.quantize(Decimal('0.01')):,.2f}"
    if language == "da":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".") + " kr."
    return f"DKK {text}"


def band_words(band: AgeBand, language: str) -> str:
    """When an age band applies, for the patron: "efter kl. 20:00", "between 20:00 and 22:00"."""
    until_close = band.end == "24:00"
    if language == "da":
        return f"efter kl. {band.start}" if until_close else f"mellem kl. {band.start} og {band.end}"
    return f"after {band.start}" if until_close else f"between {band.start} and {band.end}"
