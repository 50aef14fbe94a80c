"""What the staff screens post to the core."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.staff.view import DoorAction, Resolution, StaffPage, TerminalAction


@dataclass(frozen=True)
class StaffPageChosen:
    page: StaffPage


@dataclass(frozen=True)
class StaffTestRequested:
    test: str  # a name of kiosk.staff.device_tests.TESTS


@dataclass(frozen=True)
class StaffTaskResolved:
    entry_id: str
    resolution: Resolution


@dataclass(frozen=True)
class StaffActionChosen:
    action: TerminalAction


@dataclass(frozen=True)
class StaffDoorAction:
    action: DoorAction


@dataclass(frozen=True)
class StaffLanguageChosen:
    language: str


@dataclass(frozen=True)
class MaintenanceExitWanted:
    """Staff chose the maintenance exit: the kiosk ends at once with its own exit status, which the
    service manager does not restart."""

    reason: str
