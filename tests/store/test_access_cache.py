"""The access list cache: offline door decisions from pages of the central system's list.

Real SQLite files in ``tmp_path``; the crash test kills a real process with SIGKILL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.domain.pins import pin_verifier
from kiosk.door.access_model import AccessReason
from kiosk.door.access_rules import AccessRules
from kiosk.door.calendar import OpeningKind
from kiosk.settings import AccessSettings
from kiosk.store import Store, open_store
from kiosk.store.access_cache import AccessCache
from kiosk.store.access_page import AccessListError
from kiosk.testing.memory import ManualClock

REPO = Path(__file__).resolve().parents[2]
KEY = bytes.fromhex("5a" * 32)
CARD, PIN = "2400123456789012", "73918264"  # long enough never to turn up in hex by chance
TODAY = dt.date(2026, 11, 25)  # ManualClock's day
_rnd = random.Random(7)


def entry(cache: AccessCache, card: str, *, pin: str | None = None, **fields: Any) -> dict[str, Any]:
    """An entry as the central system sends it; a real verifier only when ``pin`` is given."""
    verifier = (pin_verifier(pin) if pin is not None else
                f"scrypt$16384$8$1${_rnd.randbytes(16).hex()}${_rnd.randbytes(32).hex()}")
    return {"key": cache.token(card), "pin_verifier": verifier, "category": "adult",
            "birth_date": "1988-04-12", "blocked": False, "consent": True, "expires": "2027-12-31",
            "deleted": False} | fields


def page(entries: list[dict[str, Any]], cursor: str, *, more: bool = False,
         full: bool = True) -> dict[str, Any]:
    return {"entries": entries, "cursor": cursor, "more": more, "full": full}


def cards(start: int, count: int) -> list[str]:
    return [f"{1000000000 + n}" for n in range(start, start + count)]


def rows_in_table(path: Path, table: str = "access_entry") -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = open_store(db)
    yield s
    s.close()


@pytest.fixture
def cache(store: Store, clock: ManualClock) -> AccessCache:
    return AccessCache(store, KEY, clock.now)


def test_a_full_refresh_becomes_live_only_after_its_last_page(cache: AccessCache, db: Path) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 300)], "old"))
    new = cards(200, 900)
    chunks = [new[i:i + 300] for i in range(0, 900, 300)]

    for n, chunk in enumerate(chunks[:-1]):
        cache.apply(page([entry(cache, c) for c in chunk], f"new-{n}", more=True))
        assert cache.lookup(cards(0, 1)[0]) is not None
        assert cache.lookup(cards(1000, 1)[0]) is None
        assert cache.stats().entries == 300
        assert cache.stats().refreshing
        assert cache.cursor == f"new-{n}"

    cache.apply(page([entry(cache, c) for c in chunks[-1]], "new-2"))

    assert cache.lookup(cards(0, 1)[0]) is None
    assert all(cache.lookup(c) is not None for c in (new[0], new[450], new[-1]))
    stats = cache.stats()
    assert (stats.entries, stats.cursor, stats.refreshing) == (900, "new-2", False)
    assert rows_in_table(db) == 900  # the old generation is gone


def test_a_delta_upserts_and_deletes_and_moves_the_cursor(cache: AccessCache) -> None:
    first, second, third = cards(0, 3)
    cache.apply(page([entry(cache, first), entry(cache, second, category="child")], "c1"))

    cache.apply(page([entry(cache, second, category="senior"), entry(cache, third),
                      {"key": cache.token(first), "deleted": True}], "c2", full=False))

    assert cache.lookup(first) is None
    changed = cache.lookup(second)
    assert changed is not None and changed.category == "senior"
    assert cache.lookup(third) is not None
    stats = cache.stats()
    assert (stats.entries, stats.cursor, stats.delta_at is not None) == (2, "c2", True)


def test_deleting_a_card_that_is_not_in_the_list_changes_nothing(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 5)], "c1"))
    cache.apply(page([{"key": cache.token("9999999999"), "deleted": True}], "c2", full=False))
    assert cache.stats().entries == 5


def test_the_right_pin_gives_a_patron_by_token_without_a_name(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN, category="child", birth_date="2012-06-01")], "c1"))

    answer = cache.check(CARD, PIN)

    assert answer.auth.outcome is AuthOutcome.OK and answer.auth.patron is not None
    patron = answer.auth.patron
    assert (patron.patron_id, patron.name) == (cache.token(CARD), "")
    assert (patron.category, patron.birth_date, patron.blocked) == ("child", dt.date(2012, 6, 1), False)
    assert answer.consent is True and dict(patron.extra)["ZU"] == "Y"


def test_a_wrong_pin_is_answered_as_the_lms_would(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN)], "c1"))
    answer = cache.check(CARD, "0000")
    assert (answer.auth.outcome, answer.auth.patron, answer.consent) == (AuthOutcome.WRONG_PIN, None, None)


def test_a_card_not_in_the_list_is_unknown(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 10)], "c1"))
    assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.UNKNOWN_PATRON
    assert cache.lookup(CARD) is None


def test_a_blocked_patron_is_answered_blocked_with_the_patron(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN, blocked=True, consent=False)], "c1"))
    answer = cache.check(CARD, PIN)
    assert answer.auth.outcome is AuthOutcome.BLOCKED
    assert answer.auth.patron is not None and answer.auth.patron.blocked
    assert answer.consent is False and dict(answer.auth.patron.extra)["ZU"] == "N"


@pytest.mark.parametrize(("expires", "known"), [("2026-11-24", False), ("2026-11-25", True)])
def test_an_entry_counts_up_to_and_including_its_expiry_day(cache: AccessCache, expires: str,
                                                            known: bool) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN, expires=expires)], "c1"))
    answer = cache.check(CARD, PIN)
    assert (answer.auth.outcome is AuthOutcome.OK, answer.expired) == (known, not known)
    assert (cache.lookup(CARD) is not None) == known


def test_the_list_is_keyed_so_another_key_finds_nobody(cache: AccessCache, store: Store,
                                                        clock: ManualClock) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN)], "c1"))
    other = AccessCache(store, bytes.fromhex("a5" * 32), clock.now)
    assert other.lookup(CARD) is None
    assert other.check(CARD, PIN).auth.outcome is AuthOutcome.UNKNOWN_PATRON


def test_no_card_number_or_pin_reaches_the_database_file(db: Path, clock: ManualClock) -> None:
    store = open_store(db)
    cache = AccessCache(store, KEY, clock.now)
    cache.apply(page([entry(cache, c) for c in cards(0, 200)] + [entry(cache, CARD, pin=PIN)], "c1"))
    cache.apply(page([entry(cache, CARD, pin=PIN, category="senior")], "c2", full=False))
    assert cache.check(CARD, PIN).auth.ok
    assert cache.check(CARD, "1234").auth.outcome is AuthOutcome.WRONG_PIN
    store.close()

    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert cache.token(CARD).encode() in raw
    assert CARD.encode() not in raw and CARD.encode("utf-16-le") not in raw
    assert PIN.encode() not in raw and PIN.encode("utf-16-le") not in raw
    assert not any(c.encode() in raw for c in cards(0, 200))


@pytest.mark.parametrize(("bad", "message"), [
    ({"key": "ABC"}, "entry 3: key"),
    ({"pin_verifier": "1234"}, "entry 3: pin_verifier"),
    ({"pin_verifier": "scrypt$1024$8$1$00$" + "0" * 64}, "entry 3: pin_verifier"),
    ({"pin_verifier": f"scrypt$65536$8$1${'00' * 16}${'0' * 64}"}, "entry 3: pin_verifier"),
    ({"pin_verifier": f"scrypt$8192$8$1${'00' * 16}${'0' * 64}"}, "entry 3: pin_verifier: .* N = 16384"),
    ({"pin_verifier": f"scrypt$1024$8$1${'00' * 16}${'0' * 64}"}, "entry 3: pin_verifier: .* N = 16384"),
    ({"expires": "2026-02-30"}, "entry 3: expires: not a calendar date"),
    ({"expires": None}, "entry 3: expires"),
    ({"birth_date": "12-06-2012"}, "entry 3: birth_date"),
    ({"blocked": "no"}, "entry 3: blocked"),
    ({"consent": 1}, "entry 3: consent"),
    ({"category": "x" * 41}, "entry 3: category"),
    ({"deleted": "yes"}, "entry 3: deleted"),
])
def test_a_malformed_entry_refuses_the_whole_page_and_names_the_entry(
        cache: AccessCache, bad: dict[str, Any], message: str) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 3)], "c1"))
    entries = [entry(cache, c) for c in cards(10, 3)]
    entries[2] |= bad
    deletion = {"key": cache.token(cards(0, 1)[0]), "deleted": True}

    with pytest.raises(AccessListError, match=message):
        cache.apply(page([deletion, *entries], "c2", full=False))

    assert cache.lookup(cards(0, 1)[0]) is not None
    assert cache.lookup(cards(10, 1)[0]) is None
    assert (cache.stats().entries, cache.cursor) == (3, "c1")


@pytest.mark.parametrize("bad", [
    [], {"entries": "x", "cursor": "c", "more": False, "full": True},
    {"entries": [], "cursor": "", "more": False, "full": True},
    {"entries": [], "cursor": "c", "more": "no", "full": True},
    {"entries": [], "cursor": "c", "more": False},
    {"entries": [7], "cursor": "c", "more": False, "full": True},
])
def test_a_malformed_page_is_refused(cache: AccessCache, bad: Any) -> None:
    with pytest.raises(AccessListError, match="access list page"):
        cache.apply(bad)
    assert cache.cursor is None


def test_a_malformed_page_in_a_full_refresh_keeps_the_pages_before_it(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 3)], "new-0", more=True))
    with pytest.raises(AccessListError):
        cache.apply(page([entry(cache, "1"), {"key": "nope"}], "new-1", more=True))
    assert cache.cursor == "new-0"
    cache.apply(page([entry(cache, c) for c in cards(3, 3)], "new-1"))
    assert cache.stats().entries == 6


def test_a_delta_in_the_middle_of_a_full_refresh_is_refused(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 3)], "c1"))
    cache.apply(page([entry(cache, c) for c in cards(10, 3)], "new-0", more=True))
    with pytest.raises(AccessListError, match="middle of a full refresh"):
        cache.apply(page([entry(cache, CARD)], "d1", full=False))

    cache.abandon_full()

    assert cache.cursor == "c1"
    cache.apply(page([entry(cache, CARD)], "d1", full=False))
    assert cache.stats().entries == 4


def test_a_restarted_full_refresh_does_not_keep_the_abandoned_pages(cache: AccessCache, db: Path) -> None:
    cache.apply(page([entry(cache, c) for c in cards(0, 50)], "a-0", more=True))
    cache.abandon_full()
    cache.apply(page([entry(cache, c) for c in cards(100, 20)], "b-0"))
    assert cache.lookup(cards(0, 1)[0]) is None
    assert cache.stats().entries == rows_in_table(db) == 20


def test_a_deletion_in_a_later_page_of_a_full_refresh_removes_an_earlier_entry(cache: AccessCache) -> None:
    first, second = cards(0, 2)
    cache.apply(page([entry(cache, first), entry(cache, second)], "new-0", more=True))
    cache.apply(page([{"key": cache.token(first), "deleted": True}], "new-1", more=True))
    cache.apply(page([entry(cache, second, category="senior")], "new-2"))
    assert cache.lookup(first) is None
    kept = cache.lookup(second)
    assert kept is not None and kept.category == "senior" and cache.stats().entries == 1


def test_a_generation_left_half_copied_is_discarded_on_opening(db: Path, clock: ManualClock) -> None:
    store = open_store(db)
    try:
        cache = AccessCache(store, KEY, clock.now)
        cache.apply(page([entry(cache, c) for c in cards(0, 40)], "c1"))
        live = cache.stats().generation
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # what a kill during the copy leaves
            conn.execute("INSERT INTO access_entry SELECT generation + 1, key, pin_n, pin_salt, pin_hash, "
                         "category, birth_date, blocked, consent, expires FROM access_entry LIMIT 25")
        assert rows_in_table(db) == 65

        reopened = AccessCache(store, KEY, clock.now)

        assert rows_in_table(db) == 40 and reopened.stats().generation == live
        reopened.apply(page([entry(cache, c) for c in cards(100, 5)], "c2"))
        assert reopened.stats().entries == rows_in_table(db) == 5
    finally:
        store.close()


def test_an_entry_twice_in_a_page_counts_once_and_the_last_one_wins(cache: AccessCache) -> None:
    cache.apply(page([entry(cache, CARD, category="child"), entry(cache, CARD, category="adult")], "c1"))
    cache.apply(page([entry(cache, CARD, category="x"), {"key": cache.token(CARD), "deleted": True}],
                     "c2", full=False))
    assert cache.stats().entries == 0 and cache.lookup(CARD) is None


def test_stats_tell_the_age_of_the_last_refresh(cache: AccessCache, clock: ManualClock) -> None:
    assert cache.stats().age is None
    cache.apply(page([entry(cache, c) for c in cards(0, 4)], "c1"))
    clock.advance(3600)
    cache.apply(page([], "c2", full=False))
    clock.advance(600)
    stats = cache.stats()
    assert (stats.entries, stats.cursor, stats.age) == (4, "c2", dt.timedelta(minutes=10))
    assert stats.full_at is not None and stats.delta_at is not None
    assert stats.delta_at - stats.full_at == dt.timedelta(hours=1)


def test_a_lookup_is_one_search_on_the_primary_key(cache: AccessCache, store: Store) -> None:
    from kiosk.store.access_cache import _LOOKUP  # the statement itself, not a copy of it

    with store.connection() as conn:
        plan = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {_LOOKUP}", (cache.token(CARD),))]
    assert any("USING PRIMARY KEY (generation=? AND key=?)" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan


def test_the_door_rules_read_the_cached_answer_like_the_lms_answer(cache: AccessCache,
                                                                    clock: ManualClock) -> None:
    cache.apply(page([entry(cache, CARD, pin=PIN, consent=False), entry(cache, "777", pin=PIN)], "c1"))
    rules = AccessRules(AccessSettings.model_validate({"categories": ["adult"]}))

    def decide(card: str) -> AccessReason:
        answer = cache.check(card, PIN)
        return rules.decide(Credential(CredentialKind.BARCODE, card), answer.auth, OpeningKind.UNSTAFFED,
                            clock.now(), pin=PIN, from_cache=True).reason

    assert decide("777") is AccessReason.OK
    assert decide(CARD) is AccessReason.NO_CONSENT


def test_an_old_database_gets_the_access_list_tables(db: Path, clock: ManualClock) -> None:
    open_store(db, revision="0003").close()
    store = open_store(db)
    try:
        cache = AccessCache(store, KEY, clock.now)
        assert (cache.stats().entries, cache.cursor) == (0, None)
        cache.apply(page([entry(cache, CARD)], "c1"))
        assert cache.lookup(CARD) is not None
    finally:
        store.close()


CHILD = """
import datetime as dt, sys
from pathlib import Path
from kiosk.store import open_store
from kiosk.store.access_cache import AccessCache
from tests.store.test_access_cache import KEY, cards, entry, page
cache = AccessCache(open_store(Path(sys.argv[1])), KEY, lambda: dt.datetime.now(dt.UTC))
for n in range(10**6):
    cache.apply(page([entry(cache, c) for c in cards(1000 + 200 * n, 200)], f"new-{n}", more=True))
    print(f"applied {n}", flush=True)
