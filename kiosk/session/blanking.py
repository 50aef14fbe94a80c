"""When the kiosk blanks its screen: after the branch has closed (and a grace period), while nobody
touches it. cage cannot power off an output, so the kiosk draws black and switches its backlight off
itself; a touch, a card or the door wakes it for a while, and the opening hours end it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.door.calendar import OpeningState
from kiosk.settings.calendar import PeriodKind


@dataclass(frozen=True)
class BlankingRule:
    """``grace``: how long after closing the screen stays lit; ``awake``: how long a touch, a card or
    the door keeps it lit while the branch is closed."""

    grace: dt.timedelta = dt.timedelta(minutes=15)
    awake: dt.timedelta = dt.timedelta(minutes=2)

    def blank(self, state: OpeningState, now: dt.datetime, last_activity: dt.datetime | None) -> bool:
        """Whether the screen is dark at ``now``, the branch being in ``state`` and someone having
        last used the kiosk at ``last_activity`` (None: not since it started)."""
        if state.kind is not PeriodKind.CLOSED or now < state.period.start + self.grace:
            return False
        return last_activity is None or now - last_activity >= self.awake
