"""Speech mode's parts from ``[speech]``: the voice (:class:`hardware.speech.SpeechEngine`) and the
headphone jack (:class:`hardware.headset.HeadsetJack`) on the sound card's evdev device, or, for
``simulated``, on a FIFO in the data folder that the demo's panel writes ``input_event`` records to.
Builds and connects; decides nothing."""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable
from pathlib import Path

from hardware.headset import HeadsetJack
from hardware.speech import SpeechEngine
from kiosk.domain.errors import ConfigError
from kiosk.settings import SpeechSettings
from ui.tactile import key_codes

log = logging.getLogger(__name__)

JACK_FIFO = "headset-jack"


def speech_engine(settings: SpeechSettings) -> SpeechEngine | None:
    """The voice, or None where speech mode is not offered. A key name Qt does not know is a
    :class:`ConfigError` here, before any window is built."""
    for action, names in settings.keys.model_dump().items():
        try:
            key_codes(names)
        except ValueError as exc:
            raise ConfigError(f"speech.keys.{action}: {exc}") from None
    if not settings.offered:
        return None
    voices = {Path(model).name.split("_", 1)[0]: Path(model) for model in settings.piper_voices}
    return SpeechEngine(speaker_player=shlex.split(settings.speaker_player),
                        headset_player=shlex.split(settings.headset_player), espeak=settings.espeak,
                        piper=settings.piper, piper_models=voices,
                        prompts_dir=Path(settings.prompts_dir) if settings.prompts_dir else None,
                        speed_wpm=settings.speed_wpm, volume=settings.volume_percent,
                        volume_step=settings.volume_step_percent)


def simulated_jack(data_dir: Path) -> Path:
    """The FIFO the demo's headset jack is read from (and its panel writes to)."""
    return data_dir / JACK_FIFO


def headset_jack(settings: SpeechSettings, data_dir: Path,
                 on_change: Callable[[bool], None]) -> HeadsetJack | None:
    """The jack, started; None without one."""
    if not settings.offered or settings.headset == "none":
        return None
    if settings.headset == "simulated":
        device = simulated_jack(data_dir)
        if not device.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            os.mkfifo(device, 0o600)
    elif not settings.headset_device:
        raise ConfigError("speech.headset_device: the \"evdev\" headset needs the jack's input device")
    else:
        device = Path(settings.headset_device)
    jack = HeadsetJack(device, on_change)
    jack.start()
    log.info("headset jack: %s", device)
    return jack
