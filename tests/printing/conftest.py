"""The print tests' kiosk: the demo kiosk with its built-in central service, seeded as `make demo`
seeds it (Anna's two documents and her 25 kr. print balance)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.domain.events import InlineWorkers
from kiosk.settings import CentralSettings, Settings
from kiosk.testing.memory import ManualClock


@pytest.fixture
def kiosk(demo_settings: Settings, clock: ManualClock) -> Iterator[Kiosk]:
    """The demo kiosk with its built-in central service (seeded as `make demo` seeds it)."""
    seed = Path(__file__).parents[2] / "config" / "demo" / "central.toml"
    # As a branch's kiosk: it goes by the calendar's hours (the demo alone lends and prints at any hour).
    settings = demo_settings.model_copy(update={
        "central": CentralSettings(kind="emulator", seed=seed),
        "calendar": demo_settings.calendar.model_copy(update={"kiosk_hours": True})})
    k = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    k.connect_devices()
    yield k
    k.close()


def at(clock: ManualClock, hour: int, minute: int) -> None:
    """Move the kiosk's clock to ``hour:minute`` of the day it shows (Copenhagen time)."""
    now = clock.now()
    wanted = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    clock.advance((wanted - now).total_seconds())
