"""The entrance panel's side of a session: after the card and PIN, the door decides (access rules,
the LMS within its time budget) and the answer stays on the screen for a moment; "+N children with
me" is chosen on the PIN screen."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.domain.model import Credential
from kiosk.domain.ports import Clock
from kiosk.door.access_model import AccessReason
from kiosk.door.entry import EntryController, EntryView
from kiosk.session.display import Display
from kiosk.session.events import ChildrenChanged
from kiosk.session.identification import Identification
from kiosk.session.idle import PrivacyReset
from kiosk.session.view import Screen

EntryFactory = Callable[[Callable[[EntryView], None]], EntryController]


class DoorVisit:
    def __init__(self, clock: Clock, display: Display, identification: Identification, reset: PrivacyReset,
                 entry: EntryFactory) -> None:
        self._clock, self._display, self._identification, self._reset = clock, display, identification, reset
        self._entry = entry(self._answered)
        identification.verify = self._enter
        reset.forgetting(self._entry.cancel)

    @property
    def max_children(self) -> int:
        return self._entry.max_children

    def _enter(self, credential: Credential, pin: str) -> None:
        view = self._display.view
        self._entry.begin(credential, pin, view.language, view.children)

    def _answered(self, view: EntryView) -> None:
        """The door's answer (and, later, whether the lock opened)."""
        display = self._display
        if display.view.screen not in (Screen.AUTHENTICATING, Screen.DOOR):
            return
        if view.reason is AccessReason.WRONG_PIN:
            display.show(screen=Screen.PIN)
            self._identification.wrong_pin(())
            return
        if display.view.screen is Screen.AUTHENTICATING:
            display.hold_message()
        display.show(screen=Screen.DOOR, entry=view)

    def on_children(self, event: ChildrenChanged) -> None:
        view = self._display.view
        if view.screen is Screen.PIN:
            self._display.show(children=max(0, min(view.children + event.step, view.max_children)))

    def tick(self) -> None:
        """Past the LMS's budget: decide without it. The answer shown long enough: start again."""
        self._entry.tick()
        display = self._display
        if display.view.screen is Screen.DOOR and self._clock.monotonic() >= display.message_until:
            self._reset(None, "entry done")
