"""Steps for ``library-kiosk simulate`` that kill the kiosk and start it again, and what the tags say.

``restart_kiosk`` kills the kiosk where it stands, now or at a named point of what it does next, and
starts it again on the same database, with the same LMS, clock and tags on the pad: as after kill -9
and a restart by systemd. Nothing of an orderly stop happens (no logout, no journal row finished, no
answer waited for); the new kiosk settles what the kill left in doubt on its first tick.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)

# Where a kill can land, besides between two steps ("now").
KILL_POINTS: dict[str, str] = {
    "now": "between this step and the next",
    "tag_write": "as the kiosk is about to write a tag's security: the LMS has applied the loan or return",
    "door_unlock": "as the door is about to be unlocked: the entry is logged",
}


class KioskKilled(BaseException):
    """The simulated kill -9: a BaseException, so that no handler of the kiosk's catches it (a real
    kill runs none of them either)."""


@dataclass(config=_STRICT)
class RestartKiosk:
    """Kill the kiosk ``at`` a named point (see :data:`KILL_POINTS`) and start it again."""

    at: Literal["now", "tag_write", "door_unlock"] = "now"


@dataclass(config=_STRICT)
class ExpectTag:
    """Every tag of ``item`` lying on the pad is secured (``secured = true``) or not."""

    item: str = Field(min_length=1)
    secured: bool = Field(strict=True)


RESTART_ACTIONS: dict[str, type[Any]] = {"restart_kiosk": RestartKiosk, "expect_tag": ExpectTag}
RESTART_EXPECTATIONS = (ExpectTag,)
