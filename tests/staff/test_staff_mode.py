"""Staff mode at the demo kiosk, as staff use it: the demo staff card and PIN, the status, every
device test against the terminal's devices, the transactions that need staff resolved in the
journal, the terminal's actions, and the way out (logging out, the idle timeout). The real session,
journal and SQLite file; the devices in memory (their drivers have tests of their own)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.central import RestartWanted
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Credential, CredentialKind
from kiosk.domain.pins import pin_verifier, verify_pin
from kiosk.offline.sealing import Sealer
from kiosk.session.service import Message, Screen
from kiosk.settings import CalendarSettings, Settings
from kiosk.staff.device_tests import CARD_WAIT_S, printer_test_page
from kiosk.staff.events import MaintenanceExitWanted
from kiosk.staff.roles import StaffRole
from kiosk.staff.view import Check, Resolution, StaffPage, StaffView, TerminalAction
from kiosk.store import JournalState
from kiosk.store.access_lists import StaffEntry
from kiosk.store.keys import offline_sealing_key, pseudonymizer
from kiosk.testing.memory import (
    COPENHAGEN,
    ManualClock,
    MemoryAnnouncer,
    MemoryCardReader,
    MemoryDocumentPrinter,
    MemoryItemReader,
    MemoryReceiptPrinter,
)
from kiosk.texts import LANGUAGES
from tests.conftest import isolated_settings

ADMIN, ADMIN_PIN = "9900000001", "1357"  # config/demo/staff.toml
LIBRARIAN, LIBRARIAN_PIN = "9900000002", "2468"
BOOK = "5010000001"


def present(kiosk: Kiosk, number: str, kind: CredentialKind = CredentialKind.CARD_UID) -> None:
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(Credential(kind, number))
    kiosk.core.drain()


def log_in(kiosk: Kiosk, number: str = ADMIN, pin: str = ADMIN_PIN) -> StaffView:
    present(kiosk, number)
    kiosk.session.submit_pin(pin)
    kiosk.core.drain()
    view = kiosk.session.view
    assert view.screen is Screen.STAFF, view
    assert view.staff is not None
    return view.staff


def settled(kiosk: Kiosk) -> StaffView:
    """Staff mode's view once everything posted has been handled."""
    kiosk.core.drain()
    staff = kiosk.session.view.staff
    assert staff is not None, kiosk.session.view
    return staff


def staff_rows(kiosk: Kiosk) -> list[dict[str, object]]:
    return [row.payload for row in kiosk.journal.in_states((JournalState.DONE,), kinds=("staff_action",))]


def test_the_demo_staff_cards_pin_verifiers_are_their_pins() -> None:
    import tomllib

    from kiosk.bootstrap.staff import DEMO_STAFF

    cards = tomllib.loads(DEMO_STAFF.read_text(encoding="utf-8"))["card"]
    assert cards and all(verify_pin(card["pin"], card["pin_verifier"]) for card in cards)


def test_the_administrator_card_and_pin_open_every_page_and_the_status(kiosk: Kiosk) -> None:
    staff = log_in(kiosk)
    assert staff.role is StaffRole.ADMINISTRATOR
    assert staff.pages == (StaffPage.STATUS, StaffPage.TESTS, StaffPage.TASKS, StaffPage.TERMINAL)
    lines = {line.what: line for line in staff.status}
    assert lines["lms"].check is Check.OK
    assert {"card_reader", "rfid_pad", "receipt_printer", "disk", "tasks"} <= set(lines)
    assert lines["tasks"].values == (("count", 0),)
    assert kiosk.session.patron is None  # no patron session: the LMS was never asked about the card
    assert [row["action"] for row in staff_rows(kiosk)] == ["staff_login"]
    assert staff_rows(kiosk)[0]["role"] == "administrator"
    assert ADMIN not in str(staff_rows(kiosk))  # a token, never the card number


def test_a_wrong_pin_on_a_staff_card_counts_like_any_wrong_pin(kiosk: Kiosk) -> None:
    present(kiosk, ADMIN)
    kiosk.session.submit_pin("0000")
    kiosk.core.drain()
    view = kiosk.session.view
    assert (view.screen, view.message, view.staff) == (Screen.PIN, Message.WRONG_PIN, None)
    assert view.attempts_left == kiosk.settings.session.max_pin_attempts - 1
    assert staff_rows(kiosk) == []


