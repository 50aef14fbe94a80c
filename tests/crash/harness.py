"""Killing the kiosk at random points, again and again, and checking from the outside that nothing is
lost: the crash test of ``make crash`` (100+ kills) and of the test suite (a few).

What outlives every kill lives in this process: the LMS (the SIP2 emulator over TCP), the FEIG pad's
simulator with the tags on it (over an in-process serial cable whose far end the kiosk opens), the
LCUS relay board's simulator with the time of every switch. The kiosk runs as a process of its own
(:mod:`tests.crash.kiosk_worker`, the door terminal of :mod:`tests.door.fixtures`) and is killed with
SIGKILL, or its whole process group is, at a random moment of a checkout, a checkin, a renewal or a
door entry; then it is started again, settles what the kill left in doubt, and the world is checked:

* every item: the LMS has it on loan exactly when its tag is unsecured (no loan lost, no tag in the
  wrong state);
* no item was checked out twice in a row by the LMS (no loan doubled);
* the door relay was never on longer than the pulse plus the watchdog's margin, and every unlock
  had its entry logged first.

The offline replay under kills (:func:`tests.offline.replay_crash.replay_under_kills`) is checked from
the LMS's side: every offline loan and return applied exactly once.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hardware.cable import SerialCable
from hardware.door.watchdog import MARGIN_S
from hardware.rfid.feig_sim import FeigSimulator
from kiosk.bootstrap.demo import demo_tags, read_seed
from kiosk.simulate.build import DEMO_SEED
from kiosk.simulate.panel import virtual_tag
from kiosk.store import open_store
from kiosk.store.entry_log import EntryDecision, EntryLog
from kiosk.testing.memory import ManualClock
from sync.sip2.emulator import Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.crash.kiosk_worker import READY
from tests.door.fixtures import BOARDS, DoorProcess, read_line
from tests.offline.replay_crash import replay_under_kills

REPO = Path(__file__).resolve().parents[2]
ITEMS = [f"50980000{n:02d}" for n in range(1, 13)]
SECURED_AFI = 0x07
START_S = 60.0
DOOR_PULSE_S = 2.0
PAD_SEEN_S = 0.5  # several of the worker's pad polls (0.1 s)
TOLERANCE_S = 0.5  # a loaded machine's scheduling, on top of the pulse and the margin


@dataclass
class Figures:
    kills: collections.Counter[str] = field(default_factory=collections.Counter)
    items_checked: int = 0
    wrong_state: list[str] = field(default_factory=list)  # item: LMS and tag disagree after restart
    doubled: list[str] = field(default_factory=list)  # item: two checkouts in a row
    to_staff: int = 0
    relay_on_s: list[float] = field(default_factory=list)
    relay_too_long: list[float] = field(default_factory=list)
    unlocks_without_entry: int = 0
    replay_problems: list[str] = field(default_factory=list)  # offline loans lost, doubled, left behind

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())

    def ok(self) -> bool:
        return not (self.wrong_state or self.doubled or self.relay_too_long or self.unlocks_without_entry
                    or self.replay_problems)

    def report(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.kills.items()))
        longest = max(self.relay_on_s, default=0.0)
        return "\n".join([
            f"kills: {self.total_kills} ({kinds})",
            f"item states checked after restarts: {self.items_checked}",
            f"loans lost or tags in the wrong state: {len(self.wrong_state)}",
            f"loans doubled: {len(self.doubled)}",
            f"rows handed to staff: {self.to_staff}",
            f"door unlocks: {len(self.relay_on_s)}, longest {longest:.2f} s "
            f"(limit {DOOR_PULSE_S + MARGIN_S:.1f} s), too long: {len(self.relay_too_long)}, "
            f"without a logged entry: {self.unlocks_without_entry}",
            f"offline replays: loans or returns lost, doubled or not replayed: {len(self.replay_problems)}",
        ])


def seed_with_items(folder: Path) -> Path:
    text = DEMO_SEED.read_text(encoding="utf-8")
    text += "".join(f'\n[[items]]\nid = "{item}"\ntitle = "Bog {n}"\nmedia_type = "book"\n'
                    for n, item in enumerate(ITEMS, start=1))
    path = folder / "lms.toml"
    path.write_text(text, encoding="utf-8")
    return path


class KioskProcess:
    """The kiosk worker; :meth:`command` waits for its ``ok``."""

    def __init__(self, data: Path, port: int, pad: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self._stderr = (data.parent / "kiosk-worker.err").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.kiosk_worker", "--data", str(data), "--lms", str(port),
             "--pad", str(pad)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=REPO, env=env,
            start_new_session=True)
        line = self._line(START_S)
        if line != READY:
            said = self._said()
            self.kill()
            raise RuntimeError(f"the kiosk worker did not start: {line!r}; it said:\n{said}")

    def _said(self) -> str:
        """The end of what the worker wrote on stderr (a traceback, "not settled")."""
        if not self._stderr.closed:
            self._stderr.flush()
        text = Path(self._stderr.name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-25:])

    def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        return read_line(self.process.stdout, timeout)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        self.process.stdin.flush()

    def command(self, command: str) -> None:
        self.send(command)
        answer = self._line(START_S)
        if answer != "ok":
            raise RuntimeError(f"{command}: the kiosk worker answered {answer!r}; it said:\n{self._said()}")

    def kill(self, group: bool = False) -> None:
        if self.process.poll() is None:
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        self.process.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        """An orderly stop: end of input."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()


