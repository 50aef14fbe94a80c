"""The municipality's revocation list: cards the doors keep out in unstaffed hours whatever the LMS
says (after an incident), until a day or until taken off. Kept by token under the access-list key
(the access list's token for the card), with a reason in a few words (never a name). Every door
fetches it (``GET /v1/branches/{branch}/revocations``) and keeps the last one it received for as long
as it cannot reach the service: a revocation must not lapse because the network did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sync.central.server.staff_list import remove_card
from sync.central.server.store import CentralStore
from sync.central.server.tables import revocations


@dataclass(frozen=True)
class Revocation:
    token: str
    until: dt.date | None
    reason: str
    added_at: dt.datetime
    added_by: str


class Revocations:
    def __init__(self, store: CentralStore) -> None:
        self._store = store
        self._token = store.card_token

    def add(self, card_number: str, reason: str, *, until: dt.date | None = None, by: str) -> str:
        """Revoke a card (or change its revocation); its token. ValueError in words."""
        card_number, reason = card_number.strip(), " ".join(reason.split())
        if not 4 <= len(card_number) <= 64 or not card_number.isprintable():
            raise ValueError("card number: 4 to 64 characters")
        if not 1 <= len(reason) <= 200:
            raise ValueError("reason: a few words (at most 200 characters), never a name")
        token = self._token(card_number)
        with self._store.writing() as db:
            db.execute(sa.delete(revocations).where(revocations.c.token == token))
            db.execute(sa.insert(revocations).values(
                token=token, until=until.isoformat() if until else None, reason=reason,
                added_at=dt.datetime.now(dt.UTC), added_by=by[:128]))
        self._store.audit(by, "card_revoked", token[:12], reason + (f", until {until}" if until else ""))
        return token

    def remove(self, token_or_card: str, *, by: str) -> bool:
        """Take a card off the list by its token (8 characters of it at least) or number."""
        token = remove_card(self._store, revocations, token_or_card, self._token)
        if token is None:
            return False
        self._store.audit(by, "card_revocation_ended", token[:12])
        return True

    def listed(self) -> list[Revocation]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(revocations).order_by(revocations.c.added_at)).mappings().all()
        return [Revocation(row["token"], dt.date.fromisoformat(row["until"]) if row["until"] else None,
                           row["reason"], row["added_at"], row["added_by"]) for row in rows]

    def in_force(self, today: dt.date) -> dict[str, Any]:
        """What a door gets: the tokens revoked today, each with its last day."""
        return {"revoked": [{"token": r.token, "until": r.until.isoformat() if r.until else None}
                            for r in sorted(self.listed(), key=lambda r: r.token)
                            if r.until is None or today <= r.until]}