def test_a_librarian_sees_status_and_tasks_and_cannot_run_tests(kiosk: Kiosk) -> None:
    staff = log_in(kiosk, LIBRARIAN, LIBRARIAN_PIN)
    assert staff.pages == (StaffPage.STATUS, StaffPage.TASKS)
    kiosk.session.staff_test("receipt")
    kiosk.session.staff_page(StaffPage.TERMINAL)
    kiosk.session.staff_action(TerminalAction.RESTART)
    staff = settled(kiosk)
    assert staff.page is StaffPage.STATUS and staff.tests == ()
    printer = kiosk.devices.receipt_printer
    assert isinstance(printer, MemoryReceiptPrinter) and printer.count == 0


def test_every_device_test_tries_the_device_itself(kiosk: Kiosk) -> None:
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.place(*[tag for tag in kiosk.demo_tags if tag.item_id == BOOK])
    staff = log_in(kiosk)
    assert [test.name for test in staff.tests] == ["card", "pad", "receipt", "page", "announcement"]
    kiosk.session.staff_page(StaffPage.TESTS)
    for name in ("pad", "receipt", "page", "announcement"):
        kiosk.session.staff_test(name)
        kiosk.core.drain()
    tests = {test.name: test for test in settled(kiosk).tests}
    assert tests["pad"].check is Check.OK and tests["pad"].values == (("tags", 1), ("items", 1))
    printer, documents, speaker = (kiosk.devices.receipt_printer, kiosk.devices.document_printer,
                                   kiosk.devices.announcer)
    assert isinstance(printer, MemoryReceiptPrinter) and isinstance(documents, MemoryDocumentPrinter)
    assert isinstance(speaker, MemoryAnnouncer)
    assert tests["receipt"].check is Check.OK and printer.printed[-1].title == "Testkvittering"
    (job, pdf), = documents.jobs.values()
    assert tests["page"].check is Check.OK and pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert job.pages == 1
    assert tests["announcement"].check is Check.OK and speaker.spoken == [
        ("Dette er en test af højttaleren.", "da")]
    audited = [(row["action"], row["target"], row["detail"]) for row in staff_rows(kiosk)]
    assert ("device_test", "receipt", "passed") in audited and ("device_test", "page", "passed") in audited


def test_a_failing_device_fails_its_test_in_the_devices_own_words(kiosk: Kiosk) -> None:
    printer = kiosk.devices.receipt_printer
    assert isinstance(printer, MemoryReceiptPrinter)
    printer.unplug()
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TESTS)
    kiosk.session.staff_test("receipt")
    staff = settled(kiosk)
    test = next(test for test in staff.tests if test.name == "receipt")
    assert (test.check, test.error) == (Check.FAILED, "receipt_printer is unplugged")
    status = {line.what: line for line in staff.status}
    assert status["receipt_printer"].check is Check.FAILED
    assert ("device_test", "receipt", "failed: receipt_printer is unplugged") in [
        (row["action"], row["target"], row["detail"]) for row in staff_rows(kiosk)]


def test_the_card_test_takes_the_next_card_and_starts_no_patron_session(kiosk: Kiosk, clock: ManualClock
                                                                         ) -> None:
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TESTS)
    kiosk.session.staff_test("card")
    assert settled(kiosk).waiting_for_card
    present(kiosk, "1000000001")  # a patron's card: read, not logged in
    staff = settled(kiosk)
    card = next(test for test in staff.tests if test.name == "card")
    assert not staff.waiting_for_card
    assert (card.check, card.values) == (Check.OK, (("kind", "card_uid"), ("number", "••••0001")))
    assert kiosk.session.view.screen is Screen.STAFF and kiosk.session.patron is None
    kiosk.session.staff_test("card")
    kiosk.core.drain()
    clock.advance(CARD_WAIT_S + 1)
    kiosk.session.activity()
    kiosk.core.post(Tick())
    staff = settled(kiosk)
    card = next(test for test in staff.tests if test.name == "card")
    assert (card.check, card.key) == (Check.FAILED, "staff.test.card.none")


def refused_replay(kiosk: Kiosk) -> str:
    """An offline loan to Anna the LMS refused on replay, as the replay leaves it in the journal."""
    sealed = Sealer(offline_sealing_key(kiosk.store)).seal("1000000001")
    entry = kiosk.journal.append("checkout", {"item": BOOK, "patron": "3f9a1c7e", "patron_sealed": sealed,
                                              "at": "2026-11-25T20:41:00+01:00"},
                                 state=JournalState.REPLAY_REJECTED)
    kiosk.journal.mark(entry.id, JournalState.REPLAY_REJECTED, error="Patron blocked")
    return entry.id


@pytest.mark.parametrize(("resolution", "state"), [(Resolution.DONE, JournalState.RESOLVED),
                                                  (Resolution.CLEAR, JournalState.CLEARED)])
