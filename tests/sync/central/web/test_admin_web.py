"""The administration web in a real browser (Debian's Chromium, headless, driven by Selenium): log
in, see the fleet as the terminals' heartbeats describe it, acknowledge an alarm; in Danish and
English. Screenshots of the pages go to the test's folder (and are looked at when they change)."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.domain.central import CentralEvent
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.domain.model import Credential, CredentialKind, DeviceHealth, DeviceState
from kiosk.simulate.branch import DemoBranch
from kiosk.testing.memory import ManualClock, MemoryCardReader
from sync.central.client import CentralClient
from sync.central.server.web.oidc import OidcSettings
from sync.central.service import CentralService
from tests.net import free_port
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.printing.test_pricing import A4, BLACK_TEXT, pdf, png
from tests.sync.central.office_files import odt

PASSWORD = "correct horse battery"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[CentralService, str]]:
    service = CentralService(tmp_path / "central.db")
    credential = service.enrol("kiosk-7", "viby")
    service.enrol("door-3", "tilst")
    service.add_account("anne", PASSWORD, "administrator")
    service.add_account("vibeke", PASSWORD, "staff", ("viby",))
    service.start()
    yield service, credential
    service.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail("Debian's chromium and chromium-driver are needed (make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1024,768", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.implicitly_wait(5)  # a page after a click may still be on its way
    yield chrome
    chrome.quit()


Branch = tuple[DemoBranch, Callable[[float], None]]


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Branch]:
    """The demo branch (`make demo`), its terminals on a manual clock at 20:15 on Wednesday
    25 November 2026 (unstaffed hours), and a tick that moves the clock and runs both."""
    clock = ManualClock()
    demo = DemoBranch.open(tmp_path / "branch", clock=lambda: clock, workers=InlineWorkers,
                           log_to_console=False)
    terminals = (demo.kiosk, demo.door)
    for terminal in terminals:
        terminal.connect_devices()

    def tick(seconds: float) -> None:
        clock.advance(seconds)
        for terminal in terminals:
            terminal.core.post(Tick())
            terminal.core.drain()

    yield demo, tick
    demo.close()


def heading_becomes(browser: webdriver.Chrome, text: str) -> None:
    """Wait for the page after a click (its heading), so that nothing is read from the one before."""
    WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(
        lambda page: page.find_element(By.TAG_NAME, "h1").text == text)


def log_in(browser: webdriver.Chrome, url: str, user: str, password: str) -> None:
    """Fill in the login form and send it; with the right password, wait until the fleet shows."""
    browser.find_element(By.ID, "username").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    if password == PASSWORD:
        WebDriverWait(browser, 5).until(lambda page: "/admin/login" not in page.current_url)


def test_staff_log_in_see_the_fleet_and_acknowledge_an_alarm(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, credential = central
    with CentralClient(service.url, credential) as terminal:
        printer = DeviceHealth("receipt_printer", DeviceState.UNAVAILABLE, "paper out")
        terminal.heartbeat("kiosk-7", [printer], pending=3, oldest_age_s=12.0, mode="offline",
                           disk_free_mb=4200, version="0.9.0")
        forced = {"alarm": "forced_open", "detail": "no entry granted"}
        now = dt.datetime.now(dt.UTC)
        terminal.send_events("kiosk-7", [CentralEvent(str(uuid.uuid4()), "alarm", now, forced)])

    browser.get(f"{service.url}/admin/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Log ind"  # Danish first
    browser.find_element(By.LINK_TEXT, "EN").click()
    heading_becomes(browser, "Log in")
    log_in(browser, service.url, "anne", "not the password")
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text == "Wrong user name or password."
    log_in(browser, service.url, "anne", PASSWORD)

    row = browser.find_element(By.ID, "terminal-kiosk-7").text
    assert "viby" in row and "offline" in row and "receipt_printer: paper out" in row
    assert "4200 MB free" in row and "0.9.0" in row
    assert "never" in browser.find_element(By.ID, "terminal-door-3").text
    browser.save_screenshot(str(tmp_path / "fleet-en.png"))

    browser.find_element(By.LINK_TEXT, "Alarms").click()
    [door] = [a for a in service.alarms() if a.kind == "door_forced_open"]
    row = f"alarm-{door.number}"
    assert "urgent: door forced open: no entry granted" in browser.find_element(By.ID, row).text
    browser.save_screenshot(str(tmp_path / "alarms-en.png"))
    browser.find_element(By.CSS_SELECTOR, f"#{row} button").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == f"Alarm {door.number} acknowledged."
    assert browser.find_elements(By.ID, row) == []
    assert [(a.kind, a.acknowledged_by) for a in service.alarms()] == [
        ("device_receipt_printer", None), ("door_forced_open", "anne")]

    browser.find_element(By.LINK_TEXT, "DA").click()
    heading_becomes(browser, "Alarmer")
    browser.save_screenshot(str(tmp_path / "alarms-da.png"))

    browser.find_element(By.LINK_TEXT, "Log over handlinger").click()  # an administrator's page
    heading_becomes(browser, "Log over handlinger")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert [row.split()[2:4] for row in rows] == [["anne", "alarm_acknowledged"], ["anne", "login"],
                                                  ["anne", "login_failed"]]


def test_a_staff_member_sees_only_their_branch_and_a_logged_out_browser_sees_nothing(
        central: tuple[CentralService, str], browser: webdriver.Chrome) -> None:
    service, _credential = central
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "vibeke", PASSWORD)
    table = browser.find_element(By.TAG_NAME, "table").text
    assert "kiosk-7" in table and "door-3" not in table
    browser.find_element(By.CSS_SELECTOR, "header button").click()  # log out
    WebDriverWait(browser, 5).until(lambda page: "/admin/login" in page.current_url)
    browser.get(f"{service.url}/admin/alarms")
    assert browser.find_element(By.TAG_NAME, "h1").text in ("Log in", "Log ind")


def test_a_branchs_opening_hours_are_changed_in_words_and_a_mistake_is_refused(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, _credential = central
    service.set_calendar("viby", {"name": "Viby Bibliotek", "zone": "Europe/Copenhagen",
                                  "week": {day: ["08:00-20:00 unstaffed"] for day in DAYS}})
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "vibeke", PASSWORD)
    assert browser.find_elements(By.LINK_TEXT, "Audit log") == []  # for administrators
    browser.find_element(By.LINK_TEXT, "Opening hours").click()
    browser.find_element(By.LINK_TEXT, "Viby Bibliotek").click()
    assert "08.00–20.00  unstaffed" in browser.find_element(By.ID, "preview").text

    wednesday = browser.find_element(By.ID, "day-wednesday")
    wednesday.clear()
    wednesday.send_keys("08:00-10:00 staffed, 10:00-18:00 unstaffed")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Saved.")
    calendar = service.calendar_of("viby")
    assert calendar is not None and calendar["week"]["wednesday"] == ["08:00-10:00 staffed",
                                                                      "10:00-18:00 unstaffed"]
    browser.save_screenshot(str(tmp_path / "calendar-en.png"))

    friday = browser.find_element(By.ID, "day-friday")
    friday.clear()
    friday.send_keys("08:00-25:00 unstaffed")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text.startswith("Not saved: week.friday")
    assert service.calendar_of("viby")["week"]["friday"] == ["08:00-20:00 unstaffed"]  # type: ignore[index]


def test_a_configuration_layer_is_edited_refused_in_words_and_restored(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, _credential = central
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "anne", PASSWORD)
    browser.get(f"{service.url}/admin/config?level=branch&scope=viby")
    settings = browser.find_element(By.ID, "settings")
    settings.clear()
    settings.send_keys('{"session": {"idle_timeout_s": 45}}')
    browser.find_element(By.ID, "reason").send_keys("slower patrons")
    browser.find_element(By.CSS_SELECTOR, "form[method=post] button.primary").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Revision")
    first = service.revisions("branch", "viby")[0]["number"]

    settings = browser.find_element(By.ID, "settings")
    settings.clear()
    settings.send_keys('{"session": {"idle_timeout_s": "soon"}}')
    browser.find_element(By.CSS_SELECTOR, "form[method=post] button.primary").click()
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert alert.startswith("Not saved: terminal kiosk-7 (viby): session.idle_timeout_s")

    settings = browser.find_element(By.ID, "settings")
    settings.clear()
    settings.send_keys('{"session": {"idle_timeout_s": 90}}')
    browser.find_element(By.CSS_SELECTOR, "form[method=post] button.primary").click()
    WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(  # the page after the save
        lambda page: '+    "idle_timeout_s": 90' in page.find_element(By.CSS_SELECTOR, "section pre").text)
    browser.save_screenshot(str(tmp_path / "config-en.png"))
    browser.find_element(By.CSS_SELECTOR, f"#revision-{first} button").click()  # back to 45
    WebDriverWait(browser, 5).until(lambda _: len(service.revisions("branch", "viby")) == 3)
    assert service.revisions("branch", "viby")[0]["settings"] == {"session": {"idle_timeout_s": 45}}


def test_the_demo_administrator_closes_the_branch_early_and_the_door_and_the_kiosk_follow(
        branch: Branch, browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The issue's walk-through on the demo branch (`make demo`), its terminals on a manual clock at
    20:15 on a Wednesday: the demo administrator closes the branch at 20:00 instead of 22:00."""
    demo, tick = branch
    tick(1)
    hours, opening = demo.kiosk.session.view.hours, demo.door.session.view.opening
    assert hours is not None and hours.open and opening is not None and opening.kind.value == "unstaffed"
    browser.get(f"{demo.central.url}/admin/login?lang=en")
    log_in(browser, demo.central.url, "admin", "demo-admin-2026")
    browser.find_element(By.LINK_TEXT, "Opening hours").click()
    browser.find_element(By.PARTIAL_LINK_TEXT, "Dokk1").click()
    wednesday = browser.find_element(By.ID, "day-wednesday")
    wednesday.clear()
    wednesday.send_keys("07:00-10:00 unstaffed, 10:00-19:00 staffed, 19:00-20:00 unstaffed")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Saved.")
    tick(301)  # the terminals' next calendar sync
    tick(21)  # and their next look at the opening state
    hours, opening = demo.kiosk.session.view.hours, demo.door.session.view.opening
    assert hours is not None and not hours.open
    assert opening is not None and opening.kind.value == "closed"


