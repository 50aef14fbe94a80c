"""Every screen of ``library-kiosk screenshot``, in every language the kiosk has and in the
pseudo-locale (every Danish text ~40 % longer and accented), in portrait and landscape: no text is
cut off, no text key is shown in place of its text, every language has its own catalogue, and in
Arabic and Farsi the screen is mirrored (the number pads are not).

Each screen is reached once, the way a patron reaches it; the same window is then shown in each
language and size (see :func:`kiosk.simulate.screenshot.show_as`).
"""

from __future__ import annotations

import gettext

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.simulate.screenshot import SCREENS, opened_screen, show_as
from kiosk.texts import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    PSEUDO_LANGUAGE,
    RIGHT_TO_LEFT,
    catalogue,
)
from tests.ui.screen_checks import buttons_placed, cut_off, header_mirrored, keys_shown, not_mirrored
from ui.main_window import KioskWindow
from ui.widgets import PinPad

SIZES = ((1080, 1920), (1920, 1080))
SHOWN_IN = (*LANGUAGES, PSEUDO_LANGUAGE)
KEYS = tuple(key for key in catalogue(DEFAULT_LANGUAGE)._catalog if isinstance(key, str) and key)  # type: ignore[attr-defined]


def own_catalogue_problems(language: str) -> list[str]:
    """A language without a catalogue of its own shows Danish: the screens would look right."""
    if language == PSEUDO_LANGUAGE:
        return []
    try:
        own = gettext.translation(DOMAIN, LOCALE_DIR, [language])
    except FileNotFoundError:
        return [f"{language}: no catalogue (kiosk/texts/locale/{language}): Danish is shown"]
    missing = [key for key in KEYS if key not in own._catalog]  # type: ignore[attr-defined]
    return [f"{language}: no text for {key}" for key in missing[:10]]


def problems_of(screen: str, window: KioskWindow) -> list[str]:
    problems: list[str] = []
    overlays = [window.languages] if screen == "start" else []  # the chooser, over the start screen
    for size in SIZES:
        where = f"{'portrait' if size[0] < size[1] else 'landscape'}"
        show_as(window, DEFAULT_LANGUAGE, size)
        danish = buttons_placed(window)
        for language in SHOWN_IN:
            show_as(window, language, size)
            found = cut_off(window, elision_possible=language != PSEUDO_LANGUAGE)
            found += keys_shown(window, KEYS)
            if language in RIGHT_TO_LEFT:
                found += not_mirrored(window, danish, keep_direction=(PinPad,))
                found += header_mirrored(window, window.header, window.header.title)
            for overlay in overlays:
                overlay.show_view(window.view)  # type: ignore[arg-type]
                overlay.open()
                QApplication.processEvents()
                found += [f"language chooser: {p}" for p in cut_off(overlay)]
                overlay.hide()
            problems += [f"{screen} {language} {where}: {problem}" for problem in found]
    return problems


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_fits_in_every_language_and_is_mirrored_right_to_left(qapp: QApplication,
                                                                           screen: str) -> None:
    with opened_screen(screen, DEFAULT_LANGUAGE, SIZES[0]) as (_kiosk, window):
        problems = problems_of(screen, window)
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_own_text_for_every_key(language: str) -> None:
    """Without it the screens above show Danish, which fits."""
    assert own_catalogue_problems(language) == []
