"""Spoken announcements ("the library closes in 15 minutes"): recorded files or synthetic speech.

Both announcers implement :class:`kiosk.domain.ports.Announcer` and never block the caller: ``announce``
puts the message on a queue and a worker thread renders and plays it, one at a time, in order.
Playing is a configurable command (``aplay -q``, ``paplay``, ``pw-play``) that gets the WAV file as
its last argument, or where ``{file}`` stands. With ``output_dir`` set, nothing is played and each
announcement is written there as a WAV instead (tests, and machines without sound).
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState
from kiosk.domain.ports import Announcer

log = logging.getLogger(__name__)

DEFAULT_PLAYER = ("aplay", "-q")
VOICES = {"da": "da", "en": "en"}
PLAY_TIMEOUT_S = 120.0
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class _QueuedAnnouncer:
    """The worker thread, the queue, the player and health, shared by both announcers."""

    name = "announcer"

    def __init__(self, *, player: Sequence[str], output_dir: Path | None, max_queued: int) -> None:
        self.player = tuple(player)
        self.output_dir = output_dir
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=max_queued)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._written = 0
        self._last_error = ""
        self._thread: threading.Thread | None = None
        self._closed = False

    def announce(self, text: str, language: str) -> None:
        """Queue ``text`` in ``language`` and return at once. Raises :class:`DeviceUnavailable` if a
        needed program is missing or the queue is full (a message would otherwise come far too late)."""
        missing = self._missing_programs()
        if missing:
            raise DeviceUnavailable(f"{self.name}: {missing}")
        with self._lock:
            if self._closed:
                raise DeviceUnavailable(f"{self.name}: closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"{self.name}-worker", daemon=True)
                self._thread.start()
            try:
                self._queue.put_nowait((text, language))
            except queue.Full:
                raise DeviceUnavailable(f"{self.name}: {self._queue.maxsize} announcements are "
                                        "already waiting") from None
            self._pending += 1

    def health(self) -> DeviceHealth:
        missing = self._missing_programs()
        if missing:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, missing)
        with self._lock:
            if self._last_error:
                return DeviceHealth(self.name, DeviceState.DEGRADED, self._last_error)
        return DeviceHealth(self.name, DeviceState.OK)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued announcement has been played or written; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker after the announcement being played; queued ones are dropped."""
        with self._lock:
            self._closed = True
            thread = self._thread
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=timeout_s)
        with self._idle:
            self._pending = 0
            self._idle.notify_all()

    def _required_programs(self) -> list[str]:
        return [] if self.output_dir is not None else [self.player[0]] if self.player else ["a player"]

    def _missing_programs(self) -> str:
        missing = [p for p in self._required_programs() if shutil.which(p) is None]
        return f"{', '.join(missing)} not installed" if missing else ""

    def _render(self, text: str, language: str, target: Path) -> None:
        """Write the WAV for this announcement to ``target``; raise with a reason if it cannot."""
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            text, language = job
            try:
                error = self._play_one(text, language)
            except Exception as exc:  # the worker must survive anything one announcement does
                error = f"{type(exc).__name__}: {exc}"
            with self._idle:
                if error:
                    log.warning("%s: announcement in %s failed: %s", self.name, language, error)
                self._last_error = error
                self._pending -= 1
                self._idle.notify_all()

    def _play_one(self, text: str, language: str) -> str:
        with tempfile.TemporaryDirectory(prefix="announce-") as scratch:
            wav = Path(scratch) / "announcement.wav"
            self._render(text, language, wav)
            if self.output_dir is not None:
                self.output_dir.mkdir(parents=True, exist_ok=True)
                with self._lock:
                    self._written += 1
                    number = self._written
                target = self.output_dir / f"{number:04d}-{language}.wav"
                shutil.copyfile(wav, target)
                log.info("%s: wrote an announcement in %s to %s", self.name, language, target.name)
                return ""
            command = [str(wav) if part == "{file}" else part for part in self.player]
            if "{file}" not in self.player:
                command.append(str(wav))
            return _run_program(command, "player")


class SpeechAnnouncer(_QueuedAnnouncer):
    """Speaks any text with espeak-ng (voice ``da`` for Danish, ``en`` for English)."""

    def __init__(
        self,
        *,
        player: Sequence[str] = DEFAULT_PLAYER,
        output_dir: Path | None = None,
        voices: Mapping[str, str] = VOICES,
        espeak: str = "espeak-ng",
        speed_wpm: int = 150,
        max_queued: int = 8,
    ) -> None:
        super().__init__(player=player, output_dir=output_dir, max_queued=max_queued)
        self.voices = dict(voices)
        self.espeak = espeak
        self.speed_wpm = speed_wpm

    def _required_programs(self) -> list[str]:
        return [self.espeak, *super()._required_programs()]

    def _render(self, text: str, language: str, target: Path) -> None:
        voice = self.voices.get(language)
        if voice is None:
            raise ValueError(f"no voice for language {language!r}")
        # Text goes on stdin, not argv, so that nothing in it is read as an option; -b 1 = UTF-8.
        error = _run_program(
            [self.espeak, "-v", voice, "-s", str(self.speed_wpm), "-b", "1", "-w", str(target), "--stdin"],
            "espeak-ng", stdin=text.encode("utf-8"),
        )
        if error:
            raise RuntimeError(error)


class AudioFileAnnouncer(_QueuedAnnouncer):
    """Plays recordings: ``announce(key, language)`` plays ``folder/<language>/<key>.wav``.

    Keys are lowercase names such as ``closing_15min``. A message with no recording goes to
    ``fallback`` (for example a :class:`SpeechAnnouncer`) if one is given, else it is logged as
    missing and health turns DEGRADED.
    """

    def __init__(
        self,
        folder: Path,
        *,
        player: Sequence[str] = DEFAULT_PLAYER,
        output_dir: Path | None = None,
        fallback: Announcer | None = None,
        max_queued: int = 8,
    ) -> None:
        super().__init__(player=player, output_dir=output_dir, max_queued=max_queued)
        self.folder = folder
        self.fallback = fallback

    def recording(self, key: str, language: str) -> Path | None:
        """The file for this message, or None if there is none (or the key is not a plain name)."""
        if not (_KEY.fullmatch(key) and _KEY.fullmatch(language)):
            return None
        path = self.folder / language / f"{key}.wav"
        return path if path.is_file() else None

    def announce(self, text: str, language: str) -> None:
        if self.fallback is not None and self.recording(text, language) is None:
            self.fallback.announce(text, language)
            return
        super().announce(text, language)

    def _render(self, text: str, language: str, target: Path) -> None:
        source = self.recording(text, language)
        if source is None:
            raise FileNotFoundError(f"no recording of this message in {language} under {self.folder}")
        shutil.copyfile(source, target)


def _run_program(command: list[str], what: str, *, stdin: bytes | None = None) -> str:
    """Run ``command``; return "" on success, else a one-line reason for the log and health."""
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=PLAY_TIMEOUT_S,
                              check=False)
    except FileNotFoundError:
        return f"{what} {command[0]!r} not installed"
    except subprocess.TimeoutExpired:
        return f"{what} did not finish within {PLAY_TIMEOUT_S:.0f} s"
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return f"{what} exited with {done.returncode}: {lines[-1] if lines else 'no message'}"
    return ""
