"""The process's memory, set once before the kiosk's threads start.

glibc gives each thread that allocates an arena of its own (up to eight per core). With the dozen
threads a kiosk runs (the core, the workers, the device drivers, the built-in emulators) their
fragmentation made the resident size creep by about 0.3 MB per 1,000 visits through a whole night;
two arenas keep it flat (measured with ``make soak``).

glibc also raises its mmap threshold each time a large block is freed, up to 32 MB, after which
blocks that size come from the arenas and stay resident. The slow PIN verifier (scrypt, 16 MB a
check) then left one such block per arena behind: +49 MB in the first 250 visits of a soak. A fixed
threshold keeps large blocks in mmap, returned to the system when freed.

Freed memory inside the arenas, between blocks still in use, stays resident until glibc is asked
to give it back: through a night of visits that was most of what the resident size gained (+0.5 MB
per 1,000 visits; +0.1 with ``malloc_trim`` every round, measured with ``make soak``). The kiosk asks
every :data:`TRIM_EVERY_S` (:class:`MallocTrim`, on the core's ticks); it costs a few milliseconds.

Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters
ARENAS = 2
MMAP_THRESHOLD = 256 * 1024
TRIM_EVERY_S = 300.0


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


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name is not None else None
    except OSError:
        return None


def trim_malloc() -> bool:
    """Give the free memory inside glibc's arenas back to the system; True if there is a glibc."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    trim(0)
    return True


class MallocTrim:
    """:func:`trim_malloc` at most every ``every_s`` seconds, when the core's tick comes."""

    def __init__(self, monotonic: Callable[[], float], every_s: float = TRIM_EVERY_S) -> None:
        self._monotonic, self._every = monotonic, every_s
        self._next = monotonic() + every_s
        self._available = True

    def tick(self, _event: object = None) -> None:
        now = self._monotonic()
        if not self._available or now < self._next:
            return
        self._next = now + self._every
        self._available = trim_malloc()
