"""A page of the access list as the central system sends it, checked before anything of it is
applied: every entry's key, PIN verifier, category, dates and flags, and the page's cursor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.domain.errors import KioskError
from kiosk.domain.pins import MAX_SCRYPT_N, MIN_SCRYPT_N

MAX_CATEGORY = 40
MAX_CURSOR = 200

_KEY = re.compile(r"[0-9a-f]{32}")
_VERIFIER = re.compile(r"scrypt\$([0-9]{4,5})\$8\$1\$((?:[0-9a-f]{2}){8,64})\$([0-9a-f]{64})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# key, pin_n, pin_salt, pin_hash, category, birth_date, blocked, consent, expires
Row = tuple[str, int, bytes, bytes, str, str | None, bool, bool, str]


class AccessListError(KioskError):
    """A page of the access list is malformed; nothing of that page was applied.

    The message names the entry by its index in the page and the field, never a value.
    """


@dataclass(frozen=True)
class AccessPage:
    """A validated page: rows to upsert and keys to delete (the last word per key), and the cursor."""

    upserts: list[Row]
    deletes: list[str]
    cursor: str
    more: bool
    full: bool


def _date(value: object, name: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"{name}: expected a date YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: not a calendar date") from None
    return value


def _flag(entry: Mapping[str, object], name: str) -> bool:
    value = entry.get(name)
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false")
    return value


def _entry(raw: object) -> tuple[str, Row | None]:
    """The key and the row of one entry; None for the row of a deleted entry."""
    if not isinstance(raw, dict):
        raise ValueError("expected an object")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("key: expected 32 lowercase hex characters")
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise ValueError("deleted: expected true or false")
    if deleted:
        return key, None
    verifier = raw.get("pin_verifier")
    match = _VERIFIER.fullmatch(verifier) if isinstance(verifier, str) else None
    if match is None or not MIN_SCRYPT_N <= int(match[1]) <= MAX_SCRYPT_N:
        raise ValueError(f"pin_verifier: expected scrypt$N$8$1$salt$hash with N = {MIN_SCRYPT_N} (2^14): a "
                         "cheaper verifier would make the list quicker to search for PINs")
    category = raw.get("category")
    if not isinstance(category, str) or len(category) > MAX_CATEGORY:
        raise ValueError(f"category: expected text of at most {MAX_CATEGORY} characters")
    birth = raw.get("birth_date")
    birth_date = None if birth is None else _date(birth, "birth_date")
    row = (key, int(match[1]), bytes.fromhex(match[2]), bytes.fromhex(match[3]), category, birth_date,
           _flag(raw, "blocked"), _flag(raw, "consent"), _date(raw.get("expires"), "expires"))
    return key, row


def parse_page(page: object) -> AccessPage:
    """Validate a page from the central system; :class:`AccessListError` on anything malformed."""
    if not isinstance(page, Mapping):
        raise AccessListError("access list page: expected an object")
    entries, cursor = page.get("entries"), page.get("cursor")
    if not isinstance(entries, list):
        raise AccessListError("access list page: 'entries' must be a list")
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR:
        raise AccessListError(f"access list page: 'cursor' must be text of 1 to {MAX_CURSOR} characters")
    for name in ("more", "full"):
        if not isinstance(page.get(name), bool):
            raise AccessListError(f"access list page: '{name}' must be true or false")
    latest: dict[str, Row | None] = {}
    for index, raw in enumerate(entries):
        try:
            key, row = _entry(raw)
        except ValueError as exc:
            raise AccessListError(f"access list page: entry {index}: {exc}; nothing applied") from None
        latest[key] = row
    return AccessPage(upserts=[row for row in latest.values() if row is not None],
                      deletes=[key for key, row in latest.items() if row is None],
                      cursor=cursor, more=bool(page["more"]), full=bool(page["full"]))
