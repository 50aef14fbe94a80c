"""kill -9 at random points while the kiosk replays its offline journal, again and again: at the
end the LMS (the SIP2 emulator over TCP, which lives on in the test process) must have every offline
loan and return exactly once, with nothing lost and nothing doubled (invariant 1).

:func:`replay_under_kills` does it and reports what it found; the offline tests and the crash test
(``make crash``) judge the figures."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
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


def items(lent: int) -> list[str]:
    return [f"5099{n:06d}" for n in range(1, lent + 1)]


def seed_with_items(tmp_path: Path, lent: int = LENT) -> Path:
    text = DEMO_SEED.read_text(encoding="utf-8")
    text += "".join(f'\n[[items]]\nid = "{item}"\ntitle = "Bog {n}"\nmedia_type = "book"\n'
                    for n, item in enumerate(items(lent), start=1))
    path = tmp_path / "lms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def visit_outcomes(kiosk: Kiosk) -> list[Outcome]:
    visit = kiosk.session.view.visit
    assert visit is not None
    return [row.outcome for row in visit.items]


def work_offline(kiosk: Kiosk, emulator: Sip2Emulator, tags: list[Tag], lent: int, returned: int) -> None:
    """Anna logs in, the LMS goes away, she borrows ``lent`` items; later ``returned`` come back."""
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
    for item in items(lent):
        pad.place(*[t for t in tags if t.item_id == item])
        kiosk.core.drain()
    assert visit_outcomes(kiosk) == [Outcome.BORROWED] * lent
    kiosk.session.logout()
    kiosk.core.drain()
    pad.remove(*[t.uid for t in pad.inventory()])
    kiosk.core.drain()
    kiosk.session.start_visit(Purpose.RETURN)
    kiosk.core.drain()
    for item in items(lent)[:returned]:
        pad.place(*[t for t in tags if t.item_id == item])
        kiosk.core.drain()
    assert visit_outcomes(kiosk) == [Outcome.RETURNED] * returned


@dataclass
class ReplayFigures:
    kills: int = 0
    finished: bool = False
    lost: list[str] = field(default_factory=list)  # loans or returns the LMS never got
    doubled: list[str] = field(default_factory=list)  # applied more than once
    wrong_loans: list[str] = field(default_factory=list)  # on loan at the end when it should not be, or not
    left_waiting: int = 0  # journal rows still waiting to be replayed
    rejected: int = 0  # journal rows the LMS refused
    done: int = 0

    def ok(self) -> bool:
        return self.finished and not (self.lost or self.doubled or self.wrong_loans or self.left_waiting
                                      or self.rejected)


def replay_under_kills(folder: Path, kills: int, rng: random.Random, lent: int = LENT,
                       returned: int = RETURNED, delay: float = 0.1) -> ReplayFigures:
    """Offline, ``lent`` loans and ``returned`` returns; then the LMS is back, a little slow (each reply
    waits ``delay`` seconds), and the kiosk is killed at random moments of the replay ``kills`` times
    (fewer if it finishes first), then left to finish."""
    seed = seed_with_items(folder, lent)
    names = items(lent)
    emulator = Sip2Emulator(load_data(seed)).start()
    port = emulator.address[1]
    data_dir = folder / "data"
    kiosk = build(settings_for(data_dir, port), profile="run", workers=InlineWorkers(), log_to_console=False)
    kiosk.connect_devices()
    try:
        work_offline(kiosk, emulator, demo_tags(read_seed(seed)), lent, returned)
        assert len(Journal(kiosk.store).in_states(WAITING, limit=10 * lent)) == lent + returned
    finally:
        kiosk.close()

    emulator = Sip2Emulator(emulator.data, port=port).start()
    emulator.update_quirks(delay=delay)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    figures = ReplayFigures()
    try:
        for _round in range(kills + 15):
            worker = subprocess.Popen([sys.executable, "-m", "tests.offline.replay_worker", str(data_dir),
                                       str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
            try:
                worker.wait(timeout=rng.uniform(0.6, 2.0) if figures.kills < kills else 60)
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                figures.kills += 1
                continue
            finally:
                stderr = worker.stderr.read().decode(errors="replace") if worker.stderr else ""
                if worker.stderr:
                    worker.stderr.close()
            if worker.returncode != 0:
                raise RuntimeError(f"the replay worker failed ({worker.returncode}): {stderr}")
            figures.finished = True
            break
        transactions = emulator.transactions
    finally:
        emulator.stop()

    applied = collections.Counter((t.command, t.item) for t in transactions if t.ok)
    for wanted, command in ((names, "11"), (names[:returned], "09")):
        for item in wanted:
            times = applied[(command, item)]
            if times == 0:
                figures.lost.append(f"{command} {item}")
            elif times > 1:
                figures.doubled.append(f"{command} {item} x{times}")
    on_loan = {item for item in names if emulator.data.items[item].loan is not None}
    figures.wrong_loans = sorted(on_loan ^ set(names[returned:]))

    kiosk = build(settings_for(data_dir, port), profile="run", workers=InlineWorkers(), log_to_console=False)
    try:
        journal = Journal(kiosk.store)
        figures.left_waiting = len(journal.in_states(WAITING, limit=10 * lent))
        figures.rejected = journal.count(JournalState.REPLAY_REJECTED)
        done = journal.in_states((JournalState.DONE,), kinds=("checkout", "checkin"), limit=10 * lent)
        figures.done = len(done)
        assert all("patron_sealed" not in row.payload for row in done)
    finally:
        kiosk.close()
    return figures
