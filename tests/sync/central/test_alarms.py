"""Alarms reach a person: the live central service with a local SMTP server and an HTTP SMS gateway,
on SQLite and PostgreSQL. The service's clock is the test's, so quiet hours and repeats are exact."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain.central import CentralEvent
from kiosk.domain.errors import ConfigError
from kiosk.domain.model import DeviceHealth, DeviceState
from sync.central.client import CentralClient
from sync.central.server.alarms import AlarmSettings, load_alarm_settings
from sync.central.service import CentralService
from tests.sync.central.conftest import BRANCH, TERMINAL, TOKEN, ClientFactory
from tests.sync.test_mail import Inbox
from tests.sync.test_mail import smtp as smtp

COPENHAGEN = dt.timezone(dt.timedelta(hours=1))
EVENING = dt.datetime(2026, 12, 3, 23, 0, tzinfo=COPENHAGEN)  # a Thursday, in quiet hours


class Gateway:
    """An SMS gateway on loopback: what it was sent, and an answer it can be told to fail with."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if gateway.status < 300:
                    gateway.sent.append({**body, "auth": self.headers.get("Authorization")})
                self.send_response(gateway.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    yield server
    server.stop()


World = tuple[CentralService, CentralClient, "Clock", Inbox, Gateway]


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def alarm_file(tmp_path: Path, smtp_port: int, gateway: Gateway) -> Path:
    path = tmp_path / "alarms.toml"
    path.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
sender = "kiosk-alarm@aarhus.example"

[sms]
url = "{gateway.url}"
token = "gateway-token"

[[recipients]]
branches = ["{BRANCH}"]
email = "vagt@aarhus.example"
sms = "+4512345678"

[[recipients]]
branches = ["viby"]
email = "viby@aarhus.example"

[[recipients]]
branches = ["*"]
email = "it@aarhus.example"
urgent_only = true

[rules]
silent_after_min = 10
repeat_min = 15
quiet_hours = "22:00-07:00"
zone = "Europe/Copenhagen"
""", encoding="utf-8")
    return path


@pytest.fixture
def world(tmp_path: Path, central_database: Path | str, smtp: tuple[Inbox, int], gateway: Gateway,
          make_client: ClientFactory) -> Iterator[World]:
    clock = Clock(EVENING)
    settings = load_alarm_settings(alarm_file(tmp_path, smtp[1], gateway))
    central = CentralService(central_database, alarms=settings, now=clock, alarm_tick_s=3600)
    central.enrol(TERMINAL, BRANCH, TOKEN)
    central.start()
    yield central, make_client(central), clock, smtp[0], gateway
    central.stop()


def door_alarm(kind: str, at: dt.datetime) -> CentralEvent:
    payload = {"alarm": kind, "detail": "the door opened with no entry", "tokens": ["ab" * 16],
               "type": "door_alarm"}
    return CentralEvent(str(uuid.uuid4()), "alarm", at, payload)


def mails(inbox: Inbox) -> list[tuple[list[str], str]]:
    return [(to, str(message_from_bytes(raw)["Subject"])) for to, raw in inbox.messages]


def test_a_door_forced_at_23_wakes_the_branch_by_mail_and_sms_and_repeats_until_acknowledged(
        world: World) -> None:
    central, client, clock, inbox, gateway = world
    client.send_events(TERMINAL, [door_alarm("forced_open", clock.at)])
    central.tick_alarms()
    assert sorted(to[0] for to, _ in mails(inbox)) == ["it@aarhus.example", "vagt@aarhus.example"]
    assert all(subject.startswith(f"ALARM: {BRANCH} / {TERMINAL}") for _, subject in mails(inbox))
    [sms] = gateway.sent
    assert sms["to"] == "+4512345678" and "door_forced_open" in sms["text"]
    assert sms["auth"] == "Bearer gateway-token"
    assert "abab" not in sms["text"]  # no patron token in a message

    client.send_events(TERMINAL, [door_alarm("forced_open", clock.at + dt.timedelta(minutes=1))])
    clock.at += dt.timedelta(minutes=5)
    central.tick_alarms()
    assert len(gateway.sent) == 1  # known already: counted, not sent again
    clock.at += dt.timedelta(minutes=11)
    central.tick_alarms()
    assert len(gateway.sent) == 2 and "2 times" in gateway.sent[1]["text"]  # the repeat

    [alarm] = [a for a in central.alarms() if a.acknowledged_at is None]
    assert central.acknowledge(alarm.number, "Vagten")
    clock.at += dt.timedelta(minutes=30)
    central.tick_alarms()
    assert len(gateway.sent) == 2


def test_a_device_down_at_night_waits_for_the_morning_and_is_sent_once(
        world: World) -> None:
    central, client, clock, inbox, gateway = world
    client.heartbeat(TERMINAL, [DeviceHealth("receipt_printer", DeviceState.UNAVAILABLE, "paper out")],
                     pending=0, oldest_age_s=None, mode="online", at=clock.at)
    central.tick_alarms()
    assert inbox.messages == []  # quiet hours
    clock.at = clock.at.replace(hour=7, minute=5) + dt.timedelta(days=1)
    client.heartbeat(TERMINAL, [], pending=0, oldest_age_s=None, mode="online", at=clock.at)
    central.tick_alarms()
    subject = f"Besked: {BRANCH} / {TERMINAL}: device_receipt_printer"
    assert mails(inbox) == [(["vagt@aarhus.example"], subject)]
    assert gateway.sent == [{"to": "+4512345678", "auth": "Bearer gateway-token",
                             "text": gateway.sent[0]["text"]}]
    clock.at += dt.timedelta(hours=2)
    client.heartbeat(TERMINAL, [], pending=0, oldest_age_s=None, mode="online", at=clock.at)
    central.tick_alarms()
    assert len(inbox.messages) == 1  # sent once; acknowledged or not


def test_a_terminal_that_falls_silent_is_an_urgent_alarm(
        world: World) -> None:
    central, client, clock, _inbox, gateway = world
    client.heartbeat(TERMINAL, [], pending=0, oldest_age_s=None, mode="online", at=clock.at)
    central.tick_alarms()
    assert gateway.sent == []
    clock.at += dt.timedelta(minutes=11)
    central.tick_alarms()
    [sms] = gateway.sent
    assert "terminal_silent" in sms["text"] and "no heartbeat for 11 min" in sms["text"]


def test_when_the_sms_gateway_is_down_the_mail_still_goes(
        world: World) -> None:
    central, client, clock, inbox, gateway = world
    gateway.status = 503
    client.send_events(TERMINAL, [door_alarm("held_open", clock.at)])
    central.tick_alarms()
    assert len(inbox.messages) == 2 and gateway.sent == []


def test_an_alarms_file_with_a_mistake_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text('[rules]\nquiet_hours = "late"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"alarms\.toml: rules\.quiet_hours"):
        load_alarm_settings(path)
    assert AlarmSettings().recipients == ()


def test_a_disk_filling_up_is_a_notice(world: World) -> None:
    central, client, clock, inbox, _gateway = world
    clock.at = clock.at.replace(hour=10) + dt.timedelta(days=1)  # daytime: no quiet hours
    client.heartbeat(TERMINAL, [], pending=0, oldest_age_s=None, mode="online", at=clock.at, disk_free_mb=120)
    central.tick_alarms()
    [(to, raw)] = inbox.messages
    assert to == ["vagt@aarhus.example"] and b"120 MB free on the data disk" in raw


@pytest.mark.parametrize(("rules", "said"), [
    ('zone = "Europe/Copenhagn"', "rules.zone: not a known time zone"),
    ('quiet_hours = "22-7"', "rules.quiet_hours: write the quiet hours as HH:MM-HH:MM"),
    ('repeat = 5', "rules.repeat: unknown setting"),
])
def test_an_alarms_file_mistake_is_said_in_words(tmp_path: Path, rules: str, said: str) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text(f"[rules]\n{rules}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_alarm_settings(path)
