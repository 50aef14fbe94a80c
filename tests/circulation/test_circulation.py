"""Circulation at the pad: journal first, LMS next, then the tags, with compensation on failure."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.circulation.results import Outcome, group_by_item
from kiosk.circulation.service import CirculationService
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import Item, Patron, SecurityState, Tag
from kiosk.domain.privacy import Pseudonymizer
from kiosk.store import Journal, JournalState, Store, open_store
from kiosk.testing.memory import ManualClock, MemoryItemReader
from kiosk.testing.memory_lms import MemoryLibrarySystem

PATRON = "1000000001"
BOOK = "5010000001"
SET = "5010000002"
REFERENCE = "5010000004"


class ObservingPad(MemoryItemReader):
    """A pad that notes what the journal said at the moment a tag's security was written."""

    def __init__(self, database: Path) -> None:
        super().__init__()
        self.database = database
        self.journal_at_write: list[list[tuple[str, str]]] = []

    def write_security(self, uid: str, state: SecurityState) -> SecurityState:
        with sqlite3.connect(self.database) as conn:
            self.journal_at_write.append(list(conn.execute("SELECT kind, state FROM journal")))
        return super().write_security(uid, state)


def tag(item_id: str, n: int = 1, part: int = 1, parts: int = 1, owner: str = "DK-775100") -> Tag:
    return Tag(uid=f"E0040150{n:08X}", item_id=item_id, owner_library=owner, part_number=part,
               parts_in_set=parts, security=SecurityState.SECURED)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "kiosk.sqlite3")
    yield s
    s.close()


@pytest.fixture
def lms() -> MemoryLibrarySystem:
    lms = MemoryLibrarySystem(ManualClock())
    lms.add_patron(Patron(PATRON, "Jensen, Anna"), pin="1234")
    lms.add_item(Item(BOOK, "Kongens Fald"))
    lms.add_item(Item(SET, "Borgen – sæson 1", parts_in_set=3))
    lms.add_item(Item(REFERENCE, "Den Store Danske"), for_loan=False)
    return lms


@pytest.fixture
def pad(tmp_path: Path, store: Store) -> ObservingPad:
    return ObservingPad(tmp_path / "kiosk.sqlite3")


@pytest.fixture
def service(lms: MemoryLibrarySystem, pad: ObservingPad, store: Store) -> CirculationService:
    return CirculationService(lms, pad, Journal(store), terminal_id="t1", institution="DK-775100",
                              pseudonym=Pseudonymizer(b"k" * 32), now=ManualClock().now)


