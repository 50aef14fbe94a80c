"""Staff mode on the core thread: what a staff card and PIN opened, the page on the screen, the
device tests and their outcomes, the transactions that need staff, and the terminal's actions.

Every action (logging in and out, each device test, each resolution, a restart, a configuration
applied or discarded) is a row in the journal (kind ``staff_action``, the staff card's token and
role, never a name), which the outbox takes to the central audit log. Anything slow (the LMS's
answer, a printer, the pad) runs on a worker; its answer comes back here and is shown if the same
staff member is still logged in."""

from __future__ import annotations

import logging
import shutil
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.central.config import TerminalConfiguration
from kiosk.domain.central import DefaultLanguageChosen, RestartWanted
from kiosk.domain.errors import StoreError
from kiosk.domain.events import Core
from kiosk.domain.model import Credential, CredentialKind, DeviceState
from kiosk.domain.ports import Clock, Devices, LibrarySystem
from kiosk.offline.mode import LmsMode
from kiosk.staff import device_tests, tasks
from kiosk.staff.device_tests import CARD_WAIT_S, DeviceTests, Outcome
from kiosk.staff.directory import StaffCard
from kiosk.staff.door import DoorControl
from kiosk.staff.events import MaintenanceExitWanted
from kiosk.staff.roles import StaffRole
from kiosk.staff.updates import SoftwareUpdates
from kiosk.staff.view import (
    PAGE_ROLES,
    Check,
    DeviceTest,
    DoorAction,
    Resolution,
    StaffPage,
    StaffView,
    StatusLine,
    TerminalAction,
)
from kiosk.store import Journal, JournalState

log = logging.getLogger("kiosk.staff")

STATUS_EVERY_S = 5.0  # the status page is asked again this often while it is on the screen
DISK_LOW_MB, DISK_CRITICAL_MB = 500, 100
OUTBOX_OLD_S = 3600.0  # the oldest unsent event older than this: a warning
ACTION_ROLES = {TerminalAction.RESTART: StaffRole.TECHNICIAN,
                TerminalAction.APPLY_CONFIG: StaffRole.ADMINISTRATOR,
                TerminalAction.ROLLBACK_CONFIG: StaffRole.ADMINISTRATOR,
                TerminalAction.INSTALL_UPDATE: StaffRole.TECHNICIAN,
                TerminalAction.MAINTENANCE_EXIT: StaffRole.TECHNICIAN}


@dataclass(frozen=True)
class StaffParts:
    """What staff mode looks at and acts on (those the terminal does not have are None)."""

    journal: Journal
    devices: Devices
    tests: DeviceTests
    lms: LibrarySystem
    zone: zoneinfo.ZoneInfo
    data_dir: Path
    lms_mode: LmsMode | None = None
    configuration: TerminalConfiguration | None = None
    central: bool = False  # a central system is configured
    door: DoorControl | None = None  # a door terminal's door
    languages: tuple[str, ...] = ()  # those the terminal offers
    default_language: str = "da"  # the one each visit starts in, at start
    updates: SoftwareUpdates | None = None  # new versions of the kiosk (a deployed terminal's)


