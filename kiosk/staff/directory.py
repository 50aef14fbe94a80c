"""Which cards open staff mode: the staff lists this terminal has, each looked up by the card's token
under its own key (the terminal's pseudonym key for its own file, the municipality's access-list
key for the central service's list).

A list is asked at each card (the terminal's own file is read again when it changes; the central
service's list as last received is empty once it is too old), so a card taken off a list stops
working without a restart. Only tokens and slow PIN verifiers are kept: the lists tell
nobody a card number or a PIN, and checking a PIN costs the verifier's time (do it on a worker)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.domain.central import StaffMember
from kiosk.domain.errors import ConfigError
from kiosk.domain.model import Credential, CredentialKind
from kiosk.domain.pins import verify_pin
from kiosk.domain.privacy import Pseudonymizer
from kiosk.staff.roles import StaffRole, staff_role
from kiosk.store.access_lists import StaffEntry, load_staff_list

log = logging.getLogger(__name__)


class Source(Protocol):
    """A staff list: the entry of a card, if the card is on it."""

    def find(self, credential: Credential) -> StaffEntry | None: ...


@dataclass(frozen=True)
class StaffCard:
    """A card found on a staff list: its token (what the journal and the audit log name) and role."""

    token: str
    role: StaffRole
    pin_verifier: str

    def pin_matches(self, pin: str) -> bool:
        """Slow on purpose (the verifier's cost): call it on a worker."""
        return verify_pin(pin, self.pin_verifier)


class StaffDirectory:
    def __init__(self, sources: Sequence[Source]) -> None:
        self._sources = tuple(sources)

    def find(self, credential: Credential) -> StaffCard | None:
        """The staff card this is, if it is on a list with a staff-mode role (fast: a keyed hash per
        list). A health card is never a staff card: staff cards are the library's own."""
        if credential.kind is CredentialKind.HEALTH_CARD:
            return None
        for source in self._sources:
            entry = source.find(credential)
            role = staff_role(entry.role) if entry is not None else None
            if entry is not None and role is not None:
                return StaffCard(entry.token, role, entry.pin_verifier)
        return None


class FixedStaffList:
    """Entries known at start (the demo's cards), by tokens under this terminal's pseudonym key."""

    def __init__(self, entries: Sequence[StaffEntry], pseudonym: Callable[[str], str]) -> None:
        self._entries = {entry.token: entry for entry in entries}
        self._pseudonym = pseudonym

    def find(self, credential: Credential) -> StaffEntry | None:
        return self._entries.get(self._pseudonym(credential.value))


class CentralStaffList:
    """The central service's list for the branch as last received, by tokens under the
    municipality's access-list key; empty before the first and once it is too old (``current``:
    :meth:`kiosk.central.sync.CentralSync.staff_list`)."""

    def __init__(self, current: Callable[[], tuple[bytes, Sequence[StaffMember]] | None]) -> None:
        self._current = current

    def find(self, credential: Credential) -> StaffEntry | None:
        current = self._current()
        if current is None:
            return None
        key, members = current
        token = Pseudonymizer(key)(credential.value)
        for member in members:
            if member.token == token:
                return StaffEntry(token, member.role, member.pin_verifier)
        return None


class StaffListFile:
    """A staff list file (``library-kiosk access staff-add``), by tokens under this terminal's
    pseudonym key: read again when it changes; a broken file is logged and counts as empty (staff
    mode must not keep a card the file no longer names)."""

    def __init__(self, path: Path, pseudonym: Callable[[str], str]) -> None:
        self._path, self._pseudonym = path, pseudonym
        self._stamp: tuple[int, int] | None = None
        self._entries: tuple[StaffEntry, ...] = ()

    def find(self, credential: Credential) -> StaffEntry | None:
        token = self._pseudonym(credential.value)
        return next((entry for entry in self._read() if entry.token == token), None)

    def _read(self) -> tuple[StaffEntry, ...]:
        try:
            stat = self._path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            self._stamp, self._entries = None, ()
            return ()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._entries = load_staff_list(self._path)
            except ConfigError as exc:
                log.error("staff list not used: %s", exc)
                self._entries = ()
        return self._entries
