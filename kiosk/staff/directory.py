"""Which cards open staff mode: the staff lists this terminal has, looked up by the card's token.

A list is a source that returns its entries when asked (the terminal's own file, read again when it
changes; the central service's list as last cached, empty once it has expired), so a card taken off
a list stops working without a restart. Only tokens and slow PIN verifiers are kept: the lists tell
nobody a card number or a PIN, and checking a PIN costs the verifier's time (do it on a worker)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.errors import ConfigError
from kiosk.domain.model import Credential, CredentialKind
from kiosk.domain.pins import verify_pin
from kiosk.staff.roles import StaffRole, staff_role
from kiosk.store.access_lists import StaffEntry, load_staff_list

log = logging.getLogger(__name__)

Source = Callable[[], Sequence[StaffEntry]]


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
    def __init__(self, pseudonym: Callable[[str], str], sources: Sequence[Source]) -> None:
        self._pseudonym, self._sources = pseudonym, tuple(sources)

    def find(self, credential: Credential) -> StaffCard | None:
        """The staff card this is, if it is on a list with a staff-mode role (fast: one keyed hash).
        A health card is never a staff card: staff cards are the library's own."""
        if credential.kind is CredentialKind.HEALTH_CARD or not self._sources:
            return None
        token = self._pseudonym(credential.value)
        for source in self._sources:
            for entry in source():
                role = staff_role(entry.role)
                if entry.token == token and role is not None:
                    return StaffCard(token, role, entry.pin_verifier)
        return None


class StaffListFile:
    """A staff list file as a source: read again when it changes; a broken file is logged and
    counts as empty (staff mode must not keep a card the file no longer names)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._entries: tuple[StaffEntry, ...] = ()

    def __call__(self) -> tuple[StaffEntry, ...]:
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
