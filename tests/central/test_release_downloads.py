"""The version the central service offers, downloaded by the kiosk's sync into a real drop folder,
installed at a safe moment through the update request root's path unit watches, taken into root's
folder only as the central service vouches for it; and a rolled-back version never again, and told.

Real parts: a real wheel of this tree, the central service over HTTP on SQLite with the offer made by
``central-admin release``, the real client (every exchange checked against the contract), the
kiosk's store and journal in SQLite files, the drop folders and request file on disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.updates import DropFolderUpdates
from kiosk.central.outbox import Outbox, OutboxStats
from kiosk.central.releases import RETRY_S, ReleaseDownloads, note_rollback, rolled_back_versions
from kiosk.central.sync import CentralSync
from kiosk.cli.releases import UpdateError
from kiosk.cli.update import requested_wheel
from kiosk.cli.update_central import vouched_download
from kiosk.door.calendar import BranchCalendar
from kiosk.settings import CentralSettings, Settings
from kiosk.settings.calendar import BranchSettings
from kiosk.staff.auto_update import CHECK_EVERY_S, AutomaticUpdates, Policy
from kiosk.store import Journal, JournalState, Store, open_store
from kiosk.testing.memory import ManualClock
from sync.central import admin_cli
from sync.central.service import CentralService
from tests.central.test_outbox import TERMINAL, TOKEN, checked_client, enrolled_central
from tests.cli.kiosk_releases import NEW, OLD, build_wheel
from tests.conftest import isolated_settings

pytestmark = pytest.mark.slow
# The clock starts on Wednesday 25 November 2026 at 20:15: staffed until 22:00, closed after.
CALENDAR = {"name": "Hovedbiblioteket", "zone": "Europe/Copenhagen",
            "week": {"wednesday": ["08:00-22:00 staffed"]}}
UNTIL_CLOSED_S = 2 * 3600.0


@pytest.fixture(scope="session")
def kiosk_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("release-wheel")
    return build_wheel(NEW, work / "out", work)


@pytest.fixture
def central(tmp_path: Path, kiosk_wheel: Path) -> Iterator[CentralService]:
    """The service, with the terminal configured and NEW added and offered to it."""
    with enrolled_central(tmp_path / "central.db") as central:
        central.set_terminal_config(TERMINAL, {"terminal": {"language": "da"}})
        for step in (["add", str(kiosk_wheel)], ["offer", NEW, "--terminal", TERMINAL]):
            assert admin_cli.main(["--db", str(tmp_path / "central.db"), "release", *step]) == 0
        yield central


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def journal(store: Store, clock: ManualClock) -> Journal:
    return Journal(store, now=lambda: clock.now().astimezone(dt.UTC))


class Terminal:
    """The kiosk's side: its data folder, its own downloads folder and root's drop folder, the
    request file, and the sync that downloads."""

    def __init__(self, root: Path, central: CentralService, store: Store, clock: ManualClock,
                 running: str = OLD) -> None:
        self.data = root / "data"
        self.updates, self.downloads = root / "updates", self.data / "downloads"
        self.request = self.data / "update-request"
        self.updates.mkdir(parents=True)
        self.data.mkdir(exist_ok=True)
        self.client = checked_client(central.url)
        self.releases = ReleaseDownloads(self.client, self.downloads, running,
                                         lambda: rolled_back_versions(self.data), clock.monotonic)
        self.sync = CentralSync(self.client, store, TERMINAL, "hovedbiblioteket", clock,
                                health=lambda: [], outbox_stats=lambda: OutboxStats(0, None),
                                mode=lambda: "online", rng=random.Random(5), version=running,
                                releases=self.releases)
        self.drop = DropFolderUpdates(self.updates, [], root / "update.log", request=self.request,
                                      downloads=self.downloads)

    def sync_now(self) -> None:
        assert self.sync.due_work()
        self.sync.run_due()

    def wheels(self) -> list[str]:
        """Every file in the kiosk's downloads folder (a partial download would show here)."""
        return sorted(path.name for path in self.downloads.iterdir()) if self.downloads.exists() else []


def wheel_requests(central: CentralService) -> list[int]:
    return [x.status for x in central.exchanges() if x.path.endswith("/wheel")]


