"""The central service: its state survives a restart, the demo seed, and the command."""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kiosk.domain.errors import ConfigError
from kiosk.domain.pins import verify_pin
from kiosk.domain.privacy import Pseudonymizer
from kiosk.settings.calendar import BranchSettings
from sync.central.client import CentralClient, CentralEvent
from sync.central.seed import apply_seed, load_seed
from sync.central.service import CentralService
from tests.postgres import PostgresCluster
from tests.sync.central.conftest import ClientFactory, access_entry

REPO = Path(__file__).resolve().parents[3]
DEMO_SEED = REPO / "config" / "demo" / "central.toml"
BRANCH = "hovedbiblioteket"
DOOR_CREDENTIAL = "the-demo-doors-credential-for-these-tests"


def an_event() -> CentralEvent:
    return CentralEvent(str(uuid.uuid4()), "alarm", dt.datetime(2026, 11, 25, 22, 31, tzinfo=dt.UTC),
                        {"zone": "entrance", "kind": "door_held_open"})


def test_everything_survives_a_restart_on_the_same_database(make_central: Any,
                                                            make_client: ClientFactory) -> None:
    first = make_central()
    first.set_terminal_config("demo-1", {"central": {"heartbeat_every_s": 60}})
    first.bulk_load([access_entry(1), access_entry(2)])
    first.add_print_job("1000000001", "Ansøgning.pdf", 2, job_id="pj-1")
    cache: dict[str, tuple[str, Any]] = {}
    client = make_client(first, etags=cache)
    config = client.terminal_config("demo-1")
    cursor = client.access_list(BRANCH).cursor
    sent = an_event()
    client.send_events("demo-1", [sent])
    client.set_print_job_state("pj-1", "released", "demo-1")
    client.heartbeat("demo-1", [], pending=0, oldest_age_s=None, mode="online")
    port = first.port
    first.stop()

    second = make_central(port=port)
    assert second.access_list_key == first.access_list_key and not second.created
    second.delete_entry(f"{1:032x}")
    client = make_client(second, etags=cache)
    assert client.terminal_config("demo-1") == config
    assert [e.status for e in second.exchanges()] == [304]
    changes = client.access_list(BRANCH, cursor)
    assert [(int(e.key, 16), e.deleted) for e in changes.entries] == [(1, True)]
    assert client.send_events("demo-1", [sent]).duplicates == (sent.id,)
    assert [e["id"] for e in second.events()] == [sent.id]
    assert [h["terminal"] for h in second.heartbeats()] == ["demo-1"]
    assert client.set_print_job_state("pj-1", "printed", "demo-1").state == "printed"


def test_another_key_for_an_existing_database_is_refused(central_database: Path | str) -> None:
    CentralService(central_database, access_list_key=b"k" * 32).stop()
    with pytest.raises(ValueError, match="another access-list key"):
        CentralService(central_database, access_list_key=b"x" * 32)


def test_a_bulk_load_of_many_entries_is_served_in_pages(central: CentralService,
                                                        client: CentralClient) -> None:
    assert central.bulk_load(access_entry(n) for n in range(20_000)) == 20_000
    page = client.access_list(BRANCH, limit=10_000)
    assert len(page.entries) == 10_000 and page.more


# -- the demo seed ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_central(tmp_path_factory: pytest.TempPathFactory) -> Any:
    seed = load_seed(DEMO_SEED)
    central = CentralService(tmp_path_factory.mktemp("central") / "central.db",
                             access_list_key=seed.access_list_key)
    apply_seed(seed, central)
    central.enrol("demo-door", BRANCH, DOOR_CREDENTIAL)
    central.start()
    yield central
    central.stop()


def test_the_demo_seed_has_the_lms_patrons_under_their_tokens(demo_central: CentralService) -> None:
    with CentralClient(demo_central.url, DOOR_CREDENTIAL) as client:
        page = client.access_list(BRANCH)
    tokens = Pseudonymizer(demo_central.access_list_key)
    entries = {entry.key: entry for entry in page.entries}
    assert len(entries) == 6
    anna, karen, ole = (entries[tokens(card)] for card in ("1000000001", "1000000003", "1000000006"))
    assert verify_pin("1234", anna.pin_verifier) and not verify_pin("4321", anna.pin_verifier)
    assert (anna.category, anna.birth_date, anna.blocked, anna.consent) == ("adult", dt.date(1988, 4, 12),
                                                                           False, True)
    assert karen.blocked and not ole.consent


