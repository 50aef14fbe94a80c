"""What the screens post to the core for the session: the patron's touches and choices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PinSubmitted:
    pin: str = ""

    def __repr__(self) -> str:
        return "PinSubmitted(pin=***)"


@dataclass(frozen=True)
class CancelPressed:
    pass


@dataclass(frozen=True)
class ChildrenChanged:
    """At the door: one more (``step`` 1) or one fewer (-1) child comes in with the patron. A step,
    not a number, so that two quick taps count twice."""

    step: int


@dataclass(frozen=True)
class LogoutPressed:
    pass


@dataclass(frozen=True)
class UserActivity:
    pass


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class SpeechToggled:
    """The speech key (on the screen or a tactile keypad): speech mode on if off, off if on."""


@dataclass(frozen=True)
class HeadsetChanged:
    """A headset was plugged into (True) or pulled out of (False) the kiosk's jack."""

    plugged: bool


@dataclass(frozen=True)
class DisplayChoicesShown:
    """The display choices opened (True) or closed (False)."""

    shown: bool


@dataclass(frozen=True)
class HighContrastChosen:
    on: bool


@dataclass(frozen=True)
class LargeTextChosen:
    on: bool


@dataclass(frozen=True)
class ReachLayoutChosen:
    on: bool
