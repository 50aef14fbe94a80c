"""The journal against plain sqlite3 with the same durability, on the same disk, in the same run.

* a loan's journal writes: the row before the LMS is asked (durable: WAL, ``synchronous=FULL``) and
  its outcome after (not waited for: ``synchronous=NORMAL``), as the circulation service writes them;
  the reference is the same INSERT and UPDATE with the same settings on a bare ``sqlite3`` connection;
* a door entry: the journal row and the entry log's row in one durable transaction, against the same
  two INSERTs in one transaction on a bare connection.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Result, paired
from kiosk.store import Journal, JournalState, open_store
from kiosk.store.db import set_pragmas, sql_time
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.store.journal import Change

OPERATIONS = 500
TOKEN = "a" * 64


def _rate(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return OPERATIONS / (time.perf_counter() - started)


def _bare(path: Path) -> sqlite3.Connection:
    """A connection of the standard library's own, with the store's settings (WAL, FULL, ...)."""
    conn = sqlite3.connect(path, isolation_level=None)
    set_pragmas(conn)
    return conn


def _bare_loans(conn: sqlite3.Connection) -> None:
    for i in range(OPERATIONS):
        now, entry_id = sql_time(dt.datetime.now(dt.UTC)), str(uuid.uuid4())
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO journal (id, kind, state, created_at, updated_at, payload, attempts) "
                     "VALUES (?, 'checkout', 'pending', ?, ?, ?, 0)",
                     (entry_id, now, now, json.dumps({"item": f"{i:010d}", "patron": TOKEN})))
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE journal SET state = 'done', updated_at = ?, attempts = attempts + 1 "
                     "WHERE id = ?",
                     (sql_time(dt.datetime.now(dt.UTC)), entry_id))
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=FULL")


def _bare_entries(conn: sqlite3.Connection) -> None:
    for _ in range(OPERATIONS):
        now, entry_id = sql_time(dt.datetime.now(dt.UTC)), str(uuid.uuid4())
        conn.execute("BEGIN IMMEDIATE")
        payload = {"entry_id": entry_id, "at": now, "token": TOKEN, "decision": "allowed",
                   "reason": "card_pin", "terminal": "door-1", "children": 0, "flags": []}
        conn.execute("INSERT INTO journal (id, kind, state, created_at, updated_at, payload, attempts) "
                     "VALUES (?, 'door_entry', 'pending', ?, ?, ?, 0)",
                     (entry_id, now, now, json.dumps(payload)))
        conn.execute("INSERT INTO entry_log (id, at, token, decision, reason, terminal, children, flags) "
                     "VALUES (?, ?, ?, 'allowed', 'card_pin', 'door-1', 0, '')", (entry_id, now, TOKEN))
        conn.execute("COMMIT")


def run() -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, bare_path = Path(tmp) / "journal.sqlite3", Path(tmp) / "bare.sqlite3"
        open_store(bare_path).close()  # the same tables, made by the migrations
        store = open_store(ours_path)
        bare = _bare(bare_path)
        journal = Journal(store)
        entry_log = EntryLog(store, lambda: dt.datetime.now(dt.UTC))

        def loans() -> None:
            for i in range(OPERATIONS):
                entry = journal.append("checkout", {"item": f"{i:010d}", "patron": TOKEN})
                journal.mark_all([Change(entry.id, JournalState.DONE)], durable=False)

        def entries() -> float:
            """The door's decisions are made (and checked) before the clock starts: the journal's part."""
            records = [entry_log.row(token=TOKEN, decision=EntryDecision.ALLOWED, reason="card_pin",
                                     terminal="door-1") for _ in range(OPERATIONS)]

            def write() -> None:
                for record in records:
                    journal.append("door_entry", record.payload(), entry_id=record.id, with_rows=(record,))

            return _rate(write)

        try:
            results += paired("journal: loan written + outcome (tx/s)", "tx/s",
                              lambda: _rate(loans), lambda: _rate(lambda: _bare_loans(bare)), runs=9)
            results += paired("journal: door entry + entry log row (tx/s)", "tx/s",
                              entries, lambda: _rate(lambda: _bare_entries(bare)), runs=9)
        finally:
            bare.close()
            store.close()
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
