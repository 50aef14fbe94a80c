"""The entrance door: relay boards that unlock it, the contact that says whether it is open.

- :mod:`hardware.door.relay_protocols`: the LCUS and Numato byte protocols (pure).
- :mod:`hardware.door.relay`: the boards, :class:`~hardware.door.relay.RelayDoorLock` (DoorLock port)
  and :class:`~hardware.door.relay.NumatoDoorSensor` (DoorSensor port).
- :mod:`hardware.door.watchdog`: the supervisor process that locks the door if the kiosk dies, and
  the hardware advice (REX input, monostable) that is stronger than any software.
- :mod:`hardware.door.relay_sim`: simulated boards for tests and the demo.

:class:`DoorMonitor` below turns unlock pulses and door-contact changes into the two door alarms.
It is plain logic with no device behind it, so that the access service can own one.
"""

from __future__ import annotations

from enum import StrEnum


class DoorAlarm(StrEnum):
    FORCED_OPEN = "forced_open"  # the door opened while it was locked
    HELD_OPEN = "held_open"  # the door stayed open too long


class DoorMonitor:
    """Forced-open and held-open detection. Not thread-safe: one owner (the access service) feeds
    it. Times are monotonic seconds passed in by the caller, so it needs no clock of its own.

    An opening is authorised if it starts while unlocked or within ``grace_s`` after the lock
    (the contact reports an opening a little after the strike let go). An opening that is still
    open ``held_open_after_s`` after it started is held open, reported once per opening. Note: a
    door with mechanical egress opens from inside without a pulse; unless exits also go through
    a pulse (REX button) every exit is a forced opening, so call :meth:`unlocked` for those too.
    The door starts closed: feed ``door_changed(now, sensor.is_open())`` once at start.
    """

    def __init__(self, *, held_open_after_s: float = 30.0, grace_s: float = 1.0) -> None:
        self.held_open_after_s = held_open_after_s
        self.grace_s = grace_s
        self._authorised_until = float("-inf")
        self._open = False
        self._opened_at = 0.0
        self._held_reported = False

    @property
    def door_open(self) -> bool:
        return self._open

    def unlocked(self, now: float, seconds: float) -> None:
        """An unlock pulse of ``seconds`` started at ``now`` (a longer window wins)."""
        self._authorised_until = max(self._authorised_until, now + seconds + self.grace_s)

    def locked(self, now: float) -> None:
        """The door was locked early (``DoorLock.lock``): the window ends after the grace."""
        self._authorised_until = min(self._authorised_until, now + self.grace_s)

    def door_changed(self, now: float, is_open: bool) -> DoorAlarm | None:
        """The contact changed; FORCED_OPEN if it opened outside an unlock window."""
        if is_open == self._open:
            return None
        self._open = is_open
        if not is_open:
            return None
        self._opened_at, self._held_reported = now, False
        return None if now <= self._authorised_until else DoorAlarm.FORCED_OPEN

    def check(self, now: float) -> DoorAlarm | None:
        """Call periodically: HELD_OPEN once the current opening has lasted too long."""
        if self._open and not self._held_reported and now - self._opened_at >= self.held_open_after_s:
            self._held_reported = True
            return DoorAlarm.HELD_OPEN
        return None
