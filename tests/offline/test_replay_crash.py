"""kill -9 at random points while the kiosk replays its offline journal, again and again (invariant 1);
the larger run is part of ``make crash``."""

from __future__ import annotations

import random
from pathlib import Path

from tests.offline.replay_crash import LENT, RETURNED, replay_under_kills


def test_kill_9_during_the_replay_again_and_again_loses_and_doubles_nothing(tmp_path: Path) -> None:
    figures = replay_under_kills(tmp_path, kills=25, rng=random.Random(7))
    assert figures.finished and figures.kills >= 5, figures
    assert figures.lost == [] and figures.doubled == []  # every loan and return once
    assert figures.wrong_loans == []
    assert figures.left_waiting == 0 and figures.rejected == 0
    assert figures.done == LENT + RETURNED
