"""``library-kiosk rollback``: back to the release before (``previous``), by hand.

The kiosk is stopped; the database is taken back to the schema the previous release knows by the
newer release's own migrations (down to the revision of the copy the update took), so that nothing
journaled since the update is lost; ``current`` and ``previous`` swap; the kiosk starts again and
must report ready. A second rollback goes forward again.
"""

from __future__ import annotations

import argparse
import sqlite3

from kiosk.cli.releases import Releases, UpdateError, UpdateLock
from kiosk.cli.update import (
    HEALTH_TIMEOUT_S,
    Terminal,
    add_common_arguments,
    as_kiosk,
    command,
    say,
    shout,
    started,
    switch,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--health-timeout", type=float, default=HEALTH_TIMEOUT_S, metavar="S",
                        help="seconds the previous version has to report ready "
                        f"(default {HEALTH_TIMEOUT_S:.0f})")


def run(args: argparse.Namespace) -> int:
    releases = Releases.under(args.root)
    terminal = Terminal.from_args(args)
    with UpdateLock(releases.home):
        return rollback(releases, terminal, args.health_timeout)


def rollback(releases: Releases, terminal: Terminal, timeout: float) -> int:
    current, previous = releases.version(releases.current), releases.version(releases.previous)
    if current is None or previous is None:
        raise UpdateError(f"there is no previous release under {releases.home} to go back to")
    say(f"from {current} back to {previous}")
    revision = schema_of(terminal, previous, current)
    say(f"stopping the kiosk: {terminal.stop}")
    command(terminal.stop, "stopping the kiosk")
    if revision is not None and terminal.database.exists():
        say(f"taking the database back to schema {revision} with {current}'s migrations")
        try:
            as_kiosk(terminal, [str(releases.release(current) / "bin" / "library-kiosk"), "migrate",
                                "--config", str(terminal.config), "--revision", revision])
        except UpdateError as exc:
            command(terminal.restart, "starting the kiosk")
            raise UpdateError(f"{exc}; {current} stays current") from None
    elif terminal.database.exists():
        shout(f"no copy from the update to {current} says which schema {previous} reads: the database "
              "is left as it is")
    switch(releases, current=previous, previous=current)
    if started(releases, terminal, previous, timeout):
        say(f"{previous} is running and reported ready")
        return 0
    shout(f"{previous} did not report ready within {timeout:.0f} s: look at the kiosk now "
          f"(library-kiosk rollback goes back to {current})")
    return 1


def schema_of(terminal: Terminal, old: str, new: str) -> str | None:
    """The schema revision ``old`` used, from the copy of the database taken when ``new`` came."""
    copy = terminal.copy_name(old, new)
    if not copy.exists():
        return None
    connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return str(row[0]) if row else None
