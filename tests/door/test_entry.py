"""Entering in unstaffed hours: the demo branch's calendar and rules, the in-memory LMS, the
supervisor's journal and entry log on a real SQLite file, and the door lock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.bootstrap.door import access_rules
from kiosk.cli.access import seeded_lms
from kiosk.domain.errors import LmsUnavailable
from kiosk.domain.events import Core, InlineWorkers
from kiosk.domain.model import AuthResult, Credential, CredentialKind
from kiosk.domain.privacy import Pseudonymizer
from kiosk.door.calendar import BranchCalendar
from kiosk.door.entry import EntryController, EntryView
from kiosk.door.supervision import DoorSupervisor
from kiosk.settings import CONFIG_DIR, DoorSupervisionSettings, load_access_settings
from kiosk.settings.calendar import load_calendar
from kiosk.store import Journal, Store, open_store
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.testing.memory import ManualClock, MemoryDoorLock

CPH = ZoneInfo("Europe/Copenhagen")
ANNA, MADS = ("1000000001", "1234"), ("1000000002", "2468")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CPH)


class SlowLms:
    """An LMS at the edge that answers only when told to (a network that hangs)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        self.release.wait(10)
        raise ConnectionError("gone")


class Door:
    def __init__(self, tmp_path: Path, when: str, lms: object = None, *, threaded: bool = False,
                 cached: Callable[[Credential, str | None], AuthResult | None] | None = None) -> None:
        self.clock = ManualClock(at(when))
        self.core = Core(None if threaded else InlineWorkers())
        self.store: Store = open_store(tmp_path / "kiosk.sqlite3")
        self.entry_log = EntryLog(self.store, self.clock.now)
        self.supervisor = DoorSupervisor(self.clock, DoorSupervisionSettings(), Journal(self.store),
                                         self.entry_log, lambda _alarm: None, terminal="door-1")
        calendar_file = load_calendar(CONFIG_DIR / "demo" / "calendar.toml")
        calendar = BranchCalendar(calendar_file.branch("hovedbiblioteket"))
        seed = tomllib.loads((CONFIG_DIR / "demo" / "lms.toml").read_text(encoding="utf-8"))
        self.lock = MemoryDoorLock(self.clock.now)
        self.views: list[EntryView] = []
        rules = access_rules(load_access_settings(CONFIG_DIR / "demo" / "access.toml"), None)
        self.entry = EntryController(
            self.core, lms or seeded_lms(seed), self.clock, lambda: rules,
            calendar.opening_at, self.supervisor, self.lock,
            Pseudonymizer(b"k" * 32), publish=self.views.append, budget_s=3.0, pulse_s=5.0, cached=cached)

    def present(self, patron: tuple[str, str]) -> EntryView:
        self.entry.begin(Credential(CredentialKind.CARD_UID, patron[0]), patron[1], "da")
        self.core.drain()
        return self.views[-1]


def test_an_adult_enters_at_20_15_on_a_weekday(tmp_path: Path) -> None:
    door = Door(tmp_path, "2026-11-25T20:15")
    view = door.present(ANNA)
    assert view.allowed and door.views[-1].door_unlocked is True
    assert door.lock.pulses == [5.0]
    assert door.entry_log.count(decision=EntryDecision.ALLOWED) == 1


def test_a_13_year_old_is_refused_in_the_evening_and_nothing_unlocks(tmp_path: Path) -> None:
    door = Door(tmp_path, "2026-11-25T20:15")
    view = door.present(MADS)
    assert not view.allowed and view.reason == "too_young_at_this_time"
    assert "15 år" in view.message and "Adgang nægtet" not in view.message  # the title says that
    assert door.lock.pulses == []
    assert door.entry_log.count(decision=EntryDecision.REFUSED, reason="too_young_at_this_time") == 1


def test_on_a_closed_holiday_the_lms_is_not_even_asked(tmp_path: Path) -> None:
    door = Door(tmp_path, "2026-12-25T12:00", lms=SlowLms())
    view = door.present(ANNA)  # the slow LMS would hang for 10 s if it were asked
    assert (view.allowed, view.reason) == (False, "closed")
    assert door.lock.pulses == []


def test_an_lms_that_does_not_answer_in_3_s_gives_a_decision_without_it(tmp_path: Path) -> None:
    lms = SlowLms()
    door = Door(tmp_path, "2026-11-25T20:15", lms=lms, threaded=True)
    door.entry.begin(Credential(CredentialKind.CARD_UID, ANNA[0]), ANNA[1], "da")
    door.entry.tick()
    assert door.views == [] and door.entry.waiting
    door.clock.advance(3.1)
    door.entry.tick()  # the cached list is asked on a worker; its answer comes back to the core
    deadline = time.monotonic() + 10
    while not door.views and time.monotonic() < deadline:
        door.core.drain()
        time.sleep(0.01)
    view = door.views[-1]
    assert (view.allowed, view.from_cache, view.reason) == (False, True, "lms_unavailable_not_cached")
    refused = door.entry_log.between(at("2026-11-25T00:00"), at("2026-11-26T00:00"))
    assert [r.flags for r in refused] == [("offline",)]
    lms.release.set()
    door.core.stop()
    door.core.drain()
    assert len(door.views) == 1  # the late answer changed nothing


class DownLms:
    """An LMS whose line is dead: every question fails at once."""

    def authenticate_patron(self, credential: Credential, pin: str | None) -> AuthResult:
        raise LmsUnavailable("connection refused")


def test_the_cached_lists_slow_pin_check_does_not_hold_up_the_core(tmp_path: Path) -> None:
    """scrypt takes tens of milliseconds on purpose; meanwhile the screen and the devices' events
    (the core thread) must go on."""
    checking, release = threading.Event(), threading.Event()
    seed = tomllib.loads((CONFIG_DIR / "demo" / "lms.toml").read_text(encoding="utf-8"))
    listed = seeded_lms(seed)  # what the access list says of Anna

    def slow_check(credential: Credential, pin: str | None) -> AuthResult | None:
        checking.set()
        release.wait(10)
        return dataclasses.replace(listed.authenticate_patron(credential, pin), offline=True)

    door = Door(tmp_path, "2026-11-25T20:15", lms=DownLms(), threaded=True, cached=slow_check)
    door.entry.begin(Credential(CredentialKind.CARD_UID, ANNA[0]), ANNA[1], "da")
    assert checking.wait(10)
    drained = threading.Thread(target=door.core.drain)
    drained.start()
    drained.join(2)
    assert not drained.is_alive()  # the core was free while the PIN was being checked
    release.set()
    deadline = time.monotonic() + 10
    while not door.views and time.monotonic() < deadline:
        door.core.drain()
        time.sleep(0.01)
    assert door.views[-1].allowed and door.views[-1].from_cache
    door.core.stop()
