"""What the staff screens show: plain data, built by :class:`kiosk.staff.mode.StaffMode`, drawn by
the UI. No patron's name, card number or PIN is ever in it: tasks carry item numbers and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.staff.door import DoorInfo
from kiosk.staff.roles import StaffRole


class StaffPage(StrEnum):
    DOOR = "door"  # a door terminal's: unlock, a staffed event, lock up; the day's entries
    STATUS = "status"
    TESTS = "tests"
    TASKS = "tasks"
    TERMINAL = "terminal"


PAGE_ROLES = {StaffPage.DOOR: StaffRole.STAFF, StaffPage.STATUS: StaffRole.STAFF,
              StaffPage.TASKS: StaffRole.STAFF, StaffPage.TESTS: StaffRole.TECHNICIAN,
              StaffPage.TERMINAL: StaffRole.TECHNICIAN}


class DoorAction(StrEnum):
    UNLOCK = "unlock"  # once, as a staff entry
    STAFFED_15 = "staffed_15"  # a staffed event: the door open to everyone for 15 minutes
    STAFFED_30 = "staffed_30"
    STAFFED_60 = "staffed_60"
    LOCK = "lock"  # end a staffed event, lock at once
    UNSTAFFED = "unstaffed"  # staff leave early: unstaffed hours until the calendar's staffed hours end

    @property
    def minutes(self) -> int:
        return int(self.value.rpartition("_")[2]) if self.value.startswith("staffed_") else 0


class Check(StrEnum):
    """How a line of the status or a device test stands."""

    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    RUNNING = "running"
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class StatusLine:
    """One line of the status page. ``what``: lms, central, config, disk, tasks, or a device's role
    (card_reader, item_reader, ...); ``key`` and ``values``: a text key and what fills it in, said
    in the staff member's language; ``error``: a device's or a server's own words."""

    what: str
    check: Check
    key: str = ""
    values: tuple[tuple[str, object], ...] = ()
    error: str = ""


@dataclass(frozen=True)
class DeviceTest:
    """A device test that can be run here, and how its last run went (as a :class:`StatusLine`)."""

    name: str  # card, pad, receipt, page, door, announcement
    check: Check = Check.NOT_RUN
    key: str = ""
    values: tuple[tuple[str, object], ...] = ()
    error: str = ""


class Resolution(StrEnum):
    DONE = "done"  # staff put it right by hand (at the LMS, at the shelf)
    RETRY = "retry"  # try it again with the LMS (a refused offline replay)
    CLEAR = "clear"  # nothing to do: take it off the list


@dataclass(frozen=True)
class TaskRow:
    """A transaction that needs staff: the journal row's id, what and which item, when, why."""

    entry_id: str
    kind: str  # checkout, checkin
    state: str  # replay_rejected, needs_attention, in_doubt
    item: str
    at: str  # local time, "2026-12-05 21:14"
    error: str
    resolutions: tuple[Resolution, ...]


class TerminalAction(StrEnum):
    RESTART = "restart"
    APPLY_CONFIG = "apply_config"  # the pending configuration revision: restart onto it now
    ROLLBACK_CONFIG = "rollback_config"  # back to the revision before the one in force
    INSTALL_UPDATE = "install_update"  # the new version waiting in the drop folder
    MAINTENANCE_EXIT = "maintenance_exit"  # end the kiosk, not restarted: a technician has the machine


@dataclass(frozen=True)
class StaffView:
    role: StaffRole
    page: StaffPage = StaffPage.STATUS
    pages: tuple[StaffPage, ...] = ()  # those this role may open
    status: tuple[StatusLine, ...] = ()
    tests: tuple[DeviceTest, ...] = ()
    waiting_for_card: bool = False  # the card test: present a card (or scan a barcode) now
    tasks: tuple[TaskRow, ...] = ()
    actions: tuple[TerminalAction, ...] = ()  # those this role may take here, now
    revision: str = ""  # the configuration revision in force ("" without a central system)
    pending_revision: str = ""  # one that waits for the kiosk's restart
    waiting_update: str = ""  # a new version's file in the drop folder, waiting to be installed
    notice: str = ""  # a text key: what the last action did (staff.notice.restarting, ...)
    notice_values: tuple[tuple[str, object], ...] = ()
    notice_check: Check = Check.OK
    door: DoorInfo | None = None  # a door terminal's, on the door page
    languages: tuple[str, ...] = ()  # those the terminal offers (the terminal page)
    default_language: str = ""  # the one each visit starts in
