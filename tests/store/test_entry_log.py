"""The entry log: pseudonymous rows, retention purge, staff export, and the 0003 migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.door.supervision import DoorSupervisor
from kiosk.settings import DoorSupervisionSettings, EntryLogSettings
from kiosk.store import Journal, Store, current_revision, head_revision, open_store
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.store.keys import pseudonymizer
from kiosk.testing.memory import COPENHAGEN, ManualClock

ANNA = "a" * 32
BO = "b" * 32
ALLOWED, REFUSED = EntryDecision.ALLOWED, EntryDecision.REFUSED


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def entry_log(store: Store, clock: ManualClock) -> EntryLog:
    return EntryLog(store, clock.now)


def test_the_entry_log_is_indexed_on_time(tmp_path: Path) -> None:
    assert head_revision() >= "0003"
    open_store(tmp_path / "kiosk.sqlite3").close()
    with sqlite3.connect(tmp_path / "kiosk.sqlite3") as conn:
        indexes = {r[1]: r[2] for r in conn.execute("PRAGMA index_list(entry_log)")}
        assert "ix_entry_log_at" in indexes
        assert [r[2] for r in conn.execute("PRAGMA index_info(ix_entry_log_at)")] == ["at"]


def test_a_0002_database_upgrades_to_the_head_and_keeps_its_journal(tmp_path: Path,
                                                                     clock: ManualClock) -> None:
    path = tmp_path / "kiosk.sqlite3"
    old = open_store(path, revision="0002")
    Journal(old).append("checkout", {"item": "5010000001"}, entry_id="0b7c2a52-3c53-4b8e-9d0e-6a1c1b0e0002")
    old.close()
    store = open_store(path)
    try:
        assert current_revision(store) == head_revision()
        assert Journal(store).get("0b7c2a52-3c53-4b8e-9d0e-6a1c1b0e0002") is not None
        entry_log = EntryLog(store, clock.now)
        entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1")
        assert entry_log.count() == 1
    finally:
        store.close()


def test_a_recorded_decision_reads_back_with_its_flags(entry_log: EntryLog, clock: ManualClock) -> None:
    record = entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1", children=2,
                              flags=["offline"])
    assert entry_log.get(record.id) == record
    assert record.at == clock.now()
    assert record.flags == ("offline",)
    flagged = entry_log.flag(record.id, "tailgating")
    assert entry_log.flag(record.id, "tailgating") == flagged
    assert flagged is not None and flagged.flags == ("offline", "tailgating")


def test_purge_keeps_30_days_by_default(entry_log: EntryLog, clock: ManualClock) -> None:
    old = entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1")
    clock.advance(29 * 86400)
    recent = entry_log.record(token=BO, decision=REFUSED, reason="blocked", terminal="door-1")
    clock.advance(2 * 86400)
    assert entry_log.purge() == 1
    assert entry_log.get(old.id) is None
    assert entry_log.get(recent.id) is not None
    assert entry_log.flag(old.id, "tailgating") is None


def test_retention_is_configurable(store: Store, clock: ManualClock) -> None:
    entry_log = EntryLog.from_settings(store, clock.now, EntryLogSettings(retention_days=7))
    entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1")
    clock.advance(6 * 86400)
    assert entry_log.purge() == 0
    clock.advance(2 * 86400)
    assert entry_log.purge() == 1
    assert entry_log.count() == 0


def test_purge_takes_an_explicit_cutoff(entry_log: EntryLog, clock: ManualClock) -> None:
    entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1")
    clock.advance(3600)
    entry_log.record(token=BO, decision=ALLOWED, reason="ok", terminal="door-1")
    assert entry_log.purge(older_than=clock.now() - dt.timedelta(minutes=30)) == 1
    assert entry_log.count(token=BO) == 1


def test_retention_settings_name_the_key() -> None:
    assert EntryLogSettings().retention_days == 30
    with pytest.raises(ValidationError, match="retention_days"):
        EntryLogSettings(retention_days=0)
    with pytest.raises(ValidationError, match="retention_days"):
        EntryLogSettings.model_validate({"retention_days": "30"})


def test_export_is_csv_for_staff_in_the_local_time_of_the_range(entry_log: EntryLog,
                                                                 clock: ManualClock) -> None:
    start = clock.now()
    entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1", children=1,
                     flags=["tailgating", "offline"])
    clock.advance(90)
    entry_log.record(token=None, decision=REFUSED, reason="unknown_card", terminal="door-1")
    clock.advance(3600)
    entry_log.record(token=BO, decision=REFUSED, reason="underage", terminal="door-1")
    csv_text = entry_log.export(start, start + dt.timedelta(hours=1))
    assert csv_text.splitlines() == [
        "time,token,decision,reason,children,flags",
        f"2026-11-25T20:15:00+01:00,{ANNA},allowed,ok,1,tailgating;offline",
        "2026-11-25T20:16:30+01:00,,refused,unknown_card,0,",
    ]
    utc_start = start.astimezone(dt.UTC)
    assert entry_log.export(utc_start, utc_start + dt.timedelta(hours=1)).splitlines()[1].startswith(
        "2026-11-25T19:15:00+00:00,")


def test_count_filters_by_decision_reason_flag_token_and_time(entry_log: EntryLog,
                                                              clock: ManualClock) -> None:
    start = clock.now()
    entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1", flags=["tailgating"])
    entry_log.record(token=ANNA, decision=REFUSED, reason="underage", terminal="door-1")
    clock.advance(60)
    entry_log.record(token=BO, decision=REFUSED, reason="underage", terminal="door-2",
                     flags=["tailgating_x"])
    assert entry_log.count() == 3
    assert entry_log.count(decision=REFUSED) == 2
    assert entry_log.count(reason="underage", token=ANNA) == 1
    assert entry_log.count(flag="tailgating") == 1
    assert entry_log.count(terminal="door-2") == 1
    assert entry_log.count(start=start, end=start + dt.timedelta(seconds=60)) == 2


@pytest.mark.parametrize("token", ["0101901234", "010190-1234", "Anna Testesen", "A" * 32])
def test_anything_but_a_token_is_refused(entry_log: EntryLog, token: str) -> None:
    with pytest.raises(ValueError, match="pseudonymous token"):
        entry_log.record(token=token, decision=ALLOWED, reason="ok", terminal="door-1")
    assert entry_log.count() == 0


def test_a_reason_or_flag_must_be_a_code_not_free_text(entry_log: EntryLog) -> None:
    with pytest.raises(ValueError, match="reason"):
        entry_log.record(token=ANNA, decision=REFUSED, reason="Anna Testesen is 13", terminal="door-1")
    with pytest.raises(ValueError, match="flag"):
        entry_log.record(token=ANNA, decision=REFUSED, reason="ok", terminal="door-1", flags=["a,b"])


def test_times_must_be_timezone_aware(entry_log: EntryLog) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_log.record(token=ANNA, decision=ALLOWED, reason="ok", terminal="door-1",
                         at=dt.datetime(2026, 11, 25, 20, 15))


def test_no_cpr_number_or_name_reaches_the_database_file(tmp_path: Path) -> None:
    cpr, name = "0101901234", "Anna Testesen"
    path = tmp_path / "kiosk.sqlite3"
    clock = ManualClock(dt.datetime(2026, 11, 25, 20, 15, tzinfo=COPENHAGEN))
    store = open_store(path)
    try:
        token = pseudonymizer(store)(cpr)
        journal, entry_log = Journal(store, now=clock.now), EntryLog(store, clock.now)
        door = DoorSupervisor(clock, DoorSupervisionSettings(), journal, entry_log, lambda _: None,
                              terminal="door-1")
        door.granted(token, children=1)
        door.door_changed(True)
        clock.advance(40)
        door.tick()
        door.refused(token, "underage")
        door.closing(clock.now())
        assert entry_log.count(token=token) == 2
        assert entry_log.count(flag="held_open") == 1
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    for secret in (cpr, "010190-1234", name, "Testesen"):
        assert secret.encode() not in raw
    assert token.encode() in raw
