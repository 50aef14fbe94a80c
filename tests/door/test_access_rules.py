"""Access rules for unstaffed hours: each rule, their order, age and time bands, lists, messages, CLI."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.bootstrap.door import access_rules
from kiosk.cli import access as access_cli
from kiosk.domain.errors import ConfigError
from kiosk.domain.model import AuthOutcome, AuthResult, Credential, CredentialKind, Patron
from kiosk.domain.pins import verify_pin
from kiosk.domain.privacy import Pseudonymizer
from kiosk.door.access_model import AccessDecision, AccessReason, Verdict
from kiosk.door.access_rules import AccessRules, birth_date_from_cpr
from kiosk.door.calendar import OpeningKind
from kiosk.settings import AccessSettings, load_access_settings
from kiosk.store.access_lists import load_staff_list, revoke, staff_entry
from kiosk.texts import has, text

CPH = ZoneInfo("Europe/Copenhagen")
WEDNESDAY_EVENING = dt.datetime(2026, 11, 25, 20, 15, tzinfo=CPH)
WEDNESDAY_AFTERNOON = dt.datetime(2026, 11, 25, 16, 0, tzinfo=CPH)
CARD = Credential(CredentialKind.CARD_UID, "1000000001")
PSEUDONYM = Pseudonymizer(b"k" * 32)
EVENING_15 = {"min_age": 15, "days": ["mon", "tue", "wed", "thu", "fri"], "start": "20:00"}


def rules(**overrides: Any) -> AccessRules:
    data: dict[str, Any] = {"age_bands": [EVENING_15], "categories": ["adult", "child"]}
    return AccessRules(AccessSettings.model_validate(data | overrides))


def adult(**fields: Any) -> Patron:
    values: dict[str, Any] = {"patron_id": "1000000001", "name": "Jensen, Anna",
                              "birth_date": dt.date(1988, 4, 12), "category": "adult",
                              "extra": (("ZU", "Y"),)}
    return Patron(**(values | fields))


def ok(patron: Patron | None = None) -> AuthResult:
    return AuthResult(AuthOutcome.OK, patron or adult())


def decide(auth: AuthResult | None, at: dt.datetime = WEDNESDAY_EVENING, *, r: AccessRules | None = None,
           opening: OpeningKind = OpeningKind.UNSTAFFED, language: str = "da", pin: str | None = "1234",
           credential: Credential = CARD) -> Any:
    return (r or rules()).decide(credential, auth, opening, at, language, pin=pin)


# -- each rule, allowing and refusing ---------------------------------------------------------------

def test_an_adult_with_everything_in_order_is_let_in() -> None:
    decision = decide(ok())
    assert (decision.allowed, decision.reason, decision.rule) == (True, AccessReason.OK, "all")
    assert decision.headline == "Døren er låst op"


@pytest.mark.parametrize(("auth", "pin", "rule", "reason"), [
    (AuthResult(AuthOutcome.UNKNOWN_PATRON), "1234", "valid_card", AccessReason.UNKNOWN_CARD),
    (AuthResult(AuthOutcome.WRONG_PIN), "9999", "correct_pin", AccessReason.WRONG_PIN),
    (ok(), None, "correct_pin", AccessReason.PIN_REQUIRED),
    (AuthResult(AuthOutcome.BLOCKED, adult(blocked=True)), "1234", "not_blocked", AccessReason.BLOCKED),
    (ok(adult(blocked=True, block_reasons=("card_reported_lost",))), "1234", "not_blocked",
     AccessReason.BLOCKED),
    (ok(adult(fee_total=Decimal("220.00"))), "1234", "fee_limit", AccessReason.FEES_OVER_LIMIT),
    (ok(adult(category="institution")), "1234", "category", AccessReason.CATEGORY_NOT_ALLOWED),
    (ok(adult(extra=(("ZU", "N"),))), "1234", "consent", AccessReason.NO_CONSENT),
    (ok(adult(birth_date=dt.date(2013, 2, 3))), "1234", "age", AccessReason.TOO_YOUNG_AT_THIS_TIME),
    (ok(adult(birth_date=None)), "1234", "age", AccessReason.AGE_UNKNOWN),
])
def test_each_rule_refuses_with_its_reason(auth: AuthResult, pin: str | None, rule: str,
                                           reason: AccessReason) -> None:
    decision = decide(auth, pin=pin)
    assert (decision.allowed, decision.rule, decision.reason) == (False, rule, reason)


def test_fees_just_under_the_limit_pass() -> None:
    assert decide(ok(adult(fee_total=Decimal("219.99")))).allowed


def test_a_rule_left_out_of_the_configuration_does_not_refuse() -> None:
    r = rules(rules=["valid_card", "correct_pin", "not_blocked"])
    assert decide(ok(adult(fee_total=Decimal("999"), category="x", extra=())), r=r).allowed


def test_every_category_is_allowed_when_none_is_listed() -> None:
    assert decide(ok(adult(category="institution")), r=rules(categories=[])).allowed


def test_an_unknown_card_is_never_let_in_even_without_rules() -> None:
    decision = decide(AuthResult(AuthOutcome.UNKNOWN_PATRON), r=rules(rules=[]))
    assert (decision.allowed, decision.reason) == (False, AccessReason.UNKNOWN_CARD)


# -- opening state and the LMS ---------------------------------------------------------------------

def test_closed_refuses_and_staffed_hours_let_everyone_in() -> None:
    assert decide(ok(), opening=OpeningKind.CLOSED).reason is AccessReason.CLOSED
    staffed = decide(ok(adult(birth_date=dt.date(2013, 2, 3))), opening=OpeningKind.STAFFED)
    assert (staffed.allowed, staffed.reason) == (True, AccessReason.STAFFED_HOURS)


def test_after_the_last_entry_patrons_are_refused_but_staff_still_come_in(staff_rules: AccessRules) -> None:
    late = decide(ok(), opening=OpeningKind.AFTER_LAST_ENTRY)
    assert (late.allowed, late.reason, late.rule) == (False, AccessReason.AFTER_LAST_ENTRY, "opening")
    cleaner = Credential(CredentialKind.CARD_UID, "7000000002")
    staff = staff_rules.decide(cleaner, None, OpeningKind.AFTER_LAST_ENTRY, WEDNESDAY_EVENING, pin="4321")
    assert staff.reason is AccessReason.STAFF


def test_no_answer_from_the_lms_and_nothing_cached_refuses() -> None:
    decision = decide(None)
    assert (decision.allowed, decision.reason, decision.rule) == (
        False, AccessReason.LMS_UNAVAILABLE_NOT_CACHED, "lms")


def test_a_decision_from_the_cached_access_list_says_so_for_staff() -> None:
    decision = rules().decide(CARD, ok(), OpeningKind.UNSTAFFED, WEDNESDAY_EVENING, pin="1234",
                              from_cache=True)
    assert decision.allowed and decision.from_cache and "cached access list" in decision.staff_detail


# -- order and trace -------------------------------------------------------------------------------

def test_the_first_refusal_in_the_configured_order_decides_and_every_rule_is_traced() -> None:
    patron = adult(blocked=True, fee_total=Decimal("450"))
    fees_first = decide(ok(patron), r=rules(rules=["fee_limit", "not_blocked", "age"]))
    blocked_first = decide(ok(patron), r=rules(rules=["not_blocked", "fee_limit", "age"]))
    assert fees_first.reason is AccessReason.FEES_OVER_LIMIT
    assert blocked_first.reason is AccessReason.BLOCKED
    assert [r.rule for r in fees_first.trace] == ["staff_whitelist", "opening", "lms", "fee_limit",
                                                  "not_blocked", "age"]
    assert [r.verdict for r in fees_first.trace[3:]] == [Verdict.REFUSE, Verdict.REFUSE, Verdict.PASS]


def test_rules_listed_twice_or_unknown_are_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "access.toml"
    path.write_text('[access]\nrules = ["age", "age"]\nfee_limit = "x"\nsurprise = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_access_settings(path)
    assert "access.fee_limit" in str(caught.value) and "access.surprise: unknown setting" in str(caught.value)
    path.write_text('[access]\nrules = ["age", "age"]\n')
    with pytest.raises(ConfigError, match="a rule is listed twice"):
        load_access_settings(path)


def test_the_demo_rules_load() -> None:
    settings = load_access_settings(access_cli.DEMO_RULES)
    assert settings.fee_limit == Decimal("220.00") and settings.consent_field == "ZU"


# -- age: birth date, CPR, time bands --------------------------------------------------------------

@pytest.mark.parametrize(("cpr", "born"), [
    ("0101301234", dt.date(1930, 1, 1)),  # 7th digit 0-3: 1900s
    ("010130-3234", dt.date(1930, 1, 1)),
    ("0101364234", dt.date(2036, 1, 1)),  # 4 and 9: 2000s up to 36 ...
    ("0101374234", dt.date(1937, 1, 1)),  # ... 1900s after
    ("0101369234", dt.date(2036, 1, 1)),
    ("0101379234", dt.date(1937, 1, 1)),
    ("0101575234", dt.date(2057, 1, 1)),  # 5-8: 2000s up to 57 ...
    ("0101588234", dt.date(1858, 1, 1)),  # ... 1800s after
    ("2511114321", dt.date(2011, 11, 25)),
    ("3102131234", None),  # 31 February
    ("12345", None),
])
def test_the_birth_date_in_a_cpr_number_follows_the_century_rule(cpr: str, born: dt.date | None) -> None:
    assert birth_date_from_cpr(cpr) == born


def health_card(cpr: str) -> Credential:
    return Credential(CredentialKind.HEALTH_CARD, cpr)


def test_age_from_a_health_card_when_the_lms_sends_no_birth_date_and_the_cpr_is_never_shown() -> None:
    fifteen_today, fifteen_tomorrow = "2511114321", "2611114321"
    nameless = ok(adult(birth_date=None))
    allowed = decide(nameless, credential=health_card(fifteen_today))
    refused = decide(nameless, credential=health_card(fifteen_tomorrow))
    assert allowed.allowed and "health card" in allowed.trace[-1].detail
    assert (refused.allowed, refused.reason) == (False, AccessReason.TOO_YOUNG_AT_THIS_TIME)
    for decision in (allowed, refused):
        assert fifteen_today not in repr(decision) and fifteen_tomorrow not in repr(decision)


def test_a_birthday_today_counts() -> None:
    assert decide(ok(adult(birth_date=dt.date(2011, 11, 25)))).allowed
    assert not decide(ok(adult(birth_date=dt.date(2011, 11, 26)))).allowed


def test_a_13_year_old_is_refused_at_20_15_on_a_weekday_and_let_in_at_16_00() -> None:
    mads = ok(adult(birth_date=dt.date(2013, 2, 3), category="child"))
    assert decide(mads, WEDNESDAY_EVENING).reason is AccessReason.TOO_YOUNG_AT_THIS_TIME
    assert decide(mads, WEDNESDAY_AFTERNOON).allowed
    assert decide(mads, dt.datetime(2026, 11, 28, 21, 0, tzinfo=CPH)).allowed  # Saturday: no band


def test_an_age_limit_all_the_time_is_too_young_and_the_strictest_band_applies() -> None:
    r = rules(age_bands=[{"min_age": 12}, EVENING_15])
    eleven = ok(adult(birth_date=dt.date(2015, 1, 1)))
    thirteen = ok(adult(birth_date=dt.date(2013, 2, 3)))
    assert decide(eleven, WEDNESDAY_AFTERNOON, r=r).reason is AccessReason.TOO_YOUNG
    assert decide(thirteen, WEDNESDAY_AFTERNOON, r=r).allowed
    assert decide(thirteen, WEDNESDAY_EVENING, r=r).reason is AccessReason.TOO_YOUNG_AT_THIS_TIME


def test_a_band_past_midnight_belongs_to_the_day_it_starts() -> None:
    r = rules(age_bands=[{"min_age": 18, "days": ["fri"], "start": "22:00", "end": "06:00"}])
    sixteen = ok(adult(birth_date=dt.date(2010, 1, 1)))
    assert not decide(sixteen, dt.datetime(2026, 11, 28, 2, 0, tzinfo=CPH), r=r).allowed  # Sat 02:00
    assert decide(sixteen, dt.datetime(2026, 11, 29, 2, 0, tzinfo=CPH), r=r).allowed  # Sun 02:00


@pytest.mark.parametrize(("utc", "allowed"), [
    (dt.datetime(2026, 3, 28, 18, 15, tzinfo=dt.UTC), True),  # Saturday 19:15 CET
    (dt.datetime(2026, 3, 29, 18, 15, tzinfo=dt.UTC), False),  # Sunday 20:15 CEST: the clocks went forward
    (dt.datetime(2026, 10, 24, 18, 15, tzinfo=dt.UTC), False),  # Saturday 20:15 CEST
    (dt.datetime(2026, 10, 25, 18, 15, tzinfo=dt.UTC), True),  # Sunday 19:15 CET: the clocks went back
])
def test_time_bands_are_local_wall_time_across_daylight_saving_changes(utc: dt.datetime,
                                                                       allowed: bool) -> None:
    r = rules(age_bands=[{"min_age": 15, "start": "20:00"}])
    thirteen = ok(adult(birth_date=dt.date(2013, 2, 3)))
    assert decide(thirteen, utc, r=r).allowed is allowed


# -- consent ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "missing", "allowed"), [
    ((("ZU", "Y"),), "refuse", True),
    ((("ZU", "N"),), "allow", False),
    ((), "refuse", False),
    ((), "allow", True),
    ((("XY", "Y"),), "refuse", False),
])
def test_consent_flag(extra: tuple[tuple[str, str], ...], missing: str, allowed: bool) -> None:
    assert decide(ok(adult(extra=extra)), r=rules(consent_missing=missing)).allowed is allowed


def test_the_consent_field_code_is_configurable() -> None:
    assert decide(ok(adult(extra=(("XY", "Y"),))), r=rules(consent_field="XY")).allowed


# -- revocation list and staff whitelist -----------------------------------------------------------

def test_a_revoked_card_is_refused_and_the_list_holds_only_its_token(tmp_path: Path) -> None:
    path = tmp_path / "revoked.txt"
    revoke(path, "1000000001", PSEUDONYM, dt.date(2026, 11, 25))
    settings = AccessSettings.model_validate({"revocation_list": str(path)})
    r = access_rules(settings, PSEUDONYM)
    assert "1000000001" not in path.read_text()
    assert decide(ok(), r=r).reason is AccessReason.REVOKED
    by_other_card = decide(ok(), r=r, credential=Credential(CredentialKind.BARCODE, "9999"))
    assert by_other_card.reason is AccessReason.REVOKED  # the LMS says it is the same patron
    other_patron = ok(adult(patron_id="1000000009"))
    assert decide(other_patron, r=r, credential=Credential(CredentialKind.BARCODE, "9999")).allowed


def test_lists_without_the_pseudonym_key_are_a_config_error(tmp_path: Path) -> None:
    settings = AccessSettings.model_validate({"revocation_list": str(tmp_path / "r.txt")})
    with pytest.raises(ConfigError):
        access_rules(settings, None)


@pytest.fixture
def staff_rules(tmp_path: Path) -> AccessRules:
    path = tmp_path / "staff.toml"
    cleaner = staff_entry("7000000001", "4321", PSEUDONYM, "cleaner")
    daytime = staff_entry("7000000002", "4321", PSEUDONYM, "staff", closed_hours=False)
    path.write_text(cleaner.to_toml() + "\n" + daytime.to_toml())
    settings = AccessSettings.model_validate({"staff_list": str(path)})
    return access_rules(settings, PSEUDONYM)


def test_the_staff_list_stores_a_salted_slow_verifier_not_the_pin_or_card(tmp_path: Path) -> None:
    path = tmp_path / "staff.toml"
    path.write_text("\n".join(staff_entry("7000000001", "4321", PSEUDONYM, "cleaner").to_toml()
                              for _ in range(2)))
    first, second = load_staff_list(path)
    assert "7000000001" not in path.read_text()
    assert first.pin_verifier.startswith("scrypt$") and first.pin_verifier != second.pin_verifier
    assert verify_pin("4321", first.pin_verifier) and not verify_pin("4322", first.pin_verifier)


def test_a_staff_card_gets_in_while_the_lms_is_down(staff_rules: AccessRules) -> None:
    cleaner = Credential(CredentialKind.CARD_UID, "7000000001")
    assert staff_rules.check_staff(cleaner, "4321")[0] is AccessReason.STAFF
    right = staff_rules.decide(cleaner, None, OpeningKind.CLOSED, WEDNESDAY_EVENING, pin="4321")
    wrong = staff_rules.decide(cleaner, None, OpeningKind.UNSTAFFED, WEDNESDAY_EVENING, pin="4322")
    stranger = staff_rules.decide(CARD, None, OpeningKind.UNSTAFFED, WEDNESDAY_EVENING, pin="4321")
    assert (right.allowed, right.reason, right.rule) == (True, AccessReason.STAFF, "staff_whitelist")
    assert (wrong.allowed, wrong.reason) == (False, AccessReason.WRONG_PIN)
    assert stranger.reason is AccessReason.LMS_UNAVAILABLE_NOT_CACHED


def test_a_staff_card_not_for_closed_hours_is_refused_when_closed(staff_rules: AccessRules) -> None:
    daytime = Credential(CredentialKind.CARD_UID, "7000000002")
    closed = staff_rules.decide(daytime, None, OpeningKind.CLOSED, WEDNESDAY_EVENING, pin="4321")
    unstaffed = staff_rules.decide(daytime, None, OpeningKind.UNSTAFFED, WEDNESDAY_EVENING, pin="4321")
    assert closed.reason is AccessReason.CLOSED and unstaffed.reason is AccessReason.STAFF


# -- messages --------------------------------------------------------------------------------------

def test_a_refusal_says_why_and_what_to_do_in_danish_and_english() -> None:
    blocked = AuthResult(AuthOutcome.BLOCKED, adult(blocked=True))
    da, en = decide(blocked, language="da"), decide(blocked, language="en")
    assert da.message == ("Adgang nægtet. Dit lånerkort er spærret. "
                          "Kontakt personalet i betjent åbningstid.")
    assert en.message == "Access refused. Your library card is blocked. Contact staff during staffed hours."


def test_messages_fill_in_amounts_and_times() -> None:
    fees = ok(adult(fee_total=Decimal("450")))
    assert "450,00 kr. i gebyrer. Grænsen er 220,00 kr." in decide(fees).message
    assert "DKK 450.00" in decide(fees, language="en").message
    young = decide(ok(adult(birth_date=dt.date(2013, 2, 3))), language="en")
    assert "at least 15 to enter after 20:00" in young.message


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_refusal_has_a_next_step(language: str) -> None:
    for reason in AccessReason:
        decision = AccessDecision(False, reason, "x", "", text(f"access.{reason.value}.why", language), "",
                                  "", ())
        assert decision.explanation and decision.explanation != f"access.{reason.value}.why"
        if reason not in (AccessReason.OK, AccessReason.STAFF, AccessReason.STAFFED_HOURS):
            assert has(f"access.{reason.value}.next", language)


def test_staff_detail_has_no_name_or_pin() -> None:
    decision = decide(ok(adult(fee_total=Decimal("450"))), pin="1234")
    text = repr(decision) + decision.staff_detail
    assert "Jensen" not in text and "Anna" not in text and "1234" not in text
    assert "fees 450.00" in decision.staff_detail


# -- library-kiosk access check --------------------------------------------------------------------

def access(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="library-kiosk access")
    access_cli.add_arguments(parser)
    return access_cli.run(parser.parse_args(argv))


def test_the_cli_explains_a_refused_13_year_old(capsys: pytest.CaptureFixture[str]) -> None:
    code = access(["check", "--credential", "1000000002", "--pin", "2468", "--at", "2026-11-25T20:15"])
    out = capsys.readouterr().out
    assert code == 1
    assert "age              REFUSE  too_young_at_this_time: age 13 (LMS birth date)" in out
    assert "consent          pass    ZU=Y" in out
    assert "Decision: REFUSED (too_young_at_this_time, rule age)" in out
    assert "Adgang nægtet. Du skal være mindst 15 år for at komme ind efter kl. 20:00." in out
    assert "2468" not in out and "1000000002" not in out and "Nielsen" not in out


def test_the_cli_lets_an_adult_in(capsys: pytest.CaptureFixture[str]) -> None:
    code = access(["check", "--credential", "1000000001", "--pin", "1234", "--at", "2026-11-25T20:15",
                   "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Decision: ALLOWED (ok, rule all)" in out and "The door is unlocked. Welcome." in out


def test_the_cli_knows_the_demo_patron_without_consent(capsys: pytest.CaptureFixture[str]) -> None:
    assert access(["check", "--credential", "1000000006", "--pin", "6666", "--at", "2026-11-25T20:15"]) == 1
    assert "Decision: REFUSED (no_consent, rule consent)" in capsys.readouterr().out


def test_the_cli_goes_by_the_branch_calendar_christmas_day_is_closed(
        capsys: pytest.CaptureFixture[str]) -> None:
    adult = ["check", "--credential", "1000000001", "--pin", "1234", "--lang", "en"]
    assert access([*adult, "--at", "2026-12-25T20:15"]) == 1
    out = capsys.readouterr().out
    assert "closed hours (calendar of hovedbiblioteket)" in out
    assert "Decision: REFUSED (closed, rule opening)" in out
    assert access([*adult, "--at", "2026-11-25T21:50"]) == 1  # a Wednesday, after the last entry
    assert "Decision: REFUSED (after_last_entry" in capsys.readouterr().out
    assert access([*adult, "--at", "2026-12-25T20:15", "--opening", "unstaffed"]) == 0  # as if open
    assert "unstaffed hours (as given)" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["check", "--credential", "1000000001", "--at", "yesterday"],
    ["check", "--credential", "1000000001", "--calendar", "/nonexistent/calendar.toml"],
    ["check", "--credential", "1000000001", "--rules", "/nonexistent/access.toml"],
    ["check", "--credential", "1000000001", "--sip2", "localhost:6001"],
])
def test_the_cli_says_what_is_wrong_with_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    assert access(argv) == 2
    assert capsys.readouterr().err.startswith("library-kiosk access: ")


def test_the_cli_revokes_a_card_by_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    revoked = tmp_path / "revoked.txt"
    rules_file = tmp_path / "access.toml"
    rules_file.write_text(access_cli.DEMO_RULES.read_text().replace('revocation_list = ""',
                                                                    'revocation_list = "revoked.txt"'))
    data = ["--data-dir", str(tmp_path / "data")]
    assert access(["revoke", "--credential", "1000000001", "--file", str(revoked), *data]) == 0
    assert "1000000001" not in revoked.read_text()
    code = access(["check", "--credential", "1000000001", "--pin", "1234", "--at", "2026-11-25T20:15",
                   "--rules", str(rules_file), *data])
    assert code == 1 and "Decision: REFUSED (revoked, rule revocation)" in capsys.readouterr().out
