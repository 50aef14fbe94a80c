"""High contrast, large text and the reach layout: chosen on the screen, kept for one visit."""

from __future__ import annotations

from kiosk.session.service import Message, Screen
from kiosk.session.view import DisplayMode
from tests.session.test_session import Harness


def _choose(h: Harness, *, contrast: bool = True, large: bool = True, reach: bool = True) -> None:
    h.session.show_display_choices(True)
    h.session.choose_high_contrast(contrast)
    h.session.choose_large_text(large)
    h.session.choose_reach_layout(reach)
    h.session.show_display_choices(False)
    h.core.drain()


def test_each_choice_is_published_on_its_own() -> None:
    h = Harness()
    h.session.show_display_choices(True)
    h.core.drain()
    assert h.view.display_choices
    h.session.choose_large_text(True)
    h.core.drain()
    assert h.view.display_mode == DisplayMode(large_text=True)
    h.session.choose_high_contrast(True)
    h.session.choose_reach_layout(True)
    h.session.choose_large_text(False)
    h.core.drain()
    assert h.view.display_mode == DisplayMode(high_contrast=True, reach=True)
    assert h.view.display_choices  # still open until closed
    h.session.show_display_choices(False)
    h.core.drain()
    assert not h.view.display_choices


def test_choices_made_on_the_start_screen_last_through_the_visit() -> None:
    h = Harness()
    _choose(h)
    h.present()
    assert h.view.screen is Screen.PIN
    h.pin("1234")
    assert h.view.screen is Screen.PATRON
    assert h.view.display_mode == DisplayMode(True, True, True)


def test_the_goodbye_is_shown_in_the_patrons_display_and_the_next_person_gets_the_plain_one() -> None:
    h = Harness()
    h.present()
    h.pin("1234")
    _choose(h, large=False)
    h.session.logout()
    h.core.drain()
    assert h.view.message is Message.GOODBYE
    assert h.view.display_mode == DisplayMode(high_contrast=True, reach=True)
    h.wait(9)
    assert (h.view.message, h.view.display_mode) == (None, DisplayMode())


def test_a_cancelled_visit_goes_back_to_the_plain_display_at_once() -> None:
    h = Harness()
    _choose(h)
    h.present()
    h.session.cancel()
    h.core.drain()
    assert (h.view.screen, h.view.display_mode) == (Screen.START, DisplayMode())


def test_an_idle_timeout_resets_the_display_and_closes_the_choices() -> None:
    h = Harness()
    h.present()
    h.pin("1234")
    _choose(h)
    h.session.show_display_choices(True)
    h.core.drain()
    h.wait(61)
    assert h.view.message is Message.TIMED_OUT
    h.wait(9)
    assert (h.view.display_mode, h.view.display_choices) == (DisplayMode(), False)


def test_choices_left_on_the_start_screen_are_undone_when_nobody_touches_it() -> None:
    h = Harness()
    _choose(h)
    h.wait(30)
    assert h.view.display_mode == DisplayMode(True, True, True)
    h.wait(31)
    assert h.view.display_mode == DisplayMode()
