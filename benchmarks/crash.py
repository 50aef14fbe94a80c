"""The crash test: the kiosk killed at 100 or more random points, restarted each time, and the world
checked from outside (see :mod:`tests.crash.harness`).

* online checkouts, checkins and renewals (the FEIG pad's simulator keeps the tags, the SIP2
  emulator is a little slow so that kills land between "applied" and "answered"): kill -9, and every
  third time the whole process group; after each restart, every item on the pad must be on loan at
  the LMS exactly when its tag is unsecured, and no item may be checked out twice in a row;
* door entries on the door terminal with its watchdog (LCUS relay board simulator on a pty, 2 s
  pulse): kill -9 of the kiosk, or of its process group; the relay must never be on longer than the
  pulse plus the watchdog's margin, and every unlock must have its entry logged first;
* offline replays (30 loans and 10 returns made while the LMS was away), killed while they replay:
  every loan and return must reach the LMS exactly once.

    python -m benchmarks.crash [--circulation 60] [--door 25] [--replay 25] [--seed 1]   (make crash)

Exit status 1 when anything was lost, doubled, left in the wrong state or left the door open.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from tests.crash.harness import Figures, circulation_under_kills, door_under_kills, replays_under_kills


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crash", description=__doc__.split("\n\n")[0])
    parser.add_argument("--circulation", type=int, default=60, help="kills in loans, returns, renewals")
    parser.add_argument("--door", type=int, default=25, help="kills during door entries")
    parser.add_argument("--replay", type=int, default=25, help="kills during offline replays")
    parser.add_argument("--seed", type=int, default=1, help="where the kills land (random.Random seed)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    figures = Figures()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kiosk-crash-") as folder:
        for name, kills, run in (("circulation", args.circulation, circulation_under_kills),
                                 ("door", args.door, door_under_kills),
                                 ("replay", args.replay, replays_under_kills)):
            if kills > 0:
                print(f"{name}: {kills} kills ...", flush=True)
                (Path(folder) / name).mkdir()
                run(Path(folder) / name, kills, figures, rng)
    print(figures.report())
    print(f"({time.monotonic() - started:.0f} s, seed {args.seed})")
    if not figures.ok():
        for problem in figures.wrong_state + figures.doubled + figures.replay_problems:
            print(f"  {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
