"""Offline circulation: lending and taking back while the LMS cannot be reached (DESIGN.md §4).

Within the configured limits (items per patron, patron categories, the offline loan period) an
offline loan or return is journaled in state ``offline`` before the tag is changed, and replayed
in order when the LMS is back (:mod:`kiosk.offline.replay`). The row holds the patron's
identifier only *sealed* (AES-GCM with a key kept in its own file beside the database, not in it),
because replaying needs it and in Denmark it may be a CPR number; the seal is erased once the LMS
has the loan.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.domain.errors import StoreError
from kiosk.domain.model import Patron
from kiosk.settings import OfflineSettings


class OfflineRefusal:
    """Why an offline loan is not made (reason codes; the screen words them)."""

    DISABLED = "offline_disabled"
    LIMIT = "offline_limit"
    CATEGORY = "offline_category"
    RETURNS_DISABLED = "offline_returns_disabled"


def refusal(settings: OfflineSettings, patron: Patron | None, already: int) -> str | None:
    """None if this patron may borrow one more item offline, having ``already`` offline loans."""
    if not settings.enabled:
        return OfflineRefusal.DISABLED
    if already >= settings.max_items_per_patron:
        return OfflineRefusal.LIMIT
    if settings.categories and (patron is None or patron.category not in settings.categories):
        return OfflineRefusal.CATEGORY
    return None


def offline_due_date(settings: OfflineSettings, now: dt.datetime) -> dt.datetime:
    """The end of the day ``loan_days`` from now, in ``now``'s time zone."""
    day = (now + dt.timedelta(days=settings.loan_days)).date()
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=now.tzinfo)


class Sealer:
    """Seals short texts (a patron identifier) with AES-GCM under a 32-byte key (kept in a file of
    its own: :func:`kiosk.store.keys.sealing_key`)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a sealing key has 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode("utf-8"), b"patron")).decode()

    def unseal(self, sealed: str) -> str:
        try:
            raw = base64.b64decode(sealed, validate=True)
            return self._aead.decrypt(raw[:12], raw[12:], b"patron").decode("utf-8")
        except (ValueError, InvalidTag) as exc:
            raise StoreError("a sealed patron identifier cannot be opened (another key?)") from exc