"""


def test_a_crash_in_the_middle_of_a_full_refresh_leaves_the_old_list_live(
        db: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(db)
    old = AccessCache(store, KEY, clock.now)
    old.apply(page([entry(old, CARD, pin=PIN)] + [entry(old, c) for c in cards(0, 99)], "old"))
    store.close()

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "applied 3":
                break
        else:
            raise AssertionError(f"the refresh process ended early: {child.communicate()[1]}")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=10)
    assert rows_in_table(db, "access_fill") >= 800  # half a list was written and never made live

    store = open_store(db)
    try:
        with caplog.at_level(logging.WARNING, logger="kiosk.store.access_cache"):
            cache = AccessCache(store, KEY, clock.now)
        assert "discarded an unfinished full refresh" in caplog.text
        assert cache.check(CARD, PIN).auth.ok
        assert cache.lookup(cards(1000, 1)[0]) is None
        stats = cache.stats()
        assert (stats.entries, stats.cursor, stats.refreshing) == (100, "old", False)
        assert rows_in_table(db, "access_fill") == 0  # what was half written was discarded on opening

        cache.apply(page([entry(cache, c) for c in cards(5000, 30)], "again-0", more=True))
        cache.apply(page([entry(cache, c) for c in cards(5030, 30)], "again-1"))
        assert cache.lookup(CARD) is None and cache.lookup(cards(5059, 1)[0]) is not None
        assert cache.stats().entries == rows_in_table(db) == 60
        assert rows_in_table(db, "access_fill") == 0
    finally:
        store.close()
