"""What staff set at the terminal itself and the terminal keeps through a restart: the language each
visit starts in (staff mode's terminal page). A row of the cache table."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from kiosk.domain.errors import StoreError
from kiosk.store.db import Store, from_sql_json, sql_time

LANGUAGE_KEY = "terminal/default-language"


def kept_language(store: Store) -> str | None:
    """The default language staff chose here, if they did."""
    try:
        with store.connection() as conn:
            row = conn.execute("SELECT value FROM cache WHERE key = ?", (LANGUAGE_KEY,)).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"the default language: cannot read it ({type(exc).__name__})") from exc
    value = None if row is None else from_sql_json(row[0])
    return value if isinstance(value, str) else None


def keep_language(store: Store, language: str) -> None:
    try:
        with store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO cache (key, value, etag, updated_at) VALUES (?, ?, NULL, ?)",
                         (LANGUAGE_KEY, json.dumps(language), sql_time(dt.datetime.now(dt.UTC))))
    except sqlite3.Error as exc:
        raise StoreError(f"the default language: cannot keep it ({type(exc).__name__})") from exc
