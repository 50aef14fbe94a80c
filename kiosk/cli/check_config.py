"""``library-kiosk check-config FILE``: validate a settings file, and the files it names, the way
``run`` reads them: what passes here, ``run`` accepts."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.bootstrap.check import check_settings
from kiosk.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.file)
    check_settings(settings)  # the files it names, as run reads them
    print(f"{args.file}: OK (terminal {settings.terminal.id}, branch {settings.terminal.branch})")
    return 0