def test_the_offered_version_is_downloaded_whole_and_the_heartbeat_says_what_runs(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock, kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    assert terminal.wheels() == [kiosk_wheel.name]
    assert (terminal.downloads / kiosk_wheel.name).read_bytes() == kiosk_wheel.read_bytes()
    assert central.heartbeats()[-1]["version"] == OLD
    clock.advance(301)  # the next configuration sync: the wheel is there, not fetched again
    terminal.sync_now()
    assert wheel_requests(central) == [200]


def test_a_download_whose_sha256_is_not_the_offered_one_never_lands_and_is_tried_again_later(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock, kiosk_wheel: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    good = hashlib.sha256(kiosk_wheel.read_bytes()).hexdigest()
    with sqlite3.connect(tmp_path / "central.db") as db:
        db.execute("UPDATE releases SET sha256 = ?", ("0" * 64,))
    terminal = Terminal(tmp_path, central, store, clock)
    with caplog.at_level(logging.ERROR, "kiosk.central.releases"):
        terminal.sync_now()
    assert wheel_requests(central) == [200]  # it came, whole, but not with the hash offered
    assert terminal.wheels() == []  # nothing kept: no wheel, no partial file
    assert f"release {NEW}: the download failed and nothing was kept" in caplog.text
    assert terminal.releases.ready(terminal.sync.offered_release()) is None
    clock.advance(301)
    terminal.sync_now()
    assert wheel_requests(central) == [200]  # not again at once
    with sqlite3.connect(tmp_path / "central.db") as db:
        db.execute("UPDATE releases SET sha256 = ?", (good,))
    clock.advance(RETRY_S)
    terminal.sync_now()
    assert wheel_requests(central) == [200, 200] and terminal.wheels() == [kiosk_wheel.name]


def test_a_wheel_larger_than_offered_is_cut_off_and_never_lands(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock, kiosk_wheel: Path) -> None:
    with sqlite3.connect(tmp_path / "central.db") as db:
        db.execute("UPDATE releases SET size = ?", (kiosk_wheel.stat().st_size // 2,))
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    assert terminal.wheels() == []


def test_the_running_version_and_a_rolled_back_one_are_not_downloaded(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock) -> None:
    Terminal(tmp_path / "a", central, store, clock, running=NEW).sync_now()
    rolled = Terminal(tmp_path / "b", central, store, clock)
    note_rollback(rolled.data, NEW, OLD, dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC))
    rolled.sync_now()
    assert wheel_requests(central) == [] and rolled.wheels() == []


def automatic(terminal: Terminal, journal: Journal, clock: ManualClock, policy: Policy = "after_closing",
              visit: list[bool] | None = None) -> AutomaticUpdates:
    calendar = BranchCalendar(BranchSettings.model_validate(CALENDAR))
    at_kiosk = visit if visit is not None else [False]
    return AutomaticUpdates(terminal.drop, lambda: terminal.releases.ready(terminal.sync.offered_release()),
                            policy, journal=journal, data_dir=terminal.data,
                            visit_under_way=lambda: at_kiosk[0], calendar=lambda: calendar, now=clock.now,
                            monotonic=clock.monotonic)


def tick(updates: AutomaticUpdates, clock: ManualClock) -> None:
    clock.advance(CHECK_EVERY_S)
    updates.tick()


def test_the_update_is_asked_for_only_when_the_branch_is_closed_and_nobody_uses_the_kiosk(
        tmp_path: Path, central: CentralService, store: Store, journal: Journal, clock: ManualClock,
        kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    visit = [False]
    updates = automatic(terminal, journal, clock, visit=visit)
    tick(updates, clock)
    assert not terminal.request.exists()  # staffed hours: not now
    clock.advance(UNTIL_CLOSED_S)
    visit[0] = True
    tick(updates, clock)
    assert not terminal.request.exists()  # closed, but someone is at the kiosk
    visit[0] = False
    loan = journal.append("checkout", {"item": "5010000001", "patron": "ab" * 16})
    tick(updates, clock)
    assert not terminal.request.exists()  # a loan is under way
    journal.mark(loan.id, JournalState.DONE)
    tick(updates, clock)
    assert terminal.request.read_text() == f"{kiosk_wheel.name}\n"
    # Root's side (library-kiosk update --request, run by the path unit): the kiosk's download is
    # copied into root's folder once the central service says it offers exactly that.
    settings = central_settings(tmp_path, central)
    wheel = requested_wheel(terminal.request, terminal.updates, downloads=terminal.downloads,
                            vouch=lambda name: vouched_download(name, terminal.downloads, terminal.updates,
                                                                settings, tmp_path / "keys"))
    assert wheel == terminal.updates / kiosk_wheel.name and wheel.read_bytes() == kiosk_wheel.read_bytes()
    assert not terminal.request.exists()


def test_when_idle_installs_in_opening_hours_and_staff_only_never_by_itself(
        tmp_path: Path, central: CentralService, store: Store, journal: Journal, clock: ManualClock,
        kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    staff_only = automatic(terminal, journal, clock, "staff_only")
    clock.advance(UNTIL_CLOSED_S)
    tick(staff_only, clock)
    assert not terminal.request.exists()
    assert terminal.drop.waiting() == kiosk_wheel.name  # staff mode still offers it
    when_idle = automatic(terminal, journal, ManualClock(), "when_idle")  # 20:15, staffed hours
    when_idle.tick()
    assert terminal.request.read_text() == f"{kiosk_wheel.name}\n"


def test_root_refuses_a_download_the_central_service_does_not_offer(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock, kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    settings = central_settings(tmp_path, central)
    assert admin_cli.main(["--db", str(tmp_path / "central.db"), "release", "withdraw", "--terminal",
                           TERMINAL]) == 0
    with pytest.raises(UpdateError, match="does not offer"):
        vouched_download(kiosk_wheel.name, terminal.downloads, terminal.updates, settings, tmp_path / "keys")
    assert list(terminal.updates.iterdir()) == []
    # Offered again, but the kiosk's file is not the wheel offered (changed after the download).
    assert admin_cli.main(["--db", str(tmp_path / "central.db"), "release", "offer", NEW, "--all"]) == 0
    download = terminal.downloads / kiosk_wheel.name
    download.write_bytes(download.read_bytes() + b"\0")
    with pytest.raises(UpdateError, match="not the wheel the central service offers"):
        vouched_download(kiosk_wheel.name, terminal.downloads, terminal.updates, settings, tmp_path / "keys")
    assert list(terminal.updates.iterdir()) == []


def test_a_rolled_back_version_is_not_installed_again_and_is_reported_once(
        tmp_path: Path, central: CentralService, store: Store, journal: Journal, clock: ManualClock,
        kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    assert terminal.wheels() == [kiosk_wheel.name]
    # The updater installed it, it never reported ready, and was rolled back: noted in the data folder.
    note_rollback(terminal.data, NEW, OLD, dt.datetime(2026, 11, 25, 21, 30, tzinfo=dt.UTC))
    updates = automatic(terminal, journal, clock, "when_idle")
    tick(updates, clock)
    tick(updates, clock)
    assert not terminal.request.exists()
    outbox = Outbox(journal, checked_client(central.url), TERMINAL, clock, rng=random.Random(7))
    assert outbox.send_once() == 1  # reported once, however often it was looked at
    (event,) = central.events()
    assert event["kind"] == "alarm"
    assert {k: event["payload"][k] for k in ("alarm", "version", "running")} == {
        "alarm": "update_rolled_back", "version": NEW, "running": OLD}
    (alarm,) = [a for a in central.alarms() if a.kind == "update_rolled_back"]
    assert alarm.terminal == TERMINAL and alarm.detail == f"update to {NEW} rolled back: {OLD} runs again"


def central_settings(tmp_path: Path, central: CentralService) -> Settings:
    """The terminal's settings as root's updater reads them: the central service and its credential."""
    settings = isolated_settings(tmp_path / "settings")
    return settings.model_copy(update={
        "central": CentralSettings(kind="http", url=central.url, token=TOKEN),
        "terminal": settings.terminal.model_copy(update={"id": TERMINAL})})


def test_staff_mode_is_not_offered_the_wheel_of_the_version_that_runs(
        tmp_path: Path, central: CentralService, store: Store, clock: ManualClock, kiosk_wheel: Path) -> None:
    terminal = Terminal(tmp_path, central, store, clock)
    terminal.sync_now()
    assert terminal.drop.waiting() == kiosk_wheel.name
    after_the_update = DropFolderUpdates(terminal.updates, [], tmp_path / "update.log",
                                         request=terminal.request, downloads=terminal.downloads, running=NEW)
    assert after_the_update.waiting() is None
