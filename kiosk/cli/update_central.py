"""A wheel the kiosk downloaded from the central service, taken into root's drop folder for an update.

On an installed terminal the drop folder (``/var/lib/library-kiosk/updates``) is root's, so that the
kiosk's user can never bring code of its own for root to install; the kiosk downloads the version
the central service offers into a folder of its own (``<data_dir>/downloads``). When the kiosk asks
root to install one of those, the updater asks the central service itself, with the terminal's
credential, which version it offers this terminal, and copies the wheel into root's folder only when
it is that version with that size and SHA-256 (hashed as it is copied, so what is installed is what
was checked). Root thus trusts the central service over TLS, as the kiosk does, never the kiosk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kiosk.bootstrap.central import CREDENTIAL_KEY
from kiosk.cli.releases import UpdateError, wheel_version
from kiosk.domain.central import ReleaseOffer
from kiosk.domain.errors import KioskError
from kiosk.domain.wheel import wheel_name
from kiosk.settings import Settings
from kiosk.store.keys import read_key_in


def vouched_download(name: str, downloads: Path, updates: Path, settings: Settings, key_dir: Path) -> Path:
    """The wheel ``downloads/name`` copied into ``updates`` once the central service offers exactly
    it to this terminal; :class:`UpdateError` (nothing copied) otherwise."""
    wheel = downloads / name
    if Path(name).name != name or not wheel.is_file():
        raise UpdateError(f"{name[:80]!r}: no such wheel in {updates} or {downloads}")
    version = wheel_version(wheel)
    if name != wheel_name(version):
        raise UpdateError(f"{wheel}: holds version {version}, so it would be named {wheel_name(version)}")
    offer = offered_release(settings, key_dir)
    if offer is None or offer.version != version:
        raise UpdateError(f"{wheel}: the central service does not offer {version} to this terminal "
                          f"({'it offers none' if offer is None else f'it offers {offer.version}'})")
    target = updates / name
    partial = updates / f".{name}.partial"
    digest, size = hashlib.sha256(), 0
    try:
        with wheel.open("rb") as source, partial.open("wb") as out:
            while chunk := source.read(1 << 16):
                size += len(chunk)
                if size > offer.size:
                    break
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != offer.size or digest.hexdigest() != offer.sha256:
            raise UpdateError(f"{wheel}: not the wheel the central service offers ({size} bytes, "
                              f"sha256 {digest.hexdigest()[:16]}…; offered {offer.size} bytes, "
                              f"{offer.sha256[:16]}…)")
        partial.chmod(0o644)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def offered_release(settings: Settings, key_dir: Path) -> ReleaseOffer | None:
    """The version the central service offers this terminal now, asked with its own credential."""
    from sync.central.client import CentralClient

    central = settings.central
    if central.kind != "http":
        raise UpdateError(f"a downloaded update is installed only as the central service offers it, and "
                          f"this terminal has no central service over HTTP ([central] kind {central.kind!r})")
    token = central.token or os.environ.get("LIBRARY_KIOSK_CENTRAL_TOKEN", "")
    if not token:
        try:
            kept = read_key_in(key_dir, CREDENTIAL_KEY)
        except KioskError as exc:
            raise UpdateError(f"the terminal's central credential cannot be read: {exc}") from None
        if kept is None:
            raise UpdateError(f"the terminal is not enrolled with the central service (no credential in "
                              f"{key_dir})")
        token = kept.decode()
    try:
        with CentralClient(central.url, token, retries=1, verify=central.ca_file or True) as client:
            return client.terminal_config(settings.terminal.id).release
    except KioskError as exc:
        raise UpdateError(f"the central service could not say which version it offers: {exc}") from None
