"""What speech mode says for a change of view: plain functions, and the guide with the real engine."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from hardware.speech import SpeechEngine
from kiosk.circulation.results import ItemResult, Outcome
from kiosk.circulation.view import Purpose, VisitView
from kiosk.session.view import Message, Screen, SessionView
from kiosk.texts import text as t
from ui.sounds import Sounds
from ui.speech import SpeechGuide
from ui.speech_text import speech_for

NOW = dt.datetime(2026, 12, 5, 14, 30)
DUE = dt.datetime(2026, 12, 12, 23, 59)


def said(before: SessionView | None, view: SessionView) -> list[str]:
    return [s.text for s in speech_for(before, view, now=NOW, library_name="Dokk1").said]


def borrow(*items: ItemResult, fee: ItemResult | None = None) -> SessionView:
    return SessionView(screen=Screen.BORROW, language="en", speech=True,
                       visit=VisitView(Purpose.BORROW, items=items, fee_question=fee))


def test_each_item_is_said_once_when_its_outcome_is_known() -> None:
    checking = ItemResult("1", Outcome.CHECKING, "Kongens Fald")
    lent = ItemResult("1", Outcome.BORROWED, "Kongens Fald", due_date=DUE)
    first = borrow(checking)
    assert said(first, borrow(checking)) == []
    assert said(first, borrow(lent)) == ["Kongens Fald", "Borrowed – return by 12 December"]
    assert said(borrow(lent), borrow(lent)) == []  # already said


def test_a_refusal_says_why_and_a_fee_says_the_amount() -> None:
    refused = ItemResult("2", Outcome.REFUSED, "Opslagsværk", lms_messages=("Not for loan",))
    rental = ItemResult("3", Outcome.FEE_REQUIRED, "Film", fee_amount=Decimal("10.00"))
    words = said(borrow(), borrow(refused, rental, fee=rental))
    assert words[:3] == ["Opslagsværk", "Not for loan", t("item.refused.borrow", "en")]
    assert any("10" in w and "Do you want to borrow it?" in w for w in words)


def test_the_patron_screen_never_says_the_name() -> None:
    view = SessionView(screen=Screen.PATRON, language="da", greeting_name="Anna", speech=True)
    words = said(None, view)
    assert "Anna" not in " ".join(words)
    assert words[-2:] == [t("patron.greeting_anonymous", "da"), t("menu.choose", "da")]


def test_a_new_screen_interrupts_and_a_farewell_comes_before_the_welcome() -> None:
    before = SessionView(screen=Screen.RECEIPT, language="da", speech=True)
    after = SessionView(screen=Screen.START, language="da", speech=True, message=Message.GOODBYE)
    speech = speech_for(before, after, now=NOW, library_name="Dokk1")
    assert speech.interrupt
    assert [s.text for s in speech.said][:2] == [t("msg.goodbye", "da"), t("welcome", "da")]


def test_the_idle_warning_says_how_to_get_more_time() -> None:
    before = SessionView(screen=Screen.PATRON, language="en", speech=True)
    warned = SessionView(screen=Screen.PATRON, language="en", speech=True, idle_warning=True, seconds_left=30)
    assert said(before, warned) == [t("idle.title", "en"), "You will be logged out in 30 seconds.",
                                    t("speech.more_time", "en")]
    assert said(warned, warned) == []  # the countdown is not read out every second


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is needed")
def test_a_language_without_a_voice_is_said_in_english(tmp_path: Path) -> None:
    engine = SpeechEngine(speaker_player=(), headset_player=(), keep_dir=tmp_path)
    sounds = Sounds(audible=False)
    try:
        guide = SpeechGuide(engine, sounds, now=lambda: NOW, library_name="Dokk1")
        guide.show_view(None, SessionView(screen=Screen.PIN, language="so", speech=True))
        assert engine.wait_idle(30)
        spoken = engine.spoken
        assert [s.source for s in spoken] == ["english"] * len(spoken)
        assert t("pin.title", "en") in [s.text for s in spoken]
    finally:
        engine.close()
        sounds.close()


def test_the_doors_answer_is_said_and_a_lock_that_failed_after_it_too() -> None:
    from kiosk.door.access_model import AccessReason
    from kiosk.door.entry import EntryView

    pin = SessionView(screen=Screen.PIN, language="en", speech=True)
    door = SessionView(screen=Screen.DOOR, language="en", speech=True,
                       entry=EntryView(True, AccessReason.OK, "", door_unlocked=None))
    assert said(pin, door)[:2] == [t("door.unlocked.title", "en"), t("door.unlocked", "en")]
    unlocked = SessionView(screen=Screen.DOOR, language="en", speech=True,
                           entry=EntryView(True, AccessReason.OK, "", door_unlocked=True))
    assert said(door, unlocked) == []
    failed = SessionView(screen=Screen.DOOR, language="en", speech=True,
                         entry=EntryView(True, AccessReason.OK, "", door_unlocked=False))
    assert said(unlocked, failed) == [t("door.failed.title", "en"), t("door.failed", "en")]
