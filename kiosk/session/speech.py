"""Speech mode: the kiosk reads its screens aloud. On with the speech key or a headset plugged
into the jack; off with the key or the headset pulled out. The privacy reset ends it, unless a
headset is still plugged in (the next person starts as the jack says)."""

from __future__ import annotations

import logging

from kiosk.session.display import Display
from kiosk.session.events import HeadsetChanged, SpeechToggled
from kiosk.session.idle import IdleWatch

log = logging.getLogger("kiosk.session")


class SpeechMode:
    def __init__(self, display: Display, idle: IdleWatch) -> None:
        self._display, self._idle = display, idle
        self.headset = False
        display.speech_after_reset = lambda: self.headset

    def on_toggle(self, _event: SpeechToggled) -> None:
        self._idle.touch()
        self._set(not self._display.view.speech, "speech key")

    def on_headset(self, event: HeadsetChanged) -> None:
        self.headset = event.plugged
        self._idle.touch()
        self._set(event.plugged, "headset plugged in" if event.plugged else "headset pulled out")

    def _set(self, on: bool, why: str) -> None:
        if on != self._display.view.speech:
            log.info("speech mode %s (%s)", "on" if on else "off", why)
            self._display.show(speech=on)
