"""The central client against the real emulator: tokens, ETags, retries, timeouts, bad answers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from kiosk.domain.errors import KioskError
from kiosk.domain.model import PrintJob
from sync.central.client import (
    AccessEntry,
    CentralClient,
    CentralEvent,
    CentralRejected,
    CentralUnavailable,
    CursorExpired,
)
from sync.central.service import CentralService
from tests.net import free_port
from tests.sync.central.conftest import TOKEN, VERIFIER, ClientFactory, access_entry

BRANCH = "hovedbiblioteket"


def event(**changes: Any) -> CentralEvent:
    fields: dict[str, Any] = {"id": str(uuid.uuid4()), "kind": "entry",
                              "at": dt.datetime(2026, 11, 25, 20, 15, tzinfo=dt.UTC),
                              "payload": {"door": "main"}}
    return CentralEvent(**{**fields, **changes})


def statuses(central: CentralService) -> list[int]:
    return [exchange.status for exchange in central.exchanges()]


# -- authentication ------------------------------------------------------------------------------

def test_a_wrong_token_is_refused_with_401_and_the_token_is_never_told(
        central: CentralService, make_client: ClientFactory, caplog: pytest.LogCaptureFixture) -> None:
    central.set_terminal_config("demo-1", {})
    client = make_client(central, token="stolen-or-stale-token")
    with caplog.at_level(logging.DEBUG), pytest.raises(CentralRejected) as refused:
        client.terminal_config("demo-1")
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    assert "stolen-or-stale-token" not in str(refused.value) + caplog.text
    assert "stolen-or-stale-token" not in repr(client.session.auth)


def test_every_error_is_a_kiosk_error() -> None:
    assert issubclass(CursorExpired, CentralRejected)
    assert issubclass(CentralRejected, KioskError) and issubclass(CentralUnavailable, KioskError)


def test_tls_verification_cannot_be_turned_off() -> None:
    with pytest.raises(ValueError, match="CA bundle"):
        CentralClient("https://central.example", TOKEN, verify=False)


# -- conditional GETs ----------------------------------------------------------------------------

def test_an_unchanged_config_comes_from_the_cache_without_a_body(central: CentralService,
                                                                make_client: ClientFactory) -> None:
    central.set_terminal_config("demo-1", {"central": {"heartbeat_every_s": 60}})
    cache: dict[str, tuple[str, Any]] = {}
    client = make_client(central, etags=cache)
    first = client.terminal_config("demo-1")
    second = client.terminal_config("demo-1")
    assert second == first and second.access_list_key == central.access_list_key
    assert [(e.status, e.body_bytes > 0) for e in central.exchanges()] == [(200, True), (304, False)]
    assert list(cache) == [f"{central.url}/v1/terminals/demo-1/config"]


def test_a_changed_calendar_is_fetched_again(central: CentralService, client: CentralClient) -> None:
    central.set_calendar(BRANCH, {"zone": "Europe/Copenhagen"})
    client.calendar(BRANCH)
    central.set_calendar(BRANCH, {"zone": "Europe/Copenhagen", "name": "Dokk1"})
    assert client.calendar(BRANCH)["name"] == "Dokk1"
    assert client.calendar(BRANCH)["name"] == "Dokk1"
    assert statuses(central) == [200, 200, 304]


def test_a_cache_kept_by_the_caller_serves_a_new_client(central: CentralService,
                                                       make_client: ClientFactory) -> None:
    central.set_calendar(BRANCH, {"zone": "Europe/Copenhagen"})
    cache: dict[str, tuple[str, Any]] = {}
    make_client(central, etags=cache).calendar(BRANCH)
    assert make_client(central, etags=cache).calendar(BRANCH) == {"zone": "Europe/Copenhagen"}
    assert statuses(central) == [200, 304]


# -- retries, timeouts, nobody there -------------------------------------------------------------

def test_a_503_is_retried_until_it_succeeds(central: CentralService, client: CentralClient) -> None:
    central.set_terminal_config("demo-1", {})
    central.fail_next(2)
    assert client.terminal_config("demo-1").terminal_id == "demo-1"
    assert statuses(central) == [503, 503, 200]


def test_a_post_is_retried_too_and_stored_once(central: CentralService, client: CentralClient) -> None:
    central.fail_next(1, 502)
    receipt = client.send_events("demo-1", [event()])
    assert len(receipt.accepted) == 1 and len(central.events()) == 1
    assert statuses(central) == [502, 200]


def test_retry_after_is_honoured(central: CentralService, client: CentralClient) -> None:
    central.set_terminal_config("demo-1", {})
    central.fail_next(1, retry_after=1)
    started = time.monotonic()
    client.terminal_config("demo-1")
    assert time.monotonic() - started >= 0.9


def test_5xx_after_the_last_retry_is_unavailable(central: CentralService,
                                                 make_client: ClientFactory) -> None:
    central.fail_next(10)
    with pytest.raises(CentralUnavailable, match="HTTP 503 unavailable"):
        make_client(central, retries=2).print_jobs(central.patron_token("1000000001"))
    assert statuses(central) == [503, 503, 503]


def test_nobody_listening_is_unavailable(make_client: ClientFactory) -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}", retries=1)
    with pytest.raises(CentralUnavailable, match="no answer"):
        client.calendar(BRANCH)


def test_a_stalled_server_times_out(central: CentralService, make_client: ClientFactory) -> None:
    central.set_calendar(BRANCH, {})
    central.delay_s = 3
    client = make_client(central, retries=0, timeout_s=(1, 0.3))
    started = time.monotonic()
    with pytest.raises(CentralUnavailable, match="Timeout"):
        client.calendar(BRANCH)
    assert time.monotonic() - started < 2


def test_a_body_that_is_not_json_is_a_clear_error(central: CentralService,
                                                  make_client: ClientFactory) -> None:
    client = make_client(central, checked=False)
    central.garble_next()
    with pytest.raises(CentralUnavailable, match="not JSON"):
        client.print_jobs(central.patron_token("1000000001"))


def test_json_of_the_wrong_shape_is_a_clear_error(central: CentralService,
                                                  make_client: ClientFactory) -> None:
    client = make_client(central, checked=False)
    central.garble_next(body=b'{"entries": "all of them", "cursor": "c-1", "more": false, "full": true}')
    with pytest.raises(CentralUnavailable, match="access list: entries should be a list, is a str"):
        client.access_list(BRANCH)
    broken = {**access_entry(1), "expires": "soon", "deleted": False}
    central.garble_next(body=json.dumps({"entries": [broken], "cursor": "c-1", "more": False,
                                         "full": True}).encode())
    with pytest.raises(CentralUnavailable, match="'soon' is not a date"):
        client.access_list(BRANCH)


# -- events ----------------------------------------------------------------------------------------

def test_events_are_stored_once_by_id(central: CentralService, client: CentralClient) -> None:
    first, second = event(), event(kind="transaction", payload={"item": "5010000001", "outcome": "ok"})
    assert client.send_events("demo-1", [first, second]).accepted == (first.id, second.id)
    receipt = client.send_events("demo-1", [second, first])
    assert receipt.accepted == () and receipt.duplicates == (second.id, first.id)
    stored = central.events()
    assert [(e["id"], e["terminal"], e["kind"]) for e in stored] == [
        (first.id, "demo-1", "entry"), (second.id, "demo-1", "transaction")]
    assert stored[1]["payload"] == {"item": "5010000001", "outcome": "ok"}


def test_the_same_id_with_another_body_is_refused_and_nothing_of_the_batch_stored(
        central: CentralService, client: CentralClient) -> None:
    first = event()
    client.send_events("demo-1", [first])
    with pytest.raises(CentralRejected) as refused:
        client.send_events("demo-1", [event(), event(id=first.id, payload={"door": "back"})])
    assert (refused.value.status, refused.value.code) == (409, "event_conflict")
    assert first.id in refused.value.message
    assert [e["id"] for e in central.events()] == [first.id]


def test_more_than_500_events_go_in_several_batches(central: CentralService, client: CentralClient) -> None:
    events = [event() for _ in range(1001)]
    receipt = client.send_events("demo-1", events)
    assert len(receipt.accepted) == 1001 and receipt.duplicates == ()
    assert [e.path for e in central.exchanges()] == ["/v1/terminals/demo-1/events"] * 3


def test_a_time_without_a_zone_is_refused_before_sending(client: CentralClient) -> None:
    with pytest.raises(ValueError, match="time zone"):
        client.send_events("demo-1", [event(at=dt.datetime(2026, 11, 25, 20, 15))])


# -- the access list -------------------------------------------------------------------------------

def test_a_full_sync_comes_in_pages_and_then_only_changes(central: CentralService,
                                                          client: CentralClient) -> None:
    central.bulk_load([access_entry(n) for n in range(1, 6)])
    pages = [client.access_list(BRANCH, limit=2)]
    while pages[-1].more:
        pages.append(client.access_list(BRANCH, pages[-1].cursor, limit=2))
    assert [len(p.entries) for p in pages] == [2, 2, 1] and all(p.full for p in pages)
    assert [int(e.key, 16) for p in pages for e in p.entries] == [1, 2, 3, 4, 5]
    assert pages[0].entries[0] == AccessEntry(f"{1:032x}", VERIFIER, "adult", dt.date(1980, 1, 1), False,
                                              True, dt.date(2030, 12, 31), False)

    anna = central.upsert_patron("1000000001", "1234", category="adult", birth_date=dt.date(1988, 4, 12),
                                 expires=dt.date(2028, 12, 31))
    central.bulk_load([access_entry(2, blocked=True)])
    central.delete_entry(f"{4:032x}")
    delta = client.access_list(BRANCH, pages[-1].cursor)
    assert not delta.full and not delta.more
    assert [(e.key, e.blocked, e.deleted) for e in delta.entries] == [
        (anna, False, False), (f"{2:032x}", True, False), (f"{4:032x}", False, True)]
    assert client.access_list(BRANCH, delta.cursor).entries == ()


def test_a_patron_changed_during_a_full_sync_comes_again_in_the_next_changes(
        central: CentralService, client: CentralClient) -> None:
    central.bulk_load([access_entry(n) for n in range(1, 5)])
    first = client.access_list(BRANCH, limit=2)
    central.bulk_load([access_entry(1, category="child")])
    rest = client.access_list(BRANCH, first.cursor, limit=2)
    assert not rest.more
    changes = client.access_list(BRANCH, rest.cursor)
    assert [(int(e.key, 16), e.category) for e in changes.entries] == [(1, "child")]


def test_a_cursor_from_before_a_compaction_has_expired(central: CentralService,
                                                      client: CentralClient) -> None:
    central.bulk_load([access_entry(1), access_entry(2)])
    cursor = client.access_list(BRANCH).cursor
    central.delete_entry(f"{1:032x}")
    central.compact()
    with pytest.raises(CursorExpired) as expired:
        client.access_list(BRANCH, cursor)
    assert (expired.value.status, expired.value.code) == (410, "cursor_expired")
    fresh = client.access_list(BRANCH)
    assert fresh.full and [int(e.key, 16) for e in fresh.entries] == [2]
    assert client.access_list(BRANCH, fresh.cursor).entries == ()


def test_a_cursor_that_is_not_ours_has_expired(client: CentralClient) -> None:
    with pytest.raises(CursorExpired):
        client.access_list(BRANCH, "yesterday")


def test_cursors_far_behind_expire_with_a_retention(make_central: Any, make_client: ClientFactory) -> None:
    central = make_central(cursor_retention=2)
    client = make_client(central)
    central.bulk_load([access_entry(1)])
    cursor = client.access_list(BRANCH).cursor
    central.bulk_load([access_entry(2)])
    assert len(client.access_list(BRANCH, cursor).entries) == 1
    central.bulk_load([access_entry(3)])
    central.bulk_load([access_entry(4)])
    with pytest.raises(CursorExpired):
        client.access_list(BRANCH, cursor)


# -- print jobs ------------------------------------------------------------------------------------

def test_a_patrons_print_queue_maps_to_print_jobs(central: CentralService, client: CentralClient) -> None:
    at = dt.datetime(2026, 11, 25, 9, 14, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    central.add_print_job("1000000001", "Ansøgning.pdf", 3, job_id="pj-1", copies=2, color=True,
                          duplex=True, price="12.00", submitted_at=at)
    central.add_print_job("1000000002", "Lektier.pdf", 1, job_id="pj-2")
    owner = central.patron_token("1000000001")
    [queued] = client.print_jobs(owner)
    assert queued.job == PrintJob("pj-1", owner, "Ansøgning.pdf", pages=3, copies=2, colour=True,
                                  cost=Decimal("12.00"))
    assert (queued.duplex, queued.currency, queued.submitted_at, queued.state) == (True, "DKK", at, "held")


def test_a_released_job_is_printed_once_and_leaves_the_queue(central: CentralService,
                                                             client: CentralClient) -> None:
    central.add_print_job("1000000001", "Ansøgning.pdf", 3, job_id="pj-1")
    owner = central.patron_token("1000000001")
    assert client.set_print_job_state("pj-1", "released", "demo-1", owner=owner).job.owner_token == owner
    assert client.set_print_job_state("pj-1", "released", "demo-1").state == "released"  # a retry
    assert client.set_print_job_state("pj-1", "printed", "demo-1").state == "printed"
    with pytest.raises(CentralRejected, match="printed; it cannot become released"):
        client.set_print_job_state("pj-1", "released", "demo-1")
    assert client.print_jobs(owner) == []
    stored = central.print_job("pj-1")
    assert stored is not None and stored["state"] == "printed"
