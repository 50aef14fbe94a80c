"""The demo's data: the seed file's patrons as cards to present (with their PINs shown), and its items
as tags to put on the pad."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.domain.errors import ConfigError
from kiosk.domain.model import Credential, CredentialKind, SecurityState, Tag


@dataclass(frozen=True)
class DemoCard:
    """A card the demo panel can present, with its PIN shown as a hint to the person trying it."""

    label: str
    credential: Credential
    pin: str


def read_seed(path: Path | None) -> dict[str, Any]:
    if path is None:
        raise ConfigError("lms.seed: the memory LMS needs a seed file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"lms.seed: {path} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def demo_cards(seed: dict[str, Any]) -> tuple[DemoCard, ...]:
    cards = []
    for patron in seed.get("patrons", []):
        surname, _, given = str(patron["name"]).partition(",")
        label = f"{given.strip()} {surname.strip()}".strip()
        if patron.get("blocked"):
            label += " (spærret)"
        cards.append(DemoCard(label, Credential(CredentialKind.CARD_UID, str(patron["id"])),
                              str(patron["pin"])))
    return tuple(cards)


def demo_tags(seed: Mapping[str, Any]) -> list[Tag]:
    """One secured tag per part of every item in the seed data, for the simulated pad."""
    tags = []
    for number, item in enumerate(seed.get("items", []), start=1):
        parts = int(item.get("parts_in_set", 1))
        for part in range(1, parts + 1):
            tags.append(Tag(uid=f"E0040150{number:04X}{part:04X}", item_id=str(item["id"]),
                            owner_library=str(item.get("owner", "")), part_number=part,
                            parts_in_set=parts, security=SecurityState.SECURED))
    return tags
