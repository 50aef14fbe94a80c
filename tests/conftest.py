"""Fixtures for real parts: settings files, SQLite databases, the core loop, the Qt window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers
from kiosk.domain.logs import SECRETS
from kiosk.settings import DEMO_SETTINGS, CentralSettings, Settings, load_settings
from kiosk.testing.memory import ManualClock, in_memory

REPO = Path(__file__).resolve().parent.parent


def isolated_settings(tmp_path: Path, source: Path = DEMO_SETTINGS) -> Settings:
    """The given settings file, with the database and logs moved into ``tmp_path`` and the devices in
    memory, so that the tests present cards and place tags themselves."""
    settings = load_settings(source)
    paths = settings.paths.model_copy(
        update={"data_dir": tmp_path / "data", "log_dir": tmp_path / "log"}
    )
    # Without the central system unless a test asks for it (tests/bootstrap/test_central_wiring.py does).
    return settings.model_copy(update={"paths": paths, "central": CentralSettings(),
                                       "devices": in_memory(settings.devices)})


@pytest.fixture
def demo_settings(tmp_path: Path) -> Settings:
    return isolated_settings(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kiosk(demo_settings: Settings, clock: ManualClock) -> Iterator[Kiosk]:
    """The demo kiosk, single-threaded: events run when the test drains the core."""
    k = build(demo_settings, profile="demo", clock=clock, workers=InlineWorkers(),
              log_to_console=False)
    k.connect_devices()
    yield k
    k.close()


@pytest.fixture(autouse=True)
def _reset_logging_and_secrets() -> Iterator[None]:
    yield
    SECRETS.clear()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kiosk", False):
            root.removeHandler(handler)
            handler.close()
