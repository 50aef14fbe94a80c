"""Speech mode in the session: the key and the headset turn it on and off, the privacy reset ends
it unless a headset is plugged in, and time limits are longer while it is on."""

from __future__ import annotations

import pytest

from kiosk.session.service import Message, Screen
from kiosk.settings import SessionSettings
from tests.session.test_session import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_the_speech_key_turns_speech_mode_on_and_off(h: Harness) -> None:
    h.session.toggle_speech()
    h.core.drain()
    assert h.view.speech
    h.session.toggle_speech()
    h.core.drain()
    assert not h.view.speech


def test_a_headset_turns_it_on_and_pulling_it_out_off(h: Harness) -> None:
    h.session.headset_changed(True)
    h.core.drain()
    assert h.view.speech
    h.session.headset_changed(False)
    h.core.drain()
    assert not h.view.speech


def test_logging_out_ends_speech_mode_turned_on_by_the_key(h: Harness) -> None:
    h.session.toggle_speech()
    h.present()
    h.pin("1234")
    assert h.view.speech and h.view.screen is Screen.PATRON
    h.session.logout()
    h.core.drain()
    assert h.view.screen is Screen.START
    assert h.view.message is Message.GOODBYE
    assert not h.view.speech


def test_speech_mode_stays_for_the_next_person_while_a_headset_is_plugged_in(h: Harness) -> None:
    h.session.headset_changed(True)
    h.present()
    h.pin("1234")
    h.session.logout()
    h.core.drain()
    assert h.view.screen is Screen.START
    assert h.view.speech


def test_in_speech_mode_the_warning_comes_later_and_lasts_longer(h: Harness) -> None:
    settings = SessionSettings()
    assert (settings.idle_timeout_s, settings.idle_warning_s) == (60, 10)
    h.session.headset_changed(True)
    h.present()
    h.pin("1234")
    h.wait(60)  # the ordinary timeout has passed: in speech mode it is 120 s, warned 30 s before
    assert h.view.screen is Screen.PATRON
    assert not h.view.idle_warning
    h.wait(30)
    assert h.view.idle_warning
    assert h.view.seconds_left == 30
    h.wait(29)
    assert h.view.screen is Screen.PATRON
    h.wait(1)
    assert h.view.screen is Screen.START
    assert h.view.message is Message.TIMED_OUT


def test_without_speech_mode_the_ordinary_limits_hold(h: Harness) -> None:
    h.present()
    h.pin("1234")
    h.wait(50)
    assert h.view.idle_warning and h.view.seconds_left == 10
    h.wait(10)
    assert h.view.screen is Screen.START