def circulation_under_kills(folder: Path, kills: int, figures: Figures, rng: random.Random) -> None:
    """Online checkouts, checkins and renewals, each killed at a random moment ``kills`` times."""
    seed = seed_with_items(folder)
    emulator = Sip2Emulator(load_data(seed)).start()
    # A slow LMS (it applies a request, then answers 0.15 s later): kills land between the two.
    emulator.update_quirks(delay=0.15)
    port = emulator.address[1]
    cable = SerialCable(folder, "pad").plug()
    pad = FeigSimulator(cable.simulator).start()
    tags = {t.item_id: virtual_tag(t, "DK-775100") for t in demo_tags(read_seed(seed)) if t.item_id in ITEMS}
    data = folder / "data"
    try:
        kiosk = KioskProcess(data, port, cable.device)
        for round_ in range(kills):
            on_loan = [i for i in ITEMS if emulator.data.items[i].loan is not None]
            available = [i for i in ITEMS if i not in on_loan]
            draw = rng.random()
            if available and (draw < 0.45 or not on_loan):
                kind, chosen = "checkout", rng.sample(available, min(len(available), rng.randint(1, 3)))
                kiosk.command("borrow 1")
            elif on_loan and draw < 0.85:
                kind, chosen = "checkin", rng.sample(on_loan, min(len(on_loan), rng.randint(1, 3)))
                kiosk.command("return")
            else:
                kind, chosen = "renew", []
                kiosk.command("account 1")
                kiosk.send("renew")
            pad.place(*(tags[item] for item in chosen))
            time.sleep(rng.uniform(0.0, 0.3 if kind == "renew" else 1.0))
            kiosk.kill(group=round_ % 3 == 2)
            figures.kills[kind] += 1
            # A pty cannot be opened again with even parity once closed (Linux 6): the restarted
            # kiosk gets a new one behind the same path, as after a USB replug; the pad's simulator
            # follows, and keeps its tags.
            cable.unplug()
            cable.plug()
            # The restarted kiosk is ready once it has settled what the kill left in doubt.
            kiosk = KioskProcess(data, port, cable.device)
            check_items(emulator, pad, {tags[item].uid: item for item in ITEMS}, figures)
            # The patron takes the items; the next one comes once the kiosk has seen the pad empty
            # (a tag lifted in the instant a return starts is a race of its own: it goes to staff).
            pad.clear()
            time.sleep(PAD_SEEN_S)
        kiosk.stop()
    finally:
        pad.stop()
        cable.unplug()
        emulator.stop()
    figures.doubled += doubled_checkouts(emulator)
    store = open_store(data / "kiosk.sqlite3")
    try:
        from kiosk.circulation.results import JournalOutcome
        from kiosk.store import Journal

        figures.to_staff += Journal(store).count(JournalOutcome.NEEDS_ATTENTION)
    finally:
        store.close()