def test_a_transaction_that_needs_staff_is_resolved_in_the_journal(kiosk: Kiosk, resolution: Resolution,
                                                                   state: str) -> None:
    entry_id = refused_replay(kiosk)
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TASKS)
    staff = settled(kiosk)
    (task,) = staff.tasks
    assert (task.entry_id, task.item, task.error) == (entry_id, BOOK, "Patron blocked")
    assert task.resolutions == (Resolution.RETRY, Resolution.DONE, Resolution.CLEAR)
    kiosk.session.staff_resolve(entry_id, resolution)
    staff = settled(kiosk)
    row = kiosk.journal.get(entry_id)
    assert row is not None and row.state == state and row.payload["resolved_from"] == "replay_rejected"
    assert row.payload["item"] == BOOK and row.last_error == "Patron blocked"  # nothing of it is lost
    assert staff.tasks == () and staff.notice == f"staff.notice.task_{resolution.value}"
    assert (f"task_{resolution.value}", entry_id) in [(r["action"], r["target"]) for r in staff_rows(kiosk)]
    kiosk.session.staff_resolve(entry_id, Resolution.DONE)  # again: it no longer needs staff
    assert settled(kiosk).notice == "staff.notice.task_gone"


def test_retry_sends_a_refused_replay_to_the_lms_again(kiosk: Kiosk, clock: ManualClock) -> None:
    entry_id = refused_replay(kiosk)
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TASKS)
    kiosk.session.staff_resolve(entry_id, Resolution.RETRY)
    kiosk.core.drain()
    row = kiosk.journal.get(entry_id)
    assert row is not None and row.state == JournalState.OFFLINE
    clock.advance(1)
    kiosk.session.activity()
    kiosk.core.post(Tick())
    kiosk.core.drain()
    row = kiosk.journal.get(entry_id)
    assert row is not None and row.state == JournalState.DONE  # the LMS took it this time
    assert kiosk.lms.item_info(BOOK).circulation_status == "charged"


def test_restart_asks_for_a_restart_when_nobody_uses_the_kiosk(kiosk: Kiosk) -> None:
    wanted: list[str] = []
    kiosk.core.on(RestartWanted, lambda event: wanted.append(event.reason))
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TERMINAL)
    staff = settled(kiosk)
    # No central configuration waits.
    assert staff.actions == (TerminalAction.RESTART, TerminalAction.MAINTENANCE_EXIT)
    kiosk.session.staff_action(TerminalAction.RESTART)
    staff = settled(kiosk)
    assert wanted == ["staff: restart"] and staff.notice == "staff.notice.restarting"


def test_the_maintenance_exit_is_journalled_and_asks_the_kiosk_to_end(kiosk: Kiosk) -> None:
    wanted: list[str] = []
    kiosk.core.on(MaintenanceExitWanted, lambda event: wanted.append(event.reason))
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TERMINAL)
    kiosk.session.staff_action(TerminalAction.MAINTENANCE_EXIT)
    staff = settled(kiosk)
    assert wanted == ["staff (administrator): maintenance exit"]
    assert staff.notice == "staff.notice.maintenance_exit"
    assert [(row["action"], row["role"]) for row in staff_rows(kiosk)][-1] == ("maintenance_exit",
                                                                               "administrator")


def test_a_librarian_has_no_maintenance_exit(kiosk: Kiosk) -> None:
    wanted: list[str] = []
    kiosk.core.on(MaintenanceExitWanted, lambda event: wanted.append(event.reason))
    staff = log_in(kiosk, LIBRARIAN, LIBRARIAN_PIN)
    assert StaffPage.TERMINAL not in staff.pages
    kiosk.session.staff_action(TerminalAction.MAINTENANCE_EXIT)
    settled(kiosk)
    assert wanted == [] and "maintenance_exit" not in [row["action"] for row in staff_rows(kiosk)]


def test_staff_mode_ends_on_idle_like_a_patron_session(kiosk: Kiosk, clock: ManualClock) -> None:
    log_in(kiosk)
    clock.advance(kiosk.settings.session.idle_timeout_s + 1)
    kiosk.core.post(Tick())
    kiosk.core.drain()
    view = kiosk.session.view
    assert (view.screen, view.message, view.staff) == (Screen.START, Message.TIMED_OUT, None)
    assert [row["action"] for row in staff_rows(kiosk)] == ["staff_login", "staff_logout"]
    present(kiosk, "1000000001")  # the next card is a patron's again
    assert kiosk.session.view.screen is Screen.PIN


