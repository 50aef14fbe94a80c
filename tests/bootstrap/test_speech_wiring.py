"""Speech mode's parts built from [speech]."""

from __future__ import annotations

import pytest

from kiosk.bootstrap.speech import speech_engine
from kiosk.domain.errors import ConfigError
from kiosk.settings import SpeechSettings, TactileKeySettings


def test_a_tactile_key_name_qt_does_not_know_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"speech\.keys\.repeat: 'Stjerne' is not a Qt key name"):
        speech_engine(SpeechSettings(keys=TactileKeySettings(repeat=("Stjerne",))))


def test_without_speech_mode_offered_there_is_no_voice() -> None:
    assert speech_engine(SpeechSettings(offered=False)) is None
