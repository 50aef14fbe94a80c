"""Magnetic stripe track 2, and the Danish health card (sundhedskort) layout on it.

Track 2 (ISO/IEC 7811/7813) is written as ``;data?L``: start sentinel ``;``, digits with ``=`` as
field separator, end sentinel ``?`` and, from some readers, the longitudinal redundancy check ``L``.
Readers differ in what they pass on: many drop the LRC, some drop the sentinels, and a reader that
types through a Danish keyboard layout turns ``;`` into ``æ`` and ``?`` into ``_``. The parser takes
all of these and refuses anything else with a :class:`MagstripeError` whose message never contains
the card's data.

The health card layout (research/hardware.md §6.3, after dauer/sygesikringskort): counting from 0 at
the start sentinel, card type (1), nationality (2-4), usage area (5), issuer (6-8), personnummer
(9-18), insurance group (19), GP ydernummer (20-25), region (26-28), municipality (29-31), valid
from DDMMYY (32-37), end sentinel (38).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.domain.cpr import birth_date as cpr_birth_date
from kiosk.domain.errors import KioskError

START = ";"
SEPARATOR = "="
END = "?"
TRACK1_START = "%"
# A wedge reader on a Danish layout types the key at US ";" as "æ" and shift+"/" as "_" (research §6.1).
_START_ALIASES = frozenset({START, "æ", "Æ"})
_END_ALIASES = frozenset({END, "_"})
_TRACK2_MAX = 40  # ISO/IEC 7813: at most 40 characters including sentinels and LRC

HEALTH_CARD_LENGTH = 37  # data characters between the sentinels
CPR_SLICE = slice(8, 18)  # characters 9-18 counted from the start sentinel = data[8:18]


class MagstripeError(KioskError):
    """A swipe could not be read. ``reason`` is a short code; the message is for staff and the log
    and never contains the card's data."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Track2:
    """The data of a track 2, between the sentinels, with what the reader sent around it."""

    data: str = field(repr=False)
    had_start_sentinel: bool = True
    had_end_sentinel: bool = True
    lrc_checked: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        """The data split at the field separator ``=``."""
        return tuple(self.data.split(SEPARATOR))


@dataclass(frozen=True)
class HealthCard:
    """The fields of a Danish health card's track 2. ``cpr`` is ten digits without a dash."""

    card_type: str
    nationality: str
    usage_area: str
    issuer: str
    cpr: str = field(repr=False)
    insurance_group: str
    gp_number: str
    region: str
    municipality: str
    valid_from: str  # DDMMYY as on the card; not checked, the LMS decides what an old card means


def lrc(text: str) -> str:
    """The track 2 LRC character over ``text`` (start sentinel to end sentinel inclusive): the XOR
    of each character's 4-bit value (ISO/IEC 7811-2, character set 0x30-0x3F)."""
    value = 0
    for char in text:
        value ^= (ord(char) - 0x30) & 0x0F
    return chr(0x30 + value)


def encode_track2(data: str, *, with_lrc: bool = False) -> str:
    """``data`` framed as a reader sends it: ``;data?``, with the LRC appended if asked."""
    framed = f"{START}{data}{END}"
    return framed + lrc(framed) if with_lrc else framed


def strip_track1(raw: str) -> str:
    """What a two-track reader sent after track 1 (``%...?``), or ``raw`` if it has no track 1.

    Track 1 holds the name and address; it is dropped here so that nothing downstream keeps it.
    """
    text = raw.strip()
    if not text.startswith(TRACK1_START):
        return text
    # "_" is a legal track 1 character, so it counts as the end only when no "?" came at all.
    for end in (END, "_"):
        if end in text:
            rest = text[text.index(end) + 1:].strip()
            if len(rest) > 1 and rest[0] not in _START_ALIASES and rest[1] in _START_ALIASES:
                rest = rest[1:]  # track 1's LRC
            return rest
    raise MagstripeError("bad_track1", "track 1 has no end sentinel; track 2 cannot be found")


def looks_like_track2(raw: str) -> bool:
    """Does ``raw`` look like a swipe rather than a barcode: a start sentinel, a track 1, or an end
    sentinel (with or without an LRC after it)? Bare digits are left to the caller's patterns."""
    text = raw.strip()
    return bool(text) and (text[0] in _START_ALIASES or text[0] == TRACK1_START or END in text[-2:])


def parse_track2(raw: str) -> Track2:
    """Read track 2 from what a reader sent; a leading track 1 is skipped.

    Accepts ``;data?``, ``;data?L`` (the LRC is then checked), ``;data`` and ``data``. Raises
    :class:`MagstripeError` for a wrong sentinel, a bad LRC, characters a track 2 cannot hold, or
    anything after the LRC.
    """
    text = strip_track1(raw)
    if not text:
        raise MagstripeError("empty", "the swipe carried no track 2")
    had_start = text[0] in _START_ALIASES
    if had_start:
        text = text[1:]
    elif not (text[0].isascii() and text[0].isdigit()):
        raise MagstripeError("bad_sentinel", "track 2 does not start with the start sentinel ';'")
    end = next((i for i, char in enumerate(text) if char in _END_ALIASES), -1)
    data, tail = (text, "") if end < 0 else (text[:end], text[end + 1:])
    had_end = end >= 0
    if len(tail) > 1:
        raise MagstripeError("trailing_data", "characters follow the end of track 2")
    _check_characters(data)
    if len(data) + 2 + len(tail) > _TRACK2_MAX:
        raise MagstripeError("too_long", f"track 2 is longer than {_TRACK2_MAX} characters")
    if tail:
        if not (had_start and had_end):
            raise MagstripeError("bad_sentinel", "an LRC came without both sentinels")
        if tail != lrc(f"{START}{data}{END}"):
            raise MagstripeError("bad_lrc", "track 2 failed its LRC check (a misread swipe)")
    return Track2(data, had_start_sentinel=had_start, had_end_sentinel=had_end, lrc_checked=bool(tail))


def parse_health_card(track: Track2) -> HealthCard:
    """The health card fields of ``track``. Raises :class:`MagstripeError` if the layout does not
    fit, if the personnummer holds anything but digits, or if its date part is not a real date."""
    data = track.data
    if SEPARATOR in data or len(data) != HEALTH_CARD_LENGTH:
        raise MagstripeError(
            "not_health_card",
            f"track 2 has {len(data)} characters in {len(track.fields)} field(s); "
            f"a health card has {HEALTH_CARD_LENGTH} in one",
        )
    cpr = data[CPR_SLICE]
    if not (cpr.isascii() and cpr.isdigit()):
        raise MagstripeError("bad_cpr", "the personnummer field holds characters that are not digits")
    if cpr_birth_date(cpr) is None:
        raise MagstripeError("bad_cpr_date", "the personnummer does not start with a real date (DDMMYY)")
    return HealthCard(
        card_type=data[0],
        nationality=data[1:4],
        usage_area=data[4],
        issuer=data[5:8],
        cpr=cpr,
        insurance_group=data[18],
        gp_number=data[19:25],
        region=data[25:28],
        municipality=data[28:31],
        valid_from=data[31:37],
    )


def _check_characters(data: str) -> None:
    for char in data:
        if char == SEPARATOR or (char.isascii() and char.isdigit()):
            continue
        if char in _START_ALIASES or char in _END_ALIASES:
            raise MagstripeError("bad_sentinel", "a sentinel appears inside track 2")
        raise MagstripeError("bad_character", "track 2 holds a character that is not a digit or '='")
