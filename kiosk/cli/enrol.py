"""``library-kiosk enrol --config FILE --token TOKEN``: enrol this terminal with the municipality's
central service. The one-time token comes from ``library-kiosk central-admin enrolment`` on the
service; the credential it is traded for is kept in the terminal's key folder (0600, or a systemd
credential of that name) and used for every call after. Enrolling again replaces it."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from kiosk.domain.errors import CentralRejected, KioskError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="the terminal's settings file")
    parser.add_argument("--token", required=True, help="the one-time enrolment token")


def run(args: argparse.Namespace) -> int:
    """0 when enrolled, 1 when the service refused, 2 when it cannot be asked."""
    from kiosk.bootstrap.central import CREDENTIAL_KEY
    from kiosk.bootstrap.paths import locations
    from kiosk.settings import load_settings
    from kiosk.store import open_store
    from kiosk.store.keys import keep_key
    from sync.central.client import CentralClient

    settings = load_settings(args.config)
    logging.getLogger("sync.central.client").setLevel(logging.ERROR)  # this command says it itself
    central, terminal = settings.central, settings.terminal
    if central.kind != "http":
        print(f'enrol: [central] kind is "{central.kind}"; enrolment is for kind "http" (the service\'s url)',
              file=sys.stderr)
        return 2
    try:
        with CentralClient(central.url, "", retries=0, verify=central.ca_file or True) as client:
            branch, credential = client.enrol(terminal.id, args.token)
    except CentralRejected as exc:
        print(f"enrol: {central.url} refused terminal {terminal.id}: {exc}", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"enrol: {central.url}: {exc}", file=sys.stderr)
        return 2
    store = open_store(locations(settings, "run").database, key_dir=settings.paths.key_dir)
    try:
        keep_key(store, CREDENTIAL_KEY, credential.encode())
    finally:
        store.close()
    print(f"terminal {terminal.id} enrolled with {central.url} for branch {branch}")
    if branch != terminal.branch:
        print(f"warning: the central service has this terminal in branch {branch}, its settings say "
              f"{terminal.branch}: calendar and access list will be refused until they agree",
              file=sys.stderr)
        return 1
    return 0
