"""What a terminal's settings name besides themselves, checked the same way for ``check-config`` and
for ``run``: the door's opening calendar (there, readable, valid, with the terminal's branch in it),
the access rules' lists and the seed files of the built-in LMS and central system. Nothing is
connected to; a problem is a :class:`~kiosk.domain.errors.ConfigError` naming the file and the key."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kiosk.domain.errors import ConfigError
from kiosk.door.calendar import BranchCalendar
from kiosk.settings import Role, Settings
from kiosk.settings.calendar import BranchSettings, load_calendar
from kiosk.settings.tomlfile import read_toml
from kiosk.store.access_lists import load_revocations, load_staff_list

log = logging.getLogger(__name__)


def terminal_calendar(settings: Settings) -> BranchSettings | None:
    """The opening calendar of the terminal's branch; None for a kiosk without one. A door terminal
    must have one."""
    path = settings.calendar.file
    if path is None:
        if settings.terminal.role is Role.DOOR:
            where = settings.source or "<settings>"
            raise ConfigError(f"{where}: calendar.file: the door terminal needs the branch's opening "
                              "calendar")
        return None
    return load_calendar(path).branch(settings.terminal.branch)


def check_settings(settings: Settings) -> None:
    """Every file the settings name, read and validated as the terminal will read it."""
    terminal_calendar(settings)
    seeds = (("lms.seed", settings.lms.seed if settings.lms.kind in ("emulator", "memory") else None),
             ("central.seed", settings.central.seed if settings.central.kind == "emulator" else None))
    for name, path in seeds:
        if path is not None:
            read_toml(path, name)
    if settings.access.revocation_list is not None:
        load_revocations(settings.access.revocation_list)
    if settings.access.staff_list is not None:
        load_staff_list(settings.access.staff_list)


def branch_calendar(settings: Settings, central: Mapping[str, Any] | None = None) -> BranchCalendar:
    """The opening calendar of the terminal's branch: the central system's, when it has sent one
    (kept from the last sync), else the calendar file the settings name."""
    if central is not None:
        try:
            return BranchCalendar(BranchSettings.model_validate(central), settings.terminal.language)
        except ValidationError as exc:
            log.error("the central system's calendar is not usable (%s): the calendar file instead",
                      exc.errors()[0]["msg"] if exc.errors() else exc)
    branch = terminal_calendar(settings)
    if branch is None:
        raise ConfigError("calendar.file: this terminal needs the branch's opening calendar")
    return BranchCalendar(branch, settings.terminal.language)
