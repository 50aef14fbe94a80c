"""python-escpos, imported when the receipt printer is first opened, not when the kiosk starts: it
brings PIL, qrcode, python-barcode, pyusb and YAML along (0.15-0.2 s and 14 MB).

At import, python-escpos reads its printer database (a 1 MB YAML file, most of that time) and keeps
a pickle of it in ``$ESCPOS_CAPABILITIES_PICKLE_DIR``, by default a new temporary folder per process
that is never removed. :func:`load` points it at one folder of the kiosk's own (0700), so the
database is parsed once and every later start reads the pickle; without one, at a temporary folder
that is removed when the process ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from types import ModuleType

PICKLE_DIR = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def load(cache_dir: Path | None = None) -> ModuleType:
    """:mod:`hardware.printers.escpos_classes` (python-escpos's classes), imported on first call."""
    if "escpos.capabilities" not in sys.modules and PICKLE_DIR not in os.environ:
        os.environ[PICKLE_DIR] = str(_own_folder(cache_dir) if cache_dir is not None else _temporary())
    from hardware.printers import escpos_classes

    return escpos_classes


def _own_folder(folder: Path) -> Path:
    """``folder``, made if needed, only when it is this user's alone: a pickle is code, and one put
    there by anyone else would run as the kiosk. Otherwise a temporary folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        state = folder.lstat()
    except OSError:
        return _temporary()
    if not stat.S_ISDIR(state.st_mode) or state.st_uid != os.getuid() or state.st_mode & 0o077:
        return _temporary()
    return folder


def _temporary() -> Path:
    folder = tempfile.mkdtemp(prefix="kiosk-escpos-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(folder)
