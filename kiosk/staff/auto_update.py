"""The version the central service offers, installed by itself at a safe moment; the updates that were
rolled back, told to the central service.

Once the offered wheel is whole in the drop folder (:mod:`kiosk.central.releases`), it is installed
through the same :class:`SoftwareUpdates` as staff mode's "install the waiting update", when the
setting ``[central] install_updates`` allows: ``after_closing`` when the branch calendar in force
says the branch is closed, ``when_idle`` at any hour, ``staff_only`` never by itself. In every case
only when the kiosk is at rest: no visit on the screen, no loan, return or print charge under way,
the door shut. A version an update rolled back on this terminal is never installed by itself again
(staff may still install it), and each rollback is sent to the central service once, as an alarm
event ``update_rolled_back``, so that staff hear of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from kiosk.central.releases import RolledBack, rollbacks
from kiosk.domain.errors import StoreError
from kiosk.door.calendar import BranchCalendar
from kiosk.settings.calendar import PeriodKind
from kiosk.staff.updates import SoftwareUpdates
from kiosk.store import Journal, JournalState

log = logging.getLogger(__name__)

Policy = Literal["after_closing", "when_idle", "staff_only"]
CHECK_EVERY_S = 30.0
ROLLED_BACK_KIND = "update_rolled_back"  # the journal's kind; an alarm on the wire
# Work that must not be cut off by a restart: a loan, a return, a print being paid for.
BUSY_KINDS = ("checkout", "checkin", "print_charge")
BUSY_STATES = (JournalState.PENDING, JournalState.REPLAYING)
_REPORTS = uuid.UUID("9b3f0c1e-5a0d-4a8e-9d7c-2f4e6b1a8c53")  # one event id per rollback, however often read


class AutomaticUpdates:
    """Call :meth:`tick` on the core thread (the core's ticks); it looks every :data:`CHECK_EVERY_S`.

    ``offered``: the file name of the offered version's wheel once it is whole in the drop folder
    (None before, or when nothing is offered, or it runs already). ``visit_under_way``: a patron (or
    staff) is at the kiosk. ``door_open``: the door terminal's door is open (None: no door).
    """

    def __init__(self, updates: SoftwareUpdates, offered: Callable[[], str | None], policy: Policy, *,
                 journal: Journal, data_dir: Path, visit_under_way: Callable[[], bool],
                 calendar: Callable[[], BranchCalendar | None], now: Callable[[], dt.datetime],
                 monotonic: Callable[[], float], door_open: Callable[[], bool] | None = None) -> None:
        self._updates, self._offered, self.policy = updates, offered, policy
        self._journal, self._data_dir = journal, data_dir
        self._visit, self._calendar, self._now, self._monotonic = visit_under_way, calendar, now, monotonic
        self._door_open = door_open
        self._next_check = 0.0
        self._started: set[str] = set()  # asked for once per run: a refused update is not asked again

    def tick(self, _event: object = None) -> None:
        now = self._monotonic()
        if now < self._next_check:
            return
        self._next_check = now + CHECK_EVERY_S
        try:
            self.report_rollbacks()
            if self.policy == "staff_only":
                return
            name = self._offered()
            if name is None or name in self._started or not self.moment_is_safe():
                return
        except (StoreError, OSError) as exc:  # looked at again at the next check
            log.error("automatic updates: %s", exc)
            return
        try:
            self._updates.start(name)
        except OSError as exc:
            log.error("the offered update %s could not be started (tried again later): %s", name, exc)
            return
        self._started.add(name)
        log.info("installing the update the central service offers: %s (%s; the kiosk is at rest)",
                 name, self.policy.replace("_", " "))

    def moment_is_safe(self) -> bool:
        """Nobody at the kiosk, nothing under way, the door shut, and (``after_closing``) the branch
        closed by the calendar in force (never without a calendar)."""
        if self.policy == "staff_only":
            return False
        if self.policy == "after_closing":
            calendar = self._calendar()
            if calendar is None or calendar.state_at(self._now()).kind is not PeriodKind.CLOSED:
                return False
        if self._visit() or (self._door_open is not None and self._door_open()):
            return False
        return not self._journal.in_states(BUSY_STATES, kinds=BUSY_KINDS, limit=1)

    def report_rollbacks(self) -> int:
        """Journal each rollback not journaled before, for the outbox to send; how many were new."""
        new = 0
        for rolled in rollbacks(self._data_dir):
            entry_id = str(uuid.uuid5(_REPORTS, f"{rolled.version}|{rolled.at}"))
            if self._journal.get(entry_id) is not None:
                continue
            self._journal.append(ROLLED_BACK_KIND, _payload(rolled), entry_id=entry_id,
                                 state=JournalState.DONE)
            log.warning("the update to %s was rolled back (%s runs again): told to the central service",
                        rolled.version, rolled.running)
            new += 1
        return new


def _payload(rolled: RolledBack) -> dict[str, str]:
    return {"alarm": ROLLED_BACK_KIND, "version": rolled.version, "running": rolled.running,
            "rolled_back_at": rolled.at, "detail": f"update to {rolled.version} rolled back"}
