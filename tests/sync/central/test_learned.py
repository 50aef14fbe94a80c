"""The shared access list learned from terminals: what a terminal's online check sends through the
outbox is merged into the list every terminal syncs (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from kiosk.domain.central import CentralEvent
from kiosk.domain.errors import CentralRejected
from kiosk.domain.pins import pin_verifier, verify_pin
from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.sync.central.conftest import ClientFactory

BRANCH = "hovedbiblioteket"
T0 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)
KEY = "0123456789abcdef0123456789abcdef"


def event(kind: str, at: dt.datetime, **payload: Any) -> CentralEvent:
    outbox = {"type": kind, "state": "done", "error": None}  # what every outbox event carries
    return CentralEvent(str(uuid.uuid4()), kind, at, {**outbox, **payload})


def learned(at: dt.datetime, pin: str = "1234", **changes: Any) -> CentralEvent:
    entry = {"key": KEY, "pin_verifier": pin_verifier(pin), "category": "adult", "birth_date": "1990-05-01",
             "blocked": False, "consent": True, "expires": "2028-03-01"}
    return event("access_learned", at, **{**entry, **changes})


def terminal(central: CentralService, make_client: ClientFactory, name: str) -> CentralClient:
    """A client enrolled as another terminal of the branch."""
    return make_client(central, token=central.enrol(name, BRANCH))


def live(client: CentralClient) -> dict[str, Any]:
    return {entry.key: entry for entry in client.access_list(BRANCH).entries}


def test_a_learned_entry_reaches_every_terminal_in_the_next_delta(
        central: CentralService, client: CentralClient) -> None:
    cursor = client.access_list(BRANCH).cursor
    client.send_events("demo-1", [learned(T0)])
    delta = client.access_list(BRANCH, cursor)
    assert [(e.key, e.category, e.blocked, e.deleted)
            for e in delta.entries] == [(KEY, "adult", False, False)]
    assert verify_pin("1234", delta.entries[0].pin_verifier)


def test_a_block_learned_later_propagates_and_an_older_check_arriving_late_does_not_undo_it(
        central: CentralService, client: CentralClient, make_client: ClientFactory) -> None:
    client.send_events("demo-1", [learned(T0)])
    terminal(central, make_client, "door-b").send_events(
        "door-b", [learned(T0 + dt.timedelta(hours=1), blocked=True)])
    terminal(central, make_client, "door-c").send_events(
        "door-c", [learned(T0 + dt.timedelta(minutes=30))])  # was offline for a while
    assert live(client)[KEY].blocked


def test_a_card_the_lms_no_longer_knows_is_revoked(central: CentralService, client: CentralClient) -> None:
    client.send_events("demo-1", [learned(T0)])
    cursor = client.access_list(BRANCH).cursor
    client.send_events("demo-1", [event("access_revoked", T0 + dt.timedelta(days=1), key=KEY)])
    assert KEY not in live(client)
    assert [(e.key, e.deleted) for e in client.access_list(BRANCH, cursor).entries] == [(KEY, True)]


def test_a_confirmation_changes_nothing_the_terminals_download(
        central: CentralService, client: CentralClient, make_client: ClientFactory) -> None:
    client.send_events("demo-1", [learned(T0)])
    cursor = client.access_list(BRANCH).cursor
    later = T0 + dt.timedelta(days=40)
    terminal(central, make_client, "door-b").send_events("door-b", [event("access_used", later, key=KEY)])
    assert client.access_list(BRANCH, cursor).entries == ()


def test_entries_nobody_used_for_the_retention_are_purged_and_confirmed_ones_kept(
        central: CentralService, client: CentralClient) -> None:
    other = "fedcba9876543210fedcba9876543210"
    client.send_events("demo-1", [learned(T0), learned(T0, key=other)])
    client.send_events("demo-1", [event("access_used", T0 + dt.timedelta(days=150), key=other)])
    purged = central.purge_access(dt.timedelta(days=180), now=T0 + dt.timedelta(days=200))
    assert purged == 1 and set(live(client)) == {other}


@pytest.mark.parametrize(("change", "field"), [
    ({"key": "not-a-token"}, "key"),
    ({"pin_verifier": "1234"}, "pin_verifier"),
    ({"blocked": "no"}, "blocked"),
    ({"expires": "2027-02-30"}, "expires"),
])
def test_a_learned_entry_that_is_not_one_is_refused_naming_the_field(
        central: CentralService, make_client: ClientFactory, change: dict[str, Any], field: str) -> None:
    client = make_client(central, retries=0)
    with pytest.raises(CentralRejected, match=field):
        client.send_events("demo-1", [learned(T0, **change)])
    assert central.events() == []
