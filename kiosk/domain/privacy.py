"""Pseudonymous tokens: what the journal and the entry log store instead of who someone is.

A token is a keyed hash (HMAC-SHA256) of an identifier with a key made once per installation and
kept in the local database, so the same patron gets the same token on this terminal (the staff
report can group by it) while the token alone tells nobody who it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select

from kiosk.store import Store
from kiosk.store.schema import CacheRow

KEY_NAME = "pseudonym_key"


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a pseudonym key needs at least 16 bytes")
        self._key = key

    def __call__(self, identifier: str) -> str:
        digest = hmac.new(self._key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:32]

    @classmethod
    def for_store(cls, store: Store) -> Pseudonymizer:
        """The installation's key, created at first use and kept in the database."""
        with store.session() as session, session.begin():
            row = session.execute(select(CacheRow).where(CacheRow.key == KEY_NAME)).scalar_one_or_none()
            if row is None:
                row = CacheRow(key=KEY_NAME, value=secrets.token_hex(32), etag=None,
                               updated_at=dt.datetime.now(dt.UTC))
                session.add(row)
            key = bytes.fromhex(str(row.value))
        return cls(key)
