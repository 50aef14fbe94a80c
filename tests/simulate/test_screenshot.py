"""`library-kiosk screenshot` renders each screen, at the size asked, in the language asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from kiosk.cli.main import main
from kiosk.simulate.screenshot import SCREENS


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_renders_in_portrait(screen: str, tmp_path: Path, qapp: object) -> None:
    out = tmp_path / f"{screen}.png"
    assert main(["screenshot", "--screen", screen, "--lang", "da", "--size", "1080x1920",
                 "--out", str(out)]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1080, 1920)


def test_landscape_and_languages_differ(tmp_path: Path, qapp: object) -> None:
    shots = {}
    for lang in ("da", "en"):
        out = tmp_path / f"start-{lang}.png"
        assert main(["screenshot", "--screen", "start", "--lang", lang, "--size", "1920x1080",
                     "--out", str(out)]) == 0
        image = QImage(str(out))
        assert (image.width(), image.height()) == (1920, 1080)
        shots[lang] = out.read_bytes()
    assert shots["da"] != shots["en"]


def test_a_bad_size_is_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["screenshot", "--screen", "start", "--size", "big", "--out", "x.png"])
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_high_contrast_is_chosen_on_the_start_screen_and_drawn_dark(tmp_path: Path, qapp: object) -> None:
    out = tmp_path / "start-contrast.png"
    assert main(["screenshot", "--screen", "start", "--size", "1080x1920", "--mode", "contrast",
                 "--out", str(out)]) == 0
    image = QImage(str(out))
    assert image.pixelColor(20, 1000).name() == "#000000"  # the plain background is #f5f3ee


def test_the_reach_layout_puts_the_header_at_the_bottom(tmp_path: Path, qapp: object) -> None:
    out = tmp_path / "start-reach.png"
    assert main(["screenshot", "--screen", "start", "--size", "1080x1920", "--mode", "reach",
                 "--out", str(out)]) == 0
    image = QImage(str(out))
    assert image.pixelColor(5, 5).name() == "#f5f3ee"  # no header up there
    assert image.pixelColor(5, 1915).name() == "#0b4f6c"  # the header's blue, at the bottom


def test_an_unknown_display_choice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["screenshot", "--screen", "start", "--mode", "huge", "--out", "x.png"])
    assert "contrast, large, reach" in capsys.readouterr().err
