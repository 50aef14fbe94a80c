"""The system's clock: local wall time (timezone-aware) and monotonic time."""

from __future__ import annotations

import datetime as dt
import time


class SystemClock:
    """``zone``: the branch's time zone, in which :meth:`now` is given whatever this machine's zone
    is (None: the machine's)."""

    def __init__(self, zone: dt.tzinfo | None = None) -> None:
        self._zone = zone

    def now(self) -> dt.datetime:
        return dt.datetime.now(self._zone) if self._zone is not None else dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()
