"""Checks any screen test can run on a rendered window: a text cut off, a text key shown in place
of its text, and a right-to-left layout that is not mirrored. Each returns the problems it found as
sentences (empty: none), so a test can gather them over many screens and assert once.

The checks read the laid-out widgets (positions, sizes, fonts), not pixels: what they call cut off is
what Qt would clip or elide when it paints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

SLACK = 1  # px: Qt rounds sizes
_WORD_BREAK = re.compile(r"[\s\u200b]+")  # where a wrapping label may break a line
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")


def visible(window: QWidget, kind: type[QWidget] = QWidget) -> Iterator[QWidget]:
    """The widgets of ``kind`` in ``window`` that are shown (on the current page of every stack)."""
    for widget in window.findChildren(kind):
        if widget.isVisibleTo(window) and widget.width() > 0 and widget.height() > 0:
            yield widget


def name(widget: QWidget) -> str:
    """How a problem names a widget: its class, object name and text."""
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    return f"{type(widget).__name__}#{widget.objectName()} {text[:60]!r}"


def in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def _outside(widget: QWidget, window: QWidget) -> str | None:
    """Out of the window; or, in a list that scrolls only up and down, out of its sides."""
    area = _scroll_area(widget)
    if area is None:
        placed = in_window(widget, window)
        return None if window.rect().contains(placed) else f"reaches outside the window ({placed})"
    viewport = area.viewport()
    left = widget.mapTo(viewport, QPoint(0, 0)).x()
    if area.horizontalScrollBarPolicy() is Qt.ScrollBarPolicy.ScrollBarAlwaysOff and (
            left < 0 or left + widget.width() > viewport.width() + SLACK):
        return f"reaches out of the sides of its list ({left}..{left + widget.width()} of {viewport.width()})"
    return None


def _label_cut(label: QLabel) -> str | None:
    text = label.text()
    if not text or label.textFormat() is Qt.TextFormat.RichText:
        return None
    metrics = QFontMetrics(label.font())
    room = label.contentsRect().width() - 2 * label.margin()
    if label.wordWrap():
        longest = max((metrics.horizontalAdvance(word) for word in _WORD_BREAK.split(text)), default=0)
        if longest > room + SLACK:
            return f"a word needs {longest} px, the label has {room}"
        needed = label.heightForWidth(label.width())
        if needed > label.height() + SLACK:
            return f"wrapped it needs {needed} px of height, it has {label.height()}"
        return None
    widest = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
    if widest > room + SLACK:
        return f"needs {widest} px, has {room}"
    if label.sizeHint().height() > label.height() + SLACK:
        return f"needs {label.sizeHint().height()} px of height, has {label.height()}"
    return None


def _button_cut(button: QAbstractButton) -> str | None:
    hint = button.sizeHint()
    if isinstance(button, QPushButton) and button.text() and button.icon().isNull():
        # The size its words need as they show (on two lines where they went onto two).
        option = QStyleOptionButton()
        button.initStyleOption(option)
        content = button.fontMetrics().size(Qt.TextFlag.TextShowMnemonic, button.text())
        hint = button.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, content, button)
    if button.hasHeightForWidth():  # words that wrap (a tile): as tall as they are at its width
        hint = QSize(button.minimumSizeHint().width(), button.heightForWidth(button.width()))
    if hint.width() > button.width() + SLACK or hint.height() > button.height() + SLACK:
        return f"needs {hint.width()}x{hint.height()}, has {button.width()}x{button.height()}"
    return None


def cut_off(window: QWidget, *, elision_possible: bool = True) -> list[str]:
    """Every shown label and button whose text does not fit it: a non-wrapping text wider than the
    label, a wrapping one taller than it (or with a word wider than it), a button smaller than it
    asks to be, a text ending in an ellipsis where the catalogue has none (``elision_possible``:
    False in the pseudo-locale, whose every text ends in a bracket), or a widget reaching outside
    the window (outside a scroll area)."""
    problems = []
    for widget in visible(window):
        why: str | None = None
        if isinstance(widget, QLabel):
            why = _label_cut(widget)
        elif isinstance(widget, QAbstractButton):
            why = _button_cut(widget)
        else:
            continue
        text = widget.text()
        if why is None and not elision_possible and text.rstrip().endswith("…"):
            why = "elided"
        if why is None:
            why = _outside(widget, window)
        if why is not None:
            problems.append(f"{name(widget)}: {why}")
    return problems


def keys_shown(window: QWidget, keys: Iterable[str]) -> list[str]:
    """Every shown text that is a message key (``pin.title``) rather than its text: a key that
    has no text in the language or in Danish. ``keys``: the catalogue's message ids."""
    known = set(keys)
    return [f"{name(widget)}: a key, not a text" for widget in visible(window)
            if isinstance(widget, QLabel | QAbstractButton)
            and (widget.text() in known or _KEY.match(widget.text()) is not None)]


@dataclass(frozen=True)
class Placed:
    """Where a button was, to compare one language's layout with another's."""

    widget: QAbstractButton
    rect: QRect


def buttons_placed(window: QWidget) -> dict[int, Placed]:
    """The shown buttons and where they are in the window, by identity."""
    return {id(button): Placed(button, in_window(button, window))
            for button in visible(window, QAbstractButton) if isinstance(button, QAbstractButton)}


def _same_row(a: QRect, b: QRect) -> bool:
    overlap = min(a.bottom(), b.bottom()) - max(a.top(), b.top())
    return overlap > min(a.height(), b.height()) / 2


def not_mirrored(window: QWidget, left_to_right: dict[int, Placed],
                 keep_direction: tuple[type[QWidget], ...] = ()) -> list[str]:
    """What a right-to-left layout of ``window`` does wrong, compared with the left-to-right
    ``left_to_right`` (:func:`buttons_placed` of the same screen): a shown widget not laid out right
    to left (except inside a ``keep_direction`` widget, the number pads, which must stay left to
    right), or two buttons side by side in both whose order is not reversed (kept, inside those)."""
    problems = []

    def kept(widget: QWidget) -> bool:
        parent: QWidget | None = widget
        while parent is not None and parent is not window:
            if isinstance(parent, keep_direction):
                return True
            parent = parent.parentWidget()
        return False

    for widget in visible(window):
        wanted = Qt.LayoutDirection.LeftToRight if kept(widget) else Qt.LayoutDirection.RightToLeft
        if widget.layoutDirection() != wanted:
            problems.append(f"{name(widget)}: laid out {widget.layoutDirection().name}")
    now = buttons_placed(window)
    shared = [key for key in left_to_right if key in now]
    for i, first in enumerate(shared):
        for second in shared[i + 1:]:
            before, after = left_to_right[first], left_to_right[second]
            a, b = now[first].rect, now[second].rect
            if not (_same_row(before.rect, after.rect) and _same_row(a, b)):
                continue
            if before.rect.center().x() == after.rect.center().x():
                continue
            was_left = before.rect.center().x() < after.rect.center().x()
            is_left = a.center().x() < b.center().x()
            should_be_left = was_left if kept(before.widget) else not was_left
            if is_left != should_be_left:
                problems.append(f"{name(before.widget)} and {name(after.widget)}: "
                                f"{'kept' if is_left == was_left else 'swapped'} their order")
    return problems


def header_mirrored(window: QWidget, header: QWidget, first: QWidget) -> list[str]:
    """In a right-to-left layout the header's first item (the library's name) is on the right."""
    if in_window(first, window).center().x() <= in_window(header, window).center().x():
        return [f"{name(first)}: the header's first item is not on the right"]
    return []
