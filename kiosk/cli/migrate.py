"""``library-kiosk migrate --config FILE [--revision REV]``: bring the local database to this
version's schema, or take it back to an older revision. The updater runs the new release's
``migrate`` before switching to it, and the newer release's ``migrate --revision`` on a rollback."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.bootstrap.paths import locations
from kiosk.settings import load_settings
from kiosk.store import Store, current_revision, open_store
from kiosk.store.db import HEAD_REVISION, downgrade, private_folder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="settings file (TOML)")
    parser.add_argument("--revision", help="an older schema revision to go back to (default: this "
                        "version's newest)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    database = locations(settings, "run").database
    private_folder(database.parent)
    store = Store(database, settings.paths.key_dir)
    try:
        before = current_revision(store)
        if args.revision is None:
            store.close()
            store = open_store(database, key_dir=settings.paths.key_dir)
        else:
            downgrade(store, args.revision)
        after = current_revision(store)
    finally:
        store.close()
    print(f"{database}: schema {before or 'new'} -> {after} (this version's newest: {HEAD_REVISION})")
    return 0