def test_staff_log_in_when_the_kiosk_is_closed_to_patrons(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    settings = settings.model_copy(update={"calendar": CalendarSettings(file=settings.calendar.file,
                                                                        kiosk_hours=True)})
    kiosk = build(settings, profile="demo", clock=ManualClock(dt.datetime(2026, 11, 25, 23, 0,
                                                                          tzinfo=COPENHAGEN)),
                  workers=InlineWorkers(), log_to_console=False)
    try:
        kiosk.connect_devices()
        present(kiosk, "1000000001")
        assert kiosk.session.view.message is Message.KIOSK_CLOSED
        assert log_in(kiosk).role is StaffRole.ADMINISTRATOR
    finally:
        kiosk.close()


def test_a_staff_list_file_opens_staff_mode_and_a_cleaner_card_does_not(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    staff_list = tmp_path / "staff.toml"
    settings = settings.model_copy(update={"access": settings.access.model_copy(
        update={"staff_list": staff_list})})
    kiosk = build(settings, profile="run", workers=InlineWorkers(), clock=ManualClock(),
                  log_to_console=False)
    try:
        kiosk.connect_devices()
        token = pseudonymizer(kiosk.store)
        staff_list.write_text(StaffEntry(token("7700000001"), "technician", pin_verifier("4321")).to_toml()
                              + StaffEntry(token("7700000002"), "cleaner", pin_verifier("4321")).to_toml(),
                              encoding="utf-8")
        assert log_in(kiosk, "7700000001", "4321").pages == (StaffPage.STATUS, StaffPage.TESTS,
                                                              StaffPage.TASKS, StaffPage.TERMINAL)
        kiosk.session.logout()
        kiosk.core.drain()
        present(kiosk, "7700000002")
        kiosk.session.submit_pin("4321")
        kiosk.core.drain()
        assert kiosk.session.view.screen is not Screen.STAFF  # the LMS was asked: not a staff-mode role
        staff_list.write_text("", encoding="utf-8")  # taken off the list: no restart needed
        kiosk.session.logout()
        kiosk.core.drain()
        present(kiosk, "7700000001")
        kiosk.session.submit_pin("4321")
        kiosk.core.drain()
        assert kiosk.session.view.screen is not Screen.STAFF
    finally:
        kiosk.close()


def test_the_test_page_is_a_pdf_with_one_page() -> None:
    pdf = printer_test_page("demo-1 2026-12-05 (x) \\ æ")
    assert pdf.count(b"/Type /Page ") == 1 and b"(demo-1 2026-12-05 x  )" in pdf
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref")


def test_the_default_language_chosen_in_staff_mode_holds_for_the_next_visits_and_a_restart(
        demo_settings: Settings, clock: ManualClock) -> None:
    kiosk = build(demo_settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    try:
        kiosk.connect_devices()
        log_in(kiosk)
        kiosk.session.staff_page(StaffPage.TERMINAL)
        staff = settled(kiosk)
        assert (staff.languages, staff.default_language) == (LANGUAGES, "da")  # the demo offers all eight
        kiosk.session.staff_language("en")
        kiosk.session.staff_language("xx")  # not one the terminal offers: nothing happens
        staff = settled(kiosk)
        assert staff.default_language == "en" and staff.notice == "staff.notice.language"
        kiosk.session.logout()
        kiosk.core.drain()
        clock.advance(kiosk.settings.session.idle_timeout_s + 1)
        kiosk.core.post(Tick())
        kiosk.core.drain()
        assert kiosk.session.view.language == "en"
    finally:
        kiosk.close()
    again = build(demo_settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    try:
        assert again.session.view.language == "en"
    finally:
        again.close()


def test_a_staff_barcode_opens_staff_mode_as_the_card_does_and_a_health_card_never(kiosk: Kiosk) -> None:
    present(kiosk, ADMIN, CredentialKind.BARCODE)  # the scanner reads the card's barcode
    kiosk.session.submit_pin(ADMIN_PIN)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.STAFF
    kiosk.session.logout()
    kiosk.core.drain()
    present(kiosk, ADMIN, CredentialKind.HEALTH_CARD)  # a CPR number that happens to match: the LMS asks
    kiosk.session.submit_pin(ADMIN_PIN)
    kiosk.core.drain()
    assert kiosk.session.view.screen is not Screen.STAFF and kiosk.session.view.staff is None


def test_the_card_test_shows_no_part_of_a_cpr_number(kiosk: Kiosk) -> None:
    log_in(kiosk)
    kiosk.session.staff_page(StaffPage.TESTS)
    kiosk.session.staff_test("card")
    kiosk.core.drain()
    present(kiosk, "0101901234", CredentialKind.HEALTH_CARD)
    card = next(test for test in settled(kiosk).tests if test.name == "card")
    assert card.values == (("kind", "health_card"), ("number", "••••"))