class StaffMode:
    def __init__(self, core: Core, clock: Clock, parts: StaffParts,
                 show: Callable[[StaffView | None], None]) -> None:
        self._core, self._clock, self._parts, self._show = core, clock, parts, show
        self._card: StaffCard | None = None
        self._view: StaffView | None = None
        self._generation = 0  # bumped at each login and logout: late answers for someone gone are dropped
        self._card_deadline = 0.0
        self._next_status = 0.0
        self._default_language = parts.default_language
        self._status_asked = False  # a status question is on a worker

    @property
    def active(self) -> bool:
        return self._card is not None

    @property
    def view(self) -> StaffView | None:
        return self._view

    # -- logging in and out ------------------------------------------------------------------------
    def begin(self, card: StaffCard) -> None:
        """The staff card's PIN was right: the first page this role may open (a door terminal's
        door page, else the status)."""
        self._generation += 1
        self._card = card
        door = self._parts.door
        pages = tuple(page for page in StaffPage if card.role.may(PAGE_ROLES[page])
                      and (page is not StaffPage.DOOR or door is not None))
        tests = tuple(DeviceTest(name) for name in device_tests.available(self._parts.devices))
        self._view = StaffView(card.role, page=pages[0], pages=pages,
                               tests=tests if StaffPage.TESTS in pages else ())
        log.info("staff mode: logged in (%s)", card.role.value)
        self._audit("staff_login", "", "")
        self._refresh_status()
        self._refresh_door()
        self._publish()

    def end(self) -> None:
        """Logged out, timed out or cancelled (the session's privacy reset)."""
        if self._card is None:
            return
        self._audit("staff_logout", "", "")
        log.info("staff mode: logged out")
        self._generation += 1
        self._card = self._view = None

    # -- what the staff screens post ---------------------------------------------------------------
    def choose(self, page: StaffPage) -> None:
        view = self._view
        if view is None or page not in view.pages:
            return
        self._update(page=page, notice="", notice_values=())
        if page is StaffPage.STATUS:
            self._refresh_status()
        elif page is StaffPage.DOOR:
            self._refresh_door()
        elif page is StaffPage.TASKS:
            self._refresh_tasks()
        elif page is StaffPage.TERMINAL:
            self._refresh_terminal()

    def run_test(self, name: str, language: str) -> None:
        view = self._view
        if view is None or StaffPage.TESTS not in view.pages or name not in {t.name for t in view.tests}:
            return
        if any(test.check is Check.RUNNING for test in view.tests):
            return  # one at a time: the devices are shared with the kiosk's own work
        self._set_test(DeviceTest(name, Check.RUNNING))
        if name == "card":
            self._card_deadline = self._clock.monotonic() + CARD_WAIT_S
            self._update(waiting_for_card=True)
            return
        generation = self._generation
        if name == "door" and self._parts.door is not None and self._card is not None:
            self._parts.door.grant(self._card.token)  # door supervision expects the test's opening
        self._core.run_in_worker(lambda: self._parts.tests.run(name, language),
                                 lambda outcome, error: self._tested(generation, name, outcome, error))

    def on_card(self, credential: Credential) -> bool:
        """A card at the reader in staff mode: the card test's answer if it waits for one (True),
        else ignored (True as well: no patron session starts over staff mode)."""
        view = self._view
        if view is None:
            return False
        if view.waiting_for_card:
            # The end of a card number tells staff which card it was; of a CPR number it is the
            # part that identifies the person: a health card shows none of it.
            shown = credential.kind is not CredentialKind.HEALTH_CARD and len(credential.value) > 4
            masked = "•" * 4 + (credential.value[-4:] if shown else "")
            self._update(waiting_for_card=False)
            self._tested(self._generation, "card", Outcome(Check.OK, "staff.test.card.ok",
                                                           (("kind", credential.kind.value),
                                                            ("number", masked))), None)
        return True

    def resolve(self, entry_id: str, resolution: Resolution) -> None:
        view, card = self._view, self._card
        if view is None or card is None or StaffPage.TASKS not in view.pages:
            return
        try:
            state = tasks.resolve(self._parts.journal, entry_id, resolution, by=card.token)
        except StoreError as exc:  # said on the screen; the row stays as it was
            log.error("staff mode: a task could not be resolved: %s", exc)
            self._update(notice="staff.notice.store_error", notice_values=(), notice_check=Check.FAILED)
            return
        if state is None:
            self._update(notice="staff.notice.task_gone", notice_values=(), notice_check=Check.WARNING)
        else:
            self._audit(f"task_{resolution.value}", entry_id, state)
            if resolution is Resolution.RETRY and self._parts.lms_mode is not None:
                self._parts.lms_mode.replay_soon()
            self._update(notice=f"staff.notice.task_{resolution.value}", notice_values=(),
                         notice_check=Check.OK)
        self._refresh_tasks()

    def act(self, action: TerminalAction) -> None:
        view, card = self._view, self._card
        if view is None or card is None or action not in view.actions:
            return
        if action is TerminalAction.INSTALL_UPDATE:
            self._install_update(view.waiting_update)
            return
        configuration = self._parts.configuration
        if action is TerminalAction.ROLLBACK_CONFIG and configuration is not None:
            revision = configuration.discard_pending("rolled back by staff")
            self._audit("config_rollback", revision or "", "")
            self._update(notice="staff.notice.rolled_back", notice_values=(), notice_check=Check.OK)
            self._refresh_terminal()
            return
        if action is TerminalAction.MAINTENANCE_EXIT:
            self._audit(action.value, "", "")
            log.warning("staff mode: maintenance exit chosen (%s)", card.role.value)
            self._update(notice="staff.notice.maintenance_exit", notice_values=(), notice_check=Check.OK)
            self._core.post(MaintenanceExitWanted(f"staff ({card.role.value}): maintenance exit"))
            return
        reason = "staff: restart" if action is TerminalAction.RESTART else "staff: apply the configuration"
        self._audit(action.value, view.pending_revision if action is TerminalAction.APPLY_CONFIG else "", "")
        self._core.post(RestartWanted(reason))
        self._update(notice="staff.notice.restarting", notice_values=(), notice_check=Check.OK)

    def _install_update(self, name: str) -> None:
        """Started in a process of its own (it stops and restarts this kiosk); journaled first."""
        updates = self._parts.updates
        if updates is None or not name:
            return
        self._audit("install_update", name, "")
        generation = self._generation
        self._core.run_in_worker(lambda: updates.start(name),
                                 lambda _r, error: self._update_started(generation, name, error))

    def _update_started(self, generation: int, name: str, error: BaseException | None) -> None:
        if error is not None:
            log.error("staff mode: the update %s could not be started: %s", name, error)
            self._audit("install_update_failed", name, str(error))
        else:
            log.info("staff mode: installing %s; the kiosk restarts when it is in place", name)
        if generation != self._generation:
            return
        if error is not None:
            self._update(notice="staff.notice.update_failed", notice_values=(("error", str(error)),),
                         notice_check=Check.FAILED)
        else:
            self._update(notice="staff.notice.updating", notice_values=(("file", name),),
                         notice_check=Check.OK)

    def choose_language(self, language: str) -> None:
        """The language each visit starts in (technicians and administrators, the terminal page)."""
        view = self._view
        if view is None or StaffPage.TERMINAL not in view.pages or language not in self._parts.languages:
            return
        self._default_language = language
        self._core.post(DefaultLanguageChosen(language))
        self._audit("default_language", language, "")
        self._update(default_language=language, notice="staff.notice.language", notice_values=(),
                     notice_check=Check.OK)

    def door_action(self, action: DoorAction) -> None:
        view, card, door = self._view, self._card, self._parts.door
        if view is None or card is None or door is None or StaffPage.DOOR not in view.pages:
            return
        self._audit(f"door_{action.value}", "", "")
        generation = self._generation
        if action is DoorAction.UNLOCK:
            door.grant(card.token)  # journal and entry log before the relay
            self._core.run_in_worker(door.pulse, lambda seconds, error: self._door_done(
                generation, "staff.notice.door_unlocked", (("seconds", round(seconds or 0)),), error))
        elif action is DoorAction.LOCK:
            door.end_staffed()
            self._core.run_in_worker(door.lock, lambda _r, error: self._door_done(
                generation, "staff.notice.door_locked", (), error))
        elif action is DoorAction.UNSTAFFED:
            ends = door.unstaffed_now()
            if ends is None:
                self._door_done(generation, "staff.notice.not_staffed", (), None)
            else:
                until = ends.astimezone(self._parts.zone)
                self._door_done(generation, "staff.notice.door_unstaffed",
                                (("until", f"{until:%H.%M}"),), None)
        else:
            until = door.staffed_for(action.minutes).astimezone(self._parts.zone)
            self._door_done(generation, "staff.notice.door_staffed", (("until", f"{until:%H.%M}"),), None)

    def _door_done(self, generation: int, notice: str, values: tuple[tuple[str, object], ...],
                   error: BaseException | None) -> None:
        if generation != self._generation:
            return
        if error is not None:  # a relay that fails: said on the screen, staff mode goes on
            log.error("staff mode: the door did not do it: %s", error)
            self._update(notice="staff.notice.door_failed", notice_values=(("error", str(error)),),
                         notice_check=Check.FAILED)
        else:
            self._update(notice=notice, notice_values=values, notice_check=Check.OK)
        self._refresh_door()

    def tick(self) -> None:
        view = self._view
        if view is None:
            return
        now = self._clock.monotonic()
        if view.waiting_for_card and now >= self._card_deadline:
            self._update(waiting_for_card=False)
            self._set_test(DeviceTest("card", Check.FAILED, "staff.test.card.none",
                                      (("seconds", round(CARD_WAIT_S)),)))
        if view.page is StaffPage.STATUS and now >= self._next_status:
            self._refresh_status()
        if view.page is StaffPage.DOOR and now >= self._next_status:
            self._next_status = now + STATUS_EVERY_S
            self._refresh_door()

    # -- the pages' contents -----------------------------------------------------------------------
    def _refresh_status(self) -> None:
        self._next_status = self._clock.monotonic() + STATUS_EVERY_S
        if self._status_asked:
            return  # an LMS that hangs must not gather a queue of questions
        self._status_asked = True
        generation = self._generation
        self._core.run_in_worker(self._status_lines,
                                 lambda lines, error: self._status_known(generation, lines, error))

    def _status_lines(self) -> tuple[StatusLine, ...]:
        """On a worker: each part of the terminal, asked now."""
        parts = self._parts
        lines = [self._lms_line()]
        if parts.central:
            pending, oldest = parts.journal.outbox_stats()
            age = (self._clock.now() - oldest).total_seconds() if oldest is not None else 0.0
            lines.append(StatusLine("central", Check.WARNING if age > OUTBOX_OLD_S else Check.OK,
                                    "staff.status.outbox",
                                    (("waiting", pending), ("minutes", round(age / 60)))))
        else:
            lines.append(StatusLine("central", Check.OK, "staff.status.no_central"))
        for health in parts.devices.health():
            check = {DeviceState.OK: Check.OK, DeviceState.DEGRADED: Check.WARNING}.get(health.state,
                                                                                        Check.FAILED)
            lines.append(StatusLine(health.device, check, "", (), health.detail if not health.ok else ""))
        report = parts.configuration.report() if parts.configuration is not None else None
        if report is not None:
            lines.append(StatusLine("config", Check.OK if not report["pending"] else Check.WARNING,
                                    "staff.status.config", (("revision", report["applied"] or "-"),
                                                            ("pending", report["pending"] or "-"))))
        try:
            free_mb = shutil.disk_usage(parts.data_dir).free / 1e6
            check = (Check.FAILED if free_mb < DISK_CRITICAL_MB else
                     Check.WARNING if free_mb < DISK_LOW_MB else Check.OK)
            lines.append(StatusLine("disk", check, "staff.status.disk", (("mb", round(free_mb)),)))
        except OSError as exc:
            lines.append(StatusLine("disk", Check.FAILED, error=str(exc)))
        open_tasks = len(tasks.open_tasks(parts.journal, parts.zone))
        lines.append(StatusLine("tasks", Check.WARNING if open_tasks else Check.OK, "staff.status.tasks",
                                (("count", open_tasks),)))
        return tuple(lines)

    def _lms_line(self) -> StatusLine:
        parts = self._parts
        if parts.lms_mode is not None and not parts.lms_mode.online:
            return StatusLine("lms", Check.FAILED, "staff.status.lms_offline")
        try:
            status = parts.lms.status()
        except Exception as exc:  # whatever the LMS does, the status page says it and goes on
            return StatusLine("lms", Check.FAILED, "staff.status.lms_down", error=str(exc))
        return StatusLine("lms", Check.OK if status.online else Check.FAILED,
                          "staff.status.lms_ok" if status.online else "staff.status.lms_down")

    def _status_known(self, generation: int, lines: Any, error: BaseException | None) -> None:
        self._status_asked = False
        if generation != self._generation or self._view is None:
            return
        if error is not None:
            log.error("staff mode: the status could not be read", exc_info=error)
            lines = (StatusLine("status", Check.FAILED, error=str(error)),)
        self._update(status=lines)

    def _refresh_door(self) -> None:
        door = self._parts.door
        if door is None or self._view is None:
            return
        try:
            self._update(door=door.info(self._clock.now()))
        except Exception as exc:  # a store error: said on the screen, staff mode goes on
            log.error("staff mode: the door's day could not be read: %s", exc)
            self._update(notice="staff.notice.store_error", notice_values=(), notice_check=Check.FAILED)

    def _refresh_tasks(self) -> None:
        try:
            rows = tasks.open_tasks(self._parts.journal, self._parts.zone)
        except Exception as exc:  # a store error: said on the screen, staff mode goes on
            log.error("staff mode: the tasks could not be read: %s", exc)
            self._update(tasks=(), notice="staff.notice.store_error", notice_values=(),
                         notice_check=Check.FAILED)
            return
        self._update(tasks=rows)

    def _refresh_terminal(self) -> None:
        view, configuration = self._view, self._parts.configuration
        if view is None:
            return
        report = configuration.report() if configuration is not None else {}
        pending = report.get("pending") or ""
        waiting = self._waiting_update()
        offered = {TerminalAction.RESTART: True, TerminalAction.APPLY_CONFIG: bool(pending),
                   TerminalAction.ROLLBACK_CONFIG: bool(pending),
                   TerminalAction.INSTALL_UPDATE: bool(waiting), TerminalAction.MAINTENANCE_EXIT: True}
        actions = tuple(action for action in TerminalAction if view.role.may(ACTION_ROLES[action])
                        and offered[action])
        self._update(actions=actions, revision=report.get("applied") or "", pending_revision=pending,
                     waiting_update=waiting, languages=self._parts.languages,
                     default_language=self._default_language)

    def _waiting_update(self) -> str:
        updates = self._parts.updates
        if updates is None:
            return ""
        try:
            return updates.waiting() or ""
        except OSError as exc:  # an unreadable drop folder: no update offered, and said in the log
            log.error("staff mode: the updates folder could not be read: %s", exc)
            return ""

    # -- tests -------------------------------------------------------------------------------------
    def _tested(self, generation: int, name: str, outcome: Outcome | None,
                error: BaseException | None) -> None:
        if generation != self._generation:
            return
        if outcome is None:
            outcome = Outcome(Check.FAILED, error=str(error) or type(error).__name__)
        self._set_test(DeviceTest(name, outcome.check, outcome.key, outcome.values, outcome.error))
        passed = outcome.check is Check.OK
        self._audit("device_test", name, "passed" if passed else f"failed: {outcome.error}")
        log.info("staff mode: %s test %s%s", name, "passed" if outcome.check is Check.OK else "failed",
                 f" ({outcome.error})" if outcome.error else "")

    def _set_test(self, test: DeviceTest) -> None:
        view = self._view
        if view is not None:
            self._update(tests=tuple(test if t.name == test.name else t for t in view.tests))

    # -- the journal and the screen ----------------------------------------------------------------
    def _audit(self, action: str, target: str, detail: str) -> None:
        card = self._card
        if card is None:
            return
        try:
            self._parts.journal.append("staff_action", {"action": action, "target": target,
                                                        "detail": detail[:200], "role": card.role.value,
                                                        "staff": card.token}, state=JournalState.DONE)
        except Exception as exc:  # the action is done; that it could not be written is logged
            log.error("staff mode: %s not written to the journal: %s", action, exc)

    def _update(self, **changes: Any) -> None:
        if self._view is not None:
            self._view = replace(self._view, **changes)
            self._publish()

    def _publish(self) -> None:
        self._show(self._view)
