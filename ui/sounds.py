"""Short tones for "ok", "attention" and "error", made at start-up and played with a player command.

The tones are written as WAV files into a private temporary folder (so no sound files ship with the
kiosk) and played by the same kind of command as the announcer's (``aplay -q`` by default, from
alsa-utils; ``paplay`` or ``pw-play`` where a sound server runs), each in a process of its own, so
the screen never waits for a speaker. Not QtMultimedia: its FFmpeg back end costs 17 MB of memory
for three beeps. The latest requests are recorded in :attr:`Sounds.played`, also when nothing can be
heard (no player, no audio device, offscreen): a kiosk without a speaker still works, it just stays
silent.
"""

from __future__ import annotations

import logging
import math
import shutil
import struct
import subprocess
import tempfile
import wave
from collections import deque
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

RATE = 22050
PLAYED_KEPT = 100
DEFAULT_PLAYER = ("aplay", "-q")
MAX_PLAYING = 3  # tones still sounding when another is asked for; more are skipped, not queued

# (frequency in Hz, milliseconds); a frequency of 0 is a pause.
TONES: dict[str, tuple[tuple[int, int], ...]] = {
    "ok": ((660, 90), (0, 20), (990, 150)),  # rising: done
    "attention": ((880, 120), (0, 80), (880, 120)),  # two equal beeps: look at the screen
    "error": ((392, 180), (0, 30), (262, 320)),  # falling, longer: something went wrong
    "key": ((1200, 60), (0, 50)),  # a short tick: a PIN key taken (speech mode; the digit is never said)
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
    """Plays a named tone; remembers the last :data:`PLAYED_KEPT` names asked for in :attr:`played`.

    ``player``: the command that plays a WAV file named as its last argument. ``audible=False``
    (tests, screenshots): nothing is played."""

    def __init__(self, *, audible: bool = True, player: Sequence[str] = DEFAULT_PLAYER) -> None:
        self._played: deque[str] = deque(maxlen=PLAYED_KEPT)
        self._folder = tempfile.TemporaryDirectory(prefix="kiosk-sounds-")
        self.files = {name: write_tone(Path(self._folder.name) / f"{name}.wav", notes)
                      for name, notes in TONES.items()}
        self._player: tuple[str, ...] | None = None
        self._playing: list[subprocess.Popen[bytes]] = []
        if audible:
            found = shutil.which(player[0]) if player else None
            if found is None:
                log.warning("sounds off: the player %r is not installed", player[0] if player else "")
            else:
                self._player = (found, *player[1:])

    @property
    def played(self) -> list[str]:
        return list(self._played)

    @property
    def audible(self) -> bool:
        return self._player is not None

    def play(self, name: str) -> None:
        if name not in TONES:
            raise ValueError(f"unknown sound {name!r}")
        self._played.append(name)
        if self._player is None:
            return
        self._playing = [process for process in self._playing if process.poll() is None]  # reaped
        if len(self._playing) >= MAX_PLAYING:
            return
        try:
            self._playing.append(subprocess.Popen(
                [*self._player, str(self.files[name])], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        except OSError as exc:  # the player went away; the text on screen still says it
            log.warning("could not play %s: %s", name, exc)

    def wait(self, timeout_s: float = 5.0) -> None:
        """Until the tones asked for so far have been played."""
        for process in self._playing:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._playing.clear()

    def close(self) -> None:
        self.wait(1.0)
        self._folder.cleanup()
