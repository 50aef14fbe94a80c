"""Short tones for "ok", "attention" and "error", made at start-up and played with QtMultimedia.

The tones are written as WAV files into a private temporary folder (so no sound files ship with the
kiosk) and played with ``QSoundEffect``. The latest requests are recorded in :attr:`Sounds.played`,
also when nothing can be heard (no audio device, offscreen, QtMultimedia missing): a kiosk without a
speaker still works, it just stays silent.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from collections import deque
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RATE = 22050
PLAYED_KEPT = 100
# (frequency in Hz, milliseconds); a frequency of 0 is a pause.
TONES: dict[str, tuple[tuple[int, int], ...]] = {
    "ok": ((660, 90), (0, 20), (990, 150)),  # rising: done
    "attention": ((880, 120), (0, 80), (880, 120)),  # two equal beeps: look at the screen
    "error": ((392, 180), (0, 30), (262, 320)),  # falling, longer: something went wrong
}


def write_tone(path: Path, notes: tuple[tuple[int, int], ...], volume: float = 0.5) -> Path:
    """Write a mono 16-bit WAV of sine notes with soft edges (no clicks)."""
    frames = bytearray()
    for frequency, millis in notes:
        count = RATE * millis // 1000
        fade = max(1, min(count // 4, RATE * 8 // 1000))
        for i in range(count):
            envelope = min(1.0, i / fade, (count - 1 - i) / fade)
            sample = volume * envelope * math.sin(2 * math.pi * frequency * i / RATE) if frequency else 0
            frames += struct.pack("<h", round(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


class Sounds:
    """Plays a named tone; remembers the last :data:`PLAYED_KEPT` names asked for in :attr:`played`."""

    def __init__(self, *, audible: bool = True) -> None:
        self._played: deque[str] = deque(maxlen=PLAYED_KEPT)
        self._folder = tempfile.TemporaryDirectory(prefix="kiosk-sounds-")
        self.files = {name: write_tone(Path(self._folder.name) / f"{name}.wav", notes)
                      for name, notes in TONES.items()}
        self._effects: dict[str, Any] = self._load_effects() if audible else {}

    def _load_effects(self) -> dict[str, Any]:
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:
            log.warning("sounds off: QtMultimedia is not available (%s)", exc)
            return {}
        try:
            if not QMediaDevices.audioOutputs():
                log.info("sounds off: no audio output device")
                return {}
            effects: dict[str, Any] = {}
            for name, path in self.files.items():
                effect = QSoundEffect()
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(0.8)
                effects[name] = effect
            return effects
        except Exception as exc:  # a broken audio stack must not stop the kiosk
            log.warning("sounds off: %s", exc)
            return {}

    @property
    def played(self) -> list[str]:
        return list(self._played)

    @property
    def audible(self) -> bool:
        return bool(self._effects)

    def play(self, name: str) -> None:
        if name not in TONES:
            raise ValueError(f"unknown sound {name!r}")
        self._played.append(name)
        effect = self._effects.get(name)
        if effect is None:
            return
        try:
            effect.play()
        except Exception as exc:  # e.g. the device went away; the text on screen still says it
            log.warning("could not play %s: %s", name, exc)

    def close(self) -> None:
        for effect in self._effects.values():
            effect.stop()
        self._effects.clear()
        self._folder.cleanup()
