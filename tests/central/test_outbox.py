"""The outbox: journal rows reach the central system in batches, each once, whatever happens.

Real parts: the central service over HTTP on localhost, the real client (every exchange checked
against ``sync/central/openapi.yaml``), SQLite files in ``tmp_path``; the crash test kills a real
process with SIGKILL again and again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.central.outbox import Outbox, OutboxStats, central_event
from kiosk.circulation.results import JournalOutcome
from kiosk.domain.central import CentralEvent
from kiosk.store import Journal, JournalState, Store, open_store
from kiosk.store.journal import OUTBOX_FINAL_STATES
from kiosk.testing.memory import ManualClock
from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.net import free_port
from tests.sync.central.conftest import Contract, load_spec

REPO = Path(__file__).resolve().parents[2]
TOKEN = "outbox-test-token"
TERMINAL, BRANCH = "kiosk-7", "hovedbiblioteket"


def enrolled_central(db: Path, **kwargs: Any) -> CentralService:
    """A central service on ``db`` that knows TERMINAL by the credential TOKEN (not started)."""
    central = CentralService(db, **kwargs)
    central.enrol(TERMINAL, BRANCH, TOKEN)
    return central
SEALED = "gAAAAB-sealed-patron-identifier"
CONTRACT_SPEC = load_spec()


def checked_client(url: str) -> CentralClient:
    """A client without retries (the outbox backs off itself) whose every exchange is checked
    against the contract."""
    client = CentralClient(url, TOKEN, retries=0, timeout_s=(2, 10))
    client.session.hooks["response"].append(Contract(CONTRACT_SPEC).exchange_hook)
    return client


def event_posts(central: CentralService) -> list[int]:
    """The status of every batch of events the emulator answered."""
    return [x.status for x in central.exchanges() if x.method == "POST" and x.path.endswith("/events")]


def unsent_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM journal WHERE sent_at IS NULL").fetchone()[0])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def journal(store: Store, clock: ManualClock) -> Journal:
    return Journal(store, now=lambda: clock.now().astimezone(dt.UTC))


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralService]:
    with enrolled_central(tmp_path / "central.db") as central:
        yield central


@pytest.fixture
def outbox(journal: Journal, central: CentralService, clock: ManualClock) -> Outbox:
    return Outbox(journal, checked_client(central.url), TERMINAL, clock, rng=random.Random(7))


def test_events_of_every_kind_go_out_in_batches_and_each_once(
        journal: Journal, outbox: Outbox, central: CentralService) -> None:
    rows = [journal.append("entry", {"decision": "allow", "n": n}) for n in range(300)]
    rows += [journal.append("door_alarm", {"alarm": "held_open", "n": n}) for n in range(100)]
    for kind, state, error in (("checkout", JournalState.DONE, None),
                               ("checkin", JournalState.FAILED, "refused"),
                               ("checkout", "compensated", "security write failed"),
                               ("checkin", "needs_attention", "returned, tag not secured"),
                               ("checkout", JournalState.REPLAY_REJECTED, "item on hold")):
        row = journal.append(kind, {"item": "5010000001", "patron": "ab" * 16})
        rows.append(journal.mark(row.id, state, error=error))
    rows.append(journal.append("staff_login", {"staff": "token-of-staff"}))

    assert outbox.send_once() == 406

    events = central.events()
    assert [e["id"] for e in events] == [row.id for row in rows]  # once each, in the order written
    assert event_posts(central) == [200, 200, 200]  # 406 events in batches of at most 200
    assert {e["kind"] for e in events} == {"entry", "alarm", "transaction", "staff_login"}
    returned = next(e for e in events if e["payload"]["state"] == "failed")
    assert returned["kind"] == "transaction"
    assert returned["payload"] == {"item": "5010000001", "patron": "ab" * 16, "type": "checkin",
                                   "state": "failed", "error": "refused"}
    assert outbox.send_once() == 0 and event_posts(central) == [200, 200, 200]
    assert outbox.stats().pending == 0


def test_transactions_wait_until_their_outcome_is_known_and_never_carry_the_seal(
        tmp_path: Path, journal: Journal, outbox: Outbox, central: CentralService) -> None:
    # A loan the LMS has not answered yet, one made offline (not replayed yet), a return being replayed.
    online = journal.append("checkout", {"item": "5010000001", "patron": "ab" * 16})
    offline = journal.append("checkout", {"item": "5010000002", "patron": "cd" * 16, "patron_sealed": SEALED,
                                          "offline": True}, state=JournalState.OFFLINE)
    replaying = journal.append("checkin", {"item": "5010000003", "offline": True}, state=JournalState.OFFLINE)
    journal.mark(replaying.id, JournalState.REPLAYING)
    entry = journal.append("entry", {"decision": "allow"})

    assert outbox.send_once() == 1
    assert [e["id"] for e in central.events()] == [entry.id]
    assert (outbox.stats().pending, outbox.stats().held) == (0, 3)

    journal.mark(online.id, JournalState.DONE)
    # A rejected replay keeps its seal for staff; the central system must never see it.
    journal.mark(offline.id, JournalState.REPLAY_REJECTED, error="item on hold",
                 payload={**offline.payload, "replayed": True})
    journal.mark(replaying.id, JournalState.DONE)
    assert outbox.send_once() == 3

    events = central.events()
    assert [e["id"] for e in events] == [entry.id, online.id, offline.id, replaying.id]
    rejected = events[2]["payload"]
    assert rejected["state"] == "replay_rejected" and rejected["error"] == "item on hold"
    assert "patron_sealed" not in rejected
    assert SEALED not in json.dumps(events)
    central.stop()
    assert SEALED.encode() not in (tmp_path / "central.db").read_bytes()
    assert (outbox.stats().pending, outbox.stats().held) == (0, 0)


def test_events_sent_by_a_run_that_died_before_marking_them_are_sent_again_unchanged(
        journal: Journal, outbox: Outbox, central: CentralService) -> None:
    rows = [journal.append("entry", {"decision": "allow", "n": n}) for n in range(3)]
    dead_run = checked_client(central.url)
    dead_run.send_events(TERMINAL, [central_event(row) for row in rows[:2]])  # its answer was lost

    assert outbox.send_once() == 3  # two duplicates and a new one: all acknowledged

    assert event_posts(central) == [200, 200]  # no 409: the bodies were the same
    assert [e["id"] for e in central.events()] == [row.id for row in rows]
    assert outbox.stats().pending == 0


def test_thousands_of_events_wait_for_hours_and_then_arrive_once_each_in_order(
        tmp_path: Path, journal: Journal, clock: ManualClock) -> None:
    port = free_port()  # the central system is not there yet
    outbox = Outbox(journal, checked_client(f"http://127.0.0.1:{port}"), TERMINAL, clock, batch=200,
                    backoff_s=5.0, max_backoff_s=600.0, rng=random.Random(11))
    ids: list[str] = []
    tries: list[float] = []
    for tick in range(1000):  # 10 s apart: 2 h 46 min without the central system
        ids += [journal.append("entry", {"decision": "allow", "n": tick * 5 + n}).id for n in range(5)]
        if outbox.due():
            tries.append(clock.monotonic())
            assert outbox.send_once() == 0
        clock.advance(10)

    waits = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert waits[0] <= 10 and max(waits) <= 600 + 10  # grows from the first backoff to the cap ...
    assert min(waits[-5:]) >= 300  # ... and stays near it (jitter: half to all of the cap)
    assert len(tries) < 40
    stats = outbox.stats()
    assert stats.pending == 5000
    assert stats.oldest_age_s is not None and 9990 - 1 <= stats.oldest_age_s <= 10000 + 1

    with enrolled_central(tmp_path / "central.db", port=port) as central:
        clock.advance(outbox.retry_in_s)
        assert outbox.due()
        assert outbox.send_once() == 5000
        assert [e["id"] for e in central.events()] == ids
        assert event_posts(central) == [200] * 25
    assert outbox.stats() == OutboxStats(pending=0, oldest_age_s=None)
    assert unsent_rows(tmp_path / "kiosk.sqlite3") == 0


def test_the_outbox_knows_every_final_outcome_of_circulation() -> None:
    assert {JournalOutcome.COMPENSATED, JournalOutcome.NEEDS_ATTENTION} <= set(OUTBOX_FINAL_STATES)


def test_due_claims_the_run_until_it_is_done(outbox: Outbox, journal: Journal, clock: ManualClock) -> None:
    journal.append("entry", {"decision": "allow"})
    assert outbox.due()
    assert not outbox.due()  # claimed: a second tick does not start a second run
    assert outbox.send_once() == 1
    assert not outbox.due()  # all went well: the next look in backoff_s
    clock.advance(5)
    assert outbox.due()


def test_an_event_the_central_system_refuses_is_kept_and_logged_and_the_rest_goes_on(
        journal: Journal, outbox: Outbox, central: CentralService, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    rows = [journal.append("entry", {"decision": "allow", "n": n}) for n in range(5)]
    # The central system holds the third id with another body: a bug somewhere, never to be hidden.
    other = CentralEvent(rows[2].id, "entry", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), {"n": "other"})
    checked_client(central.url).send_events(TERMINAL, [other])

    with caplog.at_level(logging.ERROR, logger="kiosk.central.outbox"):
        assert outbox.send_once() == 4

    assert rows[2].id in caplog.text and "409" in caplog.text
    stored = {e["id"]: e for e in central.events()}
    assert set(stored) == {row.id for row in rows} and stored[rows[2].id]["payload"] == {"n": "other"}
    stats = outbox.stats()
    assert (stats.pending, stats.refused) == (1, 1)
    assert not outbox.due()  # backs off

    later = journal.append("entry", {"decision": "allow", "n": 5})
    clock.advance(outbox.retry_in_s)
    assert outbox.due() and outbox.send_once() == 1  # the refused one does not hold up the rest
    assert later.id in {e["id"] for e in central.events()}

    clock.advance(600)  # after max_backoff_s it is tried again, and still not rewritten
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kiosk.central.outbox"):
        assert outbox.due() and outbox.send_once() == 0
    assert rows[2].id in caplog.text
    assert outbox.stats().pending == 1


def test_kill_9_at_random_points_during_sync_loses_and_doubles_nothing(
        tmp_path: Path, central: CentralService, clock: ManualClock) -> None:
    db = tmp_path / "kiosk.sqlite3"
    open_store(db).close()
    rng = random.Random(20261125)
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-m", "tests.central.outbox_worker", str(db), central.url,
                                  TOKEN, TERMINAL], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.communicate()[1]
            time.sleep(rng.uniform(0, 0.3))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            _, errors = child.communicate(timeout=10)
        assert "Traceback" not in errors, errors

    store = open_store(db)  # the kiosk starts once more and finishes the job
    try:
        journal = Journal(store)
        outbox = Outbox(journal, checked_client(central.url), TERMINAL, clock)
        outbox.send_once()
        held = outbox.stats().held
    finally:
        store.close()

    with sqlite3.connect(db) as conn:
        rows: list[Any] = conn.execute("SELECT id, kind, state, sent_at FROM journal ORDER BY seq").fetchall()
    # A kill between writing a loan and marking its outcome leaves it pending: not sent, held.
    sendable = [row for row in rows if not (row[1] == "checkout" and row[2] == JournalState.PENDING)]
    assert len(rows) - len(sendable) == held
    events = central.events()
    assert len(sendable) > 40  # work was done between the kills
    assert [e["id"] for e in events] == [row[0] for row in sendable]  # none lost, none twice, in order
    assert all(row[3] is not None for row in sendable)
    # Never the same id with another body (409), never a failure; 499: a batch whose sender was
    # killed while sending it, so that nothing of it was stored.
    assert set(event_posts(central)) <= {200, 499} and 200 in event_posts(central)
    assert "sealed-secret" not in json.dumps(events)
