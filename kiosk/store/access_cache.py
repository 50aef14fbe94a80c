"""The access list cache: offline door decisions from the municipality's list of patrons.

When the LMS does not answer within the door's budget, the door terminal decides from this local
copy of the access list that the central system serves as pages of entries. An entry holds no card
number, PIN or name (invariant 3): its ``key`` is HMAC-SHA256 of the card number under the
municipality's access list key (first 32 hex characters), the PIN is a slow salted scrypt verifier
(:func:`kiosk.door.access_rules.pin_verifier`), and beside them only what the door rules read:
category, birth date, blocked, consent, and when the entry expires.

A full refresh arrives as several pages (``full`` true), collected in a fill table; when its last
page (``more`` false) is in, they are copied into a new *generation* of rows, and one short
transaction makes that generation live, so a reader never sees half a list. A process killed in the
middle leaves the old list live, and the next start (or the next full refresh) discards what was
half written. A delta page (``full`` false)
upserts and deletes in the live generation and moves the cursor in one transaction. A page with a
malformed entry is refused whole with an :class:`AccessListError` naming the entry
(:mod:`kiosk.store.access_page` checks each page).

Create one :class:`AccessCache` per database and process: it owns the writes to the list (it keeps
the state of a full refresh in progress in memory). Lookups may come from any thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from kiosk.domain.errors import StoreError
from kiosk.domain.model import AuthOutcome, AuthResult, Patron
from kiosk.domain.pins import verify_pin
from kiosk.store.access_page import AccessListError, AccessPage, parse_page
from kiosk.store.db import Store, from_sql_time, sql_time

log = logging.getLogger(__name__)

DEFAULT_CONSENT_FIELD = "ZU"  # the LMS field the consent rule reads (AccessSettings.consent_field)

# Slices of the key space by the first hex digit: long jobs run one slice per transaction, so that
# other writers (the journal, the entry log) never wait for long.
_SLICES = list(zip(["", *"123456789abcdef"], [*"123456789abcdef", "g"], strict=True))

# The bulk paths: 500,000 rows in dicts through an SQL expression layer cost more than the writes
# themselves. A full refresh is appended to the fill table page by page and
# copied into its generation in key order at the end: inserting it page by page in random key order
# rewrites most of the table's pages on every page and takes twice as long.
_INSERT = ("INSERT OR REPLACE INTO access_entry (generation, key, pin_n, pin_salt, pin_hash, category, "
           "birth_date, blocked, consent, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_DELETE = "DELETE FROM access_entry WHERE generation = ? AND key = ?"
_COLUMNS = "key, pin_n, pin_salt, pin_hash, category, birth_date, blocked, consent, expires"
_FILL_INSERT = f"INSERT INTO access_fill ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_FILL_DELETE = "DELETE FROM access_fill WHERE key IN (SELECT value FROM json_each(?))"
_FILL_COPY = (f"INSERT OR REPLACE INTO access_entry (generation, {_COLUMNS}) SELECT ?, {_COLUMNS} "
              "FROM access_fill WHERE key >= ? AND key < ? ORDER BY key, seq")  # the last page wins

_LOOKUP = (f"SELECT {', '.join(f'e.{column}' for column in _COLUMNS.split(', '))} FROM access_meta m "
           "JOIN access_entry e ON e.generation = m.live_generation WHERE m.id = 1 AND e.key = ?")



@dataclass(frozen=True)
class CachedPatron:
    """One entry of the live access list. ``key`` is the pseudonymous token of the card."""

    key: str
    pin_verifier: str = field(repr=False)
    category: str
    birth_date: dt.date | None = field(repr=False)
    blocked: bool
    consent: bool
    expires: dt.date


@dataclass(frozen=True)
class CacheAnswer:
    """What the cached list says about a card and PIN, in the LMS's terms.

    ``auth`` is OK or BLOCKED with a :class:`Patron` (``patron_id`` is the key, the name is empty,
    consent is in ``extra`` under the consent field as ``Y``/``N``, as the LMS sends it), WRONG_PIN,
    or UNKNOWN_PATRON (not in the list, or ``expired``). ``consent`` is None without a patron.
    """

    auth: AuthResult
    consent: bool | None = None
    expired: bool = False


@dataclass(frozen=True)
class AccessCacheStats:
    entries: int
    generation: int
    cursor: str | None
    full_at: dt.datetime | None  # UTC
    delta_at: dt.datetime | None  # UTC
    age: dt.timedelta | None  # since the last refresh of either kind; None before the first
    refreshing: bool  # a full refresh is being received


@dataclass
class _Fill:
    """A full refresh being received into the fill table."""

    cursor: str
    pages: int = 0


# -- the cache ---------------------------------------------------------------------------------------

def _utc(at: dt.datetime) -> str:
    """SQLite keeps no offset: store naive UTC (as the entry log does)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("now() must return a timezone-aware time")
    return sql_time(at)


def _aware(at: str | None) -> dt.datetime | None:
    return from_sql_time(at).replace(tzinfo=dt.UTC) if at is not None else None


