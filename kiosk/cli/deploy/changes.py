"""Making the system look a certain way, and saying what that changed.

Each step compares what is there with what should be there and only then acts, so that running the
installer twice changes nothing the second time. Every step prints one line: what it did
("wrote", "created folder", "linked", "removed") or "unchanged". Owners are looked up in the root's
own ``/etc/passwd`` and ``/etc/group``, since an installation into a folder has users of its own.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from kiosk.domain.errors import KioskError


class DeployError(KioskError):
    """The installer cannot go on; the message says why and what to do."""


def summary(count: int) -> str:
    """The last line of a run."""
    return f"{count} change{'s' if count != 1 else ''}" if count else "nothing to change"


def _ids(table: Path) -> dict[str, int]:
    """Names and numbers from a passwd or group file (``name:x:number:...``)."""
    ids: dict[str, int] = {}
    try:
        lines = table.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ids
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            ids[fields[0]] = int(fields[2])
    return ids


class Changes:
    """The steps of one run against ``root``; :attr:`count` is how many changed something."""

    def __init__(self, root: Path, say: Callable[[str], None] = print) -> None:
        self.root = root
        self.count = 0
        self._say = say
        self._can_chown = os.geteuid() == 0

    def changed(self, line: str) -> None:
        self.count += 1
        self._say(line)

    def unchanged(self, line: str) -> None:
        self._say(f"unchanged {line}")

    def note(self, line: str) -> None:
        """Something the operator should know that is not a change."""
        self._say(line)

    def uid(self, user: str) -> int:
        return self._lookup(self.root / "etc/passwd", user, "user")

    def gid(self, group: str) -> int:
        return self._lookup(self.root / "etc/group", group, "group")

    def _lookup(self, table: Path, name: str, what: str) -> int:
        if name == "root":
            return 0
        number = _ids(table).get(name)
        if number is None:
            raise DeployError(f"there is no {what} {name} in {table}")
        return number

    def folder(self, path: Path, mode: int, owner: str = "root", group: str = "root") -> None:
        """A folder with this mode and owner (its parents as root's, 0755)."""
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise DeployError(f"{path} is in the way: it should be a folder")
        if path.is_dir():
            self._fix(path, mode, owner, group, "folder")
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.mkdir(mode=mode)
        self._own(path, mode, owner, group)
        self.changed(f"created folder {path} ({mode:04o} {owner}:{group})")

    def file(self, path: Path, data: bytes, mode: int = 0o644, owner: str = "root",
             group: str = "root") -> None:
        """A file with exactly these bytes, mode and owner; written whole, then renamed into place."""
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            self._fix(path, mode, owner, group, "")
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        fresh = path.with_name(f".{path.name}.new")
        fresh.write_bytes(data)
        self._own(fresh, mode, owner, group)
        os.replace(fresh, path)
        self.changed(f"wrote {path} ({mode:04o} {owner}:{group})")

    def link(self, path: Path, target: str) -> None:
        """A symbolic link to ``target``, switched atomically if it pointed elsewhere."""
        if path.is_symlink() and os.readlink(path) == target:
            self.unchanged(f"{path} -> {target}")
            return
        if path.exists() and not path.is_symlink():
            raise DeployError(f"{path} is in the way: it should be a link to {target}")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        fresh = path.with_name(f".{path.name}.new")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        os.replace(fresh, path)  # rename(2): the link is never missing, even for a moment
        self.changed(f"linked {path} -> {target}")

    def remove(self, path: Path) -> None:
        """``path`` gone: a file, a link, or a folder with everything in it."""
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            return
        self.changed(f"removed {path}")

    def remove_empty(self, path: Path) -> None:
        """``path`` gone if it is a folder with nothing in it."""
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
            self.changed(f"removed {path}")

    def _fix(self, path: Path, mode: int, owner: str, group: str, what: str) -> None:
        now = path.stat()
        name = f"{what} {path}" if what else str(path)
        uid, gid = self.uid(owner), self.gid(group)
        owned = not self._can_chown or (now.st_uid, now.st_gid) == (uid, gid)
        if stat.S_IMODE(now.st_mode) == mode and owned:
            self.unchanged(name)
            return
        self._own(path, mode, owner, group)
        self.changed(f"set {name} to {mode:04o} {owner}:{group}")

    def _own(self, path: Path, mode: int, owner: str, group: str) -> None:
        if self._can_chown:
            os.chown(path, self.uid(owner), self.gid(group), follow_symlinks=False)
        path.chmod(mode)
