"""``library-kiosk demo [--door | --branch]``: the kiosk (or the entrance panel) in a window, on the
demo terminal's settings, with the simulator panel beside it standing in for the person at the
devices. ``--branch`` (what ``make demo`` runs): the kiosk and the entrance door of one branch side
by side, sharing the LMS and the municipality's central service, with a box on the panels that
stops the LMS."""

from __future__ import annotations

import argparse
from functools import partial

from kiosk.bootstrap.gui import EXIT_RESTART, run_gui, run_windows, start_again
from kiosk.bootstrap.kiosk import build
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, load_settings
from kiosk.simulate.branch import DemoBranch
from kiosk.simulate.panel import SimulatorPanel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--door", action="store_true", help="the entrance panel for unstaffed hours instead")
    which.add_argument("--branch", action="store_true", help="the kiosk and the door of one branch, with "
                       "the LMS and the central service they share")


ADMIN_PORT = 8480  # the demo's administration web, where README says it is (any free port if taken)


def _open_branch() -> DemoBranch:
    try:
        return DemoBranch.open(port=ADMIN_PORT)
    except OSError:
        return DemoBranch.open()


def run(args: argparse.Namespace) -> int:
    if args.branch:
        branch = _open_branch()
        print(f"The administration web: {branch.central.url}/admin/ (user admin, password demo-admin-2026)\n"
              f"Send a document to print: {branch.central.url}/print (Anna's card 1000000001 releases it at "
              f"the kiosk's \"Udskriv\"; what the demo's printer prints lands in "
              f"{branch.kiosk.locations.data_dir / 'printed'})", flush=True)
        try:
            beside = partial(SimulatorPanel.beside, lms_down=branch.lms_down)
            code = run_windows([(branch.kiosk, beside), (branch.door, beside)], fullscreen=False)
        finally:
            branch.close()
    else:
        kiosk = build(load_settings(DEMO_DOOR_SETTINGS if args.door else DEMO_SETTINGS), profile="demo")
        code = run_gui(kiosk, fullscreen=False, beside=SimulatorPanel.beside)
    if code == EXIT_RESTART:
        start_again()
    return code
