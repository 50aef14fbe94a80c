"""Central sync: config, calendar and access list pulled from the central system, heartbeat sent.

Real parts: the central service over HTTP on localhost, the real client (every exchange checked
against ``sync/central/openapi.yaml``), the access-list cache in a SQLite file in ``tmp_path``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.central.outbox import Outbox, OutboxStats
from kiosk.central.sync import CONFIG_KEY, LIST_KEY, CentralSync, SyncJob
from kiosk.domain.central import AccessPage
from kiosk.domain.errors import CentralUnavailable
from kiosk.domain.model import AuthOutcome, DeviceHealth, DeviceState
from kiosk.store import Journal, Store, open_store
from kiosk.store.schema import CacheRow
from kiosk.testing.memory import ManualClock
from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.central.test_outbox import CONTRACT_SPEC, TOKEN, enrolled_central, free_port
from tests.sync.central.conftest import Contract, access_entry

TERMINAL, BRANCH = "kiosk-7", "hovedbiblioteket"
CARD, PIN = "2400123456789012", "73918264"
NEW_CARD, NEW_PIN = "2400999988887777", "51736284"
EXPIRES = dt.date(2030, 12, 31)
KEY_A, KEY_B = bytes.fromhex("a1" * 32), bytes.fromhex("b2" * 32)
CALENDAR = {"name": "Hovedbiblioteket", "zone": "Europe/Copenhagen",
            "week": {"monday": ["08:00-22:00 unstaffed"]}}
HEALTH = [DeviceHealth("card_reader", DeviceState.OK),
          DeviceHealth("door_lock", DeviceState.UNAVAILABLE, "no answer on /dev/ttyUSB1 " + "x" * 600)]
ALL_JOBS = (SyncJob.CONFIG, SyncJob.CALENDAR, SyncJob.ACCESS_LIST, SyncJob.LISTS, SyncJob.HEARTBEAT)


class RecordingClient(CentralClient):
    """The real client, checked against the contract, remembering (method, url, status) of each
    exchange; ``break_after`` pages of the access list, the line breaks (once)."""

    def __init__(self, url: str, *, break_after: int | None = None) -> None:
        super().__init__(url, TOKEN, retries=0, timeout_s=(2, 10))
        self.seen: list[tuple[str, str, int]] = []
        self.break_after = break_after
        self.session.hooks["response"] += [Contract(CONTRACT_SPEC).exchange_hook, self._record]

    def _record(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self.seen.append((response.request.method, response.request.url, response.status_code))
        return response

    def access_list(self, branch: str, cursor: str | None = None, limit: int = 5000) -> AccessPage:
        if self.break_after is not None:
            if self.break_after == 0:
                self.break_after = None
                raise CentralUnavailable("the line broke in the middle of the list")
            self.break_after -= 1
        return super().access_list(branch, cursor, limit)

    def access_requests(self) -> list[tuple[str, int]]:
        """(query, status) of every access-list request."""
        return [(url.split("?", 1)[1], status) for method, url, status in self.seen if "/access-list" in url]


def seeded_central(db: Path, key: bytes, *, port: int = 0, entries: int = 250) -> CentralService:
    central = enrolled_central(db, access_list_key=key, port=port)
    central.set_terminal_config(TERMINAL, {"central": {"heartbeat_every_s": 60},
                                           "terminal": {"language": "da"}})
    central.set_calendar(BRANCH, CALENDAR)
    central.bulk_load(access_entry(n, expires=EXPIRES.isoformat()) for n in range(entries))
    central.upsert_patron(CARD, PIN, expires=EXPIRES)
    central.start()
    return central


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralService]:
    central = seeded_central(tmp_path / "central.db", KEY_A)
    yield central
    central.stop()


def make_sync(client: CentralClient, store: Store, clock: ManualClock) -> CentralSync:
    return CentralSync(client, store, TERMINAL, BRANCH, clock, health=lambda: HEALTH,
                       outbox_stats=lambda: OutboxStats(0, None), mode=lambda: "online", page_size=100,
                       rng=random.Random(3))


def synced(central: CentralService, store: Store, clock: ManualClock) -> tuple[CentralSync, RecordingClient]:
    client = RecordingClient(central.url)
    sync = make_sync(client, store, clock)
    assert sync.due_work() and sync.run_due() == ALL_JOBS
    return sync, client


def test_the_first_sync_fetches_config_calendar_and_the_whole_list_in_pages(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    client = RecordingClient(central.url)
    sync = make_sync(client, store, clock)
    assert sync.access_cache() is None and sync.config() is None

    assert sync.due_work()
    assert sync.run_due() == ALL_JOBS

    config = sync.config()
    assert config is not None and config.access_list_key == KEY_A
    assert config.settings["terminal"]["language"] == "da" and config.revision == "d0.m0.b0.t1"
    assert sync.calendar() == CALENDAR
    assert ["cursor=" in query for query, _ in client.access_requests()] == [False, True, True]
    cache = sync.access_cache()
    assert cache is not None and cache.stats().entries == 251  # three pages of at most 100
    assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK
    assert cache.check(CARD, "00000000").auth.outcome is AuthOutcome.WRONG_PIN


def test_due_work_claims_the_run_and_each_job_waits_for_its_interval(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    sync = make_sync(RecordingClient(central.url), store, clock)
    assert sync.due_work()
    assert not sync.due_work()  # claimed until run_due is done
    sync.run_due()
    assert not sync.due_work()
    clock.advance(60)
    assert sync.due_work() and sync.run_due() == (SyncJob.ACCESS_LIST, SyncJob.HEARTBEAT)
    clock.advance(240)
    assert sync.due_work() and sync.run_due() == ALL_JOBS


def test_changes_on_the_central_system_arrive_as_a_delta_and_a_new_patron_can_log_in_offline(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    sync, client = synced(central, store, clock)
    cache = sync.access_cache()
    assert cache is not None
    full_at = cache.stats().full_at
    central.upsert_patron(NEW_CARD, NEW_PIN, category="child", expires=EXPIRES)
    central.delete_patron(CARD)

    clock.advance(60)
    assert sync.due_work() and SyncJob.ACCESS_LIST in sync.run_due()

    query, status = client.access_requests()[-1]
    assert "cursor=c-" in query and status == 200
    assert sync.access_cache() is cache
    stats = cache.stats()
    assert (stats.entries, stats.full_at, stats.delta_at) == (251, full_at, clock.now().astimezone(dt.UTC))
    answer = cache.check(NEW_CARD, NEW_PIN)
    assert answer.auth.outcome is AuthOutcome.OK and answer.auth.patron is not None
    assert answer.auth.patron.category == "child"
    assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.UNKNOWN_PATRON


def test_an_expired_cursor_fetches_the_whole_list_again(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    sync, client = synced(central, store, clock)
    central.delete_patron(CARD)
    central.compact()  # the deletion is forgotten: the kiosk's cursor cannot be served any more
    clock.advance(60)

    assert SyncJob.ACCESS_LIST in sync.run_due()

    requests = client.access_requests()[3:]
    assert [status for _, status in requests] == [410, 200, 200, 200]
    assert "cursor=" not in requests[1][0]
    cache = sync.access_cache()
    assert cache is not None
    stats = cache.stats()
    assert (stats.entries, stats.full_at) == (250, clock.now().astimezone(dt.UTC))
    assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.UNKNOWN_PATRON


def test_a_new_key_fetches_the_whole_list_under_it_while_the_old_list_answers(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock) -> None:
    sync, _ = synced(central, store, clock)
    port = central.port
    central.stop()
    # The municipality changes its key: the same central system, every token new.
    renewed = seeded_central(tmp_path / "central-b.db", KEY_B, port=port, entries=120)
    try:
        renewed.upsert_patron(NEW_CARD, NEW_PIN, expires=EXPIRES)
        client = RecordingClient(renewed.url, break_after=1)
        sync = make_sync(client, store, clock)  # the kiosk restarts; the line breaks after a page
        clock.advance(300)

        assert sync.run_due() == (SyncJob.CONFIG, SyncJob.CALENDAR)
        config = sync.config()
        assert config is not None and config.access_list_key == KEY_B
        old = sync.access_cache()
        assert old is not None and old.check(CARD, PIN).auth.outcome is AuthOutcome.OK  # the old list
        assert old.check(NEW_CARD, NEW_PIN).auth.outcome is AuthOutcome.UNKNOWN_PATRON

        clock.advance(60)
        assert SyncJob.ACCESS_LIST in sync.run_due()  # goes on where the line broke

        assert ["cursor=" in query for query, _ in client.access_requests()] == [False, True]
        cache = sync.access_cache()
        assert cache is not None and cache is not old
        assert cache.stats().entries == 122
        assert cache.check(NEW_CARD, NEW_PIN).auth.outcome is AuthOutcome.OK
        assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK  # on the list, with a new token
        assert cache.token(CARD) != old.token(CARD)
    finally:
        renewed.stop()
    restarted = make_sync(RecordingClient(renewed.url), store, clock)  # knows the live list's key
    cache = restarted.access_cache()
    assert cache is not None and cache.check(NEW_CARD, NEW_PIN).auth.outcome is AuthOutcome.OK


def test_the_heartbeat_carries_device_health_outbox_stats_and_mode(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    journal = Journal(store, now=lambda: clock.now().astimezone(dt.UTC))
    for n in range(3):
        journal.append("entry", {"decision": "allow", "n": n})
    clock.advance(120)
    outbox = Outbox(journal, RecordingClient(central.url), TERMINAL, clock)  # not sending yet
    sync = CentralSync(RecordingClient(central.url), store, TERMINAL, BRANCH, clock, health=lambda: HEALTH,
                       outbox_stats=outbox.stats, mode=lambda: "offline")

    assert SyncJob.HEARTBEAT in sync.run_due()

    beat = central.heartbeats()[-1]
    assert beat["terminal"] == TERMINAL and beat["mode"] == "offline"
    assert beat["outbox"] == {"pending": 3, "oldest_age_s": 120.0}
    assert [(d["device"], d["state"]) for d in beat["devices"]] == [("card_reader", "ok"),
                                                                   ("door_lock", "unavailable")]
    assert beat["devices"][1]["detail"].startswith("no answer on /dev/ttyUSB1")
    assert len(beat["devices"][1]["detail"]) == 500  # the contract's limit
    assert dt.datetime.fromisoformat(beat["at"]) == clock.now()


def test_without_the_central_system_the_last_state_is_kept_and_tried_later(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    sync, _ = synced(central, store, clock)
    config = sync.config()
    port = central.port
    central.stop()
    clock.advance(300)

    assert sync.due_work()
    assert sync.run_due() == ()  # nothing raised

    assert sync.config() == config and sync.calendar() == CALENDAR
    cache = sync.access_cache()
    assert cache is not None and cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK
    assert not sync.due_work()  # backs off ...
    clock.advance(5)
    assert sync.due_work()  # ... a few seconds at first
    assert sync.run_due() == ()
    with CentralService(central.database, port=port):
        clock.advance(60)
        assert sync.due_work() and sync.run_due() == ALL_JOBS


def test_a_restarted_kiosk_answers_from_what_it_kept_before_it_reaches_the_central_system(
        central: CentralService, store: Store, clock: ManualClock) -> None:
    synced(central, store, clock)
    nowhere = RecordingClient(f"http://127.0.0.1:{free_port()}")

    restarted = make_sync(nowhere, store, clock)

    config = restarted.config()
    assert config is not None and config.access_list_key == KEY_A
    assert restarted.calendar() == CALENDAR
    cache = restarted.access_cache()
    assert cache is not None and cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK
    assert restarted.run_due() == ()
    assert cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK


def test_the_access_list_key_is_kept_in_the_key_folder_not_in_the_database(
        central: CentralService, store: Store, clock: ManualClock, tmp_path: Path) -> None:
    synced(central, store, clock)
    database = b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.sqlite3*"))
    assert KEY_A not in database and KEY_A.hex().encode() not in database
    keys = tmp_path.parent / f"{tmp_path.name}-keys"
    assert (keys / "access-list.key").read_text() == KEY_A.hex()
    assert (keys / "access-list-live.key").read_text() == KEY_A.hex()


def test_an_older_versions_keys_in_the_database_move_to_the_key_folder(
        central: CentralService, store: Store, clock: ManualClock, tmp_path: Path) -> None:
    synced(central, store, clock)
    keys = tmp_path.parent / f"{tmp_path.name}-keys"
    for name in ("access-list.key", "access-list-live.key"):
        (keys / name).unlink()
    with store.session() as session, session.begin():  # as an older version left them
        config = session.get(CacheRow, CONFIG_KEY)
        assert config is not None
        config.value = {**config.value, "access_list_key": KEY_A.hex()}
        session.merge(CacheRow(key=LIST_KEY, value={"key": KEY_A.hex()}, etag=None, updated_at=clock.now()))
    nowhere = RecordingClient(f"http://127.0.0.1:{free_port()}")
    restarted = make_sync(nowhere, store, clock)
    config_now = restarted.config()
    assert config_now is not None and config_now.access_list_key == KEY_A
    cache = restarted.access_cache()
    assert cache is not None and cache.check(CARD, PIN).auth.outcome is AuthOutcome.OK
    assert (keys / "access-list.key").read_text() == KEY_A.hex()
    with store.session() as session:
        assert session.get(CacheRow, LIST_KEY) is None
        kept = session.get(CacheRow, CONFIG_KEY)
        assert kept is not None and "access_list_key" not in kept.value
