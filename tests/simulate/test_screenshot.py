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
