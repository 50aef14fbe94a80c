"""The measuring helpers find what is wrong on the pixels: each check fails a widget made to fail it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.rendered import Finding, contrast, measure


def _window(qtbot: QtBot, style: str, *widgets: QWidget) -> QWidget:
    window = QWidget()
    window.setStyleSheet(style)
    layout = QVBoxLayout(window)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    qtbot.addWidget(window)
    window.resize(600, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def _checks(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(finding.check, finding.widget.split(" ")[0]) for finding in findings}


def test_the_wcag_ratio_of_black_on_white_is_21_and_of_grey_on_white_about_4_5() -> None:
    assert round(contrast(0x000000, 0xFFFFFF), 1) == 21.0
    assert round(contrast(0x767676, 0xFFFFFF), 2) == 4.54


def test_pale_text_a_small_button_and_a_borderless_one_are_found(qtbot: QtBot) -> None:
    pale = QLabel("Pale words on a pale ground")
    pale.setObjectName("Pale")
    small = QPushButton("x")
    small.setObjectName("Small")
    small.setFixedSize(40, 40)
    flat = QPushButton("Flat")
    flat.setObjectName("Flat")
    flat.setFixedHeight(100)
    window = _window(qtbot, """
        QWidget { background: #FFFFFF; font-size: 20px; }
        QLabel#Pale { color: #BBBBBB; }
        QPushButton#Small { background: #0B4F6C; color: #FFFFFF; border: none; }
        QPushButton#Flat { background: #F4F4F4; color: #000000; border: none; }
    """, pale, small, flat)
    found = _checks(measure(window, window.grab().toImage(), target_px=61))
    assert ("text contrast", "QLabel#Pale") in found
    assert ("target size", "QPushButton#Small") in found
    assert ("control contrast", "QPushButton#Flat") in found
    assert ("control contrast", "QPushButton#Small") not in found


def test_a_control_above_the_reach_line_and_words_too_big_for_their_box_are_found(qtbot: QtBot) -> None:
    high = QPushButton("High up")
    high.setObjectName("High")
    high.setFixedHeight(100)
    squeezed = QPushButton("Far too many words for this button")
    squeezed.setObjectName("Squeezed")
    squeezed.setFixedSize(120, 100)
    window = _window(qtbot, """
        QWidget { background: #FFFFFF; font-size: 20px; }
        QPushButton { background: #0B4F6C; color: #FFFFFF; border: none; }
    """, high, squeezed)
    findings = measure(window, window.grab().toImage(), target_px=61, reach_line=400)
    found = _checks(findings)
    assert ("reach", "QPushButton#High") in found
    assert ("clipped text", "QPushButton#Squeezed") in found
    assert not [f for f in findings if f.check in ("text contrast", "control contrast", "target size")]
