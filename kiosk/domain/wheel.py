"""What a wheel of the kiosk says it is: its project and version, read from its
``*.dist-info/METADATA``, and the file name pip needs it to have. Used where a wheel comes in (the
updater, the central service's releases, a download from it), so that all three take the same ones."""

from __future__ import annotations

import email.parser
import re
import zipfile
from pathlib import Path
from typing import IO

PROJECT = "library-kiosk"
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}$")  # PEP 440 and local versions; never a path


class NotAKioskWheel(ValueError):
    """The file is no wheel, or a wheel of another project, or one without a usable version."""


def wheel_version(wheel: Path | IO[bytes], what: str = "") -> str:
    """The version of a wheel of the kiosk; :class:`NotAKioskWheel` saying why when it is not one."""
    what = what or str(wheel)
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [name for name in archive.namelist()
                     if name.count("/") == 1 and name.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise NotAKioskWheel(f"{what}: not a wheel (no single .dist-info/METADATA in it)")
            metadata = email.parser.HeaderParser().parsestr(archive.read(names[0]).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, EOFError) as exc:
        raise NotAKioskWheel(f"{what}: not a readable wheel ({exc})") from None
    name, version = metadata.get("Name", ""), metadata.get("Version", "")
    if name.lower().replace("_", "-") != PROJECT:
        raise NotAKioskWheel(f"{what}: a wheel of {name or 'nothing named'}, not of {PROJECT}")
    if not VERSION.match(version):
        raise NotAKioskWheel(f"{what}: its metadata has no usable version ({version!r})")
    return version


def wheel_name(version: str) -> str:
    """The file name of the kiosk's wheel of ``version`` (pure Python: one wheel for every machine);
    pip refuses a wheel whose name does not match its metadata."""
    return f"library_kiosk-{version}-py3-none-any.whl"
