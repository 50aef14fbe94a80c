"""What the devices post to the core: a card held to the reader, the tags on the pad, the door and
its exit button."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.model import Credential, Tag


@dataclass(frozen=True)
class CredentialPresented:
    credential: Credential


@dataclass(frozen=True)
class TagsOnPad:
    """The set of tags on the RFID pad changed; this is what lies there now."""

    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class DoorChanged:
    """The door contact says the door opened or closed."""

    is_open: bool


@dataclass(frozen=True)
class ExitPressed:
    """Someone inside pressed the exit button (or passed the exit sensor)."""
