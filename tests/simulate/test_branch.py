"""The demo branch (`make demo`): the kiosk and the door share the LMS and the central service, and
a patron checked online at the kiosk gets in at the door from the shared list while the LMS is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.circulation.view import Purpose
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Credential, CredentialKind
from kiosk.session.service import Screen
from kiosk.simulate.branch import DemoBranch
from kiosk.testing.memory import ManualClock, MemoryCardReader

ANNA = 0


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[tuple[DemoBranch, ManualClock]]:
    clock = ManualClock()
    demo = DemoBranch.open(tmp_path, clock=lambda: clock, workers=InlineWorkers, log_to_console=False)
    for terminal in (demo.kiosk, demo.door):
        terminal.connect_devices()
    yield demo, clock
    demo.close()


def tick(demo: DemoBranch, clock: ManualClock, seconds: float) -> None:
    clock.advance(seconds)
    for terminal in (demo.kiosk, demo.door):
        terminal.core.post(Tick())
        terminal.core.drain()


def test_anna_logs_in_at_the_kiosk_and_with_the_lms_down_the_door_lets_her_in_from_the_shared_list(
        branch: tuple[DemoBranch, ManualClock]) -> None:
    demo, clock = branch
    tick(demo, clock, 1)  # the first syncs
    anna = demo.kiosk.demo_cards[ANNA]
    token = demo.central.patron_token(anna.credential.value)
    assert demo.central.delete_entry(token)  # not on the list the municipality loaded
    tick(demo, clock, 61)

    kiosk = demo.kiosk
    kiosk.session.start_visit(Purpose.ACCOUNT)
    kiosk.core.drain()
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(anna.credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(anna.pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is not Screen.PIN  # the LMS said yes
    tick(demo, clock, 10)  # the kiosk's outbox sends what it learned
    assert [e["kind"] for e in demo.central.events()].count("access_learned") == 1

    demo.lms_running(False)
    tick(demo, clock, 121)  # the door's next access-list delta (every 120 s, says the seed)
    door_reader = demo.door.card_reader
    assert isinstance(door_reader, MemoryCardReader)
    door_reader.present(demo.door.demo_cards[ANNA].credential)
    demo.door.core.drain()
    demo.door.session.submit_pin(anna.pin)
    demo.door.core.drain()
    entry = demo.door.session.view.entry
    assert entry is not None and entry.allowed and entry.from_cache


def test_a_closing_time_changed_centrally_closes_the_kiosk_and_the_door_and_staff_still_get_in(
        branch: tuple[DemoBranch, ManualClock]) -> None:
    """The issue's walk-through, with the central service's calendar set as the web sets it: the
    branch closes at 20:00 today instead of 22:00 (it is 20:15 on a Wednesday), so the kiosk takes
    no new visit and the door is closed; the demo staff card still opens staff mode."""
    demo, clock = branch
    tick(demo, clock, 1)
    kiosk, door = demo.kiosk, demo.door
    assert kiosk.session.view.hours is not None and kiosk.session.view.hours.open
    calendar = demo.central.calendar_of("hovedbiblioteket")
    assert calendar is not None
    week = dict(calendar["week"])
    week["wednesday"] = ["07:00-10:00 unstaffed", "10:00-19:00 staffed", "19:00-20:00 unstaffed"]
    demo.central.set_calendar("hovedbiblioteket", {**calendar, "week": week})
    tick(demo, clock, 301)  # the calendars' next sync
    tick(demo, clock, 21)  # the next look at the opening state
    hours = kiosk.session.view.hours
    assert hours is not None and not hours.open
    opening = door.session.view.opening
    assert opening is not None and opening.kind.value == "closed"
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[ANNA].credential)
    kiosk.core.drain()
    assert kiosk.session.view.message is not None and kiosk.session.view.message.value == "kiosk_closed"
    staff = next(card for card in kiosk.demo_cards if card.credential.value == "9900000001")
    reader.present(staff.credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(staff.pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.STAFF


def staff_log_in(kiosk: Kiosk, card: str, pin: str) -> Screen:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(Credential(CredentialKind.CARD_UID, card))
    kiosk.core.drain()
    kiosk.session.submit_pin(pin)
    kiosk.core.drain()
    screen = kiosk.session.view.screen
    kiosk.session.logout()
    kiosk.core.drain()
    return screen


def test_a_card_on_the_central_staff_list_opens_staff_mode_until_it_is_taken_off_or_too_old(
        branch: tuple[DemoBranch, ManualClock]) -> None:
    demo, clock = branch
    tick(demo, clock, 1)  # the first syncs, the staff list among them
    card, pin = "9900000003", "8642"  # config/demo/central.toml: a technician
    assert staff_log_in(demo.kiosk, card, pin) is Screen.STAFF
    staff = demo.kiosk.session.view  # logged out again
    assert staff.staff is None
    assert demo.central.remove_staff(card, by="test")
    tick(demo, clock, 301)  # the next staff-list sync
    assert staff_log_in(demo.kiosk, card, pin) is not Screen.STAFF

    demo.central.add_staff(card, pin, "technician", ("hovedbiblioteket",))
    tick(demo, clock, 301)
    assert staff_log_in(demo.kiosk, card, pin) is Screen.STAFF
    demo.central.stop()  # the service is away: the list as last received is used ...
    tick(demo, clock, 2 * 24 * 3600)
    assert staff_log_in(demo.kiosk, card, pin) is Screen.STAFF
    tick(demo, clock, 2 * 24 * 3600)  # ... for three days, no longer
    assert staff_log_in(demo.kiosk, card, pin) is not Screen.STAFF


def test_a_card_revoked_centrally_is_kept_out_by_the_door_even_while_the_service_is_away(
        branch: tuple[DemoBranch, ManualClock]) -> None:
    demo, clock = branch
    tick(demo, clock, 1)
    door = demo.door
    anna = door.demo_cards[ANNA]

    def comes_in() -> bool:
        reader = door.card_reader
        assert isinstance(reader, MemoryCardReader)
        reader.present(anna.credential)
        door.core.drain()
        door.session.submit_pin(anna.pin)
        door.core.drain()
        entry = door.session.view.entry
        assert entry is not None
        tick(demo, clock, 10)  # the answer leaves the panel
        return entry.allowed

    assert comes_in()
    token = demo.central.revoke_card(anna.credential.value, "threats to staff", by="test")
    tick(demo, clock, 301)  # the doors' next list sync
    assert not comes_in()
    assert demo.central.end_revocation(token[:12], by="test")
    tick(demo, clock, 301)
    assert comes_in()
    demo.central.revoke_card(anna.credential.value, "threats to staff", by="test")
    tick(demo, clock, 301)
    demo.central.stop()  # the service is away: the revocation stays in force
    tick(demo, clock, 7 * 24 * 3600)
    assert not comes_in()
