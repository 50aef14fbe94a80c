"""Every control a patron or staff member can touch, and every picture that says something, has a
name a screen reader can say, in the visit's language: on every screen of the screenshot tool (each
reached as a patron reaches it), in every language of the text catalogue. The name is read where a
screen reader reads it, through ``QAccessible`` (the interface Qt exports to AT-SPI), not from the
widget's own attributes. A control that a touch acts on must also be one a screen reader can press.

A name fails when it is empty, when it is only a symbol (a glyph such as ``⌫`` or ``−``, which a
screen reader spells out or skips), or, in a language other than Danish, when it is the Danish name
of the same control, unless that language's own catalogue says the same (``OK``), it has no words
(digits) or it is a language's own name (the language buttons, which each language must find); or
when a button shows words that its name does not contain (WCAG 2.5.3, label in name: a patron who
says or hears what they see must find it)."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleActionInterface
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QComboBox,
    QLineEdit,
    QWidget,
)

from kiosk.session.service import Screen as ScreenName
from kiosk.simulate.screenshot import SCREENS, opened_screen, reached, show_as
from kiosk.texts import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, LOCALE_DIR
from kiosk.texts import text as t
from ui.main_window import KioskWindow
from ui.rows import InfoRow, StatusIcon
from ui.screens.printing import FirstPage, PrintScreen, QrCode
from ui.widgets import CardIllustration, PadIllustration

SIZE = (1080, 1920)
CONTROLS = (QAbstractButton, QLineEdit, QAbstractSlider, QComboBox)
# Pictures that say something (WCAG 1.1.1): named like the controls.
PICTURES = (CardIllustration, PadIllustration, QrCode, FirstPage, StatusIcon)
Named = dict[str, tuple[str, str, str]]  # the control's place: (how to find it, its words, its name)
PRESSABLE = {QAccessible.Role.Button, QAccessible.Role.CheckBox}


def _clickable(widget: QWidget) -> bool:
    """A widget of ours that reacts to a touch itself (a tappable row) rather than through a button."""
    if getattr(widget, "on_tap", None) is not None:
        return True
    ours = [cls for cls in type(widget).__mro__ if cls.__module__.startswith("ui.")]
    return any(name in vars(cls) for cls in ours
               for name in ("mousePressEvent", "mouseReleaseEvent", "mouseDoubleClickEvent"))


def _interactive(widget: QWidget) -> bool:
    return (isinstance(widget, CONTROLS + PICTURES) or widget.focusPolicy() != Qt.FocusPolicy.NoFocus
            or _clickable(widget))


def _place(widget: QWidget, window: QWidget) -> str:
    """The widget's path from the window (class and position among its siblings): the same control
    has the same path in every language."""
    steps = []
    while widget is not window and widget.parentWidget() is not None:
        parent = widget.parentWidget()
        siblings = [w for w in parent.children() if isinstance(w, QWidget)]
        steps.append(f"{type(widget).__name__}[{siblings.index(widget)}]")
        widget = parent
    return "/".join(reversed(steps))


def _shown(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, (QAbstractButton, QLineEdit)) else ""
    return f"{type(widget).__name__} {widget.objectName()!r}" + (f" showing {text!r}" if text else "")


def not_pressable(window: KioskWindow) -> list[str]:
    """The visible widgets a touch acts on (not Qt's own buttons) that a screen reader is not told
    it can press: no button or check box role, or no action to do it with."""
    wrong = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or getattr(widget, "on_tap", None) is None:
            continue
        interface = QAccessible.queryAccessibleInterface(widget)
        actions = interface.actionInterface() if interface is not None else None
        if interface is None or interface.role() not in PRESSABLE or not actions or not actions.actionNames():
            wrong.append(f"{_shown(widget)} at {_place(widget, window)}: not pressable for a screen reader")
    return wrong


def accessible_names(window: KioskWindow) -> Named:
    """Each visible interactive widget of the window and the name its accessible interface gives."""
    found: Named = {}
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not _interactive(widget):
            continue
        interface = QAccessible.queryAccessibleInterface(widget)
        name = interface.text(QAccessible.Text.Name) if interface is not None else ""
        words = widget.text() if isinstance(widget, QAbstractButton) else ""
        found[_place(widget, window)] = (_shown(widget), words, name.strip())
    return found


def same_in_catalogue(language: str) -> set[str]:
    """The texts ``language``'s own catalogue words exactly as Danish does (``OK``)."""
    def read(lang: str) -> dict[str, str]:
        source = LOCALE_DIR / lang / "LC_MESSAGES" / "kiosk.po"
        if not source.exists():  # a language made at run time (a pseudo-locale) has no source
            return {}
        with source.open("rb") as po:
            return {str(m.id): m.string for m in read_po(po) if m.id and isinstance(m.string, str)}
    danish, own = read(DEFAULT_LANGUAGE), read(language)
    return {text for key, text in own.items() if text and danish.get(key) == text}


def _plain(text: str) -> str:
    """Words as said: a line break (a button's words on two lines) is a space."""
    return " ".join(text.casefold().split())


def problems(screen: str, language: str, names: Named, danish: Named) -> list[str]:
    wrong = []
    same_ok = same_in_catalogue(language) | set(LANGUAGE_NAMES.values()) if language != DEFAULT_LANGUAGE \
        else set()
    for place, (shown, words, name) in names.items():
        where = f"{screen} [{language}] {shown} at {place}"
        if not name:
            wrong.append(f"{where}: no accessible name")
        elif not any(char.isalnum() for char in name):
            wrong.append(f"{where}: the name {name!r} is only a symbol")
        elif any(char.isalpha() for char in words) and _plain(words) not in _plain(name):
            wrong.append(f"{where}: the name {name!r} does not contain the words shown, {words!r}")
        elif (language != DEFAULT_LANGUAGE and danish.get(place, ("", "", ""))[2] == name
              and any(char.isalpha() for char in name) and name not in same_ok):
            wrong.append(f"{where}: the name {name!r} is the Danish one")
    return wrong


@pytest.mark.parametrize("screen", SCREENS)
def test_every_control_has_a_spoken_name_in_the_visits_language(screen: str, qapp: object) -> None:
    danish: Named = {}
    wrong: list[str] = []
    # Reached once, as a patron reaches it, then shown in each language (as a change of language
    # in the middle of the visit shows it).
    with opened_screen(screen, DEFAULT_LANGUAGE, SIZE) as (_kiosk, window):
        for language in (DEFAULT_LANGUAGE, *(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)):
            show_as(window, language, SIZE)
            names = accessible_names(window)
            wrong += [f"{screen} [{language}] {problem}" for problem in not_pressable(window)]
            assert names, f"{screen} [{language}]: no control found at all"
            if language == DEFAULT_LANGUAGE:
                danish = names
            wrong += problems(screen, language, names, danish)
    assert not wrong, "\n".join(wrong)


def test_names_follow_a_change_of_language_during_the_visit(qapp: object) -> None:
    with reached("pin", DEFAULT_LANGUAGE, SIZE) as (kiosk, window):
        danish = accessible_names(window)
        other = next(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
        window.header.language_button.click()  # as the patron changes it: the chooser, a language
        window.languages.buttons[other].click()
        kiosk.core.drain()
        names = accessible_names(window)
    wrong = problems("pin", other, names, danish)
    assert not wrong, "\n".join(wrong)


def test_a_screen_reader_chooses_a_loan_for_renewal_by_its_toggle_action(qapp: object) -> None:
    with reached("account", DEFAULT_LANGUAGE, SIZE) as (kiosk, window):
        rows = [row for row in window.findChildren(InfoRow) if row.isVisible() and row.on_tap is not None]
        assert rows, "no loan to choose on the account screen"
        interface = QAccessible.queryAccessibleInterface(rows[0])
        assert interface.role() == QAccessible.Role.CheckBox
        was = interface.state().checked
        actions = interface.actionInterface()
        actions.doAction(QAccessibleActionInterface.toggleAction())
        kiosk.core.drain()
        assert QAccessible.queryAccessibleInterface(rows[0]).state().checked is not was
        assert t("a11y.renew.chosen" if not was else "a11y.renew.choose", DEFAULT_LANGUAGE) == \
            QAccessible.queryAccessibleInterface(rows[0]).text(QAccessible.Text.Description)


def test_a_screen_reader_hears_which_choice_is_on_and_turns_two_sided_off(qapp: object) -> None:
    with reached("print-choose", DEFAULT_LANGUAGE, SIZE) as (kiosk, window):
        screen = window.screens[ScreenName.PRINT]
        assert isinstance(screen, PrintScreen)
        off, on = (QAccessible.queryAccessibleInterface(b) for b in (screen.duplex.off, screen.duplex.on))
        assert (off.state().checked, on.state().checked) == (False, True)  # the patron chose two-sided
        off.actionInterface().doAction(QAccessibleActionInterface.toggleAction())
        kiosk.core.drain()
        assert window.view is not None and window.view.printing is not None
        assert window.view.printing.choices.duplex is False
        assert (off.state().checked, on.state().checked) == (True, False)
