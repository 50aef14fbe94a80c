"""The crash test, small: the kiosk killed (kill -9, and its whole process group) at random moments of
online checkouts, checkins and renewals and of door entries, restarted each time, and the world
checked from the LMS's side, the tags' side and the relay's (``make crash`` runs the same with 100+
kills; the offline replay under kills is in tests/offline/test_replay_crash.py)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.crash.harness import Figures, circulation_under_kills, door_under_kills


def test_kills_during_loans_returns_and_renewals_lose_double_and_mis_secure_nothing(tmp_path: Path) -> None:
    figures = Figures()
    circulation_under_kills(tmp_path, kills=9, figures=figures, rng=random.Random(3))
    assert figures.total_kills == 9 and figures.items_checked > 0, figures.report()
    assert figures.wrong_state == [] and figures.doubled == [], figures.report()
    assert figures.to_staff == 0, figures.report()  # every row in doubt settled by the kiosk itself


def test_kills_during_door_entries_never_leave_the_relay_on_or_an_entry_unlogged(tmp_path: Path) -> None:
    figures = Figures()
    door_under_kills(tmp_path, kills=4, figures=figures, rng=random.Random(5))
    assert figures.total_kills == 4 and figures.relay_on_s, figures.report()  # killed while open, too
    assert figures.relay_too_long == [] and figures.unlocks_without_entry == 0, figures.report()
