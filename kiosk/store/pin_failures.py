"""Wrong PINs per card, in the terminal's database: kept through a restart (a kill -9 no longer
gives a PIN guesser three fresh tries) and shared by every process on the database (the kiosk and
the door of one terminal count together).

A card is known only by a pseudonymous token (:class:`~kiosk.domain.privacy.Pseudonymizer`), never
by its number; a row counts as long as its lock-out (``until``, UTC) and is purged by the next
wrong PIN after.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from kiosk.domain.model import Credential
from kiosk.domain.privacy import Pseudonymizer
from kiosk.store.db import Store, from_sql_json, sql_time

PREFIX = "pin-failures/"


class StoredPinFailures:
    def __init__(self, store: Store, pseudonymize: Pseudonymizer, now: Callable[[], dt.datetime]) -> None:
        self._store, self._pseudonymize, self._now = store, pseudonymize, now

    def _key(self, credential: Credential) -> str:
        return PREFIX + self._pseudonymize(f"pin-failures:{credential.kind.value}:{credential.value}")

    def count(self, credential: Credential) -> int:
        """A read only: every card presented asks, and a write (an fsync) each time is not needed."""
        with self._store.connection() as conn:
            row = conn.execute("SELECT value FROM cache WHERE key = ? AND updated_at > ?",
                               (self._key(credential), sql_time(self._now()))).fetchone()
        return int(from_sql_json(row[0])) if row is not None else 0

    def failed(self, credential: Credential, count: int, lockout_s: float) -> None:
        """``updated_at`` holds when the lock-out ends (the cache table's one time column); the rows
        whose lock-out has ended go in the same write."""
        now = self._now()
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM cache WHERE key >= ? AND key < ? AND updated_at <= ?",
                         (PREFIX, PREFIX[:-1] + chr(ord(PREFIX[-1]) + 1), sql_time(now)))
            conn.execute("INSERT OR REPLACE INTO cache (key, value, etag, updated_at) VALUES (?, ?, NULL, ?)",
                         (self._key(credential), json.dumps(count),
                          sql_time(now + dt.timedelta(seconds=lockout_s))))

    def clear(self, credential: Credential) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM cache WHERE key = ?", (self._key(credential),))
