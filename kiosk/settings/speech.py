"""``[speech]``: speech mode (the screen read aloud), its voices, the headset jack and the tactile
keys (arrows and OK) that drive every screen."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from kiosk.settings.base import Section

KeyNames = tuple[str, ...]


class TactileKeySettings(Section):
    """Which keys do what, by Qt's key names without ``Key_`` (``Up``, ``Return``, ``Asterisk``,
    ``VolumeUp``): a tactile keypad (Storm AudioNav and the like) types ordinary key codes. In a
    right-to-left language Left and Right swap."""

    previous: KeyNames = Field(default=("Up", "Left"), strict=False)
    next: KeyNames = Field(default=("Down", "Right"), strict=False)
    activate: KeyNames = Field(default=("Return", "Enter", "Space"), strict=False)
    speech: KeyNames = Field(default=(), strict=False)
    repeat: KeyNames = Field(default=("Asterisk",), strict=False)
    stop: KeyNames = Field(default=("Slash",), strict=False)
    louder: KeyNames = Field(default=("Plus", "VolumeUp"), strict=False)
    softer: KeyNames = Field(default=("Minus", "VolumeDown"), strict=False)

    @field_validator("*")
    @classmethod
    def _names(cls, value: KeyNames) -> KeyNames:
        for name in value:
            if not name.replace("_", "").isalnum():
                raise ValueError(f"{name!r} is not a key name (Up, Return, Asterisk, F13, ...)")
        return value


class SpeechSettings(Section):
    offered: bool = True  # the speech key on every screen, and a headset turns speech mode on
    speaker_player: str = "aplay -q"
    headset_player: str = "aplay -q"
    piper: str = "piper"
    # Piper model files (absolute paths), each named by Piper's convention <language>_<REGION>-...:
    # "/usr/share/piper-voices/da_DK-talesyntese-medium.onnx" voices Danish.
    piper_voices: tuple[str, ...] = Field(default=(), strict=False)
    espeak: str = "espeak-ng"
    prompts_dir: str = ""  # recorded prompts for languages without a voice: <dir>/<lang>/<key>.wav
    speed_wpm: int = Field(default=160, ge=80, le=450)
    volume_percent: int = Field(default=100, ge=20, le=200)
    volume_step_percent: int = Field(default=20, ge=5, le=100)
    headset: Literal["none", "evdev", "simulated"] = "none"
    headset_device: str = ""  # the jack's evdev device, e.g. /dev/input/by-path/...-event
    keys: TactileKeySettings = TactileKeySettings()
