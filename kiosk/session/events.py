"""Events the drivers and the UI post to the core for the session (see kiosk.session.service)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.model import Credential, Tag


@dataclass(frozen=True)
class CredentialPresented:
    credential: Credential


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
class TagsOnPad:
    """The set of tags on the RFID pad changed; this is what lies there now."""

    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class DoorChanged:
    """The door contact says the door opened or closed."""

    is_open: bool
