"""Speech mode on the window: says what :mod:`ui.speech_text` decides for each new view, the name
and description of the control the tactile keys focus, and plays a tone (never the digit) for each
PIN key pressed. The voice (:class:`~kiosk.domain.ports.Speaker`) queues and returns: nothing here
waits for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from kiosk.domain.ports import Speaker, Utterance
from kiosk.session.view import Screen, SessionView
from kiosk.texts import text as t
from ui.sounds import Sounds
from ui.speech_text import Said, speech_for
from ui.widgets import PinPad, Tile

KEY_TONE = "key"


def accessible_words(widget: QWidget) -> list[str]:
    """What a screen reader says for ``widget``: its accessible name and description; without a
    name, the button's text (a tile's title) or the labels inside it."""
    name = description = ""
    face = QAccessible.queryAccessibleInterface(widget)
    if face is not None:
        name = face.text(QAccessible.Text.Name).strip()
        description = face.text(QAccessible.Text.Description).strip()
    if isinstance(widget, Tile):
        name = name or widget.title.text()
        description = description or widget.detail.text()
    if not name and isinstance(widget, QAbstractButton):
        name = widget.text().strip()
    if not name:
        labels = [child.text().strip() for child in widget.findChildren(QLabel) if child.isVisibleTo(widget)]
        name = ". ".join(text for text in labels if text)
    words = [name] if name else []
    if description and description != name:
        words.append(description)
    return words


class SpeechGuide:
    def __init__(self, speaker: Speaker, sounds: Sounds, *, now: Callable[[], dt.datetime],
                 library_name: str) -> None:
        self.speaker = speaker
        self._sounds = sounds
        self._now = now
        self._library_name = library_name
        self._view: SessionView | None = None
        self._pin_keys: set[QWidget] = set()  # the PIN pads' digit keys

    @property
    def on(self) -> bool:
        return self._view is not None and self._view.speech

    def show_view(self, before: SessionView | None, view: SessionView) -> None:
        self._view = view
        if not view.speech:
            if before is not None and before.speech:
                self.speaker.stop()
                self.speaker.reset_volume()
            return
        if before is not None and before.screen is not Screen.START and view.screen is Screen.START:
            self.speaker.reset_volume()  # the visit is over: the next person starts at the usual level
        speech = speech_for(before, view, now=self._now(), library_name=self._library_name)
        english: tuple[Said, ...] = ()
        if speech.said and not self.speaker.voiced(view.language):
            english = speech_for(None if before is None else replace(before, language="en"),
                                 replace(view, language="en"), now=self._now(),
                                 library_name=self._library_name).said
        self._say(speech.said, view.language, english, interrupt=speech.interrupt)

    def focus_moved(self, widget: QWidget) -> None:
        if self.on and self._view is not None:
            words = accessible_words(widget)
            if widget in self._pin_keys and not self.speaker.private():
                # Through the loudspeaker a PIN key is not named: whoever stands near would hear
                # which digits were chosen. A headset in the jack names them.
                lang = self._view.language
                words = [t("speech.pin_key", lang), t("speech.pin_private", lang)]
            said = tuple(Said(text) for text in words)
            self._say(said, self._view.language, (), interrupt=True)

    def command(self, name: str) -> None:
        """A speech key: "repeat", "stop", "louder", "softer" ("speech" is the session's)."""
        if not self.on:
            return
        if name == "repeat":
            self.speaker.repeat()
        elif name == "stop":
            self.speaker.stop()
        elif name == "louder":
            self.speaker.louder()
            self.speaker.repeat()  # heard at once at the new level
        elif name == "softer":
            self.speaker.softer()
            self.speaker.repeat()

    def watch_pad(self, pad: PinPad) -> None:
        """A tone for each key of ``pad`` pressed in speech mode: the patron hears that it was
        taken, and nobody hears which."""
        for name, key in pad.keys.items():
            if key is not pad.ok_key:
                key.clicked.connect(self._key_pressed)
            if name.isdigit():
                self._pin_keys.add(key)

    def _key_pressed(self) -> None:
        if self.on:
            self._sounds.play(KEY_TONE)

    def _say(self, said: tuple[Said, ...], language: str, english: tuple[Said, ...], *,
             interrupt: bool) -> None:
        fallbacks = [s.text for s in english] if len(english) == len(said) else [""] * len(said)
        group = [Utterance(s.text, language, s.key, fallback)
                 for s, fallback in zip(said, fallbacks, strict=True)]
        if group or interrupt:
            self.speaker.say(group, interrupt=interrupt)
