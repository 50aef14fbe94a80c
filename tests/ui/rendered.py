"""Measure a rendered window as a person would see it: the pixels, not the style sheet.

:func:`measure` takes a window and the image grabbed from it (the same pixels a PNG of it holds) and
returns one :class:`Finding` per failure:

* text contrast (WCAG 2.2 1.4.3): in the rectangle of every visible label and button with text, the
  background is the most common colour and the text the colour, among those covering a meaningful
  number of pixels (anti-aliasing makes many in-between colours, each on a few pixels), with the
  greatest contrast to it; at least 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold: 18 pt /
  14 pt bold at 96 dpi, at the screen's own pixels);
* non-text contrast of controls (1.4.11): a button's boundary (its border or its fill, whichever
  stands out more) against the background just outside it, at least 3:1;
* target size: every control at least ``target_px`` square (15 mm at the panel's pixels per mm);
* reach: with a reach line, no control reaches above it;
* clipped text: no label or button is too small for its words (large text must still fit), and
  no control is cut off at the side (lists scroll up and down, never sideways).

Disabled controls are measured for size and reach but not for contrast (WCAG exempts inactive
components), and so are widgets partly scrolled out of sight. While a card overlay shows, only
what is on it is measured: the rest is dimmed and
cannot be touched. Usable by any test that has a window and its image.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QAbstractButton, QLabel, QPushButton, QStyle, QStyleOptionButton, QWidget

from ui.widgets import CardOverlay

TEXT_MIN = 4.5
LARGE_TEXT_MIN = 3.0
NON_TEXT_MIN = 3.0
MEANINGFUL = 0.04  # a colour on at least this share of the non-background pixels is a real colour
MEANINGFUL_MIN_PX = 6


@dataclass(frozen=True)
class Finding:
    check: str  # "text contrast", "control contrast", "target size", "reach"
    widget: str  # objectName and text
    value: str  # what was measured
    needed: str

    def __str__(self) -> str:
        return f"{self.check} of {self.widget}: {self.value} (needs {self.needed})"


@lru_cache(maxsize=65536)
def luminance(rgb: int) -> float:
    """WCAG relative luminance of a 0xRRGGBB colour."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * linear((rgb >> 16) & 0xFF) + 0.7152 * linear((rgb >> 8) & 0xFF)
            + 0.0722 * linear(rgb & 0xFF))


def contrast(a: int, b: int) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def colours(image: QImage, rect: QRect) -> Counter[int]:
    """How many pixels of each colour (0xRRGGBB) ``rect`` of ``image`` holds."""
    rect = rect.intersected(image.rect())
    if rect.isEmpty():
        return Counter()
    part = image.copy(rect).convertToFormat(QImage.Format.Format_RGB32)
    pixels = array("I")
    pixels.frombytes(bytes(part.constBits()))  # type: ignore[arg-type]
    counts: Counter[int] = Counter()
    counts.update(pixels)
    return Counter({colour & 0xFFFFFF: n for colour, n in counts.items()})


def text_contrast(counts: Counter[int]) -> tuple[float, int, int] | None:
    """(contrast, text colour, background) in a rectangle holding text; None when it holds one colour."""
    if not counts:
        return None
    background, background_px = counts.most_common(1)[0]
    rest = sum(counts.values()) - background_px
    floor = max(MEANINGFUL_MIN_PX, rest * MEANINGFUL)
    candidates = [colour for colour, n in counts.items() if colour != background and n >= floor]
    if not candidates:
        return None
    ink = max(candidates, key=lambda colour: contrast(colour, background))
    return contrast(ink, background), ink, background


def is_large(font: QFont) -> bool:
    size = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72
    return size >= 24 or (font.weight() >= QFont.Weight.Bold and size >= 18.66)


def name_of(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, (QLabel, QAbstractButton)):
        text = widget.text()
    text = " ".join(text.split())
    shown = f" {text[:40]!r}" if text else ""
    return f"{type(widget).__name__}#{widget.objectName() or '-'}{shown}"


def is_control(widget: QWidget) -> bool:
    """What a finger can press: buttons, and rows that do something when tapped."""
    return isinstance(widget, QAbstractButton) or getattr(widget, "on_tap", None) is not None


def _in_window(widget: QWidget, window: QWidget) -> QRect:
    """The visible part of ``widget`` in window coordinates (empty when nothing of it shows)."""
    visible = widget.visibleRegion().boundingRect()
    return QRect(widget.mapTo(window, visible.topLeft()), visible.size())


def _full_in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def shown_widgets(window: QWidget) -> list[QWidget]:
    """Every widget a person sees: under a showing overlay, only the overlay's."""
    overlays = [o for o in window.findChildren(CardOverlay) if o.isVisible()]
    top: QWidget = overlays[-1] if overlays else window
    if overlays:
        raised = [o for o in overlays if o.parentWidget() is window]
        top = raised[-1] if raised else overlays[-1]
    return [w for w in top.findChildren(QWidget) if w.isVisible() and not _in_window(w, window).isEmpty()]


