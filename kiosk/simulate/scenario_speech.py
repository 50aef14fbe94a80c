"""Speech mode's steps for ``library-kiosk simulate``: a headset plugged into the jack (real
``input_event`` records on a FIFO, read by the real jack driver), the tactile keys (arrows and OK as
key events on the window), and what was said (in order, each utterance a WAV by the real espeak-ng,
measured with sox). A scenario with any of these steps runs with speech mode's voice, silent: the
WAVs are made, nothing is played.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hardware.headset import SW_HEADPHONE_INSERT, HeadsetJack, input_event
from hardware.speech import SpeechEngine
from ui.speech import KEY_TONE, accessible_words

if TYPE_CHECKING:
    from kiosk.bootstrap.kiosk import Kiosk
    from ui.main_window import KioskWindow

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
MIN_SECONDS, MIN_RMS = 0.3, 0.01  # a spoken WAV is longer than this, and louder than silence


@dataclass(config=_STRICT)
class Headset:
    """A headset is plugged into the jack (``plugged = true``) or pulled out."""

    plugged: bool


@dataclass(config=_STRICT)
class Key:
    """A key of the tactile keypad, by Qt's name without ``Key_`` ("Down", "Return"), ``times`` times."""

    key: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    times: int = Field(default=1, ge=1, le=100)


@dataclass(config=_STRICT)
class KeyTo:
    """``key`` pressed until the focused control is named ``name`` (as a patron listening does)."""

    name: str = Field(min_length=1)
    key: str = Field(default="Down", pattern=r"^[A-Za-z0-9_]+$")


@dataclass(config=_STRICT)
class ExpectSpoken:
    """Since the last ``expect_spoken``: these ``texts`` were said (each within an utterance), in
    this order (others may come between); the PIN was never said; ``key_tones``: so many PIN-key
    tones; every utterance a WAV of speech (longer than 0.3 s, louder than silence, by sox)."""

    texts: tuple[str, ...] = Field(default=(), strict=False)
    key_tones: int | None = Field(default=None, ge=0)


SPEECH_ACTIONS: dict[str, type[Any]] = {"headset": Headset, "key": Key, "key_to": KeyTo,
                                        "expect_spoken": ExpectSpoken}
SPEECH_EXPECTATIONS = (ExpectSpoken,)
SPEECH_STEPS = (Headset, Key, KeyTo, ExpectSpoken)


class SpeechFailed(Exception):
    """A speech step could not be done (the arrows never reached the control)."""


class SpeechRig:
    """The voice, the jack on its FIFO, and what has been checked so far."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="kiosk-sim-speech-")
        base = Path(self._folder.name)
        self.engine = SpeechEngine(speaker_player=(), headset_player=(), keep_dir=base / "said")
        self._fifo = base / "headset-jack"
        os.mkfifo(self._fifo, 0o600)
        self._kiosk: Kiosk | None = None
        self.jack = HeadsetJack(self._fifo, self._plugged)
        self.jack.start()
        self._checked = 0
        self._tones = 0

    def attach(self, kiosk: Kiosk) -> None:
        self._kiosk = kiosk

    def _plugged(self, plugged: bool) -> None:  # the jack's thread
        self.engine.use_headset(plugged)
        if self._kiosk is not None:
            self._kiosk.session.headset_changed(plugged)

    def close(self) -> None:
        self.jack.close()
        self.engine.close()
        self._folder.cleanup()

    def headset(self, action: Headset, settle: Any) -> None:
        if not self.jack.listening.wait(5):
            raise SpeechFailed("headset: the jack's FIFO is not being read")
        with self._fifo.open("wb") as jack:
            jack.write(input_event(SW_HEADPHONE_INSERT, int(action.plugged)))
        deadline = time.monotonic() + 5
        while self.jack.plugged != action.plugged:
            if time.monotonic() > deadline:
                raise SpeechFailed("headset: the jack driver never reported it")
            time.sleep(0.01)
        settle()
        self.listen()

    def listen(self) -> None:
        """The patron listens until the kiosk has finished speaking."""
        if not self.engine.wait_idle(60):
            raise SpeechFailed("the kiosk was still speaking after a minute")

    def press(self, window: KioskWindow, name: str, settle: Any) -> None:
        key = getattr(Qt.Key, f"Key_{name}", None)
        if key is None:
            raise SpeechFailed(f"key: {name!r} is not a Qt key name")
        QTest.keyClick(window.focusWidget() or window, key)
        settle()
        self.listen()

    def key_to(self, window: KioskWindow, action: KeyTo, settle: Any) -> None:
        for _ in range(60):
            self.press(window, action.key, settle)
            focus = window.focusWidget()
            if focus is not None and accessible_words(focus)[:1] == [action.name]:
                return
        raise SpeechFailed(f"key_to: the key {action.key!r} never reached {action.name!r}")

    def check(self, window: KioskWindow, action: ExpectSpoken, pin: str | None) -> tuple[bool, Any, Any]:
        spoken = self.engine.spoken[self._checked:]
        self._checked += len(spoken)
        said = [s.text for s in spoken]
        missing = _not_in_order(said, list(action.texts))
        tones = window.sounds.played.count(KEY_TONE)
        new_tones, self._tones = tones - self._tones, tones
        problems: dict[str, Any] = {}
        if missing:
            problems["not said in order"] = missing
        if pin and any(pin in text for text in said):
            problems["pin"] = "said"
        if action.key_tones is not None and new_tones != action.key_tones:
            problems["key_tones"] = new_tones
        quiet = [s.text for s in spoken if not _is_speech(s.wav)]
        if quiet:
            problems["not speech (sox)"] = quiet
        wanted = {"texts": list(action.texts), "key_tones": action.key_tones}
        return not problems, wanted, problems or {"said": len(said), "measured": len(spoken)}


def _not_in_order(said: list[str], expected: list[str]) -> list[str]:
    position = 0
    for index, wanted in enumerate(expected):
        while position < len(said) and wanted not in said[position]:
            position += 1
        if position == len(said):
            return expected[index:]
        position += 1
    return []


def _is_speech(wav: Path) -> bool:
    """``sox FILE -n stat``: longer than :data:`MIN_SECONDS` and louder than :data:`MIN_RMS`."""
    if shutil.which("sox") is None:
        raise SpeechFailed("expect_spoken: sox is not installed")
    done = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=False)
    table = dict(line.split(":", 1) for line in done.stderr.splitlines() if ":" in line)
    try:
        seconds, rms = float(table["Length (seconds)"]), float(table["RMS     amplitude"])
    except (KeyError, ValueError):
        return False
    return seconds > MIN_SECONDS and rms > MIN_RMS
