"""Announcements: real speech from espeak-ng, measured with sox; recordings; a caller never waits."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.announcer import AudioFileAnnouncer, SpeechAnnouncer
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceState

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are needed (make test installs them)",
)

DANISH = "Biblioteket lukker om femten minutter. Tak for besøget, på gensyn i Ærøskøbing og Århus."
ENGLISH = "The library closes in fifteen minutes. Thank you for visiting."
WAIT_S = 30.0


def duration_s(wav: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True,
                                check=True).stdout)


def rms_db(wav: Path) -> float:
    stats = subprocess.run(["sox", str(wav), "-n", "stats"], capture_output=True, text=True,
                           check=True).stderr
    line = next(x for x in stats.splitlines() if x.startswith("RMS lev dB"))
    return float(line.split()[-1])


def tone(path: Path, seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", "-n", "-r", "22050", "-b", "16", str(path), "synth", str(seconds), "sine", "440"],
                   check=True)
    return path


def slow_player(dest: Path, seconds: float = 1.0) -> list[str]:
    """A player that takes its time, then leaves what it was given to play in ``dest``."""
    return ["sh", "-c", f'sleep {seconds}; cp "$1" "$2"', "player", "{file}", str(dest)]


@pytest.fixture
def speech(tmp_path: Path) -> Iterator[SpeechAnnouncer]:
    announcer = SpeechAnnouncer(output_dir=tmp_path / "out")
    yield announcer
    announcer.close()


def test_danish_text_with_aeoeaa_becomes_real_speech(tmp_path: Path, speech: SpeechAnnouncer) -> None:
    speech.announce(DANISH, "da")
    assert speech.wait_idle(WAIT_S)
    [wav] = sorted((tmp_path / "out").glob("*.wav"))
    assert wav.name == "0001-da.wav"
    assert duration_s(wav) > 3.0  # a whole sentence, not a blip
    assert rms_db(wav) > -35.0  # and not silence
    assert speech.health().state is DeviceState.OK


def test_each_language_is_spoken_with_its_own_voice(tmp_path: Path, speech: SpeechAnnouncer) -> None:
    speech.announce("Biblioteket lukker nu.", "da")
    speech.announce("Biblioteket lukker nu.", "en")
    assert speech.wait_idle(WAIT_S)
    danish, english = sorted((tmp_path / "out").glob("*.wav"))
    assert (danish.name, english.name) == ("0001-da.wav", "0002-en.wav")
    assert rms_db(english) > -35.0
    assert danish.read_bytes() != english.read_bytes()


def test_announce_returns_at_once_while_the_player_is_busy(tmp_path: Path) -> None:
    played = tmp_path / "played.wav"
    announcer = SpeechAnnouncer(player=slow_player(played))
    try:
        started = time.monotonic()
        announcer.announce(ENGLISH, "en")
        assert time.monotonic() - started < 0.2
        assert not played.exists()
        assert announcer.wait_idle(WAIT_S)
        assert duration_s(played) > 2.0 and rms_db(played) > -35.0  # the player got the speech
    finally:
        announcer.close()


def test_a_missing_player_or_espeak_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    no_player = SpeechAnnouncer(player=["no-such-player"])
    no_espeak = SpeechAnnouncer(espeak="no-such-espeak", output_dir=tmp_path)
    for announcer, missing in ((no_player, "no-such-player"), (no_espeak, "no-such-espeak")):
        health = announcer.health()
        assert health.state is DeviceState.UNAVAILABLE and health.detail == f"{missing} not installed"
        with pytest.raises(DeviceUnavailable, match=missing):
            announcer.announce(ENGLISH, "en")


def test_a_failing_player_degrades_health_until_it_works_again(tmp_path: Path) -> None:
    # A player that fails as aplay does on a machine without a sound card, until flag.ok exists.
    script = 'test -f "$0.ok" || { echo "no sound card" >&2; exit 1; }'
    announcer = SpeechAnnouncer(player=["sh", "-c", script, str(tmp_path / "flag"), "{file}"])
    try:
        announcer.announce("Test.", "en")
        assert announcer.wait_idle(WAIT_S)
        health = announcer.health()
        assert health.state is DeviceState.DEGRADED and "no sound card" in health.detail
        (tmp_path / "flag.ok").touch()
        announcer.announce("Test.", "en")
        assert announcer.wait_idle(WAIT_S)
        assert announcer.health().state is DeviceState.OK
    finally:
        announcer.close()


def test_a_language_without_a_voice_is_reported_not_crashed(speech: SpeechAnnouncer) -> None:
    speech.announce("Hallo", "xx")
    assert speech.wait_idle(WAIT_S)
    assert "no voice for language 'xx'" in speech.health().detail
    speech.announce("Hej", "da")
    assert speech.wait_idle(WAIT_S)
    assert speech.health().ok


def test_a_full_queue_refuses_rather_than_announcing_too_late(tmp_path: Path) -> None:
    announcer = SpeechAnnouncer(player=slow_player(tmp_path / "played.wav", 2.0), max_queued=1)
    refusals: list[str] = []
    try:
        for text in ("One.", "Two.", "Three."):  # one may be playing, one may wait: not three
            try:
                announcer.announce(text, "en")
            except DeviceUnavailable as exc:
                refusals.append(str(exc))
    finally:
        announcer.close()
    assert refusals and all("already waiting" in r for r in refusals)


def test_a_recording_is_played_for_its_message_key(tmp_path: Path) -> None:
    recording = tone(tmp_path / "sounds" / "da" / "closing_15min.wav", 1.5)
    announcer = AudioFileAnnouncer(tmp_path / "sounds", output_dir=tmp_path / "out")
    try:
        announcer.announce("closing_15min", "da")
        assert announcer.wait_idle(WAIT_S)
        assert (tmp_path / "out" / "0001-da.wav").read_bytes() == recording.read_bytes()
    finally:
        announcer.close()


def test_a_message_without_a_recording_is_reported(tmp_path: Path) -> None:
    tone(tmp_path / "sounds" / "da" / "closing_15min.wav", 0.5)
    announcer = AudioFileAnnouncer(tmp_path / "sounds", output_dir=tmp_path / "out")
    try:
        announcer.announce("closing_15min", "en")
        announcer.announce("../../../etc/passwd", "da")
        assert announcer.wait_idle(WAIT_S)
        health = announcer.health()
        assert health.state is DeviceState.DEGRADED and "no recording" in health.detail
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    finally:
        announcer.close()


def test_a_message_without_a_recording_can_be_spoken_instead(tmp_path: Path, speech: SpeechAnnouncer) -> None:
    announcer = AudioFileAnnouncer(tmp_path / "sounds", output_dir=tmp_path / "recorded", fallback=speech)
    try:
        announcer.announce("Biblioteket er nu lukket. På gensyn.", "da")
        assert speech.wait_idle(WAIT_S) and announcer.wait_idle(WAIT_S)
        [wav] = (tmp_path / "out").glob("*.wav")
        assert duration_s(wav) > 1.0 and rms_db(wav) > -35.0
        assert not (tmp_path / "recorded").exists()
    finally:
        announcer.close()


def test_a_closed_announcer_refuses_new_messages(speech: SpeechAnnouncer) -> None:
    speech.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        speech.announce("Hej", "da")
