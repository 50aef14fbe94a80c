"""What a scan or a swipe is: a raw string in, a :class:`Credential` out, or a refusal.

Pure functions, shared by the serial scanner driver and by the screens that take keyboard-wedge
input. A refusal is a :class:`ScanRefused` with a reason code and a message for staff; neither ever
contains the scanned number, so both may be logged and shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from hardware.scanner.magstripe import (
    HEALTH_CARD_LENGTH,
    MagstripeError,
    looks_like_track2,
    parse_health_card,
    parse_track2,
)
from kiosk.domain.cpr import birth_date as cpr_birth_date
from kiosk.domain.errors import KioskError
from kiosk.domain.model import Credential, CredentialKind

# AIM symbology identifier, e.g. "]E0" for EAN-13, "]C0" for Code 128 (ISO/IEC 15424).
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


class ScanRefused(KioskError):
    """A scan or swipe that is not a credential. ``reason`` is a short code for the log and the
    screen (``unknown_format``, ``bad_sentinel``, ``bad_lrc``, ``bad_cpr``, ``bad_cpr_date``, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ClassifierRules:
    """Which strings count as library cards. Card numbers are ILS-specific (research §6.3), so the
    patterns come from configuration; each must match the whole code (after trimming)."""

    barcode_patterns: Sequence[str] = (r"[0-9]{6,14}",)
    strip_aim_identifier: bool = True
    # A track 2 with a field separator is a generic magstripe card; its first field is a library card
    # number if it matches a barcode pattern.
    magstripe_library_cards: bool = True
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = tuple(re.compile(pattern) for pattern in self.barcode_patterns)
        except re.error as exc:
            raise ValueError(f"invalid barcode pattern: {exc}") from None
        object.__setattr__(self, "_compiled", compiled)

    def is_library_card(self, code: str) -> bool:
        return any(pattern.fullmatch(code) for pattern in self._compiled)


DEFAULT_RULES = ClassifierRules()


def classify(raw: str, rules: ClassifierRules = DEFAULT_RULES) -> Credential:
    """The credential in ``raw``: a library card barcode (BARCODE) or a Danish health card swipe
    (HEALTH_CARD, value = the ten-digit CPR). Raises :class:`ScanRefused` for anything else."""
    code = raw.strip()
    if not code:
        raise ScanRefused("empty", "the scan was empty")
    if looks_like_track2(code):
        return _classify_swipe(code, rules)
    if rules.strip_aim_identifier and _AIM_PREFIX.match(code):
        code = code[3:]
    if rules.is_library_card(code):
        return Credential(CredentialKind.BARCODE, code)
    if len(code) == HEALTH_CARD_LENGTH and code.isascii() and code.isdigit():
        return _classify_swipe(code, rules)  # a reader set to send track 2 without sentinels
    raise ScanRefused(
        "unknown_format",
        f"a code of {len(code)} characters that matches no library card pattern and is not a swipe",
    )


def _classify_swipe(code: str, rules: ClassifierRules) -> Credential:
    try:
        track = parse_track2(code)
        if rules.magstripe_library_cards and len(track.fields) > 1:
            number = track.fields[0]
            if rules.is_library_card(number):
                return Credential(CredentialKind.BARCODE, number)
            raise ScanRefused("unknown_card", "a magnetic card that is neither a health card nor a "
                                              "library card")
        card = parse_health_card(track)
    except MagstripeError as exc:
        raise ScanRefused(exc.reason, str(exc)) from None
    return Credential(CredentialKind.HEALTH_CARD, card.cpr)


def mask_cpr(cpr: str) -> str:
    """A CPR number as a screen may show it: ``DDMMYY-****``. Anything that is not a CPR number
    (ten digits, a dash allowed after the sixth) comes back fully masked, never echoed."""
    digits = cpr.strip()
    if len(digits) == 11 and digits[6] in "- ":
        digits = digits[:6] + digits[7:]
    if cpr_birth_date(digits) is None:
        return "******-****"
    return f"{digits[:6]}-****"
