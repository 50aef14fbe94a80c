"""The process's memory, set once before the kiosk's threads start.

glibc gives each thread that allocates an arena of its own (up to eight per core). With the dozen
threads a kiosk runs (the core, the workers, the device drivers, the built-in emulators) their
fragmentation made the resident size creep by about 0.3 MB per 1,000 visits through a whole night;
two arenas keep it flat (measured with ``make soak``).

glibc also raises its mmap threshold each time a large block is freed, up to 32 MB, after which
blocks that size come from the arenas and stay resident. The slow PIN verifier (scrypt, 16 MB a
check) then left one such block per arena behind: +49 MB in the first 250 visits of a soak. A fixed
threshold keeps large blocks in mmap, returned to the system when freed.

Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters
ARENAS = 2
MMAP_THRESHOLD = 256 * 1024


def tune_malloc(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas and a fixed mmap threshold; True if it agreed."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    agreed = bool(mallopt(M_ARENA_MAX, arenas)) and bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    if not agreed:
        log.info("the C library did not take the malloc settings")
    return agreed
