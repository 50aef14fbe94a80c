"""Wrong PINs per card, in the terminal's database: kept through a restart (a kill -9 no longer
gives a PIN guesser three fresh tries) and shared by every process on the database (the kiosk and
the door of one terminal count together).

A card is known only by a pseudonymous token (:class:`~kiosk.domain.privacy.Pseudonymizer`), never
by its number; a row counts as long as its lock-out (``until``, UTC) and is purged by the next
wrong PIN after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, select

from kiosk.domain.model import Credential
from kiosk.domain.privacy import Pseudonymizer
from kiosk.store.db import Store
from kiosk.store.schema import CacheRow

PREFIX = "pin-failures/"


class StoredPinFailures:
    def __init__(self, store: Store, pseudonymize: Pseudonymizer, now: Callable[[], dt.datetime]) -> None:
        self._store, self._pseudonymize, self._now = store, pseudonymize, now

    def _key(self, credential: Credential) -> str:
        return PREFIX + self._pseudonymize(f"pin-failures:{credential.kind.value}:{credential.value}")

    def count(self, credential: Credential) -> int:
        """A read only: every card presented asks, and a write (an fsync) each time is not needed."""
        now = self._now().astimezone(dt.UTC)
        with self._store.session() as session:
            row = session.execute(select(CacheRow).where(CacheRow.key == self._key(credential),
                                                         CacheRow.updated_at > now)).scalar_one_or_none()
            return int(row.value) if row is not None else 0

    def failed(self, credential: Credential, count: int, lockout_s: float) -> None:
        """``updated_at`` holds when the lock-out ends (the cache table's one time column); the rows
        whose lock-out has ended go in the same write."""
        now = self._now().astimezone(dt.UTC)
        with self._store.session() as session, session.begin():
            ended = CacheRow.key.startswith(PREFIX) & (CacheRow.updated_at <= now)
            session.execute(delete(CacheRow).where(ended))
            session.merge(CacheRow(key=self._key(credential), value=count, etag=None,
                                   updated_at=now + dt.timedelta(seconds=lockout_s)))

    def clear(self, credential: Credential) -> None:
        with self._store.session() as session, session.begin():
            session.execute(delete(CacheRow).where(CacheRow.key == self._key(credential)))
