"""What staff mode does with a door terminal's door: unlock it once (as a staff entry in the entry
log, so that door supervision expects the opening), a staffed event of some minutes (the door open
to everyone, no door alarms), lock up now; and the day's entries and door alarms, as counts."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from kiosk.domain.ports import DoorLock
from kiosk.door.supervision import ALARM_KIND
from kiosk.door.terminal import DoorTerminal
from kiosk.store import Journal
from kiosk.store.entry_log import EntryDecision, EntryLog

log = logging.getLogger("kiosk.staff")

STAFF_REASON = "staff_mode"  # the entry log's reason for an opening from staff mode
STAFFED_MINUTES = (15, 30, 60)  # the staffed events staff can start


@dataclass(frozen=True)
class DoorInfo:
    entries_today: int
    refused_today: int
    alarms_today: int
    staffed_until: str  # "HH.MM" while a staffed event runs, else ""
    opening: str  # staffed, unstaffed, closed (what the door goes by now)
    unstaffed_until: str = ""  # "HH.MM" while staff have made it unstaffed early, else ""


class DoorControl:
    def __init__(self, terminal: DoorTerminal, entry_log: EntryLog, journal: Journal, lock: DoorLock | None,
                 *, pulse_s: float, zone: zoneinfo.ZoneInfo) -> None:
        self._terminal, self._entry_log, self._journal, self._lock = terminal, entry_log, journal, lock
        self._pulse_s, self._zone = pulse_s, zone

    def grant(self, token: str) -> None:
        """Before the door is unlocked from staff mode (on the core thread): the journal and the
        entry log (a staff entry), so that door supervision expects the opening."""
        self._terminal.supervisor.granted(token, reason=STAFF_REASON)

    def pulse(self) -> float:
        """Unlock for the terminal's pulse (I/O: on a worker); the seconds."""
        if self._lock is not None:
            self._lock.pulse(self._pulse_s)
        return self._pulse_s

    def staffed_for(self, minutes: int) -> dt.datetime:
        return self._terminal.staffed_for(minutes)

    def unstaffed_now(self) -> dt.datetime | None:
        return self._terminal.unstaffed_now()

    def end_staffed(self) -> None:
        """End what staff set (on the core thread); :meth:`lock` then locks the door."""
        self._terminal.end_override()
        self._terminal.supervisor.locked()

    def lock(self) -> None:
        """Lock the door at once (I/O: on a worker)."""
        if self._lock is not None:
            self._lock.lock()

    def info(self, now: dt.datetime) -> DoorInfo:
        local = now.astimezone(self._zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)

        def clock(until: dt.datetime | None) -> str:
            return until.astimezone(self._zone).strftime("%H.%M") if until is not None and until > now else ""

        return DoorInfo(
            self._entry_log.count(start=midnight, decision=EntryDecision.ALLOWED),
            self._entry_log.count(start=midnight, decision=EntryDecision.REFUSED),
            self._journal.count_since(ALARM_KIND, midnight.astimezone(dt.UTC)),
            clock(self._terminal.staffed_until), self._terminal.opening_now().kind.value,
            clock(self._terminal.unstaffed_until))
