"""The system users and groups the kiosk and the central service run as, made with the shadow tools
(``useradd``, ``groupadd``, ``usermod``, ``userdel``), with ``--prefix ROOT`` for an installation into
a folder: they then edit ROOT's own files without entering it."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from kiosk.cli.deploy.changes import Changes, DeployError


def _table(root: Path, name: str) -> list[list[str]]:
    try:
        text = (root / "etc" / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def _run(root: Path, command: Sequence[str]) -> None:
    prefix = [] if root.resolve() == Path("/") else ["--prefix", str(root)]
    try:
        done = subprocess.run([command[0], *prefix, *command[1:]], capture_output=True, text=True,
                              check=False)
    except FileNotFoundError:
        raise DeployError(f"{command[0]} not found: install the passwd package") from None
    if done.returncode != 0:
        raise DeployError(f"{' '.join(command)} failed: {done.stderr.strip() or done.returncode}")


def members(root: Path, group: str) -> set[str] | None:
    """The members of ``group`` in ROOT's /etc/group, or None if there is no such group."""
    for fields in _table(root, "group"):
        if fields[0] == group and len(fields) >= 4:
            return {name for name in fields[3].split(",") if name}
    return None


def account(root: Path, user: str) -> list[str] | None:
    """``user``'s line of ROOT's /etc/passwd, split, or None."""
    return next((fields for fields in _table(root, "passwd") if fields[0] == user), None)


def ensure_user(changes: Changes, user: str, *, home: str, shell: str, groups: Sequence[str],
                comment: str) -> None:
    """A system user ``user`` with its own group, ``home`` (not created here), ``shell``, and
    membership of ``groups`` (each made as a system group if missing)."""
    root = changes.root
    for group in groups:
        if members(root, group) is None:
            _run(root, ["groupadd", "--system", group])
            changes.changed(f"created group {group}")
    line = account(root, user)
    if line is None:
        membership = ["--groups", ",".join(groups)] if groups else []
        _run(root, ["useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home",
                    "--shell", shell, "--comment", comment, *membership, user])
        changes.changed(f"created user {user} (home {home}, shell {shell}, groups {', '.join(groups)})")
        return
    if line[5:7] != [home, shell]:
        _run(root, ["usermod", "--home", home, "--shell", shell, user])
        changes.changed(f"set user {user}'s home to {home} and shell to {shell}")
    missing = [group for group in groups if user not in (members(root, group) or set())]
    if missing:
        _run(root, ["usermod", "--append", "--groups", ",".join(missing), user])
        changes.changed(f"added user {user} to {', '.join(missing)}")
    if not missing and line[5:7] == [home, shell]:
        changes.unchanged(f"user {user}")


def remove_user(changes: Changes, user: str) -> None:
    """``user`` and its own group gone (the groups it was a member of stay)."""
    root = changes.root
    if account(root, user) is not None:
        _run(root, ["userdel", user])
        changes.changed(f"removed user {user}")
    if members(root, user) is not None:  # userdel leaves the group when another user is in it
        _run(root, ["groupdel", user])
        changes.changed(f"removed group {user}")
