"""kill -9 at random points while the kiosk replays its offline journal, again and again: at the
end the LMS (the SIP2 emulator over TCP, which lives on in the test process) has every offline
loan and return exactly once, with nothing lost and nothing doubled (invariant 1)."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import Tag
from kiosk.offline.replay import WAITING
from kiosk.simulate.build import DEMO_SEED
from kiosk.store import Journal, JournalState
from kiosk.testing.memory import MemoryCardReader, MemoryItemReader
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.offline.replay_worker import settings_for

REPO = Path(__file__).resolve().parents[2]
LENT, RETURNED = 30, 10  # offline loans, and how many of them come back offline too
ITEMS = [f"50990000{n:02d}" for n in range(1, LENT + 1)]


def seed_with_items(tmp_path: Path) -> Path:
    text = DEMO_SEED.read_text(encoding="utf-8")
    text += "".join(f'\n[[items]]\nid = "{item}"\ntitle = "Bog {n}"\nmedia_type = "book"\n'
                    for n, item in enumerate(ITEMS, start=1))
    path = tmp_path / "lms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def visit_outcomes(kiosk: Kiosk) -> list[Outcome]:
    visit = kiosk.session.view.visit
    assert visit is not None
    return [row.outcome for row in visit.items]


def work_offline(kiosk: Kiosk, emulator: Sip2Emulator, tags: list[Tag]) -> None:
    """Anna logs in, the LMS goes away, she borrows LENT items; later RETURNED come back."""
    card = demo_cards(read_seed(DEMO_SEED))[0]
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(card.credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(card.pin)
    kiosk.core.drain()
    emulator.stop()
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    for item in ITEMS:
        pad.place(*[t for t in tags if t.item_id == item])
        kiosk.core.drain()
    assert visit_outcomes(kiosk) == [Outcome.BORROWED] * LENT
    kiosk.session.logout()
    kiosk.core.drain()
    pad.remove(*[t.uid for t in pad.inventory()])
    kiosk.core.drain()
    kiosk.session.start_visit(Purpose.RETURN)
    kiosk.core.drain()
    for item in ITEMS[:RETURNED]:
        pad.place(*[t for t in tags if t.item_id == item])
        kiosk.core.drain()
    assert visit_outcomes(kiosk) == [Outcome.RETURNED] * RETURNED


def test_kill_9_during_the_replay_again_and_again_loses_and_doubles_nothing(tmp_path: Path) -> None:
    seed = seed_with_items(tmp_path)
    emulator = Sip2Emulator(load_data(seed)).start()
    port = emulator.address[1]
    data_dir = tmp_path / "data"
    kiosk = build(settings_for(data_dir, port), profile="run", workers=InlineWorkers(), log_to_console=False)
    kiosk.connect_devices()
    try:
        work_offline(kiosk, emulator, demo_tags(read_seed(seed)))
        journal = Journal(kiosk.store)
        assert len(journal.in_states(WAITING, limit=1000)) == LENT + RETURNED
    finally:
        kiosk.close()

    # The LMS is back, a little slow (each reply waits), and the kiosk is killed while it replays.
    emulator = Sip2Emulator(emulator.data, port=port).start()
    emulator.update_quirks(delay=0.04)
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    finished, kills = False, 0
    try:
        for _round in range(40):
            worker = subprocess.Popen([sys.executable, "-m", "tests.offline.replay_worker", str(data_dir),
                                       str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
            try:
                worker.wait(timeout=rng.uniform(0.6, 2.0) if kills < 25 else 60)
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
                continue
            assert worker.returncode == 0, worker.stderr.read() if worker.stderr else ""
            finished = True
            break
        transactions = emulator.transactions
    finally:
        emulator.stop()
    assert finished and kills >= 5, (finished, kills)
    print(f"replay finished after {kills} kills")

    applied = collections.Counter((t.command, t.item) for t in transactions if t.ok)
    checkouts = {item: applied[(c, item)] for item in ITEMS for c in ("11", "checkout") if applied[(c, item)]}
    checkins = {item: applied[(c, item)] for item in ITEMS for c in ("09", "checkin") if applied[(c, item)]}
    assert checkouts == dict.fromkeys(ITEMS, 1)  # every loan once: none lost, none doubled
    assert checkins == dict.fromkeys(ITEMS[:RETURNED], 1)
    data = emulator.data
    assert [item for item in ITEMS if data.items[item].loan is not None] == ITEMS[RETURNED:]

    store_kiosk = build(settings_for(data_dir, port), profile="run", workers=InlineWorkers(),
                        log_to_console=False)
    try:
        journal = Journal(store_kiosk.store)
        assert journal.in_states(WAITING, limit=10) == []
        assert journal.count(JournalState.REPLAY_REJECTED) == 0
        done = journal.in_states((JournalState.DONE,), kinds=("checkout", "checkin"), limit=1000)
        assert len(done) == LENT + RETURNED
        assert all("patron_sealed" not in row.payload for row in done)
    finally:
        store_kiosk.close()
