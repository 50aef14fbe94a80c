"""Done when (issue #21): with speech mode on, a whole borrow visit is made with the tactile keys
and the headset alone. The real window on the demo kiosk; the headset plugged in through the real
jack driver reading ``struct input_event`` records from a FIFO; only key events (arrows and OK)
after that, besides the card and the items, which are physical acts. What was said is checked in
order, and every utterance is a WAV made by the real espeak-ng and measured with sox."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from hardware.headset import SW_HEADPHONE_INSERT, HeadsetJack, input_event
from hardware.speech import SpeechEngine
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.view import ReceiptChoice
from kiosk.domain.events import InlineWorkers, Tick
from kiosk.session.service import Screen
from kiosk.settings import DEMO_SETTINGS, CentralSettings, TactileKeySettings, load_settings
from kiosk.simulate.screenshot import BOOK, SET
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader, in_memory
from kiosk.texts import text as t
from tests.ui.test_style import contrast
from ui.lockdown import LockdownFilter
from ui.main_window import ActivityFilter, KioskWindow
from ui.sounds import Sounds

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="espeak-ng and sox are needed")


@dataclass
class Visit:
    kiosk: Kiosk
    window: KioskWindow
    speech: SpeechEngine
    sounds: Sounds
    jack: HeadsetJack
    fifo: Path
    qtbot: QtBot

    def drain(self) -> None:
        self.kiosk.core.drain()
        QApplication.processEvents()

    def listen(self) -> None:
        """The patron listens until the kiosk has finished speaking."""
        self.drain()
        assert self.speech.wait_idle(60)

    def key(self, key: Qt.Key) -> None:
        target = self.window.focusWidget() or self.window
        self.qtbot.keyClick(target, key)
        self.listen()

    def focus_on(self, wanted: Callable[[QWidget], bool], key: Qt.Key = Qt.Key.Key_Down) -> QWidget:
        """Arrow on until the focused control is the wanted one (as a blind patron does, listening)."""
        for _ in range(40):
            self.key(key)
            focus = self.window.focusWidget()
            if focus is not None and wanted(focus):
                return focus
        raise AssertionError("the arrows never reached the control")

    def said(self) -> list[str]:
        return [spoken.text for spoken in self.speech.spoken]


@pytest.fixture
def keys() -> TactileKeySettings:
    return TactileKeySettings()


@pytest.fixture
def visit(qtbot: QtBot, keys: TactileKeySettings) -> Iterator[Visit]:
    with tempfile.TemporaryDirectory(prefix="speech-visit-") as folder:
        base = Path(folder)
        demo = load_settings(DEMO_SETTINGS)
        settings = demo.model_copy(update={
            "paths": demo.paths.model_copy(update={"data_dir": base / "data", "log_dir": base / "log"}),
            "central": CentralSettings(), "devices": in_memory(demo.devices)})
        kiosk = build(settings, profile="demo", clock=ManualClock(), workers=InlineWorkers(),
                      log_to_console=False)
        speech = SpeechEngine(speaker_player=(), headset_player=(), keep_dir=base / "said")
        sounds = Sounds(audible=False)
        window = KioskWindow(kiosk.session, title=settings.terminal.name, languages=("da", "en"),
                             now=kiosk.clock.now, sounds=sounds, speaker=speech, keys=keys)
        qtbot.addWidget(window)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        lockdown, activity = LockdownFilter(), ActivityFilter(kiosk.session.activity)
        for event_filter in (activity, lockdown):  # as the kiosk runs: these must not eat the keys
            app.installEventFilter(event_filter)
        kiosk.core.subscribe(window.show_view)
        kiosk.connect_devices()
        fifo = base / "event3"
        os.mkfifo(fifo)

        def plugged(on: bool) -> None:
            speech.use_headset(on)
            kiosk.session.headset_changed(on)

        jack = HeadsetJack(fifo, plugged)
        jack.start()
        assert jack.listening.wait(5)
        window.resize(1080, 1920)
        window.apply_scale(1080, 1920)
        window.show()
        window.activateWindow()
        kiosk.session.publish()
        visit = Visit(kiosk, window, speech, sounds, jack, fifo, qtbot)
        visit.drain()
        try:
            yield visit
        finally:
            jack.close()
            for event_filter in (activity, lockdown):
                app.removeEventFilter(event_filter)
            speech.close()
            sounds.close()
            kiosk.close()


def plug_in(visit: Visit) -> None:
    with visit.fifo.open("wb") as jack:
        jack.write(input_event(SW_HEADPHONE_INSERT, 1))
    wait_for_speech(visit, on=True)


def wait_for_speech(visit: Visit, *, on: bool) -> None:
    """Until the session has the jack's news (the jack's thread posts it after it marks the jack)."""
    def arrived() -> bool:
        visit.drain()
        return visit.kiosk.session.view.speech is on
    visit.qtbot.waitUntil(arrived, timeout=5000)
    visit.listen()


def sox_stat(wav: Path) -> tuple[float, float]:
    done = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True)
    table = dict(line.split(":", 1) for line in done.stderr.splitlines() if ":" in line)
    return float(table["Length (seconds)"]), float(table["RMS     amplitude"])


def in_order(said: list[str], expected: list[str]) -> list[str]:
    """The expected texts not found in ``said`` in this order (empty: all were)."""
    position = 0
    for index, wanted in enumerate(expected):
        while position < len(said) and said[position] != wanted:
            position += 1
        if position == len(said):
            return expected[index:]
        position += 1
    return []


def test_a_borrow_visit_with_the_headset_and_the_tactile_keys_alone(visit: Visit) -> None:
    kiosk, window = visit.kiosk, visit.window
    anna = kiosk.demo_cards[0]
    plug_in(visit)
    assert kiosk.session.view.speech

    borrow = visit.focus_on(lambda w: w is window.screens[Screen.START].borrow_tile)  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Return)
    assert kiosk.session.view.screen is Screen.IDENTIFY
    assert borrow is not None

    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(anna.credential)  # the card is held to the reader
    visit.listen()
    assert kiosk.session.view.screen is Screen.PIN

    pad = window.screens[Screen.PIN].pad  # type: ignore[attr-defined]
    for digit in anna.pin:
        visit.focus_on(lambda w, d=digit: w is pad.keys[d])
        before = len(visit.said())
        visit.key(Qt.Key.Key_Return)
        assert visit.said()[before:] == []  # a pressed digit is never said: a tone instead
    assert visit.sounds.played.count("key") == len(anna.pin)
    visit.focus_on(lambda w: w is pad.ok_key)
    visit.key(Qt.Key.Key_Enter)  # the keypad's Enter
    assert kiosk.session.view.screen is Screen.BORROW

    pad_reader = kiosk.devices.item_reader
    assert isinstance(pad_reader, MemoryItemReader)
    for item_id in (BOOK, SET):  # the items are put on the pad
        pad_reader.place(*[tag for tag in kiosk.demo_tags if tag.item_id == item_id])
        visit.listen()
    visit_view = kiosk.session.view.visit
    assert visit_view is not None and len(visit_view.items) == 2

    items_screen = window.screens[Screen.BORROW]
    visit.focus_on(lambda w: w is items_screen.done_button)  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Space)
    assert kiosk.session.view.screen is Screen.RECEIPT

    receipt = window.screens[Screen.RECEIPT]
    first = visit.focus_on(lambda _w: True)  # a new screen: the keys start at its first control
    assert first is receipt.tiles[ReceiptChoice.PRINT]  # type: ignore[attr-defined]
    visit.focus_on(lambda w: w is receipt.tiles[ReceiptChoice.NONE])  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Return)
    assert kiosk.session.view.screen is Screen.START
    assert kiosk.session.view.speech  # the headset is still plugged in

    said = visit.said()
    items = list(visit_view.items)
    expected = [
        t("speech.on", "da"), t("welcome", "da"),
        t("purpose.borrow", "da"),  # the borrow tile, focused
        t("purpose.borrow", "da"), t("identify.instruction", "da"),  # the identify screen's heading
        t("pin.title", "da"),
        *anna.pin[:1],  # the first key reached by the arrows is named (navigation)
        t("pad.title", "da"), t("pad.borrow_hint", "da"),
        items[0].title, items[1].title,
        t("done", "da"),  # the focused button
        t("receipt.title", "da"), t("speech.receipt", "da"), items[0].title, items[1].title,
        t("receipt.thanks", "da"),
        t("receipt.print", "da"), t("receipt.none", "da"),
        t("msg.goodbye", "da"), t("welcome", "da"),
    ]
    assert in_order(said, expected) == []
    assert any(text.startswith("Lånt – afleveres senest") for text in said)  # each item's outcome
    assert anna.pin not in " ".join(said)
    assert not any(anna.pin in text for text in said)

    for spoken in visit.speech.spoken:
        assert spoken.source == "espeak" and spoken.language == "da"
        length, rms = sox_stat(spoken.wav)
        assert length > 0.3, spoken.text
        assert rms > 0.01, spoken.text


def log_in(visit: Visit) -> None:
    reader = visit.kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(visit.kiosk.demo_cards[0].credential)
    visit.drain()
    visit.kiosk.session.submit_pin(visit.kiosk.demo_cards[0].pin)
    visit.listen()
    assert visit.kiosk.session.view.screen is Screen.PATRON


def test_the_arrows_wrap_and_the_header_comes_after_the_screen(visit: Visit) -> None:
    start = visit.window.screens[Screen.START]
    assert visit.focus_on(lambda _w: True) is start.borrow_tile  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Up)  # back past the first: the last control, the header's Display button
    assert visit.window.focusWidget() is visit.window.header.display_button
    visit.key(Qt.Key.Key_Down)
    assert visit.window.focusWidget() is start.borrow_tile  # type: ignore[attr-defined]


def test_in_a_right_to_left_layout_left_and_right_swap(visit: Visit) -> None:
    start = visit.window.screens[Screen.START]
    visit.window.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    visit.key(Qt.Key.Key_Left)  # "next" when reading right to left
    assert visit.window.focusWidget() is start.borrow_tile  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Left)
    assert visit.window.focusWidget() is start.return_tile  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Right)
    assert visit.window.focusWidget() is start.borrow_tile  # type: ignore[attr-defined]


def test_the_speech_key_is_reached_and_pressed_with_the_keys(visit: Visit) -> None:
    speech_key = visit.window.header.speech_button
    assert speech_key is not None and speech_key.accessibleName() == "Tale / Speech"
    visit.focus_on(lambda w: w is speech_key)
    visit.key(Qt.Key.Key_Return)
    assert visit.kiosk.session.view.speech
    assert speech_key.isChecked()
    assert visit.said()[:2] == [t("speech.on", "da"), t("welcome", "da")]
    visit.key(Qt.Key.Key_Return)
    assert not visit.kiosk.session.view.speech


def test_the_idle_warning_is_said_and_ok_gives_more_time(visit: Visit) -> None:
    plug_in(visit)
    log_in(visit)
    clock = visit.kiosk.clock
    assert isinstance(clock, ManualClock)
    clock.advance(90)  # speech mode: warned 30 s before the timeout of 120 s
    visit.kiosk.core.post(Tick())
    visit.listen()
    view = visit.kiosk.session.view
    assert view.idle_warning and view.seconds_left == 30
    assert in_order(visit.said(), [t("idle.title", "da"), t("speech.more_time", "da")]) == []
    stay = visit.focus_on(lambda _w: True)  # the overlay's controls alone
    assert stay is visit.window.overlay.stay_button
    visit.key(Qt.Key.Key_Return)
    assert not visit.kiosk.session.view.idle_warning
    assert visit.kiosk.session.view.screen is Screen.PATRON


def test_pulling_the_headset_out_ends_speech_mode(visit: Visit) -> None:
    plug_in(visit)
    with visit.fifo.open("wb") as jack:
        jack.write(input_event(SW_HEADPHONE_INSERT, 0))
    wait_for_speech(visit, on=False)
    count = len(visit.said())
    visit.key(Qt.Key.Key_Down)  # the keys still move the focus, silently
    assert visit.window.focusWidget() is not None
    assert len(visit.said()) == count


def test_louder_softer_and_repeat_keys(visit: Visit) -> None:
    plug_in(visit)
    count = len(visit.said())
    visit.key(Qt.Key.Key_Asterisk)  # repeat
    assert visit.said()[count:] == visit.said()[:count]  # the last group: all the start screen said
    visit.key(Qt.Key.Key_Plus)  # louder, said again at once
    assert visit.speech.spoken[-1].volume == 120
    visit.key(Qt.Key.Key_Minus)
    visit.key(Qt.Key.Key_Minus)
    assert visit.speech.spoken[-1].volume == 80


@pytest.mark.parametrize("keys", [TactileKeySettings(previous=("PageUp",), next=("PageDown",),
                                                     activate=("Select",))])
def test_a_tactile_keypad_with_its_own_codes_is_mapped(visit: Visit) -> None:
    start = visit.window.screens[Screen.START]
    visit.key(Qt.Key.Key_Down)  # not mapped now
    assert visit.window.focusWidget() is None
    visit.key(Qt.Key.Key_PageDown)
    assert visit.window.focusWidget() is start.borrow_tile  # type: ignore[attr-defined]
    visit.key(Qt.Key.Key_Select)
    assert visit.kiosk.session.view.screen is Screen.IDENTIFY


def _edge_colour(widget: QWidget) -> str:
    """The colour a few pixels inside the widget's left edge, half way down (where the ring is)."""
    QApplication.processEvents()
    image = widget.grab().toImage()
    return image.pixelColor(4, image.height() // 2).name()


@pytest.mark.parametrize("which", ["digit", "ok", "speech", "language", "cancel"])
def test_the_focus_ring_contrasts_at_least_3_to_1_with_the_unfocused_control(visit: Visit,
                                                                               which: str) -> None:
    reader = visit.kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(visit.kiosk.demo_cards[0].credential)
    visit.drain()
    pad = visit.window.screens[Screen.PIN].pad  # type: ignore[attr-defined]
    header = visit.window.header
    target = {"digit": pad.keys["5"], "ok": pad.ok_key, "speech": header.speech_button,
              "language": header.language_button,  # on the header's colour
              "cancel": visit.window.screens[Screen.PIN].cancel_button}[which]  # type: ignore[attr-defined]
    unfocused = _edge_colour(target)
    visit.focus_on(lambda w: w is target)
    focused = _edge_colour(target)
    assert contrast(focused, unfocused) >= 3.0, (unfocused, focused)
    visit.qtbot.mouseClick(visit.window.screens[Screen.PIN], Qt.MouseButton.LeftButton)  # a touch
    assert _edge_colour(target) == unfocused  # the ring goes until the keys are used again


@pytest.mark.parametrize("headset", [True, False], ids=["headset", "loudspeaker"])
def test_a_pin_key_is_named_by_its_digit_only_into_a_headset(visit: Visit, headset: bool) -> None:
    """Through the loudspeaker whoever stands near would hear which digits a patron chooses."""
    if headset:
        plug_in(visit)
    else:
        visit.window.header.speech_button.click()  # speech mode by the key, no headset
        visit.listen()
    assert visit.kiosk.session.view.speech
    reader = visit.kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(visit.kiosk.demo_cards[0].credential)
    visit.drain()
    visit.listen()
    pad = visit.window.screens[Screen.PIN].pad  # type: ignore[attr-defined]
    count = len(visit.said())
    visit.focus_on(lambda w: w is pad.keys["7"])
    visit.listen()
    said = visit.said()[count:]
    if headset:
        assert "7" in said
    else:
        assert "7" not in said
        assert said[-2:] == ["Tast", "Sæt hovedtelefoner i stikket for at høre tallene på tasterne."]
    visit.key(Qt.Key.Key_Return)  # OK presses the key: a tone, not the digit
    visit.listen()
    assert pad.length == 1
