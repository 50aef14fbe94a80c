"""The kiosk and the door wired to the central system over HTTP, as `[central]` configures them:
the access list lets a patron log in (kiosk) or come in (door) while the LMS is down, and the
journal's events reach the central system, sealed identifiers never."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.central import RestartWanted
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Credential, CredentialKind
from kiosk.session.service import Message, Screen
from kiosk.settings import (
    DEMO_DOOR_SETTINGS,
    DEMO_SETTINGS,
    CentralSettings,
    LmsSettings,
    Settings,
    Sip2Settings,
)
from kiosk.simulate.build import DEMO_SEED
from kiosk.staff.view import StaffPage, TerminalAction
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryDoorLock, MemoryItemReader
from sync.central.seed import apply_seed, load_seed
from sync.central.service import CentralService
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.conftest import isolated_settings
from tests.net import free_port

CENTRAL_SEED = DEMO_SETTINGS.parent / "central.toml"
ANNA, MADS = 0, 1
ANNA_CARD = "1000000001"


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralService]:
    seed = load_seed(CENTRAL_SEED)
    emulator = CentralService(tmp_path_factory.mktemp("central") / "central.sqlite3",
                              access_list_key=seed.access_list_key)
    apply_seed(seed, emulator)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def lms() -> Iterator[Sip2Emulator]:
    emulator = Sip2Emulator(load_data(DEMO_SEED)).start()
    yield emulator
    emulator.stop()


def wired(tmp_path: Path, source: Path, central: CentralService, lms: Sip2Emulator,
          terminal_id: str | None = None) -> Settings:
    """The terminal of ``source`` (as ``terminal_id``), enrolled with ``central``, on ``lms``."""
    base = isolated_settings(tmp_path, source)
    terminal = base.terminal.model_copy(update={"id": terminal_id or base.terminal.id})
    credential = central.enrol(terminal.id, terminal.branch)
    if terminal_id is not None:  # a terminal the seed does not configure
        central.set_terminal_config(terminal_id, {"central": {"heartbeat_every_s": 30}})
    account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": lms.address[1], "user": "kiosk",
                                           "password": "kiosk", "keepalive_s": 0.0, "timeout_s": 2.0,
                                           "retries": 0})
    return base.model_copy(update={
        "lms": LmsSettings(kind="sip2", sip2=account),
        "terminal": terminal,
        "central": CentralSettings(kind="http", url=central.url, token=credential)})


def start(settings: Settings) -> tuple[Kiosk, ManualClock]:
    clock = ManualClock()
    kiosk = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    seed = read_seed(DEMO_SEED)
    kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
    kiosk.connect_devices()
    tick(kiosk, clock)  # the first sync: configuration, calendar, access list, heartbeat
    return kiosk, clock


def tick(kiosk: Kiosk, clock: ManualClock, seconds: float = 1.0) -> None:
    clock.advance(seconds)
    kiosk.core.post(Tick())
    kiosk.core.drain()


def present(kiosk: Kiosk, patron: int, pin: str | None = None) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[patron].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(pin or kiosk.demo_cards[patron].pin)
    kiosk.core.drain()


def test_with_the_lms_down_anna_logs_in_from_the_access_list_and_borrows_offline(
        tmp_path: Path, central: CentralService, lms: Sip2Emulator) -> None:
    kiosk, clock = start(wired(tmp_path, DEMO_SETTINGS, central, lms))
    try:
        lms.stop()
        kiosk.session.start_visit(Purpose.BORROW)
        kiosk.core.drain()
        present(kiosk, ANNA, pin="9999")
        assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.PIN, Message.WRONG_PIN)
        kiosk.session.submit_pin(kiosk.demo_cards[ANNA].pin)
        kiosk.core.drain()
        assert kiosk.session.view.screen is Screen.BORROW and kiosk.session.view.lms_offline
        pad = kiosk.devices.item_reader
        assert isinstance(pad, MemoryItemReader)
        pad.place(*[t for t in kiosk.demo_tags if t.item_id == "5010000003"])
        kiosk.core.drain()
        visit = kiosk.session.view.visit
        assert visit is not None
        assert [(r.outcome, r.offline) for r in visit.items] == [(Outcome.BORROWED, True)]
        # The offline loan is not sent before it is replayed; the heartbeat says "offline".
        tick(kiosk, clock, 61)
        beats = central.heartbeats()
        assert beats and beats[-1]["mode"] == "offline" and beats[-1]["disk"]["free_mb"] > 0
        assert not [e for e in central.events() if e["kind"] == "transaction"]
    finally:
        kiosk.close()


def test_the_door_lets_anna_in_and_keeps_mads_out_from_the_access_list(
        tmp_path: Path, central: CentralService, lms: Sip2Emulator) -> None:
    kiosk, clock = start(wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms))
    try:
        lms.stop()
        present(kiosk, ANNA)
        entry = kiosk.session.view.entry
        assert entry is not None and entry.allowed and entry.from_cache
        tick(kiosk, clock, 10)
        present(kiosk, MADS)  # 13, after 20:00
        entry = kiosk.session.view.entry
        assert entry is not None and not entry.allowed and entry.reason == "too_young_at_this_time"
        lock = kiosk.devices.door_lock
        assert isinstance(lock, MemoryDoorLock) and len(lock.pulses) == 1
        tick(kiosk, clock, 10)  # the outbox sends the entries
        entries = [e for e in central.events() if e["kind"] == "entry"]
        assert len(entries) >= 2 and all("offline" in e["payload"].get("flags", []) for e in entries[-2:])
        for event in central.events():
            assert "patron_sealed" not in event["payload"] and "1000000001" not in str(event)
    finally:
        kiosk.close()


def test_the_demo_starts_its_own_central_emulator(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path, DEMO_DOOR_SETTINGS)
    settings = settings.model_copy(update={"central": CentralSettings(kind="emulator", seed=CENTRAL_SEED)})
    kiosk, _clock = start(settings)
    try:
        present(kiosk, ANNA)
        entry = kiosk.session.view.entry
        assert entry is not None and entry.allowed
        assert (tmp_path / "data" / "central.sqlite3").exists()
    finally:
        kiosk.close()


# -- the learned access list ---------------------------------------------------------------------

@pytest.fixture
def own_central(tmp_path: Path) -> Iterator[CentralService]:
    """A central service with the demo seed for this test alone."""
    seed = load_seed(CENTRAL_SEED)
    central = CentralService(tmp_path / "central.sqlite3", access_list_key=seed.access_list_key)
    apply_seed(seed, central)
    central.start()
    yield central
    central.stop()


@pytest.fixture
def central_without_anna(own_central: CentralService) -> CentralService:
    assert own_central.delete_patron(ANNA_CARD)
    return own_central


def test_a_patron_checked_online_at_one_door_gets_in_at_another_while_the_lms_is_down(
        tmp_path: Path, central_without_anna: CentralService, lms: Sip2Emulator) -> None:
    central = central_without_anna
    first, first_clock = start(wired(tmp_path / "a", DEMO_DOOR_SETTINGS, central, lms, "door-a"))
    second, second_clock = start(wired(tmp_path / "b", DEMO_DOOR_SETTINGS, central, lms, "door-b"))
    try:
        present(first, ANNA)  # the LMS answers: in, and learned
        entry = first.session.view.entry
        assert entry is not None and entry.allowed and not entry.from_cache
        tick(first, first_clock, 10)  # the outbox sends what the first door learned
        learned = [e for e in central.events() if e["kind"] == "access_learned"]
        assert len(learned) == 1 and learned[0]["payload"]["key"] == central.patron_token(ANNA_CARD)
        assert ANNA_CARD not in str(learned) and "pin" not in learned[0]["payload"]["pin_verifier"]

        lms.stop()
        tick(second, second_clock, 61)  # the second door's next access-list delta
        present(second, ANNA)
        entry = second.session.view.entry
        assert entry is not None and entry.allowed and entry.from_cache
        tick(second, second_clock, 30)  # the entry screen is done
        present(second, ANNA, pin="9999")
        assert (second.session.view.screen, second.session.view.message) == (Screen.PIN, Message.WRONG_PIN)
    finally:
        first.close()
        second.close()


def test_a_patron_the_door_already_knows_is_only_confirmed_not_sent_again(
        tmp_path: Path, central: CentralService, lms: Sip2Emulator) -> None:
    kiosk, clock = start(wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms))
    try:
        before = len(central.events())
        present(kiosk, ANNA)  # on the seeded list with the same PIN and eligibility
        tick(kiosk, clock, 10)
        kinds = [e["kind"] for e in central.events()[before:]]
        assert "access_used" in kinds and "access_learned" not in kinds
    finally:
        kiosk.close()


# -- the calendar from the central system ------------------------------------------------------------

def test_a_calendar_changed_centrally_changes_what_the_door_does_without_a_restart(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    door, clock = start(wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms))  # Wednesday 20.15: open
    try:
        present(door, ANNA)
        entry = door.session.view.entry
        assert entry is not None and entry.allowed
        tick(door, clock, 30)

        calendar = central.calendar_of("hovedbiblioteket")
        evenings_closed = dict(calendar, week={day: ["07:00-19:00 unstaffed"] for day in calendar["week"]})
        central.set_calendar("hovedbiblioteket", evenings_closed)
        tick(door, clock, 301)  # the next calendar sync
        present(door, ANNA)
        entry = door.session.view.entry
        assert entry is not None and not entry.allowed and entry.reason == "closed"
    finally:
        door.close()


def test_a_calendar_the_kiosk_cannot_use_is_refused_and_the_one_before_stays(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator,
        caplog: pytest.LogCaptureFixture) -> None:
    central = own_central
    door, clock = start(wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms))
    try:
        broken = dict(central.calendar_of("hovedbiblioteket"), zone="Europe/Atlantis")
        central.set_calendar("hovedbiblioteket", broken)
        tick(door, clock, 301)
        assert "the calendar for branch hovedbiblioteket is not one this kiosk can use" in caplog.text
        present(door, ANNA)  # still Wednesday evening, still open
        entry = door.session.view.entry
        assert entry is not None and entry.allowed
    finally:
        door.close()


# -- configuration revisions ------------------------------------------------------------------------

def restarts_wanted(kiosk: Kiosk) -> list[str]:
    wanted: list[str] = []
    kiosk.core.on(RestartWanted, lambda event: wanted.append(event.reason))
    return wanted


def test_a_new_configuration_is_checked_applied_at_the_restart_and_kept_when_the_start_answers(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    settings = wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms)
    door, clock = start(settings)
    try:
        wanted = restarts_wanted(door)
        number = central.add_revision("branch", "hovedbiblioteket", {"session": {"idle_timeout_s": 45}},
                                      author="dokk1@aarhus.dk", reason="longer for the evening")
        tick(door, clock, 301)  # the next configuration sync
        own = central.revisions("terminal", "demo-door")[0]["number"]  # the seed's
        assert wanted == [f"configuration revision d0.m0.b{number}.t{own}"]
        beat = central.heartbeats()[-1]["config"]
        assert beat["pending"] == f"d0.m0.b{number}.t{own}" and beat["applied"] == f"d0.m0.b0.t{own}"
    finally:
        door.close()

    restarted, clock = start(settings)  # what the restart does
    try:
        assert restarted.settings.session.idle_timeout_s == 45
        restarted.try_configuration()  # the LMS and the devices answer
        restarted.core.drain()
        tick(restarted, clock, 61)
        beat = central.heartbeats()[-1]["config"]
        assert beat["applied"] is not None and beat["pending"] is None and beat["refused"] is None
    finally:
        restarted.close()


def test_a_configuration_the_terminal_cannot_start_with_is_rolled_back_and_shown_as_such(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    settings = wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms)
    door, clock = start(settings)
    try:
        central.add_revision("terminal", "demo-door", {"lms": {"sip2": {"port": free_port(), "retries": 0,
                                                                        "timeout_s": 1.0}}},
                             author="anne", reason="the new LMS server")  # valid, but nobody answers there
        tick(door, clock, 301)
    finally:
        door.close()

    trial, clock = start(settings)
    try:
        wanted = restarts_wanted(trial)
        trial.try_configuration()
        trial.core.drain()
        assert wanted == ["configuration rolled back"]
        tick(trial, clock, 61)
        refused = central.heartbeats()[-1]["config"]["refused"]
        assert refused is not None and refused["error"].startswith("rolled back: the LMS did not answer")
    finally:
        trial.close()

    again, _clock = start(settings)  # the restart after the rollback: the terminal's own settings
    try:
        assert again.settings.lms.sip2.port == lms.address[1]
        assert again.configuration is not None and again.configuration.on_trial is None
    finally:
        again.close()


def test_a_configuration_the_terminal_refuses_is_never_tried(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    settings = wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms)
    door, clock = start(settings)
    try:
        wanted = restarts_wanted(door)
        # Valid for the service's check, but this door's calendar file is not where the layer says.
        central.add_revision("terminal", "demo-door", {"calendar": {"file": "/nowhere/calendar.toml"}},
                             author="anne")
        tick(door, clock, 301)
        tick(door, clock, 61)
        assert wanted == []
        refused = central.heartbeats()[-1]["config"]["refused"]
        assert refused is not None and "calendar" in refused["error"]
    finally:
        door.close()


def test_new_access_rules_are_in_force_at_once_without_a_restart(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    door, clock = start(wired(tmp_path, DEMO_DOOR_SETTINGS, central, lms))  # the seed's layer: live too
    try:
        wanted = restarts_wanted(door)
        present(door, ANNA)
        entry = door.session.view.entry
        assert entry is not None and entry.allowed
        tick(door, clock, 30)
        central.add_revision("branch", "hovedbiblioteket", {"access": {"categories": ["child"]}},
                             author="dokk1@aarhus.dk", reason="children's evening")
        tick(door, clock, 301)
        present(door, ANNA)  # an adult
        entry = door.session.view.entry
        assert entry is not None and not entry.allowed and wanted == []
        tick(door, clock, 61)
        assert central.heartbeats()[-1]["config"]["pending"] is None
    finally:
        door.close()


def test_staff_at_the_kiosk_roll_back_a_waiting_configuration_and_the_audit_log_says_who_did_what(
        tmp_path: Path, own_central: CentralService, lms: Sip2Emulator) -> None:
    central = own_central
    kiosk, clock = start(wired(tmp_path, DEMO_SETTINGS, central, lms))
    try:
        number = central.add_revision("branch", "hovedbiblioteket", {"session": {"idle_timeout_s": 45}},
                                      author="dokk1@aarhus.dk", reason="longer for the evening")
        tick(kiosk, clock, 301)  # the next configuration sync: it waits for a restart
        reader = kiosk.card_reader
        assert isinstance(reader, MemoryCardReader)
        reader.present(Credential(CredentialKind.CARD_UID, "9900000001"))  # config/demo/staff.toml
        kiosk.core.drain()
        kiosk.session.submit_pin("1357")
        kiosk.core.drain()
        kiosk.session.staff_page(StaffPage.TERMINAL)
        kiosk.core.drain()
        staff = kiosk.session.view.staff
        assert staff is not None and staff.pending_revision.startswith(f"d0.m0.b{number}.")
        assert staff.actions == (TerminalAction.RESTART, TerminalAction.APPLY_CONFIG,
                                 TerminalAction.ROLLBACK_CONFIG, TerminalAction.MAINTENANCE_EXIT)
        kiosk.session.staff_action(TerminalAction.ROLLBACK_CONFIG)
        kiosk.core.drain()
        staff = kiosk.session.view.staff
        assert staff is not None
        assert (staff.pending_revision, staff.notice) == ("", "staff.notice.rolled_back")
        kiosk.session.logout()
        tick(kiosk, clock, 61)  # the outbox and the heartbeat
        beat = central.heartbeats()[-1]["config"]
        assert beat["pending"] is None and beat["refused"]["error"] == "rolled back: rolled back by staff"
        lines = [(line["who"], line["action"], line["target"]) for line in central.audit_log()]
        staff_lines = [(action, target) for who, action, target in lines
                       if who.startswith("terminal demo-1: administrator ")]
        assert [action for action, _ in staff_lines][::-1] == [
            "terminal.staff_login", "terminal.config_rollback", "terminal.staff_logout"]
        assert dict(staff_lines)["terminal.config_rollback"].startswith(f"d0.m0.b{number}.")
        assert "9900000001" not in str(lines)
    finally:
        kiosk.close()


def test_the_offered_version_is_downloaded_and_installed_by_itself_once_the_branch_has_closed(
        tmp_path: Path, lms: Sip2Emulator) -> None:
    """The wiring of `build`: the sync downloads into the drop folder, the core's ticks install it
    (here through `[updates] command`, a real process that writes down what it was given) only
    when the branch calendar in force says closed and nobody is at the kiosk."""
    import sys
    import time

    from kiosk.bootstrap.updates import kiosk_version
    from kiosk.settings import UpdateSettings
    from sync.central import admin_cli
    from tests.cli.kiosk_releases import NEW, build_wheel

    wheel = build_wheel(NEW, tmp_path / "wheel", tmp_path / "wheel-src")
    seed = load_seed(CENTRAL_SEED)
    database = tmp_path / "central.sqlite3"
    central = CentralService(database, access_list_key=seed.access_list_key)
    apply_seed(seed, central)
    central.start()
    try:
        # The branch's calendar in force: staffed on Wednesdays until 22:00; the clock starts at 20:15.
        central.set_calendar("hovedbiblioteket", {"name": "Hovedbiblioteket", "zone": "Europe/Copenhagen",
                                                  "week": {"wednesday": ["08:00-22:00 staffed"]}})
        base = wired(tmp_path / "kiosk", DEMO_SETTINGS, central, lms, terminal_id="kiosk-upd")
        marker = tmp_path / "installing"
        # One line per start: an update started too early would show as a line more.
        script = "import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')"
        settings = base.model_copy(update={
            "updates": UpdateSettings(command=(sys.executable, "-c", script, str(marker)))})
        for step in (["add", str(wheel)], ["offer", NEW, "--terminal", "kiosk-upd"]):
            assert admin_cli.main(["--db", str(database), "release", *step]) == 0
        kiosk, clock = start(settings)
        try:
            assert settings.paths.data_dir is not None
            drop = settings.paths.data_dir / "updates"
            assert [path.name for path in drop.iterdir()] == [wheel.name]
            assert central.heartbeats()[-1]["version"] == kiosk_version()
            tick(kiosk, clock, 31)
            assert not marker.exists()  # staffed hours
            clock.advance(2 * 3600)
            kiosk.session.start_visit(Purpose.BORROW)
            kiosk.core.drain()
            tick(kiosk, clock, 31)
            assert not marker.exists()  # closed, but a patron is at the kiosk
            kiosk.session.cancel()
            kiosk.core.drain()
            assert kiosk.session.view.screen is Screen.START
            tick(kiosk, clock, 31)
            deadline = time.monotonic() + 20
            while not marker.exists():
                assert time.monotonic() < deadline, "the update was not started"
                time.sleep(0.05)
            time.sleep(0.5)
            assert marker.read_text().splitlines() == [f"--wheel {drop / wheel.name}"]
        finally:
            kiosk.close()
    finally:
        central.stop()
