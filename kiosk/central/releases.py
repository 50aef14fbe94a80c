"""New versions of the kiosk from the central service: the offered wheel downloaded into the drop
folder, and the versions an update took back (which are neither downloaded nor installed again by
themselves).

A download is streamed into a hidden file beside its final name, counted and hashed as it comes, and
never more than the offer's size; only a file of that size and SHA-256 that is a wheel of the kiosk
of the offered version is renamed to its wheel name (``library_kiosk-<version>-py3-none-any.whl``),
so a wheel in the drop folder is always whole. Anything else is deleted, said in the log, and tried
again after :data:`RETRY_S`.

The updater (``library-kiosk update``, as root) notes each version it rolled back in the data
folder's ``rolled-back`` file, a JSON object per line, for the kiosk to read (:func:`rollbacks`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.domain.central import ReleaseOffer
from kiosk.domain.errors import CentralRejected, CentralUnavailable
from kiosk.domain.wheel import NotAKioskWheel, wheel_name, wheel_version

log = logging.getLogger(__name__)

ROLLED_BACK_FILE = "rolled-back"  # in the data folder; written by the updater, read by the kiosk
RETRY_S = 1800.0  # a download that failed or was bad is tried again after this long


class WheelSource(Protocol):
    def release_wheel(self, offer: ReleaseOffer, write: Callable[[bytes], None], max_bytes: int) -> None:
        """Stream the offered wheel into ``write``, at most ``max_bytes``; :class:`CentralUnavailable`
        or :class:`CentralRejected` when it cannot."""
        ...


@dataclass(frozen=True)
class RolledBack:
    """An update to ``version`` that did not report ready and was taken back to ``running``."""

    version: str
    running: str
    at: str  # when, as the updater wrote it (ISO 8601)


def note_rollback(data_dir: Path, version: str, running: str, at: dt.datetime) -> None:
    """Add a rolled-back update to the data folder's ``rolled-back`` file (readable by the kiosk)."""
    path = data_dir / ROLLED_BACK_FILE
    line = json.dumps({"version": version, "running": running, "at": at.isoformat(timespec="seconds")})
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    path.chmod(0o644)


def rollbacks(data_dir: Path) -> list[RolledBack]:
    """The updates rolled back on this terminal, oldest first (lines that cannot be read are skipped)."""
    try:
        lines = (data_dir / ROLLED_BACK_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        log.error("the list of rolled-back updates cannot be read: %s", exc)
        return []
    found = []
    for line in lines:
        try:
            value = json.loads(line)
            found.append(RolledBack(str(value["version"]), str(value.get("running", "")), str(value["at"])))
        except (ValueError, TypeError, KeyError):
            continue
    return found


def rolled_back_versions(data_dir: Path) -> set[str]:
    """The versions an update rolled back on this terminal."""
    return {rolled.version for rolled in rollbacks(data_dir)}


class ReleaseDownloads:
    """Downloads the offered version into ``folder`` when it is not the one that runs (``running``)
    and not one rolled back here (``failed``). Runs on a worker (the central sync's); never raises
    what the network or the offer did (it is logged)."""

    def __init__(self, source: WheelSource, folder: Path, running: str, failed: Callable[[], Collection[str]],
                 monotonic: Callable[[], float]) -> None:
        self._source, self.folder, self.running = source, folder, running
        self._failed, self._monotonic = failed, monotonic
        self._retry_at: dict[str, float] = {}

    def wanted(self, offer: ReleaseOffer | None) -> bool:
        """Is ``offer`` a version this terminal should get? (None: nothing offered.)"""
        return offer is not None and offer.version != self.running and offer.version not in self._failed()

    def path(self, version: str) -> Path:
        return self.folder / wheel_name(version)

    def ready(self, offer: ReleaseOffer | None) -> str | None:
        """The file name of the offered wheel once it is whole in the folder and still wanted."""
        if offer is None or not self.wanted(offer):
            return None
        path = self.path(offer.version)
        return path.name if path.is_file() else None

    def fetch(self, offer: ReleaseOffer | None) -> Path | None:
        """The offered wheel in the drop folder, downloaded now if it is not there yet; None when
        nothing is wanted, or the download failed or was bad (tried again after :data:`RETRY_S`)."""
        if offer is None or not self.wanted(offer):
            return None
        target = self.path(offer.version)
        if target.is_file():
            return target
        if self._monotonic() < self._retry_at.get(offer.version, 0.0):
            return None
        try:
            self._download(offer, target)
        except (CentralUnavailable, CentralRejected, OSError, BadDownload) as exc:
            self._retry_at[offer.version] = self._monotonic() + RETRY_S
            log.error("release %s: the download failed and nothing was kept; tried again in %.0f min: %s",
                      offer.version, RETRY_S / 60, exc)
            return None
        self._retry_at.pop(offer.version, None)
        log.info("release %s downloaded into %s (%d bytes, sha256 checked)", offer.version, target,
                 offer.size)
        return target

    def _download(self, offer: ReleaseOffer, target: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")  # not *.whl: nobody takes it for a wheel
        digest, size = hashlib.sha256(), 0
        try:
            with partial.open("wb") as out:
                def write(chunk: bytes) -> None:
                    nonlocal size
                    size += len(chunk)
                    digest.update(chunk)
                    out.write(chunk)

                self._source.release_wheel(offer, write, offer.size)
                out.flush()
                os.fsync(out.fileno())
            if size != offer.size or digest.hexdigest() != offer.sha256:
                raise BadDownload(f"{size} bytes with sha256 {digest.hexdigest()[:16]}…, offered "
                                  f"{offer.size} bytes with sha256 {offer.sha256[:16]}…")
            try:
                inside = wheel_version(partial, f"release {offer.version}")
            except NotAKioskWheel as exc:
                raise BadDownload(str(exc)) from None
            if inside != offer.version:
                raise BadDownload(f"the wheel says it is version {inside}")
            partial.chmod(0o644)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)


class BadDownload(Exception):
    """What came is not the wheel that was offered."""
