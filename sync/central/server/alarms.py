"""Alarms reach a person: rules on what terminals send and on their silence, e-mail and SMS to the
people of the branch, quiet hours, no repeats of what is already known, and an acknowledgement that
stops the repeats.

Urgent alarms (a door forced or held open, people inside at closing, a terminal silent) are sent at
once at any hour and again every ``repeat_min`` until someone acknowledges them. The others (a
device down, a transaction that needs staff, an outbox that does not empty, a disk filling up, an
update rolled back) are sent once, and within quiet hours only when they end. One alarm per terminal
and kind stays open until it is acknowledged; what happens again meanwhile is counted on it, not sent
again. No patron data is in a message: the terminal, the branch, what happened and when.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator

from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml
from sync.central.server.alarm_store import Alarm, AlarmStore

log = logging.getLogger("sync.central.alarms")

DOOR_ALARMS = {"forced_open": True, "held_open": True, "still_inside": True, "tailgating_hint": False}
UPDATE_ROLLED_BACK = "update_rolled_back"  # a terminal's update did not start and was taken back


class _Section(Section):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class SmtpSettings(_Section):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    user: str = ""
    password: str = Field(default="", repr=False)
    sender: str


class SmsSettings(_Section):
    url: str  # the SMS gateway: POST {"to": number, "text": message} as JSON
    token: str = Field(default="", repr=False)  # sent as a bearer token


class Recipient(_Section):
    branches: tuple[str, ...] = ("*",)  # "*": every branch
    email: str = ""
    sms: str = ""
    urgent_only: bool = False


class Rules(_Section):
    silent_after_min: float = Field(default=10, gt=0)
    repeat_min: float = Field(default=15, gt=0)
    quiet_hours: str = ""  # e.g. 22:00-07:00
    zone: str = "Europe/Copenhagen"
    outbox_pending_max: int = Field(default=1000, ge=1)
    outbox_oldest_max_s: float = Field(default=3600, gt=0)
    disk_free_min_mb: int = Field(default=500, ge=0)

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if value and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("write the quiet hours as HH:MM-HH:MM, e.g. 22:00-07:00")
        return value

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known time zone (e.g. Europe/Copenhagen)") from None
        return value


class AlarmSettings(_Section):
    smtp: SmtpSettings | None = None
    sms: SmsSettings | None = None
    recipients: tuple[Recipient, ...] = ()
    rules: Rules = Rules()


def load_alarm_settings(path: Path) -> AlarmSettings:
    """An alarms file (TOML): who hears of what, and how. :class:`ConfigError` names what is wrong."""
    return validate(AlarmSettings, read_toml(path, "alarms"), path)


class Channel(Protocol):
    def send(self, recipient: Recipient, subject: str, text: str, *, urgent: bool) -> None:
        """Deliver, or raise (OSError, or the channel's own error): the alarm is tried again."""


class AlarmEngine:
    """The rules (``on_events``, ``on_heartbeat``: called as things arrive) and the sending
    (``tick``: every few seconds, from the service's maintenance thread or a test)."""

    def __init__(self, alarms: AlarmStore, settings: AlarmSettings, channels: Sequence[Channel],
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._alarms, self._settings, self._channels, self._now = alarms, settings, channels, now
        self._zone = ZoneInfo(settings.rules.zone)
        self._lock = threading.Lock()

    # -- the rules -----------------------------------------------------------------------------

    def on_events(self, terminal: str, branch: str, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            payload = event.get("payload", {})
            at = dt.datetime.fromisoformat(event["at"])
            if event["kind"] == "alarm" and payload.get("alarm") in DOOR_ALARMS:
                kind = str(payload["alarm"])
                detail = f"door {kind.replace('_', ' ')}: {payload.get('detail', '')}".strip(": ")
                self._raise(terminal, branch, f"door_{kind}", DOOR_ALARMS[kind], detail, at)
            elif event["kind"] == "alarm" and payload.get("alarm") == UPDATE_ROLLED_BACK:
                detail = (f"update to {str(payload.get('version', '?'))[:64]} rolled back: "
                          f"{str(payload.get('running', '?'))[:64]} runs again")
                self._raise(terminal, branch, UPDATE_ROLLED_BACK, False, detail, at)
            elif event["kind"] == "transaction" and payload.get("state") == "needs_attention":
                what = payload.get("type", "transaction")
                detail = f"a {what} needs staff: {payload.get('error') or ''}".rstrip(": ")
                self._raise(terminal, branch, "staff_task", False, detail, at)

    def on_heartbeat(self, terminal: str, branch: str, beat: Mapping[str, Any]) -> None:
        at, rules = self._now(), self._settings.rules
        for device in beat.get("devices", ()):
            if device.get("state") == "unavailable":
                self._raise(terminal, branch, f"device_{device['device']}"[:64], False,
                            f"{device['device']} unavailable: {device.get('detail', '')}".rstrip(": "), at)
        free = beat.get("disk", {}).get("free_mb")
        if free is not None and free < rules.disk_free_min_mb:
            self._raise(terminal, branch, "disk_low", False, f"{free} MB free on the data disk", at)
        outbox = beat.get("outbox", {})
        oldest = outbox.get("oldest_age_s")
        if outbox.get("pending", 0) > rules.outbox_pending_max or (oldest or 0) > rules.outbox_oldest_max_s:
            self._raise(terminal, branch, "outbox_growing", False,
                        f"{outbox.get('pending')} events waiting, the oldest for {int(oldest or 0)} s", at)

    def _raise(self, terminal: str, branch: str, kind: str, urgent: bool, detail: str,
               at: dt.datetime) -> None:
        alarm = self._alarms.raise_alarm(terminal, branch, kind, urgent=urgent, detail=detail, at=at)
        log.warning("alarm %d: terminal %s (%s): %s%s", alarm.number, terminal, branch, detail,
                    "" if alarm.count == 1 else f" (x{alarm.count})")

    # -- the sweep and the sending ---------------------------------------------------------------

    def tick(self) -> None:
        """Raise "terminal silent" for terminals whose heartbeat stopped; send what is due."""
        now, rules = self._now(), self._settings.rules
        with self._lock:
            silent_after = dt.timedelta(minutes=rules.silent_after_min)
            for terminal, (branch, last) in self._alarms.last_heartbeats().items():
                if now - last > silent_after:
                    minutes = int((now - last).total_seconds() // 60)
                    self._raise(terminal, branch, "terminal_silent", True,
                                f"no heartbeat for {minutes} min", now)
            for alarm in self._alarms.open_alarms():
                if self._due(alarm, now):
                    self._send(alarm, now)

    def _due(self, alarm: Alarm, now: dt.datetime) -> bool:
        if alarm.urgent:
            repeat = dt.timedelta(minutes=self._settings.rules.repeat_min)
            return alarm.notified_at is None or now - alarm.notified_at >= repeat
        return alarm.notified_at is None and not self._quiet(now)

    def _quiet(self, now: dt.datetime) -> bool:
        hours = self._settings.rules.quiet_hours
        if not hours:
            return False
        start, end = (dt.time.fromisoformat(part) for part in hours.split("-"))
        local = now.astimezone(self._zone).time()
        return start <= local or local < end if start > end else start <= local < end

    def _send(self, alarm: Alarm, now: dt.datetime) -> None:
        when = alarm.last_at.astimezone(self._zone).strftime("%d.%m.%Y %H.%M")
        subject = f"{'ALARM' if alarm.urgent else 'Besked'}: {alarm.branch} / {alarm.terminal}: {alarm.kind}"
        text = (f"{alarm.detail}\n{when}, terminal {alarm.terminal}, {alarm.branch}"
                + (f"\n{alarm.count} times since {alarm.first_at.astimezone(self._zone):%H.%M}"
                   if alarm.count > 1 else "")
                + f"\nAlarm {alarm.number}: acknowledge it to stop the repeats.")
        delivered = False
        for recipient in self._settings.recipients:
            if not {"*", alarm.branch} & set(recipient.branches):
                continue
            if recipient.urgent_only and not alarm.urgent:
                continue
            for channel in self._channels:
                try:
                    channel.send(recipient, subject, text, urgent=alarm.urgent)
                    delivered = True
                except Exception as exc:  # one channel down must not keep the others from sending
                    log.error("alarm %d: %s failed: %s", alarm.number, type(channel).__name__, exc)
        if delivered:
            self._alarms.notified(alarm.number, now)

    def acknowledge(self, number: int, by: str) -> bool:
        return self._alarms.acknowledge(number, by, self._now())

