"""``library-kiosk demo [--door]``: the kiosk (or the entrance panel) in a window, on the demo
terminal's settings, with the simulator panel beside it standing in for the person at the devices."""

from __future__ import annotations

import argparse

from kiosk.bootstrap.gui import EXIT_RESTART, run_gui, start_again
from kiosk.bootstrap.kiosk import build
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, load_settings
from kiosk.simulate.panel import SimulatorPanel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--door", action="store_true", help="the entrance panel for unstaffed hours instead")


def run(args: argparse.Namespace) -> int:
    kiosk = build(load_settings(DEMO_DOOR_SETTINGS if args.door else DEMO_SETTINGS), profile="demo")
    code = run_gui(kiosk, fullscreen=False, beside=SimulatorPanel.beside)
    if code == EXIT_RESTART:
        start_again()
    return code