def test_the_demo_seed_has_print_jobs_and_terminals(demo_central: CentralService) -> None:
    with CentralClient(demo_central.url, DOOR_CREDENTIAL) as client:
        jobs = client.print_jobs(demo_central.patron_token("1000000001"))
        config = client.terminal_config("demo-door")
    # Real documents, priced as uploads are: 3 black pages at 0.55, one colour page at 1.00.
    assert [(j.job.job_id, j.job.pages, j.job.colour, j.job.cost, j.state) for j in jobs] == [
        ("pj-1001", 3, False, Decimal("1.65"), "held"), ("pj-1002", 1, True, Decimal("1.00"), "held")]
    with CentralClient(demo_central.url, DOOR_CREDENTIAL) as client:
        assert client.balance(demo_central.patron_token("1000000001")) == Decimal("25.00")
        assert client.print_document("pj-1003").startswith(b"%PDF-")
    assert config.settings["central"]["heartbeat_every_s"] == 30
    assert config.access_list_key == demo_central.access_list_key


def test_the_demo_calendar_over_the_wire_is_one_the_kiosk_accepts(demo_central: CentralService) -> None:
    with CentralClient(demo_central.url, DOOR_CREDENTIAL) as client:
        calendar = client.calendar(BRANCH)
    branch = BranchSettings.model_validate_json(json.dumps(calendar))
    assert branch.zone == "Europe/Copenhagen" and branch.closures[0].reason == "Personaledag"


def test_a_seed_error_names_the_file_and_the_key(tmp_path: Path) -> None:
    seed = tmp_path / "central.toml"
    seed.write_text('[[patrons]]\npin = "1234"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"central.toml: patrons\[0\].card: missing"):
        load_seed(seed)


# -- the command -----------------------------------------------------------------------------------

def test_the_command_serves_the_seed_until_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    command = [sys.executable, "-m", "kiosk.cli", "central", "--port", "0", "--db", str(db),
               "--seed", str(DEMO_SEED)]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, "the central service did not start"
            line = process.stdout.readline().strip()
            assert line.startswith("listening on http://127.0.0.1:"), line
            admin = subprocess.run([sys.executable, "-m", "kiosk.cli", "central-admin", "--db", str(db),
                                    "credential", "--terminal", "demo-1", "--branch", BRANCH], cwd=REPO,
                                   capture_output=True, text=True, timeout=60, check=True,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
            credential = admin.stdout.strip()
            with CentralClient(line.removeprefix("listening on "), credential) as client:
                assert client.terminal_config("demo-1").settings["central"]["outbox_batch"] == 200
                client.send_events("demo-1", [an_event()])
            os.kill(process.pid, signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    stopped = CentralService(db)
    assert [e["kind"] for e in stopped.events()] == ["alarm"]
    stopped.stop()


def test_the_command_reports_a_bad_seed_and_exits_2(tmp_path: Path) -> None:
    seed = tmp_path / "central.toml"
    seed.write_text('[central]\naccess_list_key = "not hex"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "central", "--port", "0", "--db", str(tmp_path / "c.db"),
         "--seed", str(seed)], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2
    assert "central.toml: central.access_list_key: not hex digits" in result.stderr


def test_history_past_the_retention_is_purged_but_each_terminals_last_heartbeat_stays(
        central_database: Path | str, make_client: ClientFactory) -> None:
    clock = [dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)]
    central = CentralService(central_database, now=lambda: clock[0], retention=dt.timedelta(days=90))
    central.enrol("demo-1", BRANCH, "the-credential-of-demo-1-for-this-test")
    central.start()
    try:
        client = make_client(central, token="the-credential-of-demo-1-for-this-test")
        client.send_events("demo-1", [an_event()])
        client.heartbeat("demo-1", [], pending=0, oldest_age_s=None, mode="online")
        client.heartbeat("demo-1", [], pending=0, oldest_age_s=None, mode="online")
        central.bulk_load([access_entry(1)])  # loaded once, then never confirmed by a terminal
        clock[0] += dt.timedelta(days=91)
        client.send_events("demo-1", [an_event()])
        assert central.purge_history() == (1, 1)
        assert len(central.events()) == 1 and len(central.heartbeats()) == 1
        assert len(client.access_list(BRANCH).entries) == 1
        clock[0] += dt.timedelta(days=90)
        central.purge_history()
        assert client.access_list(BRANCH).entries == ()
    finally:
        central.stop()


def test_on_postgresql_events_land_in_their_months_partition(
        postgres_cluster: PostgresCluster, make_client: ClientFactory) -> None:
    url = postgres_cluster.database()
    central = CentralService(url)
    central.enrol("demo-1", BRANCH, "the-credential-of-demo-1-for-this-test")
    central.start()
    try:
        client = make_client(central, token="the-credential-of-demo-1-for-this-test")
        sent = an_event()
        client.send_events("demo-1", [sent, sent])  # the same id twice: stored once
        assert client.send_events("demo-1", [sent]).duplicates == (sent.id,)
    finally:
        central.stop()
    month = dt.datetime.now(dt.UTC)
    with psycopg.connect(url) as conn:
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'events'").fetchone()
        rows = conn.execute("SELECT tableoid::regclass::text FROM events").fetchall()
    assert kind == ("p",) and rows == [(f"events_{month:%Y_%m}",)]
