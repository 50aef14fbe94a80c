"""The SIP2 client as the kiosk uses it, against the LMS emulator over real TCP, quirks included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.settings import Sip2Settings
from sync.sip2.client import Sip2Client
from sync.sip2.emulator import Quirks, Sip2Emulator
from sync.sip2.emulator_data import parse_data
from sync.sip2.library import Sip2LibrarySystem
from tests.sync.sip2.conftest import (
    ANNA,
    BLOCKED,
    BO,
    BOOK,
    BOOK2,
    BORROWER,
    DVD_SET,
    HOLD_QUEUED,
    INSTITUTION,
    LENT,
    LENT_OVERDUE,
    OTHER_BRANCH,
    OWES,
    PINS,
    REFERENCE,
    RENTAL,
    EmulatorFactory,
)


def lms_for(emulator: Sip2Emulator, **changes: Any) -> Sip2LibrarySystem:
    host, port = emulator.address
    settings: dict[str, Any] = dict(host=host, port=port, user="kiosk", password="kiosk",
                                    institution=INSTITUTION, location="hovedbiblioteket",
                                    timeout_s=1.0, retries=3, keepalive_s=0)
    settings.update(changes)
    return Sip2LibrarySystem(Sip2Client(Sip2Settings(**settings)))


def card(patron_id: str) -> Credential:
    return Credential(CredentialKind.CARD_UID, patron_id)


QUIRKS = {
    "plain": Quirks(),
    "crlf": Quirks(crlf=True),
    "no error detection": Quirks(error_detection=False),
    "utf-8": Quirks(encoding="utf-8"),
    "slow": Quirks(delay=0.3),
    "drops every 3 messages": Quirks(drop_after=3),
    "garbage every 4th reply": Quirks(garbage_every=4),
}


@pytest.mark.parametrize("quirk", QUIRKS)
def test_a_whole_visit_works_whatever_the_server_quirk(make_emulator: EmulatorFactory, quirk: str) -> None:
    quirks = QUIRKS[quirk]
    emulator = make_emulator(quirks=quirks)
    lms = lms_for(emulator, encoding=quirks.encoding, error_detection=quirks.error_detection)

    auth = lms.authenticate_patron(card(ANNA), PINS[ANNA])
    assert auth.outcome is AuthOutcome.OK and auth.patron is not None
    assert auth.patron.name == "Ærø, Åse Sørensen"
    out = lms.checkout(ANNA, BOOK, pin=PINS[ANNA])
    assert out.ok and out.title.startswith("Blæksprutten") and out.title.endswith("Ærø og Fanø")
    assert out.desensitize is True and out.due_date is not None
    account = lms.account(ANNA, PINS[ANNA])
    assert [loan.item_id for loan in account.loans] == [BOOK]
    back = lms.checkin(BOOK)
    assert back.ok and back.resensitize is True
    assert lms.account(ANNA, PINS[ANNA]).loans == ()
    lms.end_session(ANNA)
    checkouts = [t for t in emulator.transactions if t.command == "11" and t.ok]
    assert len(checkouts) == 1  # never applied twice, whatever the retries


def test_wrong_pin_unknown_card_and_blocked_patron(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    assert lms.authenticate_patron(card(ANNA), "0000").outcome is AuthOutcome.WRONG_PIN
    assert lms.authenticate_patron(card("9999999999"), "1234").outcome is AuthOutcome.UNKNOWN_PATRON
    blocked = lms.authenticate_patron(card(BLOCKED), PINS[BLOCKED])
    assert blocked.outcome is AuthOutcome.BLOCKED
    assert any("spærret" in m for m in blocked.screen_messages)


def test_refusals_carry_the_lms_message(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    for patron, item in ((ANNA, REFERENCE), (ANNA, HOLD_QUEUED), (OWES, BOOK2)):
        result = lms.checkout(patron, item, pin=PINS[patron])
        assert not result.ok and result.desensitize is not True
        assert result.screen_messages, f"no message for {item}"


def test_fee_acknowledgement_round_trip(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator()
    lms = lms_for(emulator)
    first = lms.checkout(ANNA, RENTAL, pin=PINS[ANNA])
    assert not first.ok and first.fee_acknowledgement_required
    assert first.fee_amount == Decimal("10.00")
    second = lms.checkout(ANNA, RENTAL, pin=PINS[ANNA], fee_acknowledged=True)
    assert second.ok
    patron = lms.authenticate_patron(card(ANNA), PINS[ANNA]).patron
    assert patron is not None and patron.fee_total == Decimal("10.00")
    assert lms.fee_paid(ANNA, Decimal("10.00")).accepted
    patron = lms.authenticate_patron(card(ANNA), PINS[ANNA]).patron
    assert patron is not None and patron.fee_total == Decimal("0")


def test_renewal_through_the_sc_renewal_policy_and_explicit_renewals(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    first = lms.checkout(ANNA, BOOK2, pin=PINS[ANNA])
    again = lms.checkout(ANNA, BOOK2, pin=PINS[ANNA])
    assert first.ok and again.ok and again.renewal
    assert lms.renew(BORROWER, LENT, pin=PINS[BORROWER]).ok
    result = lms.renew_all(BORROWER, pin=PINS[BORROWER])
    assert set(result.renewed) | set(result.unrenewed) == {LENT, LENT_OVERDUE}


def test_account_lists_overdue_first_with_titles_and_due_dates(make_emulator: EmulatorFactory) -> None:
    account = lms_for(make_emulator()).account(BORROWER, PINS[BORROWER])
    assert [(loan.item_id, loan.overdue) for loan in account.loans] == [(LENT_OVERDUE, True), (LENT, False)]
    assert account.loans[0].title == "Erasmus Montanus" and account.loans[0].due_date is not None
    holds = lms_for(make_emulator()).account(BO, PINS[BO]).holds
    assert {(h.item_id, h.ready_for_pickup) for h in holds} >= {(HOLD_QUEUED, False)}


def test_a_300_item_account_is_fetched_in_pages(make_emulator: EmulatorFactory) -> None:
    items = [{"id": f"4{i:09d}", "title": f"Bog nummer {i} – æøå"} for i in range(300)]
    due = dt.date(2099, 1, 1)
    data = parse_data({
        "library": {"institution": INSTITUTION, "name": "Stor", "location": "hovedbiblioteket"},
        "patrons": [{"id": ANNA, "pin": "1234", "name": "Storlåner, Åse",
                     "loans": [{"item": i["id"], "due": due} for i in items]}],
        "items": items,
    }, "generated")
    emulator = make_emulator(data)
    lms = lms_for(emulator, page_size=40)
    account = lms.account(ANNA, "1234")
    assert len(account.loans) == 300
    assert {loan.item_id for loan in account.loans} == {i["id"] for i in items}
    assert account.loans[0].title.startswith("Bog nummer")


def test_checkin_routing_for_holds_and_other_branches(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    assert lms.checkout(ANNA, OTHER_BRANCH, pin=PINS[ANNA]).ok
    routed = lms.checkin(OTHER_BRANCH)
    assert routed.ok and routed.alert and routed.destination
    held = lms.checkin(HOLD_QUEUED)
    assert held.alert and held.hold_patron_present and held.sort_bin


def test_offline_replay_uses_no_block_and_the_original_dates(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator()
    lms = lms_for(emulator)
    when = dt.datetime(2026, 11, 20, 21, 5, tzinfo=dt.UTC)
    due = dt.datetime(2026, 12, 18, 23, 59, tzinfo=dt.UTC)
    result = lms.checkout(BLOCKED, BOOK, no_block=True, transaction_date=when, due_date=due)
    assert result.ok  # applied although the patron is blocked: it already happened offline
    assert result.due_date is not None and result.due_date.date() == due.date()
    back = lms.checkin(BOOK, no_block=True, transaction_date=when + dt.timedelta(days=1))
    assert back.ok


def test_cancel_compensates_a_checkout_whose_tag_could_not_be_secured(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    assert lms.checkout(ANNA, DVD_SET, pin=PINS[ANNA]).ok
    assert lms.checkin(DVD_SET, cancel=True).ok  # spec: BI on a checkin cancels a failed checkout
    assert lms.item_info(DVD_SET).circulation_status == "available"
    assert lms.item_info(DVD_SET).parts_in_set == 3


def test_cancel_compensates_a_checkin_whose_tag_could_not_be_secured(make_emulator: EmulatorFactory) -> None:
    lms = lms_for(make_emulator())
    assert lms.checkin(LENT).ok
    assert lms.checkout(BORROWER, LENT, cancel=True).ok  # BI on a checkout cancels a failed checkin
    assert lms.item_info(LENT).circulation_status == "charged"


def test_a_reply_lost_on_the_way_is_replayed_not_reapplied(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(quirks=Quirks(lost_reply_commands=frozenset({"11"})))
    lms = lms_for(emulator, timeout_s=0.4)
    # The first answer is lost; the client sends the same frame (same AY) and gets the stored reply.
    assert lms.checkout(ANNA, BOOK, pin=PINS[ANNA]).ok
    assert len([t for t in emulator.transactions if t.command == "11"]) == 1


def test_status_reports_what_the_lms_supports(make_emulator: EmulatorFactory) -> None:
    status = lms_for(make_emulator()).status()
    assert status.online and status.checkout_ok and status.offline_ok
    assert status.institution == INSTITUTION


def test_institution_comes_from_the_acs_when_not_configured(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator()
    lms = lms_for(emulator, institution="")
    assert lms.checkout(ANNA, BOOK, pin=PINS[ANNA]).ok
