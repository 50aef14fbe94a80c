"""Every screen, in every language, display mode and orientation, measured on its rendered pixels:
text contrast (4.5:1, large text 3:1), the contrast of controls (3:1), 15 mm touch targets at the
panel's pixels per mm, and in the reach layout no control above the reach line.

Each screen is reached once per language, as a patron reaches it (kiosk.simulate.screenshot), then
drawn again in each mode and size on the same window (about 3 s a screen for two languages on one
core). Set KIOSK_ACCESS_PNGS=<folder> to keep every image measured as a PNG.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.session.view import PLAIN_DISPLAY, DisplayMode
from kiosk.simulate.screenshot import SCREENS, reached
from kiosk.texts import LANGUAGES
from tests.ui.rendered import measure
from ui.main_window import KioskWindow

MODES = {
    "plain": PLAIN_DISPLAY,
    "contrast": DisplayMode(high_contrast=True),
    "large": DisplayMode(large_text=True),
    "contrast+large": DisplayMode(high_contrast=True, large_text=True),
    "reach": DisplayMode(reach=True),
    "contrast+large+reach": DisplayMode(high_contrast=True, large_text=True, reach=True),
}
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
PNG_FOLDER = os.environ.get("KIOSK_ACCESS_PNGS", "")


def _draw(window: KioskWindow, size: tuple[int, int], mode: DisplayMode) -> None:
    """The view on the screen, as the core would publish it with this display mode, at ``size``."""
    window.setFixedSize(*size)
    window.apply_scale(*size)
    assert window.view is not None
    window.show_view(replace(window.view, display_mode=mode))
    app = QApplication.instance()
    assert app is not None
    app.processEvents()


@pytest.mark.parametrize("screen", SCREENS)
def test_every_mode_of_the_screen_is_readable_large_enough_and_within_reach(screen: str) -> None:
    failures: list[str] = []
    for language in LANGUAGES:
        with reached(screen, language, SIZES["portrait"]) as (_kiosk, window):
            for size_name, size in SIZES.items():
                target = window.screen_settings.target_px(*size)
                for mode_name, mode in MODES.items():
                    if mode.reach and window.screen_settings.reach_line_px(*size) == 0:
                        continue  # all within reach (landscape): drawn as without reach, measured so
                    _draw(window, size, mode)
                    image = window.grab().toImage()
                    if PNG_FOLDER:
                        folder = Path(PNG_FOLDER)
                        folder.mkdir(parents=True, exist_ok=True)
                        image.save(str(folder / f"{screen}-{language}-{mode_name}-{size_name}.png"))
                    assert (window.width(), window.height()) == size, "the screen does not fit its window"
                    failures.extend(f"{screen} / {language} / {mode_name} / {size_name}: {finding}"
                                    for finding in measure(window, image, target_px=target,
                                                           reach_line=window.reach_line))
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
