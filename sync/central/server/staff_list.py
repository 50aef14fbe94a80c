"""The staff list: the cards that open staff mode at the terminals, with a role, the branches they
may use it in, and an expiry. A card is kept by its token under the municipality's access-list key
(the same token the access list gives it, so a terminal finds it the same way) and its PIN as a slow
salted verifier: the service never keeps a card number or a PIN. Terminals fetch their branch's
list (``GET /v1/branches/{branch}/staff``) and keep it for a while when the service is unreachable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from kiosk.domain.pins import pin_verifier
from sync.central.server.store import CentralStore
from sync.central.server.tables import staff_cards

ROLES = ("staff", "technician", "administrator")


@dataclass(frozen=True)
class StaffCard:
    token: str
    role: str
    branches: tuple[str, ...]
    expires: dt.date | None
    added_at: dt.datetime
    added_by: str

    def for_branch(self, branch: str, today: dt.date) -> bool:
        valid = self.expires is None or today <= self.expires
        return valid and ("*" in self.branches or branch in self.branches)


class StaffList:
    def __init__(self, store: CentralStore) -> None:
        self._store = store
        self._token = store.card_token

    def add(self, card_number: str, pin: str, role: str, branches: tuple[str, ...], *,
            expires: dt.date | None = None, by: str) -> str:
        """Put a card on the list (or change it); its token. Raises ValueError in words."""
        card_number = card_number.strip()
        if role not in ROLES:
            raise ValueError(f"role: one of {', '.join(ROLES)}")
        if not 4 <= len(card_number) <= 64 or not card_number.isprintable():
            raise ValueError("card number: 4 to 64 characters")
        if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
            raise ValueError("PIN: 4 to 12 digits")
        branches = tuple(b.strip() for b in branches if b.strip()) or ("*",)
        token = self._token(card_number)
        row = {"token": token, "role": role, "pin_verifier": pin_verifier(pin),
               "branches": json.dumps(list(branches)), "expires": expires.isoformat() if expires else None,
               "added_at": dt.datetime.now(dt.UTC), "added_by": by[:128]}
        with self._store.writing() as db:
            db.execute(sa.delete(staff_cards).where(staff_cards.c.token == token))
            db.execute(sa.insert(staff_cards).values(**row))
        self._store.audit(by, "staff_card.add", token[:12], f"{role}, branches {', '.join(branches)}"
                          + (f", until {expires.isoformat()}" if expires else ""))
        return token

    def remove(self, token_or_card: str, *, by: str) -> bool:
        """Take a card off the list, by its token (or the start of it, 8 characters at least) or
        its number; True if it was on it."""
        token = remove_card(self._store, staff_cards, token_or_card, self._token)
        if token is None:
            return False
        self._store.audit(by, "staff_card.remove", token[:12])
        return True

    def cards(self) -> list[StaffCard]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(staff_cards).order_by(staff_cards.c.added_at)).mappings().all()
        return [_card(row) for row in rows]

    def for_branch(self, branch: str, today: dt.date) -> dict[str, Any]:
        """What a terminal of ``branch`` gets: the cards valid there today."""
        with self._store.reading() as db:
            rows = db.execute(sa.select(staff_cards).order_by(staff_cards.c.token)).mappings().all()
        cards = [{"token": row["token"], "role": row["role"], "pin_verifier": row["pin_verifier"],
                  "expires": row["expires"]} for row in rows if _card(row).for_branch(branch, today)]
        return {"staff": cards}


def remove_card(store: CentralStore, table: sa.Table, wanted: str, token_of: Callable[[str], str]
                ) -> str | None:
    """Delete the one row of ``table`` (keyed by ``token``) that ``wanted`` names: a card number
    (its token), a token, or the start of one (8 characters at least); its token, or None when
    ``wanted`` names none, or more than one."""
    wanted = wanted.strip()
    card_token = token_of(wanted)
    with store.writing() as db:
        tokens = [str(row[0]) for row in db.execute(sa.select(table.c.token))]
        matches = [t for t in tokens if t == card_token or (len(wanted) >= 8 and t.startswith(wanted))]
        if len(matches) != 1:
            return None
        db.execute(sa.delete(table).where(table.c.token == matches[0]))
    return matches[0]


def _card(row: sa.RowMapping) -> StaffCard:
    return StaffCard(row["token"], row["role"], tuple(json.loads(row["branches"])),
                     dt.date.fromisoformat(row["expires"]) if row["expires"] else None,
                     row["added_at"], row["added_by"])