def test_an_administrator_adds_a_staff_card_the_kiosk_takes_it_and_the_entries_show_by_hour(
        branch: Branch, browser: webdriver.Chrome, tmp_path: Path) -> None:
    demo, tick = branch
    def present(terminal: Kiosk, card: str, pin: str) -> None:
        reader = terminal.card_reader
        assert isinstance(reader, MemoryCardReader)
        reader.present(Credential(CredentialKind.CARD_UID, card))
        terminal.core.drain()
        terminal.session.submit_pin(pin)
        terminal.core.drain()

    tick(1)
    browser.get(f"{demo.central.url}/admin/login?lang=en")
    log_in(browser, demo.central.url, "admin", "demo-admin-2026")
    browser.find_element(By.LINK_TEXT, "Staff cards").click()
    browser.find_element(By.ID, "card").send_keys("7700000042")
    browser.find_element(By.ID, "pin").send_keys("9753")
    browser.find_element(By.ID, "role").send_keys("technician")
    browser.find_element(By.ID, "branches").send_keys("hovedbiblioteket")
    browser.find_element(By.CSS_SELECTOR, "main button.primary[type=submit]").click()
    status = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    token = demo.central.patron_token("7700000042")
    assert status == f"The card was added as {token[:12]}."
    row = browser.find_element(By.ID, f"card-{token[:12]}").text
    assert "technician" in row and "hovedbiblioteket" in row and "7700000042" not in browser.page_source
    browser.save_screenshot(str(tmp_path / "staff-cards-en.png"))

    tick(301)  # the kiosk's next staff-list sync
    present(demo.kiosk, "7700000042", "9753")
    staff = demo.kiosk.session.view.staff
    assert staff is not None and staff.role.value == "technician"
    demo.kiosk.session.logout()
    present(demo.door, "1000000001", "1234")  # Anna comes in at 20.15
    tick(61)  # the door's outbox
    browser.get(f"{demo.central.url}/admin/entries?days=30")
    section = browser.find_element(By.ID, "entries-hovedbiblioteket").text
    assert "1 entries in all" in section
    cells = browser.find_elements(By.CSS_SELECTOR, "#entries-hovedbiblioteket table.counts td")
    assert [cell.text for cell in cells][20] == "1" and sum(int(c.text) for c in cells) == 1
    browser.save_screenshot(str(tmp_path / "entries-en.png"))

    browser.get(f"{demo.central.url}/admin/staff")
    browser.find_element(By.CSS_SELECTOR, f"#card-{token[:12]} button").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "The card was removed."
    actions = [line["action"] for line in demo.central.audit_log()]
    assert "staff_card.add" in actions and "staff_card.remove" in actions


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    idp = OidcProvider().start()
    yield idp
    idp.stop()