def _ring(rect: QRect, inner: int, outer: int) -> Iterable[QRect]:
    """The middle halves of the four sides of a band from ``inner`` to ``outer`` px outside ``rect``
    (negative: inside), leaving out the rounded corners."""
    w, h = rect.width(), rect.height()
    x0, y0 = rect.left() + w // 4, rect.top() + h // 4
    depth = outer - inner
    yield QRect(x0, rect.top() - outer, w // 2, depth)  # above
    yield QRect(x0, rect.bottom() + 1 + inner, w // 2, depth)  # below
    yield QRect(rect.left() - outer, y0, depth, h // 2)  # left
    yield QRect(rect.right() + 1 + inner, y0, depth, h // 2)  # right


def control_contrast(image: QImage, rect: QRect) -> tuple[float, int, int] | None:
    """(contrast, boundary colour, surrounding colour) of a control: its border or fill (the colours
    on at least a fifth of a band 8 px deep inside its edge, or of the next 8 px in: the fill where a
    focus ring covers the border) against the most common colour in a band 2-6 px outside it."""
    around: Counter[int] = Counter()
    for part in _ring(rect, 2, 6):
        around.update(colours(image, part))
    if not around:
        return None
    surrounding = around.most_common(1)[0][0]
    boundary: set[int] = set()
    for inner, outer in ((-8, 0), (-16, -8)):
        inside: Counter[int] = Counter()
        for part in _ring(rect, inner, outer):
            inside.update(colours(image, part))
        total = sum(inside.values())
        boundary |= {colour for colour, n in inside.items() if n >= total / 5}
    if not boundary:
        return None
    best = max(boundary, key=lambda colour: contrast(colour, surrounding))
    return contrast(best, surrounding), best, surrounding


def clipped(widget: QWidget) -> str:
    """How a label's or button's words do not fit it ("" when they do)."""
    if isinstance(widget, QLabel) and widget.text() and widget.textFormat() != 2:  # not rich text
        room = widget.contentsRect()
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            return f"{needed} px of text in {widget.height()} px" if needed > widget.height() + 1 else ""
        lines = widget.text().split("\n")
        widest = max(widget.fontMetrics().horizontalAdvance(line) for line in lines)
        return f"{widest} px of text in {room.width()} px" if widest > room.width() + 1 else ""
    if isinstance(widget, QPushButton) and widget.text():
        option = QStyleOptionButton()
        widget.initStyleOption(option)
        room = widget.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, widget)
        widest = max(widget.fontMetrics().horizontalAdvance(line) for line in widget.text().split("\n"))
        return f"{widest} px of text in {room.width()} px" if widest > room.width() + 1 else ""
    return ""


def measure(window: QWidget, image: QImage, *, target_px: int, reach_line: int = 0,
            with_contrast: bool = True) -> list[Finding]:
    """The findings on ``window`` as ``image`` shows it; without ``with_contrast`` only sizes, clipping
    and reach (contrast depends on the colours and the script's strokes, not on the words)."""
    findings: list[Finding] = []
    for widget in shown_widgets(window):
        control = is_control(widget)
        visible = _in_window(widget, window)
        # Contrast is measured on what shows whole: a row half scrolled out of its list is judged
        # when it is scrolled in.
        whole = visible == _full_in_window(widget, window)
        if (with_contrast and isinstance(widget, (QLabel, QAbstractButton)) and widget.text().strip()
                and widget.isEnabled() and whole):
            area = visible
            if isinstance(widget, QAbstractButton):  # inside the border and the rounded corners
                inset = min(visible.width(), visible.height()) // 8
                area = visible.adjusted(inset, inset, -inset, -inset)
            found = text_contrast(colours(image, area))
            needed = LARGE_TEXT_MIN if is_large(widget.font()) else TEXT_MIN
            if found is not None and found[0] < needed - 0.005:
                ratio, ink, background = found
                findings.append(Finding("text contrast", name_of(widget),
                                        f"{ratio:.2f}:1, #{ink:06X} on #{background:06X}", f"{needed}:1"))
        too_small = clipped(widget)
        if too_small:
            findings.append(Finding("clipped text", name_of(widget), too_small, "room for its words"))
        if not control:
            continue
        if visible.width() < widget.width():  # lists scroll up and down, never sideways
            findings.append(Finding("cut off", name_of(widget),
                                    f"{visible.width()} of {widget.width()} px wide shown", "all of it"))
        if with_contrast and isinstance(widget, QAbstractButton) and widget.isEnabled() and whole:
            found = control_contrast(image, _full_in_window(widget, window))
            if found is not None and found[0] < NON_TEXT_MIN - 0.005:
                ratio, boundary, surrounding = found
                findings.append(Finding("control contrast", name_of(widget),
                                        f"{ratio:.2f}:1, #{boundary:06X} against #{surrounding:06X}",
                                        f"{NON_TEXT_MIN}:1"))
        if min(widget.width(), widget.height()) < target_px:
            findings.append(Finding("target size", name_of(widget),
                                    f"{widget.width()} x {widget.height()} px", f"{target_px} px square"))
        if reach_line and visible.top() < reach_line:
            findings.append(Finding("reach", name_of(widget), f"top at {visible.top()} px",
                                    f"below {reach_line} px"))
    return findings
