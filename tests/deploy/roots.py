"""A throwaway root for the installer: a folder with the /etc files a fresh Debian has for its users
(only root's), and the installer run into it as the command runs, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the installer sets owners (chown) and edits "
                                "a root's users with useradd --prefix: run as root (CI does)")


def empty_root(folder: Path) -> Path:
    """A root with nothing in it but root's user and group."""
    etc = folder / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\n")
    for name, line in (("shadow", "root:*:19000:0:99999:7:::\n"), ("gshadow", "root:*::\n")):
        (etc / name).write_text(line)
        (etc / name).chmod(0o640)
    return folder


def terminal_settings(folder: Path, extra: str = "") -> Path:
    """A terminal's settings file as an operator writes it, with a [paths] table of their own."""
    path = folder / "my-terminal.toml"
    path.write_text('[terminal]\nid = "dokk1-kiosk-1"\nbranch = "dokk1"\n\n[paths]\ndata_dir = "data"\n'
                    f'\n[session]\nidle_timeout_s = 90\n{extra}')
    return path


def library_kiosk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``library-kiosk ARGS`` from this source tree, with its output."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def install(root: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``library-kiosk install --root ROOT ARGS``, quick: the release uses this environment's packages."""
    return library_kiosk("install", "--root", root, "--venv-from", sys.prefix, *args)
