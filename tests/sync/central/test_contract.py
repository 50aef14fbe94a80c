"""Both sides against the document, over real TCP: every status of every operation is provoked.

The client's requests are checked against the request schemas and the emulator's responses against
the response schemas by the fixtures' hooks (conftest.py); each test then checks that it saw every
status the document lists for its operation (but 500, which the emulator gives only on a bug).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import requests

from kiosk.domain.central import Revoked
from kiosk.domain.model import DeviceHealth, DeviceState
from sync.central.client import (
    CentralClient,
    CentralEvent,
    CentralRejected,
    CentralUnavailable,
    CursorExpired,
)
from sync.central.service import CentralService
from tests.sync.central.conftest import BRANCH, TOKEN, ClientFactory, Contract, access_entry

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def documented(contract: Contract, operation_id: str) -> set[int]:
    for _, _, operation in contract.operations:
        if operation["operationId"] == operation_id:
            return {int(status) for status in operation["responses"]} - {500}
    raise AssertionError(operation_id)


def seen(contract: Contract, operation_id: str) -> set[int]:
    return {status for op, status in contract.seen if op == operation_id}


def unavailable(make_client: ClientFactory, central: CentralService) -> CentralClient:
    """A client that does not retry, after the emulator was told to fail the next request."""
    central.fail_next(1, retry_after=0)
    return make_client(central, retries=0)


def event(**changes: Any) -> CentralEvent:
    fields: dict[str, Any] = {"id": str(uuid.uuid4()), "kind": "entry",
                              "at": dt.datetime(2026, 11, 25, 20, 15, tzinfo=dt.UTC),
                              "payload": {"patron": "ab" * 16, "decision": "allow"}}
    return CentralEvent(**{**fields, **changes})


def test_terminal_config(central: CentralService, client: CentralClient, make_client: ClientFactory,
                         raw: requests.Session, contract: Contract) -> None:
    central.set_terminal_config("demo-1", {"central": {"heartbeat_every_s": 60}})
    assert client.terminal_config("demo-1").settings == {"central": {"heartbeat_every_s": 60}}
    assert client.terminal_config("demo-1").terminal_id == "demo-1"  # 304
    with pytest.raises(CentralRejected) as refused:
        client.terminal_config("demo-2")  # another terminal's
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    bare = make_client(central, token=central.enrol("bare-1", BRANCH))
    with pytest.raises(CentralRejected) as refused:
        bare.terminal_config("bare-1")  # enrolled, not configured yet
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    raw.get(f"{central.url}/v1/terminals/demo-1/config")
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).terminal_config("demo-1")
    assert seen(contract, "getTerminalConfig") == documented(contract, "getTerminalConfig")


def test_branch_calendar(central: CentralService, client: CentralClient, make_client: ClientFactory,
                         raw: requests.Session, contract: Contract) -> None:
    central.set_calendar("hovedbiblioteket", {"zone": "Europe/Copenhagen", "closures": [
        {"date": dt.date(2026, 11, 13), "reason": "Personaledag"}]})
    closures = client.calendar("hovedbiblioteket")["closures"]
    assert closures == [{"date": "2026-11-13", "reason": "Personaledag"}]
    client.calendar("hovedbiblioteket")
    with pytest.raises(CentralRejected) as refused:
        client.calendar("risskov")  # not this terminal's branch
    assert refused.value.status == 403
    risskov = make_client(central, token=central.enrol("risskov-1", "risskov"))
    with pytest.raises(CentralRejected) as refused:
        risskov.calendar("risskov")  # no calendar for the branch yet
    assert refused.value.status == 404
    raw.get(f"{central.url}/v1/branches/hovedbiblioteket/calendar", headers={"Authorization": "Bearer wrong"})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).calendar("hovedbiblioteket")
    assert seen(contract, "getBranchCalendar") == documented(contract, "getBranchCalendar")


def test_branch_staff(central: CentralService, client: CentralClient, make_client: ClientFactory,
                      raw: requests.Session, contract: Contract) -> None:
    everywhere = central.add_staff("9900000001", "1357", "administrator")
    central.add_staff("9900000002", "2468", "staff", ("risskov",))  # another branch's
    central.add_staff("9900000003", "8642", "technician", (BRANCH,), expires=dt.date(2020, 1, 1))  # gone
    (member,) = client.staff_list(BRANCH)
    assert (member.token, member.role, member.expires) == (everywhere, "administrator", None)
    assert everywhere == central.patron_token("9900000001")  # the access list's token for the card
    assert member.pin_verifier.startswith("scrypt$16384$") and "1357" not in member.pin_verifier
    assert client.staff_list(BRANCH) == (member,)  # 304
    with pytest.raises(CentralRejected) as refused:
        client.staff_list("risskov")  # not this terminal's branch
    assert refused.value.status == 403
    raw.get(f"{central.url}/v1/branches/no%20such/staff", headers=AUTH)
    raw.get(f"{central.url}/v1/branches/{BRANCH}/staff")
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).staff_list(BRANCH)
    assert seen(contract, "getBranchStaff") == documented(contract, "getBranchStaff")
    assert central.remove_staff(everywhere[:8]) and client.staff_list(BRANCH) == ()
    lines = [(line["action"], line["target"]) for line in central.audit_log()]
    assert ("staff_card.remove", everywhere[:12]) in lines and ("staff_card.add", everywhere[:12]) in lines


def test_branch_revocations(central: CentralService, client: CentralClient, make_client: ClientFactory,
                            raw: requests.Session, contract: Contract) -> None:
    banned = central.revoke_card("1000000001", "threats to staff", by="anne")
    central.revoke_card("1000000002", "damage", until=dt.date(2020, 1, 31))  # over
    week = central.revoke_card("1000000003", "noise", until=dt.date(2099, 1, 1))
    assert set(client.revocations(BRANCH)) == {Revoked(banned), Revoked(week, dt.date(2099, 1, 1))}
    assert client.revocations(BRANCH)  # 304
    with pytest.raises(CentralRejected) as refused:
        client.revocations("risskov")
    assert refused.value.status == 403
    raw.get(f"{central.url}/v1/branches/no%20such/revocations", headers=AUTH)
    raw.get(f"{central.url}/v1/branches/{BRANCH}/revocations")
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).revocations(BRANCH)
    assert seen(contract, "getBranchRevocations") == documented(contract, "getBranchRevocations")
    assert central.end_revocation("1000000001") and {r.token for r in client.revocations(BRANCH)} == {week}
    lines = [(line["who"], line["action"], line["target"]) for line in central.audit_log()]
    assert ("anne", "card_revoked", banned[:12]) in lines


def test_entries_are_counted_by_the_doors_time_and_only_those_let_in(central: CentralService,
                                                                       client: CentralClient) -> None:
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    copenhagen = dt.timezone(dt.timedelta(hours=1))
    client.send_events("demo-1", [
        event(at=at.astimezone(copenhagen), payload={"decision": "allowed", "token": "ab" * 16}),
        event(at=at - dt.timedelta(hours=1), payload={"decision": "refused", "token": "ab" * 16}),
        event(at=at - dt.timedelta(days=9), payload={"decision": "allowed", "token": "ab" * 16}),
        event(kind="alarm", at=at, payload={"decision": "allowed"})])
    assert central.entries_since(at - dt.timedelta(days=7)) == [(BRANCH, at.astimezone(copenhagen))]


def test_access_list(central: CentralService, client: CentralClient, make_client: ClientFactory,
                     raw: requests.Session, contract: Contract) -> None:
    central.bulk_load([access_entry(1), access_entry(2, birth_date=None, blocked=True)])
    page = client.access_list("hovedbiblioteket")
    central.delete_patron("no card")
    central.bulk_load([access_entry(3)])
    central.upsert_patron("1000000001", "1234", birth_date=dt.date(1988, 4, 12))
    central.delete_patron("1000000001")
    changes = client.access_list("hovedbiblioteket", page.cursor)
    assert [entry.deleted for entry in changes.entries] == [False, True]
    raw.get(f"{central.url}/v1/branches/hovedbiblioteket/access-list", params={"limit": 0}, headers=AUTH)
    raw.get(f"{central.url}/v1/branches/hovedbiblioteket/access-list")
    with pytest.raises(CursorExpired):
        client.access_list("hovedbiblioteket", "c-999999")
    with pytest.raises(CentralRejected, match="403"):
        client.access_list("risskov")
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).access_list("hovedbiblioteket")
    assert seen(contract, "getAccessList") == documented(contract, "getAccessList")


def test_events(central: CentralService, client: CentralClient, make_client: ClientFactory,
                raw: requests.Session, contract: Contract) -> None:
    first = event()
    client.send_events("demo-1", [first, event(kind="transaction", payload={"item": "5010000001"})])
    client.send_events("demo-1", [first])
    with pytest.raises(CentralRejected) as refused:
        client.send_events("demo-1", [event(id=first.id, kind="alarm")])
    assert (refused.value.status, refused.value.code) == (409, "event_conflict")
    with pytest.raises(CentralRejected, match="403"):
        client.send_events("demo-2", [event()])
    raw.post(f"{central.url}/v1/terminals/demo-1/events", json={"events": []}, headers=AUTH)
    raw.post(f"{central.url}/v1/terminals/demo-1/events", json={"events": [first.id]})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).send_events("demo-1", [event()])
    assert seen(contract, "postEvents") == documented(contract, "postEvents")


def test_heartbeat(central: CentralService, client: CentralClient, make_client: ClientFactory,
                   raw: requests.Session, contract: Contract) -> None:
    devices = [DeviceHealth("rfid_pad", DeviceState.OK),
               DeviceHealth("receipt_printer", DeviceState.DEGRADED, "paper low")]
    client.heartbeat("demo-1", devices, pending=3, oldest_age_s=12.5, mode="offline")
    client.heartbeat("demo-1", [], pending=0, oldest_age_s=None, mode="online")
    with pytest.raises(CentralRejected, match="403"):
        client.heartbeat("demo-2", [], pending=0, oldest_age_s=None, mode="online")
    raw.post(f"{central.url}/v1/terminals/demo-1/heartbeat", json={"at": "yesterday"}, headers=AUTH)
    raw.post(f"{central.url}/v1/terminals/demo-1/heartbeat", json={})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).heartbeat("demo-1", [], pending=0, oldest_age_s=None, mode="online")
    assert seen(contract, "postHeartbeat") == documented(contract, "postHeartbeat")


def test_print_jobs(central: CentralService, client: CentralClient, make_client: ClientFactory,
                    raw: requests.Session, contract: Contract) -> None:
    central.add_print_job("1000000001", "Ansøgning.pdf", 3, job_id="pj-1", price="6.00", duplex=True)
    owner = central.patron_token("1000000001")
    assert [job.job.job_id for job in client.print_jobs(owner)] == ["pj-1"]
    assert client.print_jobs(central.patron_token("1000000002")) == []
    raw.get(f"{central.url}/v1/print-jobs", params={"owner": "1000000001"}, headers=AUTH)
    raw.get(f"{central.url}/v1/print-jobs", params={"owner": owner})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).print_jobs(owner)
    assert seen(contract, "listPrintJobs") == documented(contract, "listPrintJobs")


def test_print_job_state(central: CentralService, client: CentralClient, make_client: ClientFactory,
                         raw: requests.Session, contract: Contract) -> None:
    central.add_print_job("1000000001", "Ansøgning.pdf", 3, job_id="pj-1")
    assert client.set_print_job_state("pj-1", "released", "demo-1").state == "released"
    other = make_client(central, token=central.enrol("demo-2", BRANCH))
    with pytest.raises(CentralRejected) as refused:
        other.set_print_job_state("pj-1", "released", "demo-2")  # released at demo-1 already
    assert (refused.value.status, refused.value.code) == (409, "invalid_transition")
    with pytest.raises(CentralRejected) as refused:
        client.set_print_job_state("pj-1", "cancelled", "demo-2")  # in another terminal's name
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    with pytest.raises(CentralRejected):
        client.set_print_job_state("pj-404", "released", "demo-1")
    raw.post(f"{central.url}/v1/print-jobs/pj-1/state", json={"state": "lost", "terminal": "demo-1"},
             headers=AUTH)
    raw.post(f"{central.url}/v1/print-jobs/pj-1/state", json={"state": "printed", "terminal": "demo-1"})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).set_print_job_state("pj-1", "printed", "demo-1")
    assert seen(contract, "setPrintJobState") == documented(contract, "setPrintJobState")


def test_enrol(central: CentralService, make_client: ClientFactory, raw: requests.Session,
               contract: Contract) -> None:
    token = central.enrolment_token("demo-3", BRANCH)
    newcomer = make_client(central, token="", retries=0)
    branch, credential = newcomer.enrol("demo-3", token)
    assert branch == BRANCH
    make_client(central, token=credential).heartbeat("demo-3", [], pending=0, oldest_age_s=None,
                                                     mode="online")
    with pytest.raises(CentralRejected) as refused:
        newcomer.enrol("demo-3", token)  # once only
    assert (refused.value.status, refused.value.code) == (401, "enrolment_refused")
    raw.post(f"{central.url}/v1/enrol", json={"terminal_id": "demo 3", "token": token})
    with pytest.raises(CentralUnavailable):
        unavailable(make_client, central).enrol("demo-4", central.enrolment_token("demo-4", BRANCH))
    assert seen(contract, "enrol") == documented(contract, "enrol")


def test_the_check_itself_catches_a_body_outside_the_contract(contract: Contract) -> None:
    with pytest.raises(AssertionError, match="breaks the contract"):
        contract.validate({"$ref": "#/components/schemas/AccessPage"},
                          {"entries": [], "cursor": "c-1", "more": False, "full": True, "extra": 1}, "a page")


EVENT = {"id": "7d1f6a52-3c1e-4f0e-9a57-2b8f5f0f9e11", "kind": "entry", "at": "2026-11-25T20:15:00+01:00",
         "payload": {}}


@pytest.mark.parametrize(("path", "body", "named"), [
    ("/v1/terminals/demo-1/events", {"events": [EVENT] * 501}, "events: a list of 1 to 500"),
    ("/v1/terminals/demo-1/events", {"events": [{**EVENT, "id": EVENT["id"].upper()}]}, "events[0].id"),
    ("/v1/terminals/demo-1/events", {"events": [{**EVENT, "at": "2026-11-25 20:15"}]}, "events[0].at"),
    ("/v1/terminals/demo-1/events", {"events": [{**EVENT, "who": "Anna"}]}, "events[0]: who is not allowed"),
    ("/v1/terminals/demo-1/events", [EVENT], "body: an object"),
    ("/v1/terminals/demo-1/heartbeat", {"at": "2026-11-25T20:15:00Z", "devices": [], "mode": "online",
                                        "outbox": {"pending": -1, "oldest_age_s": None}}, "outbox.pending"),
    ("/v1/terminals/demo 1/heartbeat", {}, "terminal:"),
    ("/v1/print-jobs/pj-1/state", {"state": "released"}, "body: terminal is missing"),
])
def test_a_request_outside_the_contract_gets_a_400_naming_the_field(
        central: CentralService, raw: requests.Session, path: str, body: Any, named: str) -> None:
    response = raw.post(central.url + path, json=body, headers=AUTH)
    assert response.status_code == 400 and named in response.json()["message"]
    assert central.events() == [] and central.heartbeats() == []


def test_a_body_that_is_not_json_gets_a_400(central: CentralService, raw: requests.Session) -> None:
    response = raw.post(f"{central.url}/v1/terminals/demo-1/events", data=b"{events", headers=AUTH)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_header_names_are_case_insensitive(central: CentralService, raw: requests.Session) -> None:
    central.set_calendar("hovedbiblioteket", {"zone": "Europe/Copenhagen"})
    url = f"{central.url}/v1/branches/hovedbiblioteket/calendar"
    tag = raw.get(url, headers={"authorization": f"Bearer {TOKEN}"}).headers["ETag"]
    assert raw.get(url, headers={"AUTHORIZATION": f"Bearer {TOKEN}", "if-none-match": tag}).status_code == 304
