"""The core thread cannot die or hang unnoticed: the kiosk's window sees it within seconds, logs it,
stops the kiosk (the door relay goes off on the way out) and ends the process with a non-zero status,
so that the service manager starts it again."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from kiosk.bootstrap.gui import EXIT_CORE_FAILED, run_gui
from kiosk.bootstrap.kiosk import build
from kiosk.domain.events import Core
from tests.conftest import isolated_settings


@dataclass(frozen=True)
class Boom:
    """An event whose handler raises what the core's per-handler guard does not catch."""


class Fatal(BaseException):
    pass


def wait_for(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_a_core_thread_that_dies_says_so_and_why() -> None:
    core = Core()
    core.on(Boom, lambda _e: (_ for _ in ()).throw(Fatal("out of luck")))
    core.start()
    try:
        assert core.failure() is None
        core.post(Boom())
        assert wait_for(lambda: core.failure() is not None)
        assert "died" in (core.failure() or "") and "out of luck" in (core.failure() or "")
    finally:
        core.stop(timeout=1)


def test_a_core_thread_that_hangs_is_found_stuck_and_stop_says_it_did_not_end() -> None:
    core = Core()
    core.on(Boom, lambda _e: time.sleep(3))
    core.start()
    core.post(Boom())
    assert wait_for(lambda: core.failure(stuck_after_s=1) is not None)
    assert "handled nothing" in (core.failure(stuck_after_s=1) or "")
    assert core.stop(timeout=0.2) is False


def test_the_window_ends_the_kiosk_with_a_failure_status_when_the_core_dies(
        tmp_path: Path, qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    kiosk = build(isolated_settings(tmp_path), log_to_console=False)
    kiosk.core.on(Boom, lambda _e: (_ for _ in ()).throw(Fatal("gone")))
    QTimer.singleShot(500, lambda: kiosk.core.post(Boom()))
    started = time.monotonic()
    with caplog.at_level(logging.CRITICAL):
        status = run_gui(kiosk, fullscreen=False)
    assert status == EXIT_CORE_FAILED
    assert time.monotonic() - started < 10
    assert any("core thread died" in record.getMessage() for record in caplog.records)