def journal_rows(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    journal = Journal(store)
    rows = []
    for state in (JournalState.PENDING, JournalState.DONE, JournalState.FAILED, "compensated",
                  "needs_attention"):
        rows += [(e.kind, e.state, e.payload) for e in journal.in_state(state)]
    return rows


def test_checkout_is_journaled_before_security_is_cleared(
        service: CirculationService, pad: ObservingPad, lms: MemoryLibrarySystem, store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    result = service.checkout(PATRON, [book])
    assert result.outcome is Outcome.BORROWED and result.title == "Kongens Fald" and result.due_date
    assert pad.journal_at_write == [[("checkout", "pending")]]
    assert pad.inventory()[0].security is SecurityState.UNSECURED
    assert [(k, s) for k, s, _ in journal_rows(store)] == [("checkout", "done")]
    assert [loan.item_id for loan in lms.account(PATRON, None).loans] == [BOOK]


def test_the_journal_holds_a_pseudonym_not_the_patron(service: CirculationService, pad: ObservingPad,
                                                      store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    service.checkout(PATRON, [book])
    [(_, _, payload)] = journal_rows(store)
    assert PATRON not in str(payload)
    assert payload["patron"] == Pseudonymizer(b"k" * 32)(PATRON)


def test_a_refusal_keeps_the_tag_secured_and_the_lms_message(
        service: CirculationService, pad: ObservingPad, store: Store) -> None:
    reference = tag(REFERENCE)
    pad.place(reference)
    result = service.checkout(PATRON, [reference])
    assert result.outcome is Outcome.REFUSED
    assert result.lms_messages == ("Materialet kan ikke lånes",)
    assert pad.inventory()[0].security is SecurityState.SECURED
    assert [(k, s) for k, s, _ in journal_rows(store)] == [("checkout", "failed")]


def test_a_failed_security_write_undoes_the_loan(
        service: CirculationService, pad: ObservingPad, lms: MemoryLibrarySystem, store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    pad.fail_security_writes.add(book.uid)
    result = service.checkout(PATRON, [book])
    assert result.outcome is Outcome.SECURITY_FAILED
    assert lms.account(PATRON, None).loans == ()  # the LMS and the tag agree again
    assert pad.inventory()[0].security is SecurityState.SECURED
    assert [(k, s) for k, s, _ in journal_rows(store)] == [("checkout", "compensated")]


def test_a_pad_unplugged_mid_write_also_undoes_the_loan(
        service: CirculationService, pad: ObservingPad, lms: MemoryLibrarySystem) -> None:
    book = tag(BOOK)
    pad.place(book)

    def unplugged(uid: str, state: SecurityState) -> SecurityState:
        raise DeviceUnavailable("rfid_pad: unplugged")

    pad.write_security = unplugged  # type: ignore[method-assign]
    assert service.checkout(PATRON, [book]).outcome is Outcome.SECURITY_FAILED
    assert lms.account(PATRON, None).loans == ()


def test_a_set_is_lent_only_when_every_part_is_on_the_pad(
        service: CirculationService, pad: ObservingPad, lms: MemoryLibrarySystem, store: Store) -> None:
    parts = [tag(SET, n, part=n, parts=3) for n in (1, 2, 3)]
    pad.place(*parts[:2])
    [(item_id, on_pad)] = group_by_item(pad.inventory()).items()
    incomplete = service.checkout(PATRON, on_pad)
    assert (incomplete.outcome, incomplete.parts_present, incomplete.parts_in_set) == (
        Outcome.INCOMPLETE_SET, 2, 3)
    assert journal_rows(store) == [] and lms.account(PATRON, None).loans == ()

    pad.place(parts[2])
    complete = service.checkout(PATRON, group_by_item(pad.inventory())[item_id])
    assert complete.outcome is Outcome.BORROWED
    assert {t.security for t in pad.inventory()} == {SecurityState.UNSECURED}


def test_lms_down_leaves_the_tag_secured(service: CirculationService, pad: ObservingPad,
                                         lms: MemoryLibrarySystem, store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    lms.online = False
    assert service.checkout(PATRON, [book]).outcome is Outcome.LMS_UNAVAILABLE
    assert pad.inventory()[0].security is SecurityState.SECURED
    assert [(k, s) for k, s, _ in journal_rows(store)] == [("checkout", "failed")]


def test_return_secures_the_tag(service: CirculationService, pad: ObservingPad,
                                lms: MemoryLibrarySystem, store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    service.checkout(PATRON, [book])
    result = service.checkin(pad.inventory())
    assert result.outcome is Outcome.RETURNED
    assert pad.inventory()[0].security is SecurityState.SECURED
    assert lms.account(PATRON, None).loans == ()
    assert pad.journal_at_write[-1][-1] == ("checkin", "pending")


def test_a_return_whose_tag_stays_unsecured_is_kept_and_flagged_for_staff(
        service: CirculationService, pad: ObservingPad, store: Store) -> None:
    book = tag(BOOK)
    pad.place(book)
    service.checkout(PATRON, [book])
    pad.fail_security_writes.add(book.uid)
    assert service.checkin(pad.inventory()).outcome is Outcome.NEEDS_STAFF
    assert ("checkin", "needs_attention") in [(k, s) for k, s, _ in journal_rows(store)]


def test_unreadable_tags_and_other_libraries(service: CirculationService, pad: ObservingPad) -> None:
    assert service.checkout(PATRON, [tag("")]).outcome is Outcome.UNREADABLE
    foreign = tag(BOOK, owner="DK-751000")
    pad.place(foreign)
    other = service.checkout(PATRON, [foreign])
    assert other.other_library and other.outcome is Outcome.BORROWED
