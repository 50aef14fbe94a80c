"""The malloc arena limit the kiosk sets before its threads start."""

from __future__ import annotations

import platform

import pytest

from kiosk.bootstrap.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_glibc_takes_the_arena_limit() -> None:
    assert limit_malloc_arenas() is True
