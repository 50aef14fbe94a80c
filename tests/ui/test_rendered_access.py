"""Every screen of ``library-kiosk screenshot``, in every language, display mode and orientation,
checked as a person would see it:

* on its rendered pixels (tests/ui/rendered.py): text contrast (4.5:1, large text 3:1), the contrast
  of controls (3:1), 15 mm touch targets at the panel's pixels per mm, no control above the reach
  line in the reach layout, no words too big for their label or button;
* on its laid-out widgets (tests/ui/screen_checks.py): no text cut off or elided, no text key shown
  in place of its text, and in Arabic and Farsi the screen and header mirrored (the number pads not);
* in the pseudo-locale too (every Danish text ~40 % longer and accented), for cut-off words;
* and the language chooser over the start screen, the same way.

Contrast depends on the colours and on the strokes of a script, not on the words: it is measured in
one language of each script the kiosk writes (Latin, Cyrillic, Arabic), everything else in every
language. Each screen is reached once, as a patron reaches it (kiosk.simulate.screenshot), then shown
again in each size, mode and language on the same window (:func:`show`). Set
KIOSK_ACCESS_PNGS=<folder> to keep every image measured as a PNG.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from kiosk.session.view import PLAIN_DISPLAY, DisplayMode
from kiosk.simulate.screenshot import SCREENS, opened_screen
from kiosk.texts import DEFAULT_LANGUAGE, LANGUAGES, PSEUDO_LANGUAGE, RIGHT_TO_LEFT
from tests.ui.rendered import measure
from tests.ui.screen_checks import buttons_placed, cut_off, header_mirrored, keys_shown, not_mirrored
from tests.ui.test_screens_languages import KEYS
from ui.main_window import KioskWindow
from ui.widgets import PinPad

# Every combination of the three display choices (the reach layout changes nothing in landscape).
MODES = {
    "plain": PLAIN_DISPLAY,
    "contrast": DisplayMode(high_contrast=True),
    "large": DisplayMode(large_text=True),
    "contrast+large": DisplayMode(high_contrast=True, large_text=True),
    "reach": DisplayMode(reach=True),
    "contrast+reach": DisplayMode(high_contrast=True, reach=True),
    "large+reach": DisplayMode(large_text=True, reach=True),
    "contrast+large+reach": DisplayMode(high_contrast=True, large_text=True, reach=True),
}
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
SHOWN_IN = (*LANGUAGES, PSEUDO_LANGUAGE)
ONE_PER_SCRIPT = {"da", "uk", "ar"}  # Latin, Cyrillic, Arabic: contrast measured in these
PNG_FOLDER = os.environ.get("KIOSK_ACCESS_PNGS", "")


def show(window: KioskWindow, size: tuple[int, int], mode: DisplayMode, language: str) -> None:
    """The view on the screen as the core would publish it in this display mode and language, at
    ``size``; the window then lays it out and paints it as the event loop would."""
    window.setFixedSize(*size)
    window.apply_scale(*size)
    assert window.view is not None
    window.show_view(replace(window.view, display_mode=mode, language=language))
    for _ in range(6):  # a layout request travels up one level of nested layouts per round; a
        # button whose words went onto two lines asks for its new height in the next
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as the event loop would
        QApplication.processEvents()


def findings_of(screen: str, window: KioskWindow) -> list[str]:
    found: list[str] = []
    chooser = window.languages if screen == "start" else None  # the language chooser, over the start
    for size_name, size in SIZES.items():
        target = window.screen_settings.target_px(*size)
        for mode_name, mode in MODES.items():
            if mode.reach and window.screen_settings.reach_line_px(*size) == 0:
                continue  # all within reach (landscape): drawn as without reach, measured so
            show(window, size, mode, DEFAULT_LANGUAGE)
            left_to_right = buttons_placed(window)
            for language in SHOWN_IN:
                show(window, size, mode, language)
                where = f"{screen} / {language} / {mode_name} / {size_name}"
                if (window.width(), window.height()) != size:
                    found.append(f"{where}: the screen does not fit its window")
                problems = _problems(window, language, left_to_right, target, where)
                if chooser is not None:
                    assert window.view is not None
                    chooser.show_view(window.view)
                    chooser.open()
                    QApplication.processEvents()
                    problems += [f"language chooser: {p}"
                                 for p in _problems(window, language, None, target, where + "-chooser")]
                    chooser.hide()
                found += [f"{where}: {problem}" for problem in problems]
    return found


def _problems(window: KioskWindow, language: str, left_to_right: dict | None, target: int,
              name: str) -> list[str]:
    image = window.grab().toImage()
    if PNG_FOLDER:
        folder = Path(PNG_FOLDER)
        folder.mkdir(parents=True, exist_ok=True)
        image.save(str(folder / f"{name.replace(' / ', '-')}.png"))
    pseudo = language == PSEUDO_LANGUAGE
    problems = [str(finding) for finding in measure(window, image, target_px=target,
                                                    reach_line=window.reach_line,
                                                    with_contrast=language in ONE_PER_SCRIPT)]
    problems += cut_off(window, elision_possible=not pseudo)
    problems += keys_shown(window, KEYS)
    if language in RIGHT_TO_LEFT and left_to_right is not None:
        problems += not_mirrored(window, left_to_right, keep_direction=(PinPad,))
        problems += header_mirrored(window, window.header, window.header.title)
    return problems


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_in_every_language_mode_and_orientation_is_readable_whole_mirrored_and_in_reach(
        qapp: QApplication, screen: str) -> None:
    with opened_screen(screen, DEFAULT_LANGUAGE, SIZES["portrait"]) as (_kiosk, window):
        found = findings_of(screen, window)
    if found:
        pytest.fail("\n".join(found), pytrace=False)
