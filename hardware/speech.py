"""Speech mode's voice (:class:`kiosk.domain.ports.Speaker`): text to WAV, then the player.

Each language is voiced by the best source it has: Piper (a neural voice, Danish's
``da_DK-talesyntese-medium``) where the ``piper`` program and the language's model file exist,
else espeak-ng with the language's voice, else recorded prompts (``<prompts_dir>/<lang>/<key>.wav``),
else the English text with the English voice (logged once per language: Somali has no voice in
espeak-ng). Synthesis and playing run on one worker thread; :meth:`SpeechEngine.say` only queues.
:meth:`~SpeechEngine.stop` cuts the player off, :meth:`~SpeechEngine.repeat` says the last group
again, :meth:`~SpeechEngine.louder` and :meth:`~SpeechEngine.softer` scale the samples (the same
for every source) until :meth:`~SpeechEngine.reset_volume`.

Everything said is recorded in :attr:`SpeechEngine.spoken` (text, language, source, WAV file), also
when nothing is played (``player`` empty: tests, a kiosk without sound).
"""

from __future__ import annotations

import array
import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.ports import Utterance

log = logging.getLogger(__name__)

ESPEAK_VOICES = {"da": "da", "en": "en", "ar": "ar", "fa": "fa", "ku": "ku", "pl": "pl", "tr": "tr",
                 "uk": "uk", "ur": "ur"}
SYNTH_TIMEOUT_S = 30.0
SPOKEN_KEPT = 200
VOLUME_MIN, VOLUME_MAX = 20, 200  # percent of the synthesised level


@dataclass(frozen=True)
class Spoken:
    """One utterance as it was rendered: ``source`` is "piper", "espeak", "prompt" or "english"."""

    text: str
    language: str
    source: str
    wav: Path
    volume: int


