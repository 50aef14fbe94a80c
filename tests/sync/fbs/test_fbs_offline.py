"""Offline mode and the replay with the kiosk configured for FBS: the tests of
tests/offline/test_offline.py (the LMS goes away mid-stack, loans and returns offline, the replay in
order with no-block and the original dates, refusals to the staff report, a lost reply not lent
twice) against the FBS emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed
from kiosk.bootstrap.kiosk import build
from kiosk.domain.events import InlineWorkers
from kiosk.settings import FbsSettings, LmsSettings, OfflineSettings
from kiosk.simulate.build import DEMO_SEED
from kiosk.testing.memory import ManualClock
from sync.fbs.emulator import FbsEmulator
from sync.fbs.library import FbsLibrarySystem
from sync.sip2.emulator_data import load_data
from tests.conftest import isolated_settings
from tests.offline.test_offline import *  # noqa: F403  (the same tests, over FBS)
from tests.offline.test_offline import World


class FbsWorld(World):
    def lms_up(self) -> None:
        """As the SIP2 world's: a new emulator on the same port, with the library as it was."""
        self.emulator = FbsEmulator(self.emulator.data, port=self.port, login="kiosk",  # type: ignore[assignment]
                                    password="kiosk", clock=self.clock.now).start()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock()
    emulator = FbsEmulator(load_data(DEMO_SEED), login="kiosk", password="kiosk", clock=clock.now).start()
    fbs = FbsSettings(endpoint=emulator.url, agency="DK-775100", login="kiosk", password="kiosk",
                      location="hovedbiblioteket", timeout_s=2.0, retries=1)
    base = isolated_settings(tmp_path)
    settings = base.model_copy(update={
        "lms": LmsSettings(kind="fbs", fbs=fbs),
        "offline": OfflineSettings(max_items_per_patron=2, probe_interval_s=15.0)})
    kiosk = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    assert isinstance(kiosk.lms, FbsLibrarySystem)
    seed = read_seed(DEMO_SEED)
    kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
    kiosk.connect_devices()
    port = urlsplit(emulator.url).port
    assert port is not None
    world = FbsWorld(kiosk, clock, emulator, port)  # type: ignore[arg-type]  # the FBS emulator in its place
    yield world
    kiosk.close()
    world.emulator.stop()
