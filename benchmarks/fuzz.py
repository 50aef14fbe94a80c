"""The long fuzz run: every parser and client that takes bytes from outside (SIP2 codec, adapter and
client, RFID tag decoders, the scanner's classifier, settings, scenarios, the central client), fed
by hypothesis from :mod:`tests.fuzz.targets`; a line per target with the inputs tried, the crashes
(an exception other than the documented ones), the hangs (over 2 s) and the memory growth.

    python -m benchmarks.fuzz [--scale 1.0] [--seed 0]   (make fuzz)

Exit status 1 when any target crashed, hung or grew by 100 MB or more.
"""

from __future__ import annotations

import argparse
import sys

from tests.fuzz.targets import run, targets

# Inputs per target at --scale 1: 203,000 in all; the two over real TCP are slower per input.
LONG = {"sip2-decode": 50_000, "sip2-adapter": 40_000, "tag-decode": 40_000, "scanner": 30_000,
        "settings": 20_000, "scenario": 15_000, "sip2-client": 4_000, "central-client": 4_000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every target's inputs")
    parser.add_argument("--seed", type=int, default=0, help="0: the same inputs every run; else random")
    args = parser.parse_args(argv)
    total, ok = 0, True
    for target in targets():
        report = run(target, max(1, int(LONG[target.name] * args.scale)), seed=args.seed)
        print(report.line(), flush=True)
        for finding in report.crashes + report.hangs:
            print(f"    {finding}")
        total += report.tried
        ok = ok and report.ok
    print(f"{total:,} inputs in all: {'no crash, no hang, no blow-up' if ok else 'FINDINGS above'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
