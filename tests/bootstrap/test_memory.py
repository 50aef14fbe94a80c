"""The malloc settings the kiosk makes before its threads start."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from kiosk.bootstrap.memory import tune_malloc

# Three threads check PINs against slow verifiers (16 MB of scrypt memory each) and allocate small
# blocks between checks, as the kiosk's workers do; prints the resident size after and before, in MB.
SCRYPT_WORKERS = """
import hashlib, os, sys, threading
from kiosk.bootstrap.memory import tune_malloc
if sys.argv[1] == "tuned":
    assert tune_malloc()
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
def work():
    for _ in range(10):
        hashlib.scrypt(b"1234", salt=os.urandom(16), n=16384, r=8, p=1, dklen=32)
        kept = [bytes(1000) for _ in range(2000)]
before = rss()
threads = [threading.Thread(target=work) for _ in range(3)]
for t in threads: t.start()
for t in threads: t.join()
print(rss() - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_glibc_takes_the_settings() -> None:
    assert tune_malloc() is True


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_pin_checks_on_workers_leave_no_scrypt_memory_behind() -> None:
    grown = float(subprocess.run([sys.executable, "-c", SCRYPT_WORKERS, "tuned"], check=True, text=True,
                                 capture_output=True).stdout)
    assert grown < 12  # one 16 MB scrypt block kept would show; without the settings it keeps several


# Many blocks allocated, all but every 50th freed: the free memory between them stays resident until
# glibc is asked for it; prints the resident size before and after, in MB.
FRAGMENTED = """
import sys
from kiosk.bootstrap.memory import trim_malloc, tune_malloc
tune_malloc()
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
blocks = [bytes(2000) for _ in range(40000)]
kept = blocks[::50]
del blocks
before = rss()
trim_malloc()
print(before, rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_the_trim_gives_freed_memory_back() -> None:
    before, after = map(float, subprocess.run([sys.executable, "-c", FRAGMENTED], check=True, text=True,
                                              capture_output=True).stdout.split())
    assert before - after > 30  # 78 MB were freed between the blocks still in use