def check_items(emulator: Sip2Emulator, pad: FeigSimulator, items: dict[str, str], figures: Figures) -> None:
    """Every item whose tag lies on the pad: on loan at the LMS exactly when its tag is unsecured."""
    for tag in pad.tags:
        item = items[tag.uid]
        figures.items_checked += 1
        lent = emulator.data.items[item].loan is not None
        unsecured = tag.afi != SECURED_AFI
        if lent != unsecured:
            figures.wrong_state.append(f"{item}: LMS {'on loan' if lent else 'not on loan'}, tag "
                                       f"{'unsecured' if unsecured else 'secured'}")


def doubled_checkouts(emulator: Sip2Emulator) -> list[str]:
    """Items the LMS checked out twice with no checkin between."""
    last: dict[str, str] = {}
    doubled = []
    for record in emulator.transactions:
        if not record.ok or record.item not in ITEMS or record.command not in ("11", "09"):
            continue
        if record.command == "11" and last.get(record.item) == "11":
            doubled.append(str(record.item))
        last[record.item] = record.command
    return doubled


def door_under_kills(folder: Path, kills: int, figures: Figures, rng: random.Random) -> None:
    """Door entries (card, PIN, unlock), the door terminal killed at a random moment of each."""
    board = BOARDS["lcus"]
    cable = SerialCable(folder, "relay").plug()
    relay = board.start_simulator(cable.simulator)
    try:
        for round_ in range(kills):
            door = DoorProcess(folder, board, cable.device, pulse_s=DOOR_PULSE_S, watchdog=True)
            try:
                door.send("enter")
                time.sleep(rng.uniform(0.0, 0.6))
                door.kill_group() if round_ % 2 else door.kill()
                figures.kills["door entry"] += 1
                deadline = time.monotonic() + DOOR_PULSE_S + MARGIN_S + 2
                while relay.is_on(board.channel) and time.monotonic() < deadline:
                    time.sleep(0.02)
            finally:
                door.close()
        time.sleep(0.3)
        switches = [s for s in relay.switches if s.channel == board.channel]
    finally:
        relay.stop()
        cable.unplug()
    on_at: float | None = None
    unlocks = 0
    for switch in switches:
        if switch.on and on_at is None:
            on_at, unlocks = switch.at, unlocks + 1
        elif not switch.on and on_at is not None:
            lasted = switch.at - on_at
            figures.relay_on_s.append(lasted)
            if lasted > DOOR_PULSE_S + MARGIN_S + TOLERANCE_S:
                figures.relay_too_long.append(lasted)
            on_at = None
    if on_at is not None:
        figures.relay_too_long.append(float("inf"))  # still on at the end
    store = open_store(folder / "data" / "kiosk.sqlite3")
    try:
        logged = EntryLog(store, ManualClock().now).count(decision=EntryDecision.ALLOWED)
    finally:
        store.close()
    figures.unlocks_without_entry += max(0, unlocks - logged)


def replays_under_kills(folder: Path, kills: int, figures: Figures, rng: random.Random) -> None:
    """Offline replays (30 loans, 10 returns each), killed at random moments, until ``kills`` kills."""
    run = 0
    while figures.kills["offline replay"] < kills:
        run += 1
        wanted = min(10, kills - figures.kills["offline replay"])
        (folder / f"replay-{run}").mkdir()
        replay = replay_under_kills(folder / f"replay-{run}", wanted, rng)
        figures.kills["offline replay"] += replay.kills
        if not replay.finished:
            figures.replay_problems.append(f"run {run}: the replay did not finish")
        figures.replay_problems += replay.lost + replay.doubled
        figures.replay_problems += [f"{item}: on loan or not, wrongly" for item in replay.wrong_loans]
        if replay.left_waiting or replay.rejected:
            figures.replay_problems.append(f"run {run}: {replay.left_waiting} rows left waiting, "
                                           f"{replay.rejected} rejected")
        if run > 3 * kills:
            raise RuntimeError("the replays end before they can be killed")
