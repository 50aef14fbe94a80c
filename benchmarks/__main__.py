"""Run every benchmark and print one line each."""

from __future__ import annotations

import platform
import sys

from benchmarks import (
    bench_access_cache,
    bench_core,
    bench_door,
    bench_journal,
    bench_replay,
    bench_sip2,
    bench_sip2_client,
    bench_start,
    bench_visit,
)


def main() -> int:
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    for module in (bench_start, bench_journal, bench_replay, bench_core, bench_sip2, bench_sip2_client,
                   bench_visit, bench_door, bench_access_cache):
        for result in module.run():
            print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