def oidc_settings(provider: OidcProvider) -> OidcSettings:
    return OidcSettings.model_validate({
        "name": "Aarhus Kommune", "metadata_url": provider.metadata_url, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "claim": "roles",
        "roles": [{"value": "Selvbetjening.Administrator", "role": "administrator"},
                  {"value": "Viby.Personale", "role": "staff", "branches": ["viby"]}]})


def test_staff_sign_in_through_the_municipality_and_get_the_role_their_claims_give(
        provider: OidcProvider, browser: webdriver.Chrome, tmp_path: Path) -> None:
    service = CentralService(tmp_path / "central.db", oidc=oidc_settings(provider))
    service.enrol("kiosk-7", "viby")
    service.enrol("door-3", "tilst")
    service.start()
    try:
        browser.get(f"{service.url}/admin/login?lang=en")
        browser.save_screenshot(str(tmp_path / "login-oidc-en.png"))
        browser.find_element(By.ID, "oidc").click()  # to the provider and back
        heading_becomes(browser, "Terminals")
        assert "Log out (anne@aarhus.dk)" in browser.find_element(By.TAG_NAME, "header").text
        assert browser.find_elements(By.LINK_TEXT, "Audit log")  # an administrator
        browser.find_element(By.CSS_SELECTOR, "header form button").click()  # log out

        provider.person = {"sub": "u-2", "preferred_username": "vibeke@aarhus.dk",
                           "roles": ["Viby.Personale", "Something.Else"]}
        browser.find_element(By.ID, "oidc").click()
        heading_becomes(browser, "Terminals")
        table = browser.find_element(By.TAG_NAME, "table").text
        assert "kiosk-7" in table and "door-3" not in table  # her branch only
        assert browser.find_elements(By.LINK_TEXT, "Audit log") == []
        browser.find_element(By.CSS_SELECTOR, "header form button").click()

        provider.person = {"sub": "u-3", "preferred_username": "ole@aarhus.dk", "roles": ["Skole.Lærer"]}
        browser.find_element(By.ID, "oidc").click()
        alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
        assert alert.startswith("You are signed in at the municipality, but have no role here.")
        browser.find_element(By.ID, "username").send_keys("ole@aarhus.dk")  # no local way in either
        browser.find_element(By.ID, "password").send_keys("!external")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(
            lambda page: page.find_element(By.CSS_SELECTOR, "[role=alert]").text
            == "Wrong user name or password.")

        lines = [(line["who"], line["action"], line["target"]) for line in service.audit_log()]
        assert ("anne@aarhus.dk", "login", "oidc") in lines
        assert ("ole@aarhus.dk", "login_refused", "oidc") in lines
    finally:
        service.stop()


