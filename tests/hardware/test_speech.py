"""The speech engine with the real espeak-ng and sox: WAV files that hold speech, in order."""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.speech import SpeechEngine
from kiosk.domain.ports import Utterance
from ui.sounds import write_tone

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="espeak-ng and sox are needed")


def stat(wav: Path) -> dict[str, float]:
    """``sox FILE -n stat``: its length in seconds and RMS amplitude (the table goes to stderr)."""
    done = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True)
    table = {}
    for line in done.stderr.splitlines():
        name, _, value = line.partition(":")
        try:
            table[name.strip()] = float(value.split()[0])
        except (ValueError, IndexError):
            continue
    return {"length": table["Length (seconds)"], "rms": table["RMS     amplitude"]}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SpeechEngine]:
    speech = SpeechEngine(speaker_player=(), headset_player=(), keep_dir=tmp_path / "said",
                          prompts_dir=tmp_path / "prompts")
    yield speech
    speech.close()


def test_danish_and_english_are_said_in_order_as_audible_speech(engine: SpeechEngine) -> None:
    engine.say([Utterance("Indtast din pinkode", "da", "pin.title"),
                Utterance("Enter your PIN", "en", "pin.title")])
    assert engine.wait_idle(30)
    spoken = engine.spoken
    assert [(s.text, s.language, s.source) for s in spoken] == [
        ("Indtast din pinkode", "da", "espeak"), ("Enter your PIN", "en", "espeak")]
    for said in spoken:
        measured = stat(said.wav)
        assert measured["length"] > 0.3
        assert measured["rms"] > 0.01


def test_a_language_without_a_voice_plays_its_recorded_prompt(engine: SpeechEngine, tmp_path: Path) -> None:
    prompt = tmp_path / "prompts" / "so" / "pin.title.wav"
    prompt.parent.mkdir(parents=True)
    write_tone(prompt, ((440, 800),))
    engine.say([Utterance("Geli lambarka sirta", "so", "pin.title", fallback="Enter your PIN")])
    assert engine.wait_idle(30)
    (said,) = engine.spoken
    assert said.source == "prompt"
    assert said.wav.read_bytes() == prompt.read_bytes()


def test_without_voice_or_prompt_the_english_text_is_said(engine: SpeechEngine,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    assert not engine.voiced("so")
    engine.say([Utterance("Qoraal", "so", "no.prompt", fallback="Put the items on the pad"),
                Utterance("Qoraal kale", "so", "", fallback="Done")])
    assert engine.wait_idle(30)
    assert [(s.text, s.language, s.source) for s in engine.spoken] == [
        ("Put the items on the pad", "en", "english"), ("Done", "en", "english")]
    assert stat(engine.spoken[0].wav)["length"] > 0.3
    assert sum("no voice" in r.message for r in caplog.records) == 1  # logged once


def test_louder_and_softer_change_the_level_and_last_for_the_visit(engine: SpeechEngine) -> None:
    engine.say([Utterance("Lån", "da")])
    assert engine.wait_idle(30)
    engine.softer()
    engine.softer()
    engine.say([Utterance("Lån", "da")])
    assert engine.wait_idle(30)
    engine.reset_volume()
    engine.louder()
    engine.say([Utterance("Lån", "da")])
    assert engine.wait_idle(30)
    levels = [stat(s.wav)["rms"] for s in engine.spoken]
    assert [s.volume for s in engine.spoken] == [100, 60, 120]
    assert math.isclose(levels[1] / levels[0], 0.6, rel_tol=0.05)
    assert levels[2] > levels[0]


def test_repeat_says_the_last_group_again(engine: SpeechEngine) -> None:
    engine.say([Utterance("Velkommen", "da"), Utterance("Vælg", "da")])
    assert engine.wait_idle(30)
    engine.repeat()
    assert engine.wait_idle(30)
    assert [s.text for s in engine.spoken] == ["Velkommen", "Vælg", "Velkommen", "Vælg"]


def test_stop_cuts_off_the_player_and_drops_what_waits(tmp_path: Path) -> None:
    log = tmp_path / "played.txt"
    # A player that takes long: records the file, then sleeps; stop() must end it at once.
    player = ("sh", "-c", f'echo "$0" >> {log}; exec sleep 30', "{file}")
    engine = SpeechEngine(speaker_player=player, headset_player=player, keep_dir=tmp_path / "said")
    try:
        engine.say([Utterance("Første", "da"), Utterance("Anden", "da")])
        for _ in range(200):
            if log.exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        engine.stop()
        assert engine.wait_idle(5)
        assert len(log.read_text().splitlines()) == 1
        assert [s.text for s in engine.spoken] == ["Første"]
    finally:
        engine.close()


def test_the_headset_has_its_own_player(tmp_path: Path) -> None:
    speaker, headset = tmp_path / "speaker.txt", tmp_path / "headset.txt"
    engine = SpeechEngine(speaker_player=("sh", "-c", f'echo "$0" >> {speaker}', "{file}"),
                          headset_player=("sh", "-c", f'echo "$0" >> {headset}', "{file}"),
                          keep_dir=tmp_path / "said")
    try:
        engine.say([Utterance("Højttaler", "da")])
        assert engine.wait_idle(30)
        engine.use_headset(True)
        engine.say([Utterance("Hovedtelefon", "da")])
        assert engine.wait_idle(30)
        assert speaker.read_text().strip().endswith("00001-da.wav")
        assert headset.read_text().strip().endswith("00002-da.wav")
        with wave.open(headset.read_text().strip()) as said:
            assert said.getnframes() > 0
    finally:
        engine.close()


def test_piper_voices_danish_where_its_program_and_model_are_installed(tmp_path: Path) -> None:
    # A stand-in for the piper program with piper's command line (--model, --output_file, the text
    # on stdin); it notes its arguments and makes the WAV with espeak-ng. Piper itself is not
    # installed on the test machines (a 63 MB model is not downloaded at run time either).
    calls = tmp_path / "piper-calls.txt"
    program = tmp_path / "piper"
    program.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec espeak-ng -v da -w "$4" --stdin\n')
    program.chmod(0o755)
    model = tmp_path / "da_DK-talesyntese-medium.onnx"
    model.write_bytes(b"model")
    engine = SpeechEngine(speaker_player=(), headset_player=(), keep_dir=tmp_path / "said",
                          piper=str(program),
                          piper_models={"da": model, "en": tmp_path / "en_GB-missing.onnx"})
    try:
        assert engine.voiced("da") and engine.voiced("en")
        engine.say([Utterance("Velkommen til biblioteket", "da"), Utterance("Welcome", "en")])
        assert engine.wait_idle(30)
        assert [(s.language, s.source) for s in engine.spoken] == [("da", "piper"), ("en", "espeak")]
        assert calls.read_text().split()[:3] == ["--model", str(model), "--output_file"]
        assert stat(engine.spoken[0].wav)["length"] > 0.3
    finally:
        engine.close()
