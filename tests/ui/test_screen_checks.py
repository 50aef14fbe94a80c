"""The screen checks find what they are for: a text cut off, a key shown, a layout not mirrored."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.screen_checks import buttons_placed, cut_off, keys_shown, not_mirrored


def window_with(qtbot: QtBot, *widgets: QWidget, width: int = 400) -> QWidget:
    window = QWidget()
    column = QVBoxLayout(window)
    for widget in widgets:
        column.addWidget(widget)
    qtbot.addWidget(window)
    window.setFixedWidth(width)
    window.show()
    QApplication.processEvents()
    return window


def test_a_label_or_button_too_small_for_its_text_is_cut_off(qtbot: QtBot) -> None:
    fits, too_long = QLabel("Lån"), QLabel("Lån " * 40)
    wrapped = QLabel("Lån materialer med hjem " * 10)
    wrapped.setWordWrap(True)
    wrapped.setFixedHeight(20)
    button = QPushButton("Forny alle materialer på én gang")
    button.setFixedWidth(60)
    window = window_with(qtbot, fits, too_long, wrapped, button)
    problems = cut_off(window)
    assert len(problems) == 3 and not any("'Lån'" in problem for problem in problems)


def test_an_ellipsis_counts_as_cut_off_where_no_text_has_one(qtbot: QtBot) -> None:
    window = window_with(qtbot, QLabel("[Ŝķàñ ŷöûŕ …"))
    assert cut_off(window) == []
    assert len(cut_off(window, elision_possible=False)) == 1


def test_a_key_shown_instead_of_its_text_is_found(qtbot: QtBot) -> None:
    window = window_with(qtbot, QLabel("pin.title"), QLabel("Indtast din pinkode"), QLabel("12.15"))
    assert len(keys_shown(window, ["pin.title"])) == 1
    assert len(keys_shown(window, [])) == 1  # shaped like a key


def test_a_row_of_buttons_not_reversed_right_to_left_is_found(qtbot: QtBot) -> None:
    row_holder = QWidget()
    row = QHBoxLayout(row_holder)
    first, second = QPushButton("Tilbage"), QPushButton("Færdig")
    row.addWidget(first)
    row.addWidget(second)
    window = window_with(qtbot, row_holder)
    danish = buttons_placed(window)
    window.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    QApplication.processEvents()
    assert not_mirrored(window, danish) == []
    row_holder.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # a row that forgot to mirror
    QApplication.processEvents()
    problems = not_mirrored(window, danish)
    assert any("kept their order" in problem for problem in problems)
    assert any("laid out LeftToRight" in problem for problem in problems)