@contextlib.contextmanager
def _store_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"access list: cannot {doing} ({type(exc).__name__})") from exc


class AccessCache:
    """The local copy of the access list.

    ``key`` is the municipality's access list key (the bytes of the hex string in the terminal's
    config), ``now`` the clock's ``now`` (local time, timezone-aware: an entry is valid up to and
    including its ``expires`` day in local time). ``consent_field`` is the LMS field under which the
    answer's patron carries consent, so that the door's consent rule reads it as from the LMS.
    Opening the cache discards any half-received full refresh left by an earlier process.
    """

    def __init__(self, store: Store, key: bytes, now: Callable[[], dt.datetime], *,
                 consent_field: str = DEFAULT_CONSENT_FIELD) -> None:
        if len(key) < 16:
            raise ValueError("the access list key needs at least 16 bytes")
        self._store = store
        self._key = key
        self._now = now
        self._consent_field = consent_field
        self._fill: _Fill | None = None
        self._lock = threading.Lock()
        with self._lock:
            if cleared := self._clear_fill():
                log.warning("access list: discarded an unfinished full refresh (%d entries received)",
                            cleared)
            self._discard_other_generations()

    # -- reading ------------------------------------------------------------------------------------
    def token(self, card_number: str) -> str:
        """The entry key of a card number: HMAC-SHA256 under the access list key, 32 hex characters."""
        return hmac.new(self._key, card_number.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def entry(self, card_number: str) -> CachedPatron | None:
        """The live entry of a card, expired or not; None if the card is not in the list."""
        with _store_errors("read the list"), self._store.connection() as conn:
            row = conn.execute(_LOOKUP, (self.token(card_number),)).fetchone()
        if row is None:
            return None
        key, pin_n, pin_salt, pin_hash, category, birth_date, blocked, consent, expires = row
        return CachedPatron(
            key=key, pin_verifier=f"scrypt${pin_n}$8$1${bytes(pin_salt).hex()}${bytes(pin_hash).hex()}",
            category=category, birth_date=dt.date.fromisoformat(birth_date) if birth_date else None,
            blocked=bool(blocked), consent=bool(consent), expires=dt.date.fromisoformat(expires))

    def lookup(self, card_number: str) -> CachedPatron | None:
        """The live entry of a card; None if it is not in the list or has expired. No PIN check."""
        entry = self.entry(card_number)
        return entry if entry is not None and not self._expired(entry) else None

    def check(self, card_number: str, pin: str | None) -> CacheAnswer:
        """Card and PIN against the list, answered as the LMS would (see :class:`CacheAnswer`).

        ``pin`` None: the PIN is not checked (the door's ``correct_pin`` rule refuses that). A PIN
        check costs one scrypt (tens of milliseconds, on purpose).
        """
        entry = self.entry(card_number)
        if entry is None:
            return CacheAnswer(AuthResult(AuthOutcome.UNKNOWN_PATRON))
        if self._expired(entry):
            return CacheAnswer(AuthResult(AuthOutcome.UNKNOWN_PATRON), expired=True)
        if pin is not None and not verify_pin(pin, entry.pin_verifier):
            return CacheAnswer(AuthResult(AuthOutcome.WRONG_PIN))
        patron = Patron(patron_id=entry.key, name="", birth_date=entry.birth_date, category=entry.category,
                        blocked=entry.blocked,
                        extra=((self._consent_field, "Y" if entry.consent else "N"),))
        outcome = AuthOutcome.BLOCKED if entry.blocked else AuthOutcome.OK
        return CacheAnswer(AuthResult(outcome, patron), consent=entry.consent)

    @property
    def cursor(self) -> str | None:
        """The cursor to ask the central system with: of the full refresh being received, if one
        is, else of the live list; None before the first page."""
        fill = self._fill
        if fill is not None:
            return fill.cursor
        with _store_errors("read the cursor"), self._store.connection() as conn:
            row = conn.execute("SELECT cursor FROM access_meta WHERE id = 1").fetchone()
        return row[0] if row is not None else None

    def stats(self) -> AccessCacheStats:
        with _store_errors("read the list's state"), self._store.connection() as conn:
            entries, live, cursor, full, delta = conn.execute(
                "SELECT entries, live_generation, cursor, full_at, delta_at FROM access_meta WHERE id = 1"
            ).fetchone()
        full_at, delta_at = _aware(full), _aware(delta)
        last = max((t for t in (full_at, delta_at) if t is not None), default=None)
        return AccessCacheStats(entries=entries, generation=live, cursor=cursor,
                                full_at=full_at, delta_at=delta_at,
                                age=self._now() - last if last is not None else None,
                                refreshing=self._fill is not None)

    def _expired(self, entry: CachedPatron) -> bool:
        return entry.expires < self._now().date()

    # -- writing ------------------------------------------------------------------------------------
    def apply(self, page: Mapping[str, object]) -> None:
        """Apply one page from the central system (see the module's docstring).

        A full page starts a full refresh if none is being received, else continues it; a delta
        page in the middle of a full refresh is refused. Every page is validated whole before
        anything is written: :class:`AccessListError` leaves the list and the cursor as they were.
        """
        parsed = parse_page(page)
        with self._lock:
            if parsed.full:
                self._apply_full(parsed)
            elif self._fill is not None:
                raise AccessListError("access list page: a delta page in the middle of a full refresh; "
                                      "abandon the full refresh first")
            else:
                self._apply_delta(parsed)

    def abandon_full(self) -> None:
        """Throw away the full refresh being received (to start one again from the beginning)."""
        with self._lock:
            if self._fill is not None:
                log.info("access list: full refresh abandoned after %d pages", self._fill.pages)
            self._fill = None
            self._clear_fill()

    def _apply_full(self, page: AccessPage) -> None:
        if self._fill is None:
            self._discard_other_generations()
            self._clear_fill()
            self._fill = _Fill(page.cursor)
        fill = self._fill
        with _store_errors("store a page of a full refresh"), self._store.transaction() as conn:
            if page.deletes:  # rare in a full list: one scan of the fill table
                conn.execute(_FILL_DELETE, (json.dumps(page.deletes),))
            if page.upserts:
                conn.executemany(_FILL_INSERT, page.upserts)
        fill.cursor, fill.pages = page.cursor, fill.pages + 1
        if page.more:
            return
        try:
            self._finish_full(fill)
        except StoreError:
            self._fill = None  # the old list stays live; the next full refresh starts from scratch
            raise

    def _finish_full(self, fill: _Fill) -> None:
        """Copy the received list into a new generation in key order, then make it live."""
        self._discard_other_generations()
        generation = self._live_generation() + 1
        for low, high in _SLICES:
            with _store_errors("store a full refresh"), self._store.transaction() as conn:
                conn.execute(_FILL_COPY, (generation, low, high))
        with _store_errors("store a full refresh"), self._store.connection() as conn:
            entries = conn.execute("SELECT count(*) FROM access_entry WHERE generation = ?", (generation,)
                                   ).fetchone()[0]
        with _store_errors("switch to the new list"), self._store.transaction() as conn:
            conn.execute("UPDATE access_meta SET live_generation = ?, cursor = ?, entries = ?, full_at = ? "
                         "WHERE id = 1", (generation, fill.cursor, entries, _utc(self._now())))
        self._fill = None
        log.info("access list: full refresh live, %d entries in %d pages (generation %d)",
                 entries, fill.pages, generation)
        self._discard_other_generations()
        self._clear_fill()

    def _apply_delta(self, page: AccessPage) -> None:
        """Upsert and delete in the live generation; the rows of every key named are deleted first,
        so that the rowcount says how many of them were in the list (to keep the entry count)."""
        keys = page.deletes + [row[0] for row in page.upserts]
        with _store_errors("apply a delta"), self._store.transaction() as conn:
            live, entries = conn.execute("SELECT live_generation, entries FROM access_meta WHERE id = 1"
                                         ).fetchone()
            existed = 0
            if keys:
                existed = conn.executemany(_DELETE, [(live, key) for key in keys]).rowcount
            if page.upserts:
                conn.executemany(_INSERT, [(live, *row) for row in page.upserts])
            conn.execute("UPDATE access_meta SET cursor = ?, entries = ?, delta_at = ? WHERE id = 1",
                         (page.cursor, entries - existed + len(page.upserts), _utc(self._now())))
        log.info("access list: delta applied, %d upserted, %d deleted", len(page.upserts), len(page.deletes))

    def _clear_fill(self) -> int:
        """Empty the fill table; how many rows it held."""
        with _store_errors("clear a full refresh"), self._store.transaction() as conn:
            return int(conn.execute("DELETE FROM access_fill").rowcount)

    def _live_generation(self) -> int:
        with _store_errors("read the list's state"), self._store.connection() as conn:
            return int(conn.execute("SELECT live_generation FROM access_meta WHERE id = 1").fetchone()[0])

    def _discard_other_generations(self) -> None:
        """Delete every generation but the live one: the old list after a switch, a new one half
        copied when the process died. In slices by the key's first hex digit, so that no transaction
        holds the database (and other writers: the journal, the entry log) for long."""
        live = self._live_generation()
        while True:
            with _store_errors("read the list's state"), self._store.connection() as conn:
                other = conn.execute("SELECT min(generation) FROM access_entry WHERE generation < ?", (live,)
                                     ).fetchone()[0]
                if other is None:
                    other = conn.execute("SELECT max(generation) FROM access_entry WHERE generation > ?",
                                         (live,)).fetchone()[0]
            if other is None:
                return
            if other > live:
                log.warning("access list: discarding a list copied only in part (generation %d)", other)
            for low, high in _SLICES:
                with _store_errors("discard an old list"), self._store.transaction() as conn:
                    conn.execute("DELETE FROM access_entry WHERE generation = ? AND key >= ? AND key < ?",
                                 (other, low, high))
