"""Borrowing a stack of 10: what a patron waits for, and what the kiosk itself costs per item.

* stack to receipt screen: the real session and circulation service, SIP2 to the emulator on
  loopback, the FEIG driver on a real pty with the pad simulator on the far end (so every security
  write and read-back crosses a serial line), from the moment the 10 tags lie on the pad until the
  receipt question is on screen;
* kiosk overhead per item: the same flow with the in-memory LMS and pad, so what remains is the
  kiosk's own work (journal writes with fsync, events, view updates).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Result
from hardware.rfid import TagContent
from hardware.rfid.feig import FeigReader
from hardware.rfid.feig_sim import FeigSimulator, VirtualTag
from hardware.rfid.tagdata import encode_tag_data
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.events import InlineWorkers
from kiosk.domain.inputs import CredentialPresented, TagsOnPad
from kiosk.domain.model import SecurityState, Tag
from kiosk.session.service import Screen
from kiosk.settings import DEMO_SETTINGS, CentralSettings, Settings, load_settings
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader, in_memory
from tests.hardware.ptys import PtyPair

ITEMS = [f"50200000{n:02d}" for n in range(1, 11)]
SEED = "\n".join([
    '[library]\ninstitution = "DK-775100"\nname = "Bench"\nlocation = "hovedbiblioteket"',
    '[[patrons]]\nid = "1000000001"\npin = "1234"\nname = "Jensen, Anna"',
    *(f'[[items]]\nid = "{item_id}"\ntitle = "Bog {n}"' for n, item_id in enumerate(ITEMS, 1)),
])


def _settings(folder: Path, lms_kind: str, pad_port: str | None = None) -> Settings:
    base = load_settings(DEMO_SETTINGS)
    folder.mkdir(parents=True, exist_ok=True)
    seed = folder / "seed.toml"
    seed.write_text(SEED, encoding="utf-8")
    paths = base.paths.model_copy(update={"data_dir": folder / "data", "log_dir": folder / "log"})
    lms = base.lms.model_copy(update={"kind": lms_kind, "seed": seed})
    logging = base.logging.model_copy(update={"console": False, "level": "WARNING"})
    devices = in_memory(base.devices)
    if pad_port is not None:
        devices = devices.model_copy(update={"rfid_pad": devices.rfid_pad.model_copy(
            update={"kind": "feig", "port": pad_port})})
    return base.model_copy(update={"paths": paths, "lms": lms, "logging": logging, "devices": devices,
                                   "central": CentralSettings()})


def _log_in_and_borrow(kiosk: Kiosk) -> None:
    # Only the card reader is connected: the pad's tags are handed over by the benchmark itself,
    # so that the time measured starts when the whole stack is known.
    kiosk.card_reader.start(lambda c: kiosk.core.post(CredentialPresented(c)))
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.BORROW, kiosk.session.view


def _stack_to_receipt(kiosk: Kiosk, tags: list[Tag]) -> None:
    kiosk.core.post(TagsOnPad(tuple(tags)))
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None and [r.outcome for r in visit.items] == [Outcome.BORROWED] * len(tags), visit
    kiosk.session.finish_visit()
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.RECEIPT


def _measure(name: str, one_run: Callable[[], float], runs: int) -> Result:
    times = [one_run() * 1e6 for _ in range(runs)]
    return Result(name, "µs", statistics.median(times), min(times), max(times), runs)


def _timed_stack(kiosk: Kiosk, tags: list[Tag]) -> float:
    _log_in_and_borrow(kiosk)
    started = time.perf_counter()
    _stack_to_receipt(kiosk, tags)
    return time.perf_counter() - started


def _with_emulator_and_feig(folder: Path) -> float:
    folder.mkdir(parents=True)
    pty = PtyPair(folder).replug()
    simulator = FeigSimulator(pty.simulator, max_per_inventory=4).start()
    kiosk: Kiosk | None = None
    try:
        for n, item_id in enumerate(ITEMS):
            memory = encode_tag_data(TagContent(item_id=item_id, library="775100"), memory_size=32)
            simulator.place(VirtualTag(f"E0040150AB00{n:04X}", bytearray(memory), afi=0x07))
        kiosk = build(_settings(folder / "k", "emulator", str(pty.device)), profile="demo",
                      clock=ManualClock(), workers=InlineWorkers(), log_to_console=False)
        pad = kiosk.devices.item_reader
        assert isinstance(pad, FeigReader)
        return _timed_stack(kiosk, pad.inventory())
    finally:
        if kiosk is not None:
            kiosk.close()
        simulator.stop()
        pty.unplug()


def _in_memory(folder: Path) -> float:
    kiosk = build(_settings(folder / "m", "memory"), profile="demo", clock=ManualClock(),
                  workers=InlineWorkers(), log_to_console=False)
    try:
        tags = [Tag(f"E004{n:012X}", item_id, security=SecurityState.SECURED)
                for n, item_id in enumerate(ITEMS)]
        pad = kiosk.devices.item_reader
        assert isinstance(pad, MemoryItemReader)
        pad.place(*tags)
        return _timed_stack(kiosk, tags)
    finally:
        kiosk.close()


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counter = iter(range(1000))
        real = _measure("10-item stack on the pad -> receipt screen (SIP2 + FEIG pty)",
                        lambda: _with_emulator_and_feig(folder / f"r{next(counter)}"), runs=5)
        own = _measure("kiosk's own work, 10 items (in-memory LMS and pad)",
                       lambda: _in_memory(folder / f"m{next(counter)}"), runs=7)
    per_item = Result("kiosk's own work per item", "µs", own.median / len(ITEMS), own.low / len(ITEMS),
                      own.high / len(ITEMS), own.runs)
    return [real, own, per_item]
