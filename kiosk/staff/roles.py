"""The roles of staff mode, from the least to the most trusted, and what each may open.

A staff list entry whose role is none of these (``cleaner``) opens the door in unstaffed hours but
not staff mode."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    STAFF = "staff"  # librarians: the terminal's status, the transactions that need staff
    TECHNICIAN = "technician"  # + the device tests and restarting the kiosk
    ADMINISTRATOR = "administrator"  # + applying or rolling back a configuration revision

    @property
    def rank(self) -> int:
        return list(StaffRole).index(self)

    def may(self, needed: StaffRole) -> bool:
        return self.rank >= needed.rank


def staff_role(text: str) -> StaffRole | None:
    """The staff-mode role a staff list entry names, or None (a cleaner, or a role from elsewhere)."""
    try:
        return StaffRole(text.strip().lower())
    except ValueError:
        return None
