"""``library-kiosk check-config FILE``: validate a settings file the way ``run`` reads it."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.file)
    print(f"{args.file}: OK (terminal {settings.terminal.id}, branch {settings.terminal.branch})")
    return 0