def test_a_provider_that_does_not_answer_is_said_in_words_and_local_accounts_still_work(
        browser: webdriver.Chrome, tmp_path: Path) -> None:
    away = OidcSettings.model_validate({
        "name": "Aarhus Kommune", "metadata_url": f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
        "client_id": CLIENT_ID, "roles": [{"value": "x", "role": "staff"}]})
    service = CentralService(tmp_path / "central.db", oidc=away)
    service.add_account("anne", PASSWORD, "administrator")
    service.start()
    try:
        browser.get(f"{service.url}/admin/login?lang=en")
        browser.find_element(By.ID, "oidc").click()
        assert "does not answer just now" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
        log_in(browser, service.url, "anne", PASSWORD)
        heading_becomes(browser, "Terminals")
    finally:
        service.stop()


def test_a_card_is_revoked_and_the_revocation_ended_on_the_web(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, credential = central
    browser.get(f"{service.url}/admin/login?lang=da")
    log_in(browser, service.url, "anne", PASSWORD)
    browser.find_element(By.LINK_TEXT, "Spærrede kort").click()
    assert browser.find_element(By.TAG_NAME, "main").text.count("Ingen spærrede kort.") == 1
    browser.find_element(By.ID, "card").send_keys("1000000001")
    browser.find_element(By.ID, "reason").send_keys("trusler mod personalet")
    browser.find_element(By.ID, "until").send_keys("2099-02-01")
    browser.find_element(By.CSS_SELECTOR, "main button.primary[type=submit]").click()
    token = service.patron_token("1000000001")
    status = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert status == f"Kortet er spærret som {token[:12]}."
    assert "2099-02-01" in browser.find_element(By.ID, f"revoked-{token[:12]}").text
    browser.save_screenshot(str(tmp_path / "revocations-da.png"))
    with CentralClient(service.url, credential) as terminal:
        assert [r.token for r in terminal.revocations("viby")] == [token]
    browser.find_element(By.ID, "until").send_keys("1. februar")  # a mistake, said in words
    browser.find_element(By.ID, "card").send_keys("1000000002")
    browser.find_element(By.ID, "reason").send_keys("larm")
    browser.find_element(By.CSS_SELECTOR, "main button.primary[type=submit]").click()
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert alert == "Ikke spærret: Sidste dag, ÅÅÅÅ-MM-DD (tomt: til den fjernes): '1. februar'"
    browser.find_element(By.CSS_SELECTOR, f"#revoked-{token[:12]} button").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "Spærringen er ophævet."
    with CentralClient(service.url, credential) as terminal:
        assert terminal.revocations("viby") == ()


def test_a_branch_change_is_tried_on_one_terminal_then_rolled_out(branch: Branch, browser: webdriver.Chrome,
                                                                  tmp_path: Path) -> None:
    demo, tick = branch
    def beat(terminal: str) -> dict[str, Any]:
        return next(b for b in reversed(demo.central.heartbeats()) if b["terminal"] == terminal)["config"]

    tick(1)
    browser.get(f"{demo.central.url}/admin/login?lang=en")
    log_in(browser, demo.central.url, "admin", "demo-admin-2026")
    heading_becomes(browser, "Terminals")
    browser.get(f"{demo.central.url}/admin/config?level=branch&scope=hovedbiblioteket")
    settings = browser.find_element(By.ID, "settings")
    settings.clear()
    settings.send_keys('{"session": {"idle_timeout_s": 45}}')
    browser.find_element(By.ID, "reason").send_keys("longer for the evening")
    browser.find_element(By.ID, "terminal").send_keys("demo-1")
    browser.find_element(By.CSS_SELECTOR, "button[value=try]").click()
    trial = browser.find_element(By.ID, "trial").text
    assert "On trial at demo-1" in trial and "has not fetched it yet" in trial
    assert demo.central.revisions("branch", "hovedbiblioteket") == []  # not for the branch yet

    tick(301)  # the terminals' next configuration sync
    assert beat("demo-1")["pending"] is not None and beat("demo-door")["pending"] is None
    browser.refresh()
    assert "takes it on at its next restart" in browser.find_element(By.ID, "trial").text
    browser.save_screenshot(str(tmp_path / "config-trial-en.png"))

    browser.find_element(By.CSS_SELECTOR, "#trial button[value=roll_out]").click()
    WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(  # the page after it
        lambda page: page.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Revision"))
    assert browser.find_elements(By.ID, "trial") == []
    (branch,) = demo.central.revisions("branch", "hovedbiblioteket")
    assert branch["settings"] == {"session": {"idle_timeout_s": 45}}
    own = demo.central.revisions("terminal", "demo-1")
    assert own[0]["settings"] == own[2]["settings"]  # the terminal's own layer, as before the trial
    tick(301)
    assert beat("demo-door")["pending"] is not None  # now the whole branch
    actions = [line["action"] for line in demo.central.audit_log()]
    assert "configuration_trial" in actions and "configuration_rolled_out" in actions


def test_the_access_rules_of_each_branch_are_said_in_words_in_the_order_the_doors_check_them(
        central: tuple[CentralService, str], browser: webdriver.Chrome) -> None:
    service, _credential = central
    service.add_revision("branch", "viby", {"access": {
        "rules": ["valid_card", "correct_pin", "revocation", "fee_limit", "age"], "fee_limit": "100.00",
        "age_bands": [{"min_age": 15, "days": ["mon", "tue"], "start": "20:00", "end": "24:00"}]}},
        author="anne", reason="evenings")
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "vibeke", PASSWORD)  # staff of Viby: Viby only
    browser.find_element(By.LINK_TEXT, "Access rules").click()
    heading_becomes(browser, "Access rules")
    assert browser.find_elements(By.ID, "access-tilst") == []
    rules = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#access-viby ol li")]
    assert rules == ["The card is valid in the library system.", "The PIN is right.",
                     "The card is on no revocation list (the municipality's or the terminal's).",
                     "Fees below DKK 100.00.", "Age by the bands below (unknown age: refuse)."]
    assert "At least 15: mon, tue, 20:00–24:00" in browser.find_element(By.ID, "access-viby").text


def test_closures_special_days_and_holiday_hours_are_set_and_shown_in_the_preview(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, _credential = central
    service.set_calendar("viby", {"name": "Viby Bibliotek", "zone": "Europe/Copenhagen",
                                  "week": {day: ["08:00-20:00 unstaffed"] for day in DAYS}})
    today = dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    closed, short = today + dt.timedelta(days=2), today + dt.timedelta(days=3)
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "anne", PASSWORD)
    browser.get(f"{service.url}/admin/calendars/viby?lang=en")
    browser.find_element(By.ID, "closures").send_keys(f"{closed.isoformat()} Staff day")
    special = f"{short.isoformat()}: 08:00-12:00 unstaffed (Short day)"
    browser.find_element(By.ID, "special").send_keys(special)
    browser.find_element(By.ID, "holiday_hours").send_keys("10:00-16:00 unstaffed")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Saved.")
    calendar = service.calendar_of("viby")
    assert calendar is not None
    assert calendar["closures"] == [{"date": closed.isoformat(), "reason": "Staff day"}]
    assert calendar["special"] == [{"date": short.isoformat(), "name": "Short day",
                                    "periods": ["08:00-12:00 unstaffed"]}]
    assert calendar["holidays"]["periods"] == ["10:00-16:00 unstaffed"]
    preview = browser.find_element(By.ID, "preview").text
    assert "Staff day" in preview and "08.00–12.00" in preview
    browser.save_screenshot(str(tmp_path / "calendar-dates-en.png"))

    closures = browser.find_element(By.ID, "closures")
    closures.clear()
    closures.send_keys("24 December Christmas")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "closures, line 1: begin with a date" in alert
    assert service.calendar_of("viby")["closures"] == calendar["closures"]  # type: ignore[index]


def test_a_patron_sends_a_photo_and_a_pdf_to_print_from_the_upload_page(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, credential = central
    photo, letter, notes = tmp_path / "kat.png", tmp_path / "Ansøgning.pdf", tmp_path / "noter.pages"
    photo.write_bytes(png(rgb=(200, 30, 30)))
    letter.write_bytes(pdf((A4, BLACK_TEXT), (A4, BLACK_TEXT)))
    notes.write_bytes(b"\x00\x01 an Apple Pages file, say")

    browser.get(f"{service.url}/print")  # Danish first, no login
    browser.find_element(By.ID, "document").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    sent = browser.find_element(By.ID, "sent").text
    assert sent == "Sider: 1, heraf i farver: 1. Pris for ét eksemplar: 1,00 kr."
    code = browser.find_element(By.ID, "code").text.replace(" ", "")
    browser.save_screenshot(str(tmp_path / "print-sent-da.png"))
    with CentralClient(service.url, credential) as kiosk:
        (job,) = kiosk.print_jobs(service.print_code_owner(code))
        assert (job.job.document_name, job.job.cost, job.state) == ("kat.png", Decimal("1.00"), "held")

    browser.get(f"{service.url}/print?lang=en")
    browser.find_element(By.ID, "document").send_keys(str(letter))
    browser.find_element(By.ID, "card").send_keys("1000000001")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.ID, "sent").text == "Pages: 2, in colour: 0. Price for one copy: DKK 1.10"
    assert browser.find_elements(By.ID, "code") == []  # collected with the card and its PIN
    with CentralClient(service.url, credential) as kiosk:
        assert [j.job.document_name for j in kiosk.print_jobs(service.patron_token("1000000001"))] == [
            "Ansøgning.pdf"]

    browser.get(f"{service.url}/print?lang=en")
    browser.find_element(By.ID, "document").send_keys(str(notes))
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text == (
        "Cannot be printed: send a PDF, a picture (JPEG, PNG) or an office document (Word, Excel, "
        "PowerPoint, OpenDocument, RTF, text)")


def test_a_patron_sends_an_office_document_and_a_broken_one_is_refused_in_their_language(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, credential = central
    minutes, broken = tmp_path / "Referat.odt", tmp_path / "Gammelt brev.doc"
    minutes.write_bytes(odt(("Referat", ""), ("Et rødt kort", "c02020")))
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))  # the OLE2 header, nothing else

    browser.get(f"{service.url}/print")
    assert "kontordokument (Word, Excel" in browser.find_element(By.ID, "intro").text
    browser.find_element(By.ID, "document").send_keys(str(minutes))
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    sent = browser.find_element(By.ID, "sent").text
    assert sent == "Sider: 2, heraf i farver: 1. Pris for ét eksemplar: 1,55 kr."
    code = browser.find_element(By.ID, "code").text.replace(" ", "")
    with CentralClient(service.url, credential) as kiosk:
        (job,) = kiosk.print_jobs(service.print_code_owner(code))
        assert (job.job.document_name, job.job.pages, job.job.colour) == ("Referat.odt", 2, True)

    browser.get(f"{service.url}/print")
    browser.find_element(By.ID, "document").send_keys(str(broken))
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text == (
        "Kan ikke printes: dokumentet kunne ikke læses; gem det som PDF og send det igen")
    browser.save_screenshot(str(tmp_path / "print-refused-da.png"))


