"""The kiosk's FBS adapter against FBS's recorded replies, over real HTTP: the envelope, FBS's field
conventions decoded into the kiosk's results (real titles, sub-fields, the LN: prefix, bracketed
messages kept for translation), and FBS's errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.errors import LmsError, LmsOutcomeUnknown, LmsUnavailable
from kiosk.domain.model import AuthOutcome, Credential, CredentialKind
from kiosk.settings.lms import FbsSettings
from sync.fbs.client import FbsClient, FbsRefused
from sync.fbs.envelope import EnvelopeError, parse_reply, request_xml
from sync.fbs.library import FbsLibrarySystem
from tests.net import free_port
from tests.sync.fbs import recorded
from tests.sync.fbs.recorded import RecordedFbs, recorded_fbs, sip2

CPH = ZoneInfo("Europe/Copenhagen")
CARD = Credential(CredentialKind.CARD_UID, "3210519784")


def adapter(url: str, **changes: object) -> FbsLibrarySystem:
    settings = FbsSettings(endpoint=url, agency="DK-775100", login="sip2", password="s3cret&<", location="hb",
                           timeout_s=5.0, retries=1).model_copy(update=changes)
    return FbsLibrarySystem(FbsClient(settings), zone=CPH, branch=settings.branch)


@pytest.fixture
def fbs() -> Iterator[RecordedFbs]:
    with recorded_fbs({
        "99": sip2(recorded.STATUS), "63": sip2(recorded.PATRON), "11": sip2(recorded.CHECKOUT),
        "09": sip2(recorded.CHECKIN), "29": sip2(recorded.RENEW_TOO_EARLY), "65": sip2(recorded.RENEW_ALL),
        "17": sip2(recorded.ITEM),
    }) as server:
        yield server


def test_every_message_is_one_post_in_the_envelope_without_login_or_checksum(fbs: RecordedFbs) -> None:
    lms = adapter(fbs.url)
    status = lms.status()
    lms.checkout("3210519784", "3274626533", pin="12345")
    assert (status.online, status.institution) == (True, "DK-775100")
    assert "Aarhus Kommunes Biblioteker" in status.library_name
    assert [text[:2] for _login, _password, text in fbs.requests] == ["99", "11"]  # no 93 login first
    login, password, checkout = fbs.requests[1]
    assert (login, password) == ("sip2", "s3cret&<")  # escaped on the way, whole on arrival
    assert "AODK-775100|AA3210519784|AB3274626533|" in checkout and "|AD12345|" in checkout
    assert "AY" not in checkout and "AZ" not in checkout


def test_a_loan_has_the_real_title_and_due_date_not_the_record_number(fbs: RecordedFbs) -> None:
    result = adapter(fbs.url).checkout("3210519784", "3274626533", pin="12345")
    assert result.ok and (result.title, result.author) == ("Helbred dit liv", "Hay, Louise L.")
    assert result.due_date is not None and result.due_date.date() == dt.date(2017, 7, 20)
    assert result.transaction_id == "19adc5e7-2734-4aeb-b255-d259c68928a5"


def test_a_return_has_its_title_and_the_branch_of_its_permanent_location(fbs: RecordedFbs) -> None:
    result = adapter(fbs.url).checkin("5052159786")
    assert result.ok and result.title == "Kvinden de meldte savnet: krimi"
    assert result.permanent_location == "Hovedbiblioteket"
    assert "APhb|AODK-775100|AB5052159786|" in fbs.requests[-1][2]  # where it was returned


def test_html_entities_in_titles_are_decoded(fbs: RecordedFbs) -> None:
    item = adapter(fbs.url).item_info("5052159786")
    assert (item.title, item.author) == ("Rød hane & sort høne", "Nesbø, Jo")


def test_a_bracketed_message_is_kept_as_the_code_for_the_screen_to_translate(fbs: RecordedFbs) -> None:
    result = adapter(fbs.url).renew("3210519784", "3274626533", pin="12345")
    assert not result.ok and result.title == "Helbred dit liv"
    assert result.screen_messages == ("[BEFORE_RENEW_PERIOD]",)


def test_renew_all_gives_item_ids_not_whole_records(fbs: RecordedFbs) -> None:
    result = adapter(fbs.url).renew_all("3210519784", pin="12345")
    assert result.renewed == () and result.unrenewed == ("3846731813", "3274626533")


def test_the_account_comes_in_one_request_with_titles_dues_and_holds(fbs: RecordedFbs) -> None:
    account = adapter(fbs.url).account("3210519784", "12345")
    assert [text[:2] for _l, _p, text in fbs.requests] == ["63"]  # no item information per loan
    assert "Y" * 9 in fbs.requests[0][2]
    assert account.patron.patron_id == "3210519784" and account.patron.name == "Testkort Mickey Mouse"
    titles = [loan.title for loan in account.loans]
    assert titles[0] == "Prinsesse Mononoke" and account.loans[0].overdue  # the overdue one first
    assert "Mirjams flugt" in titles and len(account.loans) == 4
    assert {loan.author for loan in account.loans} >= {"Stig Christensen, Christoffer Rosenløv"}
    assert all(loan.due_date is not None for loan in account.loans)
    hold = account.holds[0]
    assert (hold.item_id, hold.title, hold.ready_for_pickup) == (
        "4879770462", "Den store bog om LEGO Star Wars", True)
    assert (hold.pickup_location, hold.expires) == ("Hovedbiblioteket", dt.date(2017, 7, 25))
    assert account.fees == () and account.patron.fee_total == Decimal("0")


def test_a_patron_is_known_by_the_number_without_fbs_prefix(fbs: RecordedFbs) -> None:
    auth = adapter(fbs.url).authenticate_patron(CARD, "12345")
    assert auth.outcome is AuthOutcome.OK and auth.patron is not None
    assert auth.patron.patron_id == "3210519784"


def test_an_unknown_card_is_an_unknown_patron() -> None:
    with recorded_fbs({"63": sip2(recorded.UNKNOWN_PATRON)}) as fbs:
        auth = adapter(fbs.url).authenticate_patron(CARD, "0000")
    assert auth.outcome is AuthOutcome.UNKNOWN_PATRON


def test_fbs_refusing_a_message_is_an_error_with_its_words_not_a_crash() -> None:
    refusal = recorded.reply_xml(error="Required field: LOGIN_PASSWORD must be set!")
    with (recorded_fbs({"63": lambda _r: (200, refusal)}) as fbs,
          pytest.raises(FbsRefused, match="LOGIN_PASSWORD")):
        adapter(fbs.url).authenticate_patron(CARD, "12345")


def test_a_rest_error_with_a_correlation_id_says_so() -> None:
    body = b"<?xml version='1.0'?><restError><errorCode>AUTHENTICATION_FAILED</errorCode>" \
           b"<correlationId>4d0c-aa</correlationId></restError>"
    with (recorded_fbs({"63": lambda _r: (401, body)}) as fbs,
          pytest.raises(FbsRefused, match=r"AUTHENTICATION_FAILED \(correlation 4d0c-aa\)")):
        adapter(fbs.url).authenticate_patron(CARD, "12345")


def test_a_question_is_asked_again_after_a_server_error() -> None:
    with recorded_fbs({"17": [lambda _r: (503, b""), sip2(recorded.ITEM)]}) as fbs:
        item = adapter(fbs.url).item_info("5052159786")
    assert item.title == "Rød hane & sort høne" and len(fbs.requests) == 2


def test_a_loan_whose_answer_is_lost_is_settled_by_asking_not_sent_twice() -> None:
    """FBS failed after the 11 arrived: whether it lent the item is asked (17), never assumed."""
    with recorded_fbs({"11": lambda _r: (500, b""), "17": sip2(recorded.ITEM)}) as fbs:  # 03: available
        result = adapter(fbs.url, retries=0).checkout("3210519784", "5052159786", pin="12345")
    assert [text[:2] for _l, _p, text in fbs.requests] == ["11", "17"]
    assert not result.ok


def test_no_fbs_at_the_address_is_unavailable() -> None:
    with pytest.raises(LmsUnavailable):
        adapter(f"http://127.0.0.1:{free_port()}/rest/sip2/DK-775100", retries=0).item_info("1")


def test_garbage_instead_of_a_reply_is_a_protocol_error_and_unknown_for_a_loan() -> None:
    with recorded_fbs({"17": lambda _r: (200, b"<html>maintenance</html>"),
                       "11": lambda _r: (200, b"<html>maintenance</html>")}) as fbs:
        lms = adapter(fbs.url, retries=0)
        with pytest.raises(LmsError):
            lms.item_info("1")
        with pytest.raises(LmsOutcomeUnknown):
            lms.checkout("3210519784", "1", pin="12345")


def test_the_envelope_refuses_entity_declarations_and_escapes_what_it_sends() -> None:
    with pytest.raises(EnvelopeError, match="DOCTYPE"):
        parse_reply(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    body = request_xml("kiosk", 'pa"ss', "17AB1<2&3|")
    assert b"17AB1&lt;2&amp;3|" in body and b'password="pa&quot;ss"' in body
    assert parse_reply(recorded.reply_xml(response="98Y")).response == "98Y"


def test_a_bracketed_code_reaches_the_patron_as_a_sentence_in_their_language() -> None:
    from kiosk.circulation.view import LoanRow
    from ui.visit_text import loan_row

    row = LoanRow("3274626533", "Helbred dit liv", None, renewed=False, message="[BEFORE_RENEW_PERIOD]")
    assert "for tidligt at forny" in loan_row(row, "da").status
    assert "too early to renew" in loan_row(row, "en").status
    unknown = LoanRow("1", "Bog", None, renewed=False, message="[MAX_RENEWALS_REACHED]")
    assert "MAX_RENEWALS_REACHED" in loan_row(unknown, "en").status
    assert "could not do this" in loan_row(unknown, "en").status
    assert "[" not in loan_row(row, "da").status


def test_the_operators_probe_speaks_fbs_and_traces_no_password_or_pin(
        capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli.main import main
    from kiosk.simulate.build import DEMO_SEED
    from sync.fbs.emulator import FbsEmulator
    from sync.sip2.emulator_data import load_data

    emulator = FbsEmulator(load_data(DEMO_SEED), login="term7", password="s3cret").start()
    try:
        account = ["sip2", "--fbs", emulator.url, "--user", "term7", "--password", "s3cret", "--timeout", "3"]
        assert main([*account, "--trace", "--json", "checkout", "1000000001", "5010000001", "--pin",
                     "1234"]) == 0
        captured = capsys.readouterr()
        result = json.loads(captured.out)
        assert result["ok"] is True and result["title"] == "Kongens Fald"
        assert "-> 11" in captured.err and "<- 12" in captured.err
        assert "s3cret" not in captured.err and "AD1234" not in captured.err
        assert main([*account, "checkin", "5010000001"]) == 0
        assert main(["sip2", "--fbs", emulator.url, "--user", "term7", "--password", "wrong", "status"]) == 2
        assert "AUTHENTICATION_FAILED" in capsys.readouterr().err
    finally:
        emulator.stop()


def test_the_readmes_fbs_example_is_a_valid_settings_file() -> None:
    import re
    import tomllib
    from pathlib import Path

    from kiosk.settings import parse_settings

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(# /etc/library-kiosk/dokk1-kiosk\.toml.*?)```", readme, re.S)
    assert example is not None
    settings = parse_settings(tomllib.loads(example.group(1)))
    assert (settings.lms.kind, settings.lms.fbs.agency) == ("fbs", "DK-775100")
    assert settings.lms.fbs.endpoint.startswith("https://")


def test_a_return_that_belongs_to_another_branch_goes_to_transit(fbs: RecordedFbs) -> None:
    """FBS sends no destination; the branch first in the permanent location says where it lives."""
    from kiosk.circulation.results import Routing
    from kiosk.circulation.service import _routing

    here = adapter(fbs.url, branch="Hovedbiblioteket")
    elsewhere = adapter(fbs.url, branch="Lystrup Bibliotek")
    assert _routing(here.checkin("5052159786")) is Routing.SHELF
    away = elsewhere.checkin("5052159786")
    assert (_routing(away), away.destination) == (Routing.TRANSIT, "Hovedbiblioteket")


def test_the_patrons_language_is_read_from_fbss_patron_information(fbs: RecordedFbs) -> None:
    """FBS fills in SIP2's language field (009: Danish in Aarhus's recording)."""
    auth = adapter(fbs.url).authenticate_patron(CARD, "12345")
    assert auth.patron is not None and auth.patron.language == "da"
