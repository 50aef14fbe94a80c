"""The installation's keys the store keeps: the pseudonym key (for entry-log and journal tokens)."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from kiosk.domain.privacy import Pseudonymizer
from kiosk.store.db import Store
from kiosk.store.schema import CacheRow

KEY_NAME = "pseudonym_key"


def pseudonymizer(store: Store) -> Pseudonymizer:
    """The installation's pseudonymizer; its key is made at first use and kept in the database."""
    with store.session() as session, session.begin():
        row = session.execute(select(CacheRow).where(CacheRow.key == KEY_NAME)).scalar_one_or_none()
        if row is None:
            row = CacheRow(key=KEY_NAME, value=secrets.token_hex(32), etag=None,
                           updated_at=dt.datetime.now(dt.UTC))
            session.add(row)
        key = bytes.fromhex(str(row.value))
    return Pseudonymizer(key)
