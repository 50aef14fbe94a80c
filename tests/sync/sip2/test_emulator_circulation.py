"""What the SIP2 emulator answers: patrons, checkout and its refusals, checkin routing, renewals,
fees, holds, offline replay and cancel. Real frames over a real socket, decoded replies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sync.sip2.codec import format_date, parse_date
from sync.sip2.emulator import Sip2Emulator
from tests.sync.sip2.conftest import (
    ANNA,
    BLOCKED,
    BO,
    BOOK,
    BOOK2,
    BORROWER,
    DVD_SET,
    HOLD_QUEUED,
    LENT,
    LENT_OVERDUE,
    LOST,
    MISSING,
    NO_CONSENT,
    ON_HOLD_SHELF,
    OTHER_BRANCH,
    OWES,
    PINS,
    REFERENCE,
    RENTAL,
    SipClient,
    checkin,
    checkout,
    end_session,
    fee_paid,
    hold,
    item_info,
    patron_info,
    patron_status,
    renew,
    renew_all,
)

CPH = ZoneInfo("Europe/Copenhagen")


def days_from_now(date_text: str) -> int:
    when = parse_date(date_text)
    assert when is not None
    return (when.date() - dt.datetime.now().astimezone().date()).days


# ---------------------------------------------------------------- 23 / 63

def test_patron_status_of_a_known_patron_with_the_right_pin(sip: SipClient) -> None:
    reply = sip.request(patron_status(ANNA, PINS[ANNA]))
    assert reply.command == "24"
    assert reply.fixed["patron_status"] == " " * 14
    assert reply.fixed["language"] == "009"
    assert (reply.get("AE"), reply.get("BL"), reply.get("CQ"), reply.get("ZU")) == (
        "Ærø, Åse Sørensen", "Y", "Y", "Y")


@pytest.mark.parametrize(("pin", "expected"), [("9999", "N"), (None, "N")])
def test_cq_is_n_for_a_wrong_or_missing_pin(sip: SipClient, pin: str | None, expected: str) -> None:
    assert sip.request(patron_info(ANNA, pin=pin)).get("CQ") == expected


def test_an_unknown_patron_is_not_valid(sip: SipClient) -> None:
    reply = sip.request(patron_info("9999999999", "  Y", pin="1234"))
    assert (reply.get("BL"), reply.get("CQ"), reply.get("AE")) == ("N", "N", "")
    assert reply.fixed["charged_items_count"] == "0000"
    assert not reply.has("AU")


def test_a_blocked_patron_has_the_block_flags_and_the_message(sip: SipClient) -> None:
    reply = sip.request(patron_info(BLOCKED, pin=PINS[BLOCKED]))
    assert reply.fixed["patron_status"][:4] == "YYYY"
    assert "Kortet er spærret / Card blocked" in reply.getall("AF")
    assert (reply.get("BV"), reply.get("BH"), reply.get("CC")) == ("50.00", "DKK", "200.00")


def test_fees_over_the_limit_set_excessive_fines(sip: SipClient) -> None:
    status = sip.request(patron_info(OWES)).fixed["patron_status"]
    assert status[10] == "Y" and status[:4] == "    "


def test_unstaffed_access_consent_is_the_vendor_field_zu(sip: SipClient) -> None:
    assert sip.request(patron_info(NO_CONSENT)).get("ZU") == "N"
    assert sip.request(patron_status(NO_CONSENT)).get("ZU") == "N"


def test_patron_information_has_counts_and_personal_fields(sip: SipClient) -> None:
    reply = sip.request(patron_info(BORROWER))
    assert reply.fixed["charged_items_count"] == "0002"
    assert reply.fixed["overdue_items_count"] == "0001"
    assert (reply.get("BZ"), reply.get("CA"), reply.get("CB")) == ("0025", "0050", "0100")
    anna = sip.request(patron_info(ANNA))
    assert (anna.get("BE"), anna.get("PB"), anna.get("PC")) == ("aase@example.org", "19800102", "adult")


@pytest.mark.parametrize(("summary", "code", "expected"), [
    ("  Y", "AU", [LENT_OVERDUE, LENT]),
    (" Y", "AT", [LENT_OVERDUE]),
])
def test_the_summary_position_selects_the_item_list(sip: SipClient, summary: str, code: str,
                                                    expected: list[str]) -> None:
    reply = sip.request(patron_info(BORROWER, summary))
    assert reply.getall(code) == expected


def test_only_the_first_summary_y_is_honoured(sip: SipClient) -> None:
    reply = sip.request(patron_info(BORROWER, " YY"))
    assert reply.getall("AT") == [LENT_OVERDUE] and not reply.has("AU")


def test_holds_ready_and_unavailable_holds(sip: SipClient) -> None:
    ready = sip.request(patron_info(BO, "Y"))
    assert ready.fixed["hold_items_count"] == "0001"
    assert ready.fixed["unavailable_holds_count"] == "0001"
    assert ready.getall("AS") == [ON_HOLD_SHELF]
    assert sip.request(patron_info(BO, "     Y")).getall("CD") == [HOLD_QUEUED]


def test_fine_items_list_id_amount_and_description(sip: SipClient) -> None:
    reply = sip.request(patron_info(OWES, "   Y"))
    assert reply.fixed["fine_items_count"] == "0001"
    assert reply.getall("AV") == [f"F{OWES}-1 250.00 Gebyr"]


# ---------------------------------------------------------------- 11 checkout

def test_checkout_succeeds_with_due_date_media_type_and_transaction_id(
        emulator: Sip2Emulator, sip: SipClient) -> None:
    reply = sip.request(checkout(ANNA, BOOK, pin=PINS[ANNA]))
    fixed = reply.fixed
    assert (fixed["ok"], fixed["renewal_ok"], fixed["magnetic_media"], fixed["desensitize"]) == (
        "1", "N", "N", "Y")
    assert (reply.get("AA"), reply.get("AB"), reply.get("AJ")) == (ANNA, BOOK, "Blæksprutten - Ærø og Fanø")
    assert days_from_now(reply.get("AH")) == 28
    assert reply.get("CK") == "001"
    assert reply.get("BK").startswith("T")
    loan = emulator.data.items[BOOK].loan
    assert loan is not None and loan.patron_id == ANNA


def test_a_dvd_set_has_its_own_loan_period_and_parts(sip: SipClient) -> None:
    reply = sip.request(checkout(ANNA, DVD_SET))
    assert days_from_now(reply.get("AH")) == 7
    assert (reply.get("CK"), reply.get("CH")) == ("006", "parts=3")


@pytest.mark.parametrize(("patron", "item", "pin", "reason"), [
    (ANNA, "3999999999", None, "Ukendt materiale / Unknown item"),
    ("2999999999", BOOK, None, "Ukendt låner / Unknown patron"),
    (ANNA, BOOK, "0000", "Forkert pinkode / Wrong PIN"),
    (BLOCKED, BOOK, None, "spærret"),
    (OWES, BOOK, None, "Your fees are over the limit"),
    (ANNA, REFERENCE, None, "This item cannot be borrowed"),
    (ANNA, ON_HOLD_SHELF, None, "Materialet er reserveret til en anden låner / Reserved for another patron"),
    (ANNA, LOST, None, "lost"),
    (ANNA, MISSING, None, "missing"),
    (ANNA, LENT, None, "on loan to another patron"),
])
def test_a_refused_checkout_says_why(emulator: Sip2Emulator, sip: SipClient, patron: str, item: str,
                                     pin: str | None, reason: str) -> None:
    reply = sip.request(checkout(patron, item, pin=pin))
    assert (reply.fixed["ok"], reply.fixed["desensitize"]) == ("0", "N")
    assert reason in " ".join(reply.getall("AF"))
    assert reply.has("AJ") and reply.get("AH") == ""
    assert [t.ok for t in emulator.transactions if t.command == "11"] == [False]


def test_a_checkout_of_the_patrons_own_hold_fulfils_it(emulator: Sip2Emulator, sip: SipClient) -> None:
    assert sip.request(checkout(BO, ON_HOLD_SHELF)).fixed["ok"] == "1"
    assert emulator.data.items[ON_HOLD_SHELF].holds == []


def test_a_rental_fee_needs_acknowledgement(emulator: Sip2Emulator, sip: SipClient) -> None:
    refused = sip.request(checkout(ANNA, RENTAL))
    assert refused.fixed["ok"] == "0"
    assert (refused.get("BT"), refused.get("BV"), refused.get("BH")) == ("06", "10.00", "DKK")
    assert "Lån af dette materiale koster 10,00 kr." in refused.get("AF")
    accepted = sip.request(checkout(ANNA, RENTAL, fee_ack="Y"))
    assert accepted.fixed["ok"] == "1" and accepted.get("BV") == "10.00"
    assert emulator.data.patrons[ANNA].fee_total == 10


def test_checkout_of_an_own_loan_with_renewal_policy_is_a_renewal(emulator: Sip2Emulator,
                                                                  sip: SipClient) -> None:
    assert sip.request(checkout(BORROWER, LENT, renewal_policy="Y")).fixed["renewal_ok"] == "Y"
    assert sip.request(checkout(BORROWER, LENT, renewal_policy="Y")).fixed["ok"] == "1"
    refused = sip.request(checkout(BORROWER, LENT, renewal_policy="Y"))  # max_renewals = 2
    assert refused.fixed["ok"] == "0" and "No more renewals" in refused.get("AF")
    loan = emulator.data.items[LENT].loan
    assert loan is not None and loan.renewals == 2


def test_checkout_of_an_own_loan_without_renewal_policy_is_refused(sip: SipClient) -> None:
    assert sip.request(checkout(BORROWER, LENT)).fixed["ok"] == "0"


# ---------------------------------------------------------------- offline replay and cancel

def test_a_no_block_replay_uses_the_original_dates_even_for_a_blocked_patron(
        emulator: Sip2Emulator, sip: SipClient) -> None:
    when = dt.datetime.now().astimezone().replace(microsecond=0) - dt.timedelta(days=2)
    due = (when + dt.timedelta(days=14)).replace(hour=20, minute=0, second=0)
    # SIP2 dates carry no zone: the LMS reads them as its own local time (the emulator's seed says
    # Europe/Copenhagen), so the client writes them in that zone.
    reply = sip.request(checkout(BLOCKED, BOOK, no_block="Y", date=format_date(when, CPH),
                                 nb_due=format_date(due, CPH)))
    assert reply.fixed["ok"] == "1"
    assert reply.get("AH") == format_date(due, CPH)
    loan = emulator.data.items[BOOK].loan
    assert loan is not None and loan.since == when and loan.due == due


def test_a_no_block_replay_of_an_item_lent_to_someone_else_is_rejected(sip: SipClient) -> None:
    reply = sip.request(checkout(ANNA, LENT, no_block="Y"))
    assert reply.fixed["ok"] == "0" and "another patron" in reply.get("AF")


def test_a_no_block_checkin_records_the_return_date(emulator: Sip2Emulator, sip: SipClient) -> None:
    returned = dt.datetime.now().astimezone().replace(microsecond=0) - dt.timedelta(hours=30)
    reply = sip.request(checkin(LENT, no_block="Y", return_date=format_date(returned, CPH)))
    assert reply.fixed["ok"] == "1"
    assert emulator.data.items[LENT].returned_at == returned


def test_checkin_with_cancel_undoes_a_checkout(emulator: Sip2Emulator, sip: SipClient) -> None:
    sip.request(checkout(ANNA, BOOK))
    reply = sip.request(checkin(BOOK, cancel="Y"))
    assert reply.fixed["ok"] == "1"
    assert emulator.data.items[BOOK].loan is None


def test_checkin_with_cancel_puts_a_fulfilled_hold_back(emulator: Sip2Emulator, sip: SipClient) -> None:
    sip.request(checkout(BO, ON_HOLD_SHELF))
    sip.request(checkin(ON_HOLD_SHELF, cancel="Y"))
    item = emulator.data.items[ON_HOLD_SHELF]
    assert (item.loan, item.status, item.holds) == (None, "on_hold_shelf", [BO])


def test_checkout_with_cancel_restores_the_loan_a_checkin_ended(emulator: Sip2Emulator,
                                                                sip: SipClient) -> None:
    before = emulator.data.items[LENT].loan
    sip.request(checkin(LENT))
    reply = sip.request(checkout(BORROWER, LENT, cancel="Y"))
    assert reply.fixed["ok"] == "1"
    after = emulator.data.items[LENT].loan
    assert after is not None and before is not None and after.due == before.due
    assert after.patron_id == BORROWER


def test_checkout_with_cancel_for_another_patron_is_refused(sip: SipClient) -> None:
    sip.request(checkin(LENT))
    assert sip.request(checkout(ANNA, LENT, cancel="Y")).fixed["ok"] == "0"


# ---------------------------------------------------------------- 09 checkin

def test_checkin_of_a_loan_names_the_patron_and_sorts_to_the_shelf(emulator: Sip2Emulator,
                                                                   sip: SipClient) -> None:
    reply = sip.request(checkin(LENT))
    fixed = reply.fixed
    assert (fixed["ok"], fixed["resensitize"], fixed["alert"]) == ("1", "Y", "N")
    assert (reply.get("AA"), reply.get("AQ"), reply.get("CL"), reply.get("AJ")) == (
        BORROWER, "hovedbiblioteket", "1", "Jeppe på Bjerget")
    assert emulator.data.items[LENT].loan is None


def test_checkin_of_an_item_with_holds_goes_to_the_hold_shelf(emulator: Sip2Emulator, sip: SipClient) -> None:
    reply = sip.request(checkin(HOLD_QUEUED))
    assert reply.fixed["alert"] == "Y"
    assert (reply.get("CV"), reply.get("CY"), reply.get("CT"), reply.get("CL")) == (
        "01", BO, "hovedbiblioteket", "H")
    assert emulator.data.items[HOLD_QUEUED].status == "on_hold_shelf"


def test_checkin_of_another_branchs_item_goes_in_transit(sip: SipClient) -> None:
    reply = sip.request(checkin(OTHER_BRANCH))
    assert reply.fixed["alert"] == "Y"
    assert (reply.get("CV"), reply.get("CT"), reply.get("CL")) == ("04", "DK-775160", "T")
    assert sip.request(item_info(OTHER_BRANCH)).fixed["circulation_status"] == "10"


def test_checkin_of_an_item_not_on_loan_is_ok_with_a_message(sip: SipClient) -> None:
    reply = sip.request(checkin(BOOK2))
    assert reply.fixed["ok"] == "1"
    assert "Materialet var ikke udlånt" in reply.get("AF")
    assert not reply.has("AA")


def test_checkin_of_an_unknown_item_is_refused(sip: SipClient) -> None:
    reply = sip.request(checkin("3999999999"))
    assert reply.fixed["ok"] == "0" and "Unknown item" in reply.get("AF")


# ---------------------------------------------------------------- 29 / 65 renew

def test_renew_extends_from_today(sip: SipClient) -> None:
    reply = sip.request(renew(BORROWER, LENT_OVERDUE))
    assert reply.command == "30"
    assert (reply.fixed["ok"], reply.fixed["renewal_ok"]) == ("1", "Y")
    assert days_from_now(reply.get("AH")) == 28


def test_renew_is_refused_when_someone_waits(sip: SipClient) -> None:
    sip.request(hold("+", ANNA, LENT))
    reply = sip.request(renew(BORROWER, LENT))
    assert reply.fixed["ok"] == "0" and "Reserved" in reply.get("AF")


def test_renew_of_someone_elses_loan_is_refused(sip: SipClient) -> None:
    assert sip.request(renew(ANNA, LENT)).fixed["ok"] == "0"


def test_renew_all_lists_renewed_and_unrenewed(sip: SipClient) -> None:
    sip.request(hold("+", ANNA, LENT))
    reply = sip.request(renew_all(BORROWER))
    assert reply.command == "66"
    assert (reply.fixed["ok"], reply.fixed["renewed_count"], reply.fixed["unrenewed_count"]) == (
        "1", "0001", "0001")
    assert (reply.getall("BM"), reply.getall("BN")) == ([LENT_OVERDUE], [LENT])


# ---------------------------------------------------------------- 17, 35, 37, 15

@pytest.mark.parametrize(("item", "status"), [
    (BOOK, "03"), (LENT, "04"), (ON_HOLD_SHELF, "08"), (LOST, "12"), (MISSING, "13"),
])
def test_item_information_circulation_status(sip: SipClient, item: str, status: str) -> None:
    reply = sip.request(item_info(item))
    assert reply.command == "18"
    assert (reply.fixed["circulation_status"], reply.fixed["security_marker"]) == (status, "00")


def test_item_information_details(sip: SipClient) -> None:
    lent = sip.request(item_info(LENT))
    assert lent.get("AH") and lent.get("CF") == "0"
    dvd = sip.request(item_info(DVD_SET))
    assert (dvd.get("CH"), dvd.get("CK"), dvd.get("BG"), dvd.get("AQ")) == (
        "parts=3", "006", "hovedbiblioteket", "hovedbiblioteket")
    assert sip.request(item_info(ON_HOLD_SHELF)).get("CF") == "1"
    assert sip.request(item_info("3999999999")).fixed["circulation_status"] == "01"


def test_end_session(sip: SipClient) -> None:
    reply = sip.request(end_session(ANNA))
    assert (reply.command, reply.fixed["end_session"], reply.get("AA")) == ("36", "Y", ANNA)


def test_fee_paid_reduces_the_fees(emulator: Sip2Emulator, sip: SipClient) -> None:
    reply = sip.request(fee_paid(OWES, "100.00"))
    assert reply.fixed["payment_accepted"] == "Y" and reply.get("BK")
    assert emulator.data.patrons[OWES].fee_total == 150
    assert sip.request(patron_info(OWES)).fixed["patron_status"][10] == " "


@pytest.mark.parametrize(("amount", "currency"), [("300.00", "DKK"), ("abc", "DKK"), ("10.00", "EUR")])
def test_fee_paid_is_refused_for_too_much_junk_or_another_currency(
        emulator: Sip2Emulator, sip: SipClient, amount: str, currency: str) -> None:
    assert sip.request(fee_paid(OWES, amount, currency=currency)).fixed["payment_accepted"] == "N"
    assert emulator.data.patrons[OWES].fee_total == 250


def test_hold_place_and_cancel(emulator: Sip2Emulator, sip: SipClient) -> None:
    placed = sip.request(hold("+", ANNA, HOLD_QUEUED))
    assert (placed.command, placed.fixed["ok"], placed.get("BR")) == ("16", "1", "2")
    assert emulator.data.items[HOLD_QUEUED].holds == [BO, ANNA]
    assert sip.request(hold("-", ANNA, HOLD_QUEUED)).fixed["ok"] == "1"
    assert sip.request(hold("-", ANNA, HOLD_QUEUED)).fixed["ok"] == "0"


def test_a_hold_makes_the_item_unavailable_to_others(sip: SipClient) -> None:
    sip.request(hold("+", BO, BOOK))
    reply = sip.request(checkout(ANNA, BOOK))
    assert reply.fixed["ok"] == "0" and "Reserved for another patron" in reply.get("AF")


def test_block_patron_blocks_the_card(emulator: Sip2Emulator, sip: SipClient) -> None:
    frame = ("01N" + format_date(dt.datetime.now()) + f"AODK-775100|ALKort glemt|AA{ANNA}|AC|").encode()
    sip.send_raw(frame + b"\r")
    reply = sip.read_raw()
    assert reply.startswith(b"24YYYY")
    assert emulator.data.patrons[ANNA].blocked