def test_staff_top_up_a_print_balance_and_refund_a_print_with_a_reason(
        central: tuple[CentralService, str], browser: webdriver.Chrome, tmp_path: Path) -> None:
    service, credential = central
    browser.get(f"{service.url}/admin/login?lang=en")
    log_in(browser, service.url, "vibeke", PASSWORD)  # staff of Viby
    browser.find_element(By.LINK_TEXT, "Printing: balances and payments").click()
    browser.find_element(By.ID, "card").send_keys("1000000001")
    browser.find_element(By.ID, "amount").send_keys("50,00")
    browser.find_element(By.ID, "reason").send_keys("paid in cash at the counter")
    browser.find_element(By.CSS_SELECTOR, "main button.primary[type=submit]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == "The balance is now DKK 50.00."
    owner = service.patron_token("1000000001")
    with CentralClient(service.url, credential) as kiosk:
        held = kiosk.authorize(owner, "pj-7", Decimal("3.30"), "kiosk-7")
        kiosk.capture(held.payment_id, "kiosk-7")
        assert kiosk.balance(owner) == Decimal("46.70")
    browser.refresh()
    row = browser.find_element(By.ID, held.payment_id)
    assert "pj-7" in row.text and "3.30 DKK" in row.text and "taken" in row.text
    row.find_element(By.CSS_SELECTOR, "input[name=reason]").send_keys("the pages came out blank")
    row.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(  # the page after the click
        lambda page: page.find_element(By.CSS_SELECTOR, "[role=status]").text == "The payment was refunded.")
    assert "refunded: the pages came out blank" in browser.find_element(By.ID, held.payment_id).text
    browser.save_screenshot(str(tmp_path / "prints-en.png"))
    with CentralClient(service.url, credential) as kiosk:
        assert kiosk.balance(owner) == Decimal("50.00")
    lines = [(line["who"], line["action"]) for line in service.audit_log()]
    assert ("vibeke", "balance_topped_up") in lines and ("vibeke", "payment_refunded") in lines
