"""The door's local lists, kept as files beside the settings: revoked cards and the staff/cleaner
whitelist. Both hold pseudonymous tokens only, and PINs only as slow salted verifiers, so a copy of
either tells nobody a card number or a PIN."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.errors import ConfigError
from kiosk.domain.pins import pin_verifier

Pseudonym = Callable[[str], str]


def load_revocations(path: Path) -> frozenset[str]:
    """Tokens of revoked cards, one per line (``token date``); a missing file is an empty list."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the revocation list ({exc})") from None
    return frozenset(line.split()[0] for line in lines if line.strip() and not line.startswith("#"))


def revoke(path: Path, card_number: str, pseudonym: Pseudonym, day: dt.date) -> str:
    """Add a card to the revocation list by its token (never the number); returns the token."""
    token = pseudonym(card_number)
    if token not in load_revocations(path):
        with path.open("a", encoding="utf-8") as file:
            file.write(f"{token} {day.isoformat()}\n")
    return token


@dataclass(frozen=True)
class StaffEntry:
    """One card on the staff/cleaner whitelist: its token, a role (not a name) and a PIN verifier."""

    token: str
    role: str
    pin_verifier: str
    closed_hours: bool = True  # may also come in when the branch is closed (cleaners, early shifts)

    def to_toml(self) -> str:
        return (f'[[staff]]\ntoken = "{self.token}"\nrole = "{self.role}"\n'
                f'pin = "{self.pin_verifier}"\nclosed_hours = {str(self.closed_hours).lower()}\n')


def staff_entry(card_number: str, pin: str, pseudonym: Pseudonym, role: str,
                closed_hours: bool = True) -> StaffEntry:
    return StaffEntry(pseudonym(card_number), role.replace('"', "'"), pin_verifier(pin), closed_hours)


def load_staff_list(path: Path) -> tuple[StaffEntry, ...]:
    """The ``[[staff]]`` entries of a TOML file; every problem is a ConfigError naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return tuple(StaffEntry(str(e["token"]), str(e.get("role", "")), str(e["pin"]),
                                bool(e.get("closed_hours", True))) for e in data.get("staff", []))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a valid staff list ({type(exc).__name__}: {exc})") from None
