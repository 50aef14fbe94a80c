"""``library-kiosk run --config FILE``: the kiosk from a settings file, fullscreen unless it says not."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.bootstrap.gui import EXIT_MAINTENANCE, EXIT_RESTART, run_gui, start_again
from kiosk.bootstrap.kiosk import build
from kiosk.bootstrap.notify import end_compositor
from kiosk.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="settings file (TOML)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    code = run_gui(build(settings, profile="run"), fullscreen=settings.terminal.fullscreen)
    if code == EXIT_RESTART:
        start_again()
    elif code == EXIT_MAINTENANCE:
        end_compositor()  # the kiosk has stopped (relay off, store closed): cage may go too
    return code
