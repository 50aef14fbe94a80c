"""Pseudonymous tokens: what the journal and the entry log store instead of who someone is.

A token is a keyed hash (HMAC-SHA256) of an identifier with a key made once per installation and
kept by the store (:func:`kiosk.store.keys.pseudonymizer`), so the same patron gets the same token on
this terminal (the staff report can group by it) while the token alone tells nobody who it is.
"""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a pseudonym key needs at least 16 bytes")
        self._key = key

    def __call__(self, identifier: str) -> str:
        digest = hmac.new(self._key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:32]
