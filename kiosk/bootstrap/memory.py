"""The process's memory, set once before the kiosk's threads start.

glibc gives each thread that allocates an arena of its own (up to eight per core). With the dozen
threads a kiosk runs (the core, the workers, the device drivers, the built-in emulators) their
fragmentation made the resident size creep by about 0.3 MB per 1,000 visits through a whole night;
two arenas keep it flat (measured with ``make soak``). Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas; True if it agreed."""
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
    agreed = bool(mallopt(M_ARENA_MAX, arenas))
    if not agreed:
        log.info("the C library did not take a limit on malloc arenas")
    return agreed
