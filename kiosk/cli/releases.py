"""The installed releases of the kiosk and the links that choose one, as the updater sees them.

``/opt/library-kiosk/releases/<version>/`` is a virtualenv per release; ``current`` links to the one
that runs and ``previous`` to the one before (for a rollback). A link is switched atomically: a new
link under a temporary name, renamed over the old one (rename(2) replaces it in one step, so the
service never finds no ``current``). Every path can sit under a ``root`` prefix (tests, an image).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiosk.domain.errors import KioskError
from kiosk.domain.wheel import PROJECT, NotAKioskWheel
from kiosk.domain.wheel import wheel_version as read_wheel_version


class UpdateError(KioskError):
    """An update or rollback that cannot go on; what was current stays current."""


class UpdateBusy(UpdateError):
    """Another update or rollback holds the lock."""


def wheel_version(wheel: Path) -> str:
    """The version in a wheel's metadata (``*.dist-info/METADATA``), checked to be the kiosk's."""
    try:
        return read_wheel_version(wheel)
    except NotAKioskWheel as exc:
        raise UpdateError(str(exc)) from None


@dataclass(frozen=True)
class Releases:
    """The release folders and links under ``/opt/library-kiosk`` (below ``root``)."""

    home: Path

    @classmethod
    def under(cls, root: Path) -> Releases:
        return cls(root / "opt" / PROJECT)

    @property
    def folder(self) -> Path:
        return self.home / "releases"

    @property
    def current(self) -> Path:
        return self.home / "current"

    @property
    def previous(self) -> Path:
        return self.home / "previous"

    def release(self, version: str) -> Path:
        return self.folder / version

    def version(self, link: Path) -> str | None:
        """The version a link points at (None when there is no link or it points at nothing)."""
        if not link.is_symlink():
            return None
        target = Path(os.readlink(link))
        return target.name if (link.parent / target).is_dir() else None

    def point(self, link: Path, version: str) -> None:
        """Make ``link`` point at ``releases/<version>`` in one step (a temporary link renamed over it)."""
        temporary = link.with_name(f".{link.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        os.symlink(Path("releases") / version, temporary)
        os.rename(temporary, link)
        _sync_folder(link.parent)

    def installed(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(path.name for path in self.folder.iterdir() if path.is_dir())

    def prune(self) -> list[str]:
        """Remove every release but ``current`` and ``previous``; the versions removed."""
        keep = {self.version(self.current), self.version(self.previous)}
        gone = [version for version in self.installed() if version not in keep]
        for version in gone:
            shutil.rmtree(self.release(version))
        return gone


def _sync_folder(folder: Path) -> None:
    """The rename on disk before anything else happens (a power cut keeps one link or the other)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class UpdateLock:
    """One update or rollback at a time: an exclusive ``flock`` on ``<home>/update.lock``, which the
    kernel lets go when the process ends, however it ends."""

    def __init__(self, home: Path) -> None:
        self.path = home / "update.lock"
        self._file: IO[str] | None = None

    def __enter__(self) -> UpdateLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise UpdateBusy(f"another update or rollback is running ({holder}); nothing was changed"
                             ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
