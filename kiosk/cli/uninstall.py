"""``library-kiosk uninstall``: take away what ``install`` made, saying what it removes; with
``--keep-data`` the settings file, the database, the keys, the logs and the users stay."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.deploy.changes import summary
from kiosk.cli.deploy.layout import layout_for
from kiosk.cli.deploy.terminal import uninstall


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, help="uninstall from this folder instead of the running system")
    parser.add_argument("--keep-data", action="store_true", help="keep /etc/library-kiosk, the data, "
                        "key and log folders and the users")


def run(args: argparse.Namespace) -> int:
    count = uninstall(layout_for(args.root), keep_data=args.keep_data)
    print(summary(count))
    return 0
