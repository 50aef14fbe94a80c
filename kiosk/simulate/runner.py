"""Run a scenario against the real window and the real session, offscreen and single-threaded.

Each step is done the way a patron (or the world) does it: buttons are pressed with mouse events on
the visible widget that reads the label, the PIN is typed on the window's keypad, cards and tags go
through the in-memory devices, time passes on the manual clock. After every step the core's queue is
drained and Qt handles its events, so the run is deterministic. One JSON object per line goes to
``out`` for each step and each notable event; a PIN or CPR number never appears in it.

The kiosk comes built (:func:`kiosk.simulate.build.build_for_simulation`); this module only drives it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from PySide6.QtCore import QEvent, QEventLoop, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.circulation.results import Outcome
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import Tick
from kiosk.domain.logs import redact
from kiosk.domain.model import SecurityState
from kiosk.session.service import Screen, SessionView
from kiosk.simulate.build import Simulation
from kiosk.simulate.scenario import (
    EXPECTATIONS,
    Advance,
    ChooseLanguage,
    ExpectItem,
    ExpectJournal,
    ExpectReceipt,
    ExpectScreen,
    ExpectText,
    ExpectTransaction,
    FailSecurity,
    LmsQuirks,
    Place,
    PresentCard,
    Press,
    Remove,
    RestartLms,
    Scenario,
    Step,
    StopLms,
    TypePin,
    Wait,
)
from kiosk.simulate.scenario_door import (
    DoorContact,
    ExitButton,
    ExpectAlarm,
    ExpectDoor,
    ExpectEntry,
    check_door,
    press_exit_button,
    set_door_contact,
)
from kiosk.simulate.scenario_restart import ExpectTag, KioskKilled, RestartKiosk
from kiosk.simulate.scenario_speech import (
    SPEECH_STEPS,
    ExpectSpoken,
    Headset,
    Key,
    KeyTo,
    SpeechFailed,
    SpeechRig,
)
from kiosk.testing.memory import MemoryDoorLock
from ui.main_window import ActivityFilter, KioskWindow
from ui.sounds import Sounds

WindowFactory = Callable[[Kiosk, SpeechRig | None], KioskWindow]
MASK = "****"


def kiosk_window(kiosk: Kiosk, speech: SpeechRig | None = None) -> KioskWindow:
    """The window the kiosk runs with, silent (speech mode's WAVs are made, not played)."""
    settings = kiosk.settings
    return KioskWindow(kiosk.session, title=settings.terminal.name or settings.terminal.branch,
                       languages=settings.terminal.languages, now=kiosk.clock.now,
                       sounds=Sounds(audible=False), speaker=speech.engine if speech is not None else None,
                       keys=settings.speech.keys, screen=settings.terminal.screen)


class StepFailed(Exception):
    """A step could not be done as written (no such button, the PIN screen is not showing)."""


def _plain(text: str) -> str:
    if "<" in text and ">" in text:
        text = QTextDocumentFragment.fromHtml(text).toPlainText()
    return " ".join(text.split())


class Runner:
    def __init__(self, scenario: Scenario, simulation: Simulation, out: TextIO, screenshots: Path | None,
                 size: tuple[int, int] = (1080, 1920), window_factory: WindowFactory = kiosk_window) -> None:
        app = QApplication.instance() or QApplication([])
        assert isinstance(app, QApplication)
        self.app, self.scenario, self.sim = app, scenario, simulation
        self.kiosk = simulation.kiosk
        self._size, self._window_factory = size, window_factory
        self._out, self._screenshots = out, screenshots
        self._activity: ActivityFilter | None = None
        uses_speech = any(isinstance(step.action, SPEECH_STEPS) for step in scenario.steps)
        self.speech = SpeechRig() if uses_speech else None
        self.window = self._open_window()
        self._step = 0
        self._view: SessionView | None = None
        self._outcomes: dict[str, Outcome] = {}
        self._transactions = 0
        self._receipts = 0
        self._stop_at: int | None = None
        self._pin: str | None = None

    # -- the log ----------------------------------------------------------------------------------
    def emit(self, event: str, **fields: Any) -> None:
        line = {"step": self._step, "event": event, **fields}
        self._out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self._out.flush()

    def observe(self, note: object) -> None:
        """Core listener: what changed in the published view, as events."""
        if not isinstance(note, SessionView):
            return
        before, self._view = self._view, note
        if before is None or (before.screen, before.message) != (note.screen, note.message):
            extra = {"lms_messages": [redact(m) for m in note.lms_messages]} if note.message else {}
            self.emit("screen", screen=note.screen.value,
                      message=note.message.value if note.message else None, **extra)
        if note.idle_warning and (before is None or not before.idle_warning):
            self.emit("idle_warning", seconds_left=note.seconds_left)
        old = before.visit if before is not None else None
        visit = note.visit
        if visit is None:
            return
        old_items = {r.item_id: r for r in old.items} if old is not None else {}
        for row in visit.items:
            previous = old_items.get(row.item_id)
            if row.outcome is Outcome.CHECKING or (previous is not None and previous.outcome is row.outcome):
                continue
            self._outcomes[row.item_id] = row.outcome
            self.emit("item", item=row.item_id, outcome=row.outcome.value, title=row.title,
                      parts=f"{row.parts_present}/{row.parts_in_set}",
                      routing=row.routing.value if row.routing else None,
                      lms_messages=[redact(m) for m in row.lms_messages])
        if visit.fee_question is not None and (old is None or old.fee_question is None):
            self.emit("fee_question", item=visit.fee_question.item_id, amount=visit.fee_question.fee_amount)
        if visit.account is not None and (old is None or old.account is None):
            self.emit("account", loans=len(visit.account.loans), holds=len(visit.account.holds))
        if visit.account is not None and old is not None and old.account is not None:
            tried = {loan.item_id: loan.renewed for loan in old.account.loans}
            for loan in visit.account.loans:
                if loan.renewed is not None and tried.get(loan.item_id) != loan.renewed:
                    self.emit("renewal", item=loan.item_id, renewed=loan.renewed, message=loan.message)
        if visit.receipt_choices and (old is None or not old.receipt_choices):
            self.emit("receipt_question", choices=[c.value for c in visit.receipt_choices])

    def _report_outside(self) -> None:
        """What the LMS emulator applied and the printer printed since the last look."""
        lms = self.sim.lms
        if lms is not None:
            done = lms.transactions()
            for record in done[self._transactions:]:
                self.emit("transaction", command=record.command, code=record.code, item=record.item,
                          ok=record.ok, detail=record.detail)
            self._transactions = len(done)
            if self._stop_at is not None and len(done) >= self._stop_at:
                self._stop_at = None
                lms.stop()
                self.emit("lms_stopped")
        printer = self.sim.printer
        if printer is not None:
            printed = printer.printed
            for receipt in printed[max(0, len(printed) - (printer.count - self._receipts)):]:
                self.emit("receipt", title=receipt.title, lines=len(receipt.lines))
            self._receipts = printer.count

    # -- the window and the kiosk behind it ----------------------------------------------------------
    def _open_window(self) -> KioskWindow:
        kiosk = self.kiosk
        window = self._window_factory(kiosk, self.speech)
        if self.speech is not None:
            self.speech.attach(kiosk)
        self._activity = ActivityFilter(kiosk.session.activity)
        self.app.installEventFilter(self._activity)
        kiosk.core.subscribe(window.show_view)
        kiosk.connect_devices()
        window.setFixedSize(*self._size)
        window.apply_scale(*self._size)
        window.show()
        window.activateWindow()  # the tactile keys move Qt's focus, which an active window has
        return window

    def close_window(self) -> None:
        if self._activity is not None:
            self.app.removeEventFilter(self._activity)
            self._activity = None
        self.window.close()
        self.window.deleteLater()
        self.app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        self.app.processEvents()

    def _arm_kill(self, at: str) -> None:
        """The next time the kiosk reaches ``at``, it dies there."""

        def kill(*_args: object) -> None:
            raise KioskKilled(at)

        if at == "tag_write":
            if self.sim.pad is None:
                raise StepFailed("restart_kiosk at tag_write: this terminal has no RFID pad")
            self.sim.pad.before_write = kill
        else:
            lock = self.kiosk.devices.door_lock
            if not isinstance(lock, MemoryDoorLock):
                raise StepFailed("restart_kiosk at door_unlock: this terminal has no simulated door lock "
                                 "(terminal = \"door\")")
            lock.before_pulse = kill
        self.emit("kill_armed", at=at)

    def _restart(self, at: str) -> None:
        """The kiosk was killed (at ``at``): a new one starts on what it left, and has its first tick
        (where it settles what the kill left in doubt)."""
        self.emit("kiosk_killed", at=at)
        self.close_window()
        self.sim.restart()
        self.kiosk, self._view = self.sim.kiosk, None
        self.window = self._open_window()
        self.kiosk.core.subscribe(self.observe)
        self.kiosk.session.publish()
        self.kiosk.core.post(Tick())
        self.settle()
        self.emit("kiosk_restarted")

    # -- running ----------------------------------------------------------------------------------
    def settle(self) -> None:
        """Handle every queued event, one at a time, and let Qt catch up, until all is quiet."""
        quiet = 0
        while quiet < 2:
            if self.kiosk.core.drain(max_events=1):
                self._report_outside()
                quiet = 0
            else:
                self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
                quiet += 1
        self._report_outside()

    def run(self) -> int:
        self.emit("scenario", name=self.scenario.name,
                  source=str(self.scenario.source) if self.scenario.source else None,
                  lms="emulator" if self.sim.lms is not None else "sip2")
        self.kiosk.core.subscribe(self.observe)
        self.kiosk.session.publish()
        self.settle()
        for step in self.scenario.steps:
            self._step = step.number
            self.emit("step", do=step.do, **self._fields(step))
            try:
                try:
                    self._do(step)
                    self.settle()
                    if self.speech is not None:
                        self.speech.listen()  # a patron listening hears a screen out before going on
                except KioskKilled as killed:
                    self._restart(str(killed))
            except (StepFailed, SpeechFailed) as failure:
                return self._finish(False, str(failure))
            self._shoot(step.screenshot)
            if isinstance(step.action, EXPECTATIONS):
                ok, expected, actual = self._expect(step.action)
                self.emit("expect", ok=ok, expected=expected, actual=actual)
                if not ok:
                    return self._finish(False, f"expected {expected}, got {actual}")
        return self._finish(True, "")

    def _finish(self, ok: bool, reason: str) -> int:
        if not ok:
            self.emit("failed", reason=reason)
            self._shoot(f"failed-step-{self._step}")
        self.emit("result", scenario=self.scenario.name, ok=ok,
                  failed_step=None if ok else self._step)
        return 0 if ok else 1

    def _fields(self, step: Step) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if step.action is not None:
            for name, value in dataclasses.asdict(step.action).items():
                if (value is None or value == () or value is False) and name not in ("present", "secured"):
                    continue
                fields[name] = MASK if name in ("pin", "cpr") else value
        if step.screenshot:
            fields["screenshot"] = step.screenshot
        if step.note:
            fields["note"] = step.note
        return fields

    def _shoot(self, name: str | None) -> None:
        if name is None or self._screenshots is None:
            return
        self._screenshots.mkdir(parents=True, exist_ok=True)
        path = self._screenshots / (name if name.endswith(".png") else f"{name}.png")
        if not self.window.grab().save(str(path), "PNG"):
            raise StepFailed(f"could not write {path}")
        self.emit("screenshot", path=str(path))

    # -- steps ------------------------------------------------------------------------------------
    def _do(self, step: Step) -> None:
        action, sim = step.action, self.sim
        if isinstance(action, PresentCard):
            try:
                self._pin = sim.present(action)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        elif isinstance(action, TypePin):
            self._type_pin(action.pin if action.pin is not None else self._pin or "")
        elif isinstance(action, Place | Remove | FailSecurity):
            try:
                if isinstance(action, Place):
                    sim.place(action)
                elif isinstance(action, Remove):
                    sim.remove(action)
                else:
                    sim.fail_security(action)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        elif isinstance(action, Press):
            self._press(action.button, action.nth)
        elif isinstance(action, ChooseLanguage):
            self._choose_language(action.language)
        elif isinstance(action, Wait):
            self._wait(action.seconds)
        elif isinstance(action, Advance):
            self._advance(action.seconds)
        elif isinstance(action, StopLms):
            self._stop_lms(action)
        elif isinstance(action, RestartLms):
            if sim.lms is None:
                raise StepFailed("restart_lms needs the built-in LMS emulator")
            sim.lms.restart()
            self.emit("lms_restarted")
        elif isinstance(action, ExitButton):
            try:
                press_exit_button(self.kiosk)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        elif isinstance(action, DoorContact):
            try:
                set_door_contact(self.kiosk, action)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        elif isinstance(action, RestartKiosk):
            if action.at == "now":
                raise KioskKilled("now")
            self._arm_kill(action.at)
        elif isinstance(action, Headset | Key | KeyTo) and self.speech is not None:
            if isinstance(action, Headset):
                self.speech.headset(action, self.settle)
            elif isinstance(action, KeyTo):
                self.speech.key_to(self.window, action, self.settle)
            else:
                for _ in range(action.times):
                    self.speech.press(self.window, action.key, self.settle)
        elif isinstance(action, LmsQuirks):
            if sim.lms is None:
                raise StepFailed("lms_quirks needs the built-in LMS emulator")
            sim.lms.apply_quirks(action.changes())

    def _type_pin(self, pin: str) -> None:
        screen = self.window.screens.get(Screen.PIN)
        pad = getattr(screen, "pad", None)
        if screen is None or pad is None or not screen.isVisible():
            shown = self._view.screen.value if self._view is not None else "?"
            raise StepFailed(f"type_pin: the PIN screen is not showing (screen: {shown})")
        for digit in pin:
            self._click(pad.keys[digit])
        self._click(pad.ok_key)

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.settle()
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.01)

    def _advance(self, seconds: float) -> None:
        left = seconds
        while left > 0:
            moved = min(1.0, left)
            self.sim.clock.advance(moved)
            left -= moved
            self.kiosk.core.post(Tick())
            self.settle()

    def _stop_lms(self, action: StopLms) -> None:
        lms = self.sim.lms
        if lms is None:
            raise StepFailed("stop_lms needs the built-in LMS emulator")
        if action.after_transactions is None:
            lms.stop()
            self.emit("lms_stopped")
        else:
            self._stop_at = len(lms.transactions()) + action.after_transactions

    # -- the window -------------------------------------------------------------------------------
    def _click(self, widget: QWidget) -> None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         widget.rect().center())

    def _choose_language(self, language: str) -> None:
        """The header's language button, then the language in the chooser it opens."""
        choice = self.window.languages.buttons.get(language)
        if choice is None:
            raise StepFailed(f"the terminal does not offer the language {language!r}")
        self._click(self.window.header.language_button)
        self._click(choice)

    def _scope(self) -> list[QWidget]:
        """Where a finger can reach: inside a visible overlay (a question, the idle warning) if one
        is up, else the whole window."""
        overlays = [w for w in self.window.findChildren(QWidget)
                    if w.objectName() == "Overlay" and w.isVisible()]
        return overlays or [self.window]

    @staticmethod
    def _labels(widget: QWidget) -> set[str]:
        names = {_plain(label.text()) for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)}
        if isinstance(widget, QAbstractButton):
            names |= {_plain(widget.text()), _plain(widget.accessibleName())}
        return names - {""}

    def _pressables(self) -> list[QWidget]:
        found: list[QWidget] = []
        for root in self._scope():
            for widget in root.findChildren(QWidget):
                if isinstance(widget, QAbstractButton) or getattr(widget, "on_tap", None) is not None:
                    found.append(widget)
        return found

    def _press(self, text: str, nth: int | None) -> None:
        wanted = _plain(text)
        candidates = self._pressables()
        visible = [w for w in candidates if w.isVisible() and wanted in self._labels(w)]
        if not visible:
            if any(wanted in self._labels(w) for w in candidates):
                raise StepFailed(f"press: the button {text!r} is hidden on this screen")
            shown = sorted({" / ".join(sorted(self._labels(w))) for w in candidates
                            if w.isVisible() and self._labels(w)})
            raise StepFailed(f"press: no visible button reads {text!r}; visible: {shown}")
        if nth is None and len(visible) > 1:
            raise StepFailed(f"press: {len(visible)} visible buttons read {text!r}; say which with nth")
        if nth is not None and nth > len(visible):
            raise StepFailed(f"press: nth = {nth}, but only {len(visible)} visible buttons read {text!r}")
        target = visible[(nth or 1) - 1]
        if not target.isEnabled():
            raise StepFailed(f"press: the button {text!r} is disabled")
        self._click(target)

    def visible_texts(self) -> list[str]:
        texts = []
        for widget in self.window.findChildren(QWidget):
            if not widget.isVisible():
                continue
            if isinstance(widget, QLabel | QAbstractButton):
                texts.append(_plain(widget.text()))
        return [t for t in texts if t]

    # -- expectations -----------------------------------------------------------------------------
    def _expect(self, action: object) -> tuple[bool, Any, Any]:
        if isinstance(action, ExpectScreen):
            screen = self._view.screen.value if self._view is not None else None
            return screen == action.screen.value, action.screen.value, screen
        if isinstance(action, ExpectText):
            wanted = _plain(action.text)
            texts = self.visible_texts()
            present = any(wanted in text for text in texts)
            expected = f"{action.text!r} {'visible' if action.present else 'not visible'}"
            if present == action.present:
                return True, expected, "as expected"
            return False, expected, {"visible_texts": [redact(t) for t in texts]}
        if isinstance(action, ExpectTag):
            pad = self.sim.pad
            if pad is None:
                raise StepFailed("expect_tag: this terminal has no RFID pad")
            states = sorted({"secured" if t.security is SecurityState.SECURED else "unsecured"
                             for t in pad.lying if t.item_id == action.item})
            wanted = "secured" if action.secured else "unsecured"
            if not states:
                return False, {"item": action.item, "tags": wanted}, "no tag of the item on the pad"
            return states == [wanted], {"item": action.item, "tags": wanted}, {"tags": states}
        if isinstance(action, ExpectEntry | ExpectDoor | ExpectAlarm):
            try:
                return check_door(self.kiosk, action)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        if isinstance(action, ExpectSpoken) and self.speech is not None:
            self.speech.listen()
            return self.speech.check(self.window, action, self._pin)
        if isinstance(action, ExpectItem | ExpectTransaction | ExpectReceipt | ExpectJournal):
            try:
                return self.sim.check(action, self._outcomes)
            except ConfigError as exc:
                raise StepFailed(str(exc)) from None
        raise AssertionError(f"not an expectation: {action!r}")


def run_scenario(scenario: Scenario, simulation: Simulation, *, out: TextIO,
                 screenshots: Path | None = None, size: tuple[int, int] = (1080, 1920),
                 window_factory: WindowFactory = kiosk_window) -> int:
    """Run ``scenario`` on the built ``simulation``: 0 if every expectation held, else 1."""
    runner = Runner(scenario, simulation, out, screenshots, size, window_factory)
    try:
        return runner.run()
    finally:
        runner.close_window()
        if runner.speech is not None:
            runner.speech.close()