class SpeechEngine:
    """``piper_models``: language -> Piper model file (``.onnx``, its ``.onnx.json`` beside it);
    ``players``: the command that plays a WAV (as its last argument, or where ``{file}`` stands)
    through the speaker and through the headset; an empty command plays nothing. ``keep_dir``:
    keep every WAV there (tests); else they live in a private temporary folder until closed."""

    def __init__(self, *, speaker_player: Sequence[str] = ("aplay", "-q"),
                 headset_player: Sequence[str] = ("aplay", "-q"), espeak: str = "espeak-ng",
                 espeak_voices: Mapping[str, str] = ESPEAK_VOICES, piper: str = "piper",
                 piper_models: Mapping[str, Path] | None = None, prompts_dir: Path | None = None,
                 speed_wpm: int = 160, volume: int = 100, volume_step: int = 20,
                 keep_dir: Path | None = None) -> None:
        self._players = {False: tuple(speaker_player), True: tuple(headset_player)}
        self._espeak = espeak
        self._espeak_voices = dict(espeak_voices)
        self._piper = shutil.which(piper)
        self._piper_models = {lang: path for lang, path in (piper_models or {}).items() if path.is_file()}
        for lang, path in (piper_models or {}).items():
            if lang not in self._piper_models or self._piper is None:
                log.info("speech: no Piper voice for %s (%s); espeak-ng instead", lang,
                         "no piper program" if self._piper is None else f"{path} missing")
        self._prompts_dir = prompts_dir
        self._speed = speed_wpm
        self._volume_start, self._step = volume, volume_step
        self._volume = volume
        self._headset = False
        self._scratch = tempfile.TemporaryDirectory(prefix="kiosk-speech-")
        self._folder = keep_dir if keep_dir is not None else Path(self._scratch.name)
        self._folder.mkdir(parents=True, exist_ok=True)
        self._queue: queue.Queue[tuple[int, tuple[Utterance, ...]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._generation = 0  # bumped by stop(): a group queued before it is dropped
        self._pending = 0
        self._playing: subprocess.Popen[bytes] | None = None
        self._last: tuple[Utterance, ...] = ()
        self._spoken: deque[Spoken] = deque(maxlen=SPOKEN_KEPT)
        self._count = 0
        self._untold: set[str] = set()  # languages whose lack of a voice was logged
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    # -- what the kiosk calls (any thread; none blocks) -----------------------------------------
    def say(self, group: Sequence[Utterance], *, interrupt: bool = False) -> None:
        said = tuple(u for u in group if u.text.strip())
        if interrupt:
            self.stop()
        if not said:
            return
        with self._lock:
            self._last = said
            self._pending += 1
            self._queue.put((self._generation, said))

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            playing = self._playing
        if playing is not None and playing.poll() is None:
            playing.terminate()

    def repeat(self) -> None:
        with self._lock:
            last = self._last
        self.say(last, interrupt=True)

    def louder(self) -> None:
        with self._lock:
            self._volume = min(VOLUME_MAX, self._volume + self._step)

    def softer(self) -> None:
        with self._lock:
            self._volume = max(VOLUME_MIN, self._volume - self._step)

    def reset_volume(self) -> None:
        with self._lock:
            self._volume = self._volume_start

    def use_headset(self, plugged: bool) -> None:
        with self._lock:
            self._headset = plugged

    def private(self) -> bool:
        with self._lock:
            return self._headset

    def voiced(self, language: str) -> bool:
        return (language in self._piper_models and self._piper is not None) or language in self._espeak_voices

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def spoken(self) -> list[Spoken]:
        with self._lock:
            return list(self._spoken)

    def wait_idle(self, timeout_s: float) -> bool:
        """Until every queued group has been said (or dropped); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def close(self) -> None:
        self.stop()
        self._queue.put(None)
        self._thread.join(timeout=5.0)
        self._scratch.cleanup()

    # -- the worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            generation, group = job
            try:
                for utterance in group:
                    if generation != self._generation:
                        break
                    self._say_one(utterance, generation)
            except Exception:  # the worker must survive anything one utterance does
                log.exception("speech: an utterance failed")
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _say_one(self, utterance: Utterance, generation: int) -> None:
        with self._lock:
            self._count += 1
            number, volume, player = self._count, self._volume, self._players[self._headset]
        wav = self._folder / f"{number:05d}-{utterance.language}.wav"
        source, text = self._render(utterance, wav)
        if volume != 100:
            _scale(wav, volume / 100)
        with self._lock:
            if generation != self._generation:
                return  # stopped while it was being made: never said
            self._spoken.append(Spoken(text, utterance.language if source != "english" else "en",
                                       source, wav, volume))
        if not player:
            return
        command = [str(wav) if part == "{file}" else part for part in player]
        if "{file}" not in player:
            command.append(str(wav))
        with self._lock:
            if generation != self._generation:
                return
            try:
                self._playing = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError as exc:
                log.warning("speech: the player %r failed: %s", player[0], exc)
                return
            playing = self._playing
        playing.wait()
        with self._lock:
            self._playing = None

    def _render(self, utterance: Utterance, wav: Path) -> tuple[str, str]:
        """Write ``utterance`` to ``wav``; return the source and the text actually said."""
        lang, text = utterance.language, utterance.text
        model = self._piper_models.get(lang)
        if model is not None and self._piper is not None:
            done = _run([self._piper, "--model", str(model), "--output_file", str(wav)], text)
            if done:
                return "piper", text
        voice = self._espeak_voices.get(lang)
        if voice is not None:
            _espeak(self._espeak, voice, self._speed, text, wav)
            return "espeak", text
        prompt = self._prompt(utterance)
        if prompt is not None:
            shutil.copyfile(prompt, wav)
            return "prompt", text
        if lang not in self._untold:
            self._untold.add(lang)
            log.warning("speech: no voice and no recorded prompt for %s: English instead", lang)
        _espeak(self._espeak, self._espeak_voices.get("en", "en"), self._speed,
                utterance.fallback or text, wav)
        return "english", utterance.fallback or text

    def _prompt(self, utterance: Utterance) -> Path | None:
        if self._prompts_dir is None or not utterance.key or "/" in utterance.key or ".." in utterance.key:
            return None
        path = self._prompts_dir / utterance.language / f"{utterance.key}.wav"
        return path if path.is_file() else None


def _espeak(program: str, voice: str, speed: int, text: str, wav: Path) -> None:
    # Text on stdin, not argv, so that nothing in it is read as an option; -b 1 = UTF-8.
    if not _run([program, "-v", voice, "-s", str(speed), "-b", "1", "-w", str(wav), "--stdin"], text):
        raise RuntimeError(f"speech: {program} could not say a text in voice {voice}")


def _run(command: list[str], text: str) -> bool:
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                              timeout=SYNTH_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("speech: %s failed: %s", command[0], exc)
        return False
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        log.warning("speech: %s exited with %d: %s", command[0], done.returncode,
                    lines[-1] if lines else "no message")
        return False
    return True


def _scale(wav: Path, factor: float) -> None:
    """Multiply a 16-bit WAV's samples by ``factor``, clipping (louder / softer)."""
    with wave.open(str(wav), "rb") as source:
        params = source.getparams()
        frames = source.readframes(params.nframes)
    if params.sampwidth != 2:
        return
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    for i, sample in enumerate(samples):
        samples[i] = max(-32768, min(32767, round(sample * factor)))
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(wav), "wb") as target:
        target.setparams(params)
        target.writeframes(samples.tobytes())
