"""``library-kiosk update --wheel PATH``: a new version of the kiosk installed beside the one that
runs, switched to, and taken back automatically when it does not start.

The steps, each printed: the wheel's version read from its metadata (one already current is refused);
a new virtualenv ``releases/<version>`` with the wheel pip-installed into it (a failure removes it and
changes nothing else); the new release's ``check-config`` on the terminal's settings; the kiosk
stopped; a copy of the database taken; the database migrated by the new release's ``migrate``;
``previous`` and ``current`` switched (each link in one rename); the kiosk started again; then the
new release must write its ready stamp (``<data_dir>/ready``, with its version, once it told systemd
READY=1) within the health timeout. When it does not, the update is rolled back at once: ``current``
back, the copy of the database put back (the new one kept aside, for staff to look into), the old
release started, and the version noted in ``<data_dir>/rolled-back`` (the kiosk installs it no more
by itself, and reports it to the central service). Releases other than ``current`` and ``previous``
are removed after a good update. One update or rollback at a time (a lock file); every path can
sit under ``--root``.

Exit status: 0 updated, 1 rolled back (the old version runs again), 2 refused or stopped before the
switch (the old version was never left).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.bootstrap.updates import DOWNLOADS_NAME
from kiosk.central.releases import note_rollback
from kiosk.cli.deploy.layout import KEY_DIR, UPDATES_DIR
from kiosk.cli.releases import Releases, UpdateError, UpdateLock, wheel_version
from kiosk.cli.update_central import vouched_download
from kiosk.settings import load_settings

CONFIG = Path("etc/library-kiosk/kiosk.toml")  # below --root
DATA_DIR = Path("var/lib/library-kiosk")  # below --root, when the settings name none
STOP = "systemctl stop library-kiosk.service"
# --no-block: systemctl would wait for READY=1 itself, up to the unit's start timeout; the health
# check below waits for the ready stamp, which says the same and names the version.
RESTART = "systemctl --no-block restart library-kiosk.service"
HEALTH_TIMEOUT_S = 90.0  # the unit's WatchdogSec (30 s) and a slow start
EXIT_ROLLED_BACK = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--wheel", type=Path, help="the new version, as a wheel (.whl)")
    which.add_argument("--request", type=Path, metavar="FILE", help="the update the kiosk asked for: FILE "
                       "names a wheel in the root-owned updates folder, or one the kiosk downloaded, taken "
                       "only when the central service offers it (the library-kiosk-update.path unit runs "
                       "this as root when the kiosk writes FILE)")
    add_common_arguments(parser)
    parser.add_argument("--health-timeout", type=float, default=HEALTH_TIMEOUT_S, metavar="S",
                        help=f"seconds the new version has to report ready (default {HEALTH_TIMEOUT_S:.0f})")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("/"), help="install below this folder "
                        "(default /; tests and images use another)")
    parser.add_argument("--config", type=Path, help=f"the terminal's settings (default <root>/{CONFIG})")
    parser.add_argument("--stop-command", default=STOP, metavar="CMD",
                        help=f"stops the kiosk before its database changes (default: {STOP})")
    parser.add_argument("--restart-command", default=RESTART, metavar="CMD",
                        help=f"starts the kiosk again (default: {RESTART})")


@dataclass(frozen=True)
class Terminal:
    """The terminal's files an update touches, and the commands that stop and start its kiosk."""

    config: Path
    data_dir: Path
    stop: str
    restart: str

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Terminal:
        config = args.config or args.root / CONFIG
        data_dir = load_settings(config).paths.data_dir or args.root / DATA_DIR
        return cls(config, data_dir, args.stop_command, args.restart_command)

    @property
    def database(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    @property
    def ready(self) -> Path:
        return self.data_dir / "ready"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    def copy_name(self, old: str, new: str) -> Path:
        """The database as it was under ``old``, taken before ``new`` migrated it."""
        return self.backups / f"kiosk-{old}-before-{new}.sqlite3"


def say(line: str) -> None:
    print(f"library-kiosk update: {line}", flush=True)


def shout(line: str) -> None:
    print(f"library-kiosk update: *** {line} ***", file=sys.stderr, flush=True)


def requested_wheel(request: Path, updates: Path, *, downloads: Path | None = None,
                    vouch: Callable[[str], Path] | None = None) -> Path:
    """The wheel a request file names: a bare file name of a wheel in ``updates`` (the folder only
    root writes to), so that the kiosk's user, who may write the request, can only choose among the
    wheels root put there, never bring one of its own; or of a wheel the kiosk downloaded into
    ``downloads``, which ``vouch`` takes into ``updates`` only when the central service offers it
    (:mod:`kiosk.cli.update_central`). The request is used once: it is removed."""
    try:
        name = request.read_text(encoding="utf-8").strip()
    finally:
        request.unlink(missing_ok=True)
    wheel = updates / name
    plain = bool(name) and Path(name).name == name and name.endswith(".whl")
    if plain and not wheel.is_file() and downloads is not None and vouch is not None \
            and (downloads / name).is_file():
        say(f"{name} is the kiosk's download: asking the central service whether it offers it")
        wheel = vouch(name)
    if not plain or not wheel.is_file():
        raise UpdateError(f"{request}: names no wheel in {updates} ({name[:80]!r})")
    if os.geteuid() == 0 and (updates.stat().st_uid != 0 or wheel.stat().st_uid != 0):
        raise UpdateError(f"{wheel}: not root's (only root puts updates in {updates})")
    return wheel


def run(args: argparse.Namespace) -> int:
    if args.request is not None:
        try:
            downloads = Terminal.from_args(args).data_dir / DOWNLOADS_NAME
        except BaseException:
            args.request.unlink(missing_ok=True)  # the path unit would start this again and again
            raise
        args.wheel = requested_wheel(args.request, args.root / str(UPDATES_DIR).lstrip("/"),
                                     downloads=downloads, vouch=lambda name: vouch_for(args, name))
    version = wheel_version(args.wheel)
    releases = Releases.under(args.root)
    terminal = Terminal.from_args(args)
    with UpdateLock(releases.home):
        return update(releases, terminal, args.wheel.resolve(), version, args.health_timeout)


def vouch_for(args: argparse.Namespace, name: str) -> Path:
    """The kiosk's download ``name`` in root's drop folder, once the central service offers it."""
    terminal = Terminal.from_args(args)
    settings = load_settings(terminal.config)
    key_dir = settings.paths.key_dir or args.root / str(KEY_DIR).lstrip("/")
    updates = args.root / str(UPDATES_DIR).lstrip("/")
    return vouched_download(name, terminal.data_dir / DOWNLOADS_NAME, updates, settings, key_dir)


def update(releases: Releases, terminal: Terminal, wheel: Path, version: str, timeout: float) -> int:
    old, before = releases.version(releases.current), releases.version(releases.previous)
    if old is None:
        raise UpdateError(f"no release is current under {releases.home}: install the kiosk first")
    if old == version:
        raise UpdateError(f"{version} is already the current release; nothing was changed")
    say(f"from {old} to {version} ({wheel.name})")
    install(releases, version, wheel)
    release = releases.release(version)
    try:
        say(f"checking that {version} reads the settings: {terminal.config}")
        as_kiosk(terminal, [str(release / "bin" / "library-kiosk"), "check-config", str(terminal.config)])
    except UpdateError:
        shutil.rmtree(release)
        raise
    say(f"stopping the kiosk: {terminal.stop}")
    command(terminal.stop, "stopping the kiosk")
    copy = terminal.copy_name(old, version)
    try:
        if terminal.database.exists():
            say(f"copying the database to {copy}")
            backup(terminal, terminal.database, copy)
        say(f"migrating the database with {version}'s migrations")
        as_kiosk(terminal, [str(release / "bin" / "library-kiosk"), "migrate", "--config",
                            str(terminal.config)])
    except UpdateError as exc:
        if copy.exists():
            restore(terminal, copy, set_aside=f"kiosk-{version}-failed-migration")
        say(f"starting {old} again: {terminal.restart}")
        command(terminal.restart, "starting the kiosk")
        raise UpdateError(f"{exc}; {old} stays current") from None
    switch(releases, current=version, previous=old)
    if started(releases, terminal, version, timeout):
        say(f"{version} is running and reported ready; {old} stays installed for a rollback")
        for gone in releases.prune():
            say(f"removed the old release {gone}")
        prune_copies(terminal, keep=copy)
        return 0
    shout(f"{version} did not report ready within {timeout:.0f} s: ROLLING BACK to {old}")
    switch(releases, current=old, previous=before)
    if copy.exists():
        restore(terminal, copy, set_aside=f"kiosk-{version}-failed")
    shutil.rmtree(release, ignore_errors=True)
    note_rolled_back(terminal, version, old)
    came_back = started(releases, terminal, old, timeout)
    shout(f"UPDATE TO {version} FAILED AND WAS ROLLED BACK: {old} is current again"
          + ("" if came_back else ", but it did not report ready either: look at the kiosk now"))
    return EXIT_ROLLED_BACK


def note_rolled_back(terminal: Terminal, version: str, old: str) -> None:
    """Note the rollback in the data folder: the kiosk installs that version no more by itself, and
    tells the central service (:mod:`kiosk.staff.auto_update`)."""
    try:
        note_rollback(terminal.data_dir, version, old, dt.datetime.now(dt.UTC))
    except OSError as exc:
        shout(f"the rollback could not be noted in {terminal.data_dir}: {exc}")


def install(releases: Releases, version: str, wheel: Path) -> None:
    """``releases/<version>``: a new virtualenv with the wheel in it, or nothing at all."""
    release = releases.release(version)
    if release.exists():  # a leftover of an update that did not finish; never the current one
        say(f"removing an earlier attempt at {version}")
        shutil.rmtree(release)
    releases.folder.mkdir(parents=True, exist_ok=True)
    say(f"installing {version} into {release}")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(release)], check=True, capture_output=True,
                       text=True)
        subprocess.run([str(release / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--no-input", "--disable-pip-version-check", str(wheel)],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(release, ignore_errors=True)
        raise UpdateError(f"installing {version} failed, nothing was changed: "
                          f"{last_lines(exc.stderr or exc.stdout)}") from None
    except BaseException:
        shutil.rmtree(release, ignore_errors=True)
        raise


def switch(releases: Releases, *, current: str, previous: str | None) -> None:
    if previous is not None:
        releases.point(releases.previous, previous)
    else:
        releases.previous.unlink(missing_ok=True)
    releases.point(releases.current, current)
    say(f"current -> releases/{current}" + (f", previous -> releases/{previous}" if previous else ""))


def started(releases: Releases, terminal: Terminal, version: str, timeout: float) -> bool:
    """Start the kiosk (the release ``current`` points at) and wait for its ready stamp."""
    terminal.ready.unlink(missing_ok=True)
    since = time.time()
    say(f"starting the kiosk: {terminal.restart}")
    try:
        command(terminal.restart, "starting the kiosk")
    except UpdateError as exc:
        shout(str(exc))
        return False
    say(f"waiting up to {timeout:.0f} s for {version} to report ready ({terminal.ready})")
    deadline = time.monotonic() + timeout
    while True:
        if ready_version(terminal.ready, since) == version:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def ready_version(stamp: Path, since: float) -> str | None:
    """The version a ready stamp written since ``since`` names: JSON with a ``version``, or a line
    that starts with it ("0.2.0 2026-12-05T21:14:03+01:00")."""
    try:
        if stamp.stat().st_mtime < since - 1:
            return None
        text = stamp.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return str(data.get("version", "")) or None
    words = text.split()
    return words[0] if words else None


def command(line: str, what: str) -> None:
    try:
        done = subprocess.run(shlex.split(line), capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UpdateError(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        raise UpdateError(f"{what} failed (exit {done.returncode}): {last_lines(done.stderr or done.stdout)}")


def as_kiosk(terminal: Terminal, argv: Sequence[str]) -> None:
    """Run a command of a release as the owner of the data folder (the kiosk's user), so that the
    files it makes there (SQLite's -wal and -shm) are the kiosk's and not root's."""
    owner: dict[str, Any] = {}
    if os.geteuid() == 0 and terminal.data_dir.exists():
        state = terminal.data_dir.stat()
        if state.st_uid != 0:
            owner = {"user": state.st_uid, "group": state.st_gid, "extra_groups": []}
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=600, **owner)
    if done.returncode != 0:
        raise UpdateError(f"{Path(argv[0]).parent.parent.name}: {' '.join(argv[1:2])} failed "
                          f"(exit {done.returncode}): {last_lines(done.stderr or done.stdout)}")
    for line in done.stdout.splitlines():
        say(f"  {line}")


def backup(terminal: Terminal, database: Path, copy: Path) -> None:
    """A consistent copy of the database (SQLite's backup: the WAL's pages included), the kiosk's."""
    copy.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = copy.with_name(f".{copy.name}.partial")
    partial.unlink(missing_ok=True)
    source, target = sqlite3.connect(database), sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    partial.chmod(0o600)
    owned_like(terminal.data_dir, partial, copy.parent)
    os.replace(partial, copy)


def restore(terminal: Terminal, copy: Path, *, set_aside: str) -> None:
    """Put the copy back as the database; the database as it was is kept aside under ``set_aside``."""
    database = terminal.database
    if database.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = terminal.backups / f"{set_aside}-{stamp}.sqlite3"
        backup(terminal, database, aside)
        shout(f"the database {database} as the new version left it is kept in {aside}")
    for part in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        part.unlink(missing_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(copy, partial)
    partial.chmod(0o600)
    owned_like(terminal.data_dir, partial)
    os.replace(partial, database)
    say(f"the database is back as it was before the update ({copy.name})")


def owned_like(folder: Path, *paths: Path) -> None:
    if os.geteuid() == 0 and folder.exists():
        state = folder.stat()
        for path in paths:
            os.chown(path, state.st_uid, state.st_gid)


def prune_copies(terminal: Terminal, keep: Path) -> None:
    """Only the copy a rollback to ``previous`` needs is kept (copies set aside after a failure stay)."""
    if terminal.backups.is_dir():
        for copy in terminal.backups.glob("kiosk-*-before-*.sqlite3"):
            if copy != keep:
                copy.unlink()


def last_lines(text: str, count: int = 3) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no output"
