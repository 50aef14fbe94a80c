"""Every screen fits the screen it is shown on, in portrait and landscape, in each language, with
every tile the kiosk can offer (printing included). A screen taller or wider than its window makes
the window grow; the window then scales up, the screen with it, and it grows again: the kiosk ran out
of memory that way when the print tile was added (a soak's first visit at 1.8 GB)."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from kiosk.session.view import DisplayMode, Screen, SessionView
from kiosk.texts import LANGUAGES
from tests.ui.test_ui_visit import RecordingActions
from ui.main_window import KioskWindow
from ui.sounds import Sounds

MODES = [DisplayMode(), DisplayMode(high_contrast=True), DisplayMode(large_text=True),
         DisplayMode(reach=True), DisplayMode(high_contrast=True, large_text=True, reach=True)]


@pytest.mark.parametrize("mode", MODES, ids=["plain", "contrast", "large", "reach", "all"])
@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)], ids=["portrait", "landscape"])
def test_no_screen_is_larger_than_the_window(qtbot: QtBot, size: tuple[int, int], mode: DisplayMode) -> None:
    sounds = Sounds(audible=False)
    window = KioskWindow(RecordingActions(), title="Aarhus Hovedbibliotek · Dokk1", languages=LANGUAGES,
                         now=lambda: dt.datetime(2026, 11, 25, 20, 15), sounds=sounds)
    qtbot.addWidget(window)
    window.resize(*size)
    window.apply_scale(*size)
    window.show()
    too_big = []
    for language in LANGUAGES:
        for name in Screen:
            window.show_view(SessionView(screen=name, language=language, printing_offered=True,
                                         display_mode=mode))
            needed = window.minimumSizeHint()
            if needed.width() > size[0] or needed.height() > size[1]:
                too_big.append((language, name.value, needed.width(), needed.height()))
    assert too_big == []
    assert (window.width(), window.height()) == size  # it never grew
    sounds.close()
