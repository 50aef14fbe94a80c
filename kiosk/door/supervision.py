"""Door supervision for unstaffed hours: forced and held-open doors, tailgating, occupancy.

Plain logic on the core thread, fed with events and a clock:

* :meth:`DoorSupervisor.granted` / :meth:`~DoorSupervisor.refused`: the access decision was made
  (the caller pulses the lock after ``granted`` returns, so the entry is journaled first);
* :meth:`~DoorSupervisor.door_changed`: the door contact opened or closed;
* :meth:`~DoorSupervisor.locked`: the lock was locked early, so unused grants end;
* :meth:`~DoorSupervisor.exited`: the request-to-exit button (or exit sensor) was pressed;
* :meth:`~DoorSupervisor.tick`: time passed; :meth:`~DoorSupervisor.closing`: when the library closes.

Each alarm is a :class:`DoorAlarmEvent`, given to ``on_alarm`` and journaled as ``door_alarm``; every
decision is written to the entry log and journaled as ``entry``. Payloads carry pseudonymous tokens
only. Durations use the clock's monotonic time, timestamps its wall time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.domain.ports import Clock
from kiosk.settings import DoorSupervisionSettings
from kiosk.store import Journal
from kiosk.store.entry_log import EntryDecision, EntryLog, EntryRecord

log = logging.getLogger(__name__)

ENTRY_KIND = "entry"
ALARM_KIND = "door_alarm"
ALLOWED_REASON = "ok"
# The contact reports an opening a little after the strike let go: an early lock keeps this margin.
LOCK_GRACE_S = 1.0


class DoorAlarmKind(StrEnum):
    FORCED_OPEN = "forced_open"  # opened with no granted entry or exit request in the window
    HELD_OPEN = "held_open"  # one opening lasted held_open_after_s
    TAILGATING_HINT = "tailgating_hint"  # more openings, or a longer one, than the grants explain
    STILL_INSIDE = "still_inside"  # the occupancy estimate was above 0 at closing time


class EntryFlag(StrEnum):
    """Flags added to the entry log row of the grant an alarm is attributed to."""

    TAILGATING = "tailgating"
    HELD_OPEN = "held_open"


# What the speaker says for each alarm: a key of the text catalogue (kiosk.texts), or None.
ALARM_ANNOUNCEMENTS = {
    DoorAlarmKind.FORCED_OPEN: None,
    DoorAlarmKind.HELD_OPEN: "door.held_open",
    DoorAlarmKind.TAILGATING_HINT: "door.tailgating",
    DoorAlarmKind.STILL_INSIDE: "door.still_inside",
}


@dataclass(frozen=True)
class DoorAlarmEvent:
    """An alarm for staff and the central system. ``announcement`` is a key of
    the text catalogue for the speaker, or None; ``entry_ids`` are the entries it concerns."""

    kind: DoorAlarmKind
    at: dt.datetime
    terminal: str
    detail: str
    occupancy: int
    announcement: str | None = None
    entry_ids: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {"alarm": self.kind.value, "at": self.at.isoformat(), "terminal": self.terminal,
                "detail": self.detail, "occupancy": self.occupancy, "entry_ids": list(self.entry_ids),
                "tokens": list(self.tokens)}


@dataclass
class _Grant:
    entry_id: str
    token: str
    people: int
    until: float  # openings that start by then are explained by this grant
    used: bool = False


@dataclass
class _Opening:
    started: float
    people: int  # the people the opening is explained for; 0 for a forced opening
    grants: list[_Grant] = field(default_factory=list)
    supervised: bool = True
    hinted: bool = False
    held: bool = False


class DoorSupervisor:
    """Supervises one door. Not thread-safe: the core thread owns it.

    A grant explains the openings that start within ``entry_window_s`` after it: the first such
    opening takes every unused grant (people who badged in together walk in together) and adds
    their people (patron + children) to the occupancy; a further opening in the window is a
    tailgating hint, one with no grant and no exit request is forced. An opening that lasts longer
    than ``passage_s`` (+ ``extra_person_s`` for each further person) is a tailgating hint, one
    that lasts ``held_open_after_s`` is held open; each is reported once per opening.

    Without a door sensor (``has_sensor=False``) grants count into the occupancy at once. A door
    that opens from inside without an exit request makes every exit a forced opening: wire the
    request-to-exit button (``[devices.exit_button]``) to :meth:`exited`.
    """

    def __init__(
        self,
        clock: Clock,
        settings: DoorSupervisionSettings,
        journal: Journal,
        entry_log: EntryLog,
        on_alarm: Callable[[DoorAlarmEvent], None],
        *,
        terminal: str,
        has_sensor: bool = True,
        door_open: bool = False,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._journal = journal
        self._entry_log = entry_log
        self._on_alarm = on_alarm
        self._terminal = terminal
        self._has_sensor = has_sensor
        self._grants: list[_Grant] = []
        self._exit_requests: list[float] = []
        self._occupancy = 0
        self._closing_at: dt.datetime | None = None
        self._free_passage = False
        self._opening = _Opening(clock.monotonic(), people=0) if door_open else None

    @property
    def occupancy(self) -> int:
        """People estimated inside since the last closing: entries (with children) minus exits."""
        return self._occupancy

    @property
    def door_open(self) -> bool:
        return self._opening is not None

    @property
    def max_children(self) -> int:
        """How many children a patron may bring ("+N children with me"); 0: the option is off."""
        return self._settings.max_children

    def set_free_passage(self, on: bool) -> None:
        """Staffed hours (the door is meant to be open): openings raise no door alarms."""
        self._free_passage = on

    def granted(self, token: str, children: int = 0, *, reason: str = ALLOWED_REASON,
                flags: Sequence[str] = ()) -> EntryRecord:
        """An entry was allowed for the patron ``token`` and ``children`` children. Journaled and
        logged before this returns; pulse the lock after."""
        if not 0 <= children <= self._settings.max_children:
            raise ValueError(f"children must be between 0 and {self._settings.max_children}")
        record = self._decide(token, EntryDecision.ALLOWED, reason, children, flags)
        grant = _Grant(record.id, token, 1 + children,
                       self._clock.monotonic() + self._settings.entry_window_s)
        if self._has_sensor:
            self._grants.append(grant)
        else:
            self._occupancy += grant.people
        return record

    def refused(self, token: str | None, reason: str, *, flags: Sequence[str] = ()) -> EntryRecord:
        """An entry was refused with the rule's ``reason`` code. Journaled and logged."""
        return self._decide(token, EntryDecision.REFUSED, reason, 0, flags)

    def locked(self) -> None:
        """The lock was locked early (``DoorLock.lock``): unused grants no longer explain an
        opening that starts more than :data:`LOCK_GRACE_S` from now."""
        until = self._clock.monotonic() + LOCK_GRACE_S
        for grant in self._grants:
            if not grant.used:
                grant.until = min(grant.until, until)

    def exited(self) -> None:
        """Someone pressed the exit button (or passed the exit sensor). With a door contact the next
        opening within ``entry_window_s`` is theirs: it raises no alarm, and they are counted out
        when the door opens (a press with no opening counts nobody out). Pressed while the door is
        open (people leaving together), or with no contact at all, they are counted out at once."""
        if not self._has_sensor or self.door_open:
            self._occupancy = max(0, self._occupancy - 1)
            return
        self._exit_requests.append(self._clock.monotonic())

    def door_changed(self, is_open: bool) -> None:
        """The door contact changed."""
        if is_open == self.door_open:
            return
        now = self._clock.monotonic()
        self._expire(now)
        if not is_open:
            self._check_opening(now)
            self._opening = None
            return
        if self._free_passage:
            self._opening = _Opening(now, people=0, supervised=False)
            return
        unused = [g for g in self._grants if not g.used]
        if unused:
            for grant in unused:
                grant.used = True
            people = sum(g.people for g in unused)
            # Whoever asked to leave goes out through the same opening the newcomers come in by.
            leaving, self._exit_requests = len(self._exit_requests), []
            self._occupancy = max(0, self._occupancy - leaving) + people
            self._opening = _Opening(now, people, unused)
        elif self._exit_requests:  # like grants: everyone who asked leaves by the first opening
            leaving, self._exit_requests = len(self._exit_requests), []
            self._occupancy = max(0, self._occupancy - leaving)
            self._opening = _Opening(now, people=leaving)
        elif self._grants:
            self._opening = _Opening(now, people=1, grants=list(self._grants), hinted=True)
            self._alarm(DoorAlarmKind.TAILGATING_HINT, "the door opened again for one entry",
                        self._grants, EntryFlag.TAILGATING)
        else:
            self._opening = _Opening(now, people=0)
            self._alarm(DoorAlarmKind.FORCED_OPEN, "the door opened with no entry granted", [], None)

    def tick(self) -> None:
        """Check the timers: call often (every second or so)."""
        now = self._clock.monotonic()
        self._expire(now)
        self._check_opening(now)
        self._check_closing()

    def closing(self, at: dt.datetime) -> None:
        """The library closes at ``at`` (now or later): then the occupancy is checked and reset."""
        self._closing_at = at
        self._check_closing()

    def _decide(self, token: str | None, decision: EntryDecision, reason: str, children: int,
                flags: Sequence[str]) -> EntryRecord:
        # The journal row (the outbox's: the central system must see the entry) and the entry log's
        # row are one transaction: both are there, or neither and the door stays locked.
        record = self._entry_log.row(token=token, decision=decision, reason=reason, terminal=self._terminal,
                                     children=children, flags=flags, at=self._clock.now())
        self._journal.append(ENTRY_KIND, record.payload(), entry_id=record.id, with_rows=(record,))
        log.info("door %s: entry %s (%s), %d children", self._terminal, decision.value, reason, children)
        return record

    def _expire(self, now: float) -> None:
        self._grants = [g for g in self._grants if now <= g.until]
        window = self._settings.entry_window_s
        self._exit_requests = [t for t in self._exit_requests if now - t <= window]

    def _check_opening(self, now: float) -> None:
        opening = self._opening
        if opening is None or not opening.supervised:
            return
        lasted = now - opening.started
        limit = self._settings.passage_s + self._settings.extra_person_s * max(0, opening.people - 1)
        if opening.people and not opening.hinted and lasted > limit:
            opening.hinted = True
            self._alarm(DoorAlarmKind.TAILGATING_HINT,
                        f"open {lasted:.0f} s for {opening.people} people (normal {limit:.0f} s)",
                        opening.grants, EntryFlag.TAILGATING)
        if not opening.held and lasted >= self._settings.held_open_after_s:
            opening.held = True
            self._alarm(DoorAlarmKind.HELD_OPEN, f"open {lasted:.0f} s", opening.grants,
                        EntryFlag.HELD_OPEN)

    def _check_closing(self) -> None:
        if self._closing_at is None or self._clock.now() < self._closing_at:
            return
        self._closing_at = None
        if self._occupancy > 0:
            self._alarm(DoorAlarmKind.STILL_INSIDE,
                        f"{self._occupancy} people may still be inside at closing", [], None)
        self._occupancy = 0

    def _alarm(self, kind: DoorAlarmKind, detail: str, grants: Sequence[_Grant],
               flag: EntryFlag | None) -> None:
        event = DoorAlarmEvent(kind, self._clock.now(), self._terminal, detail, self._occupancy,
                               ALARM_ANNOUNCEMENTS[kind], tuple(g.entry_id for g in grants),
                               tuple(dict.fromkeys(g.token for g in grants)))
        self._journal.append(ALARM_KIND, event.payload())
        if flag is not None:
            for grant in grants:
                self._entry_log.flag(grant.entry_id, flag.value)
        log.warning("door %s: %s: %s", self._terminal, kind.value, detail)
        self._on_alarm(event)
