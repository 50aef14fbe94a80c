"""Lists of rows: items on the pad, loans and holds. Each row is an icon, a title and a status.

The colour of a row and its icon come from its *tone* (see :mod:`ui.visit_text`), so that what
happened is told by words, by colour and by shape at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAccessible,
    QAccessibleActionInterface,
    QAccessibleInterface,
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAccessibleWidget,
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.texts import text as t
from ui import style
from ui.visit_text import ATTENTION, BUSY, ERROR, OK, RowText
from ui.widgets import describe, label, palette_of, set_tone

CHECKBOX, CHECKED = "checkbox", "checked"
# What each icon says in words, for a screen reader; any other kind is the neutral clock.
ICON_NAMES = {OK: "a11y.icon.ok", ATTENTION: "a11y.icon.attention", ERROR: "a11y.icon.error",
              BUSY: "a11y.icon.busy", CHECKBOX: "a11y.icon.checkbox", CHECKED: "a11y.icon.checked"}


def icon_colour(kind: str, palette: style.Palette) -> str | None:
    """The solid colour of a status icon; None for the neutral clock face."""
    return {OK: palette.ok_solid, ATTENTION: palette.warn_solid, ERROR: palette.error_solid,
            BUSY: palette.busy_solid}.get(kind)


class StatusIcon(QWidget):
    """A round icon drawn to scale: check (ok), ! (attention), cross (error), dots (busy), a clock
    (neutral), or an empty / ticked box (a loan to choose for renewal)."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind = kind
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        box = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        stroke = max(2.0, side * 0.1)
        c = palette_of(self)
        white = QPen(QColor(c.on_solid), stroke, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                     Qt.PenJoinStyle.RoundJoin)
        if self.kind in (CHECKBOX, CHECKED):
            painter.setPen(QPen(QColor(c.primary), max(2.0, side * 0.07)))
            painter.setBrush(QColor(c.primary if self.kind == CHECKED else c.surface))
            inset = side * 0.08
            painter.drawRoundedRect(box.adjusted(inset, inset, -inset, -inset), side * 0.16,
                                    side * 0.16)
            if self.kind == CHECKED:
                painter.setPen(QPen(QColor(c.on_primary), stroke, Qt.PenStyle.SolidLine,
                                    Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
                self._tick(painter, box)
            painter.end()
            return
        solid = icon_colour(self.kind, c)
        if solid is None:  # neutral: a clock face in the muted colour
            painter.setPen(QPen(QColor(c.muted), max(2.0, side * 0.07)))
            painter.drawEllipse(box.adjusted(side * 0.1, side * 0.1, -side * 0.1, -side * 0.1))
            centre = box.center()
            painter.drawLine(centre, QPointF(centre.x(), box.top() + side * 0.28))
            painter.drawLine(centre, QPointF(box.left() + side * 0.68, centre.y()))
            painter.end()
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(solid))
        painter.drawEllipse(box)
        painter.setPen(white)
        x, y, s = box.left(), box.top(), side
        if self.kind == OK:
            self._tick(painter, box)
        elif self.kind == ERROR:
            painter.drawLine(QPointF(x + s * 0.33, y + s * 0.33), QPointF(x + s * 0.67, y + s * 0.67))
            painter.drawLine(QPointF(x + s * 0.67, y + s * 0.33), QPointF(x + s * 0.33, y + s * 0.67))
        elif self.kind == ATTENTION:
            painter.drawLine(QPointF(x + s * 0.5, y + s * 0.25), QPointF(x + s * 0.5, y + s * 0.56))
            painter.drawPoint(QPointF(x + s * 0.5, y + s * 0.75))
        else:
            for dx in (0.3, 0.5, 0.7):
                painter.drawPoint(QPointF(x + s * dx, y + s * 0.5))
        painter.end()

    @staticmethod
    def _tick(painter: QPainter, box: QRectF) -> None:
        x, y, s = box.left(), box.top(), box.width()
        painter.drawPolyline([QPointF(x + s * 0.28, y + s * 0.52), QPointF(x + s * 0.44, y + s * 0.68),
                              QPointF(x + s * 0.73, y + s * 0.36)])


class InfoRow(QFrame):
    """Icon, title and status; tapping it calls ``on_tap`` when the row has one."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Row")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.on_tap: Callable[[], None] | None = None
        self.icon = StatusIcon()
        self.title = label("RowTitle", center=False)
        self.author = label("RowAuthor", center=False)
        self.author.setVisible(False)
        self.status = label("RowStatus", center=False)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.addWidget(self.title)
        text.addWidget(self.author)
        text.addWidget(self.status)
        self.text_column = text
        self.row = QHBoxLayout(self)
        self.row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self.row.addLayout(text, 1)

    def show_text(self, text: RowText, language: str, *, icon: str | None = None,
                  selected: bool = False, description: str = "") -> None:
        """Show ``text``; a screen reader hears the title and status as the row's name, then
        ``description`` (what tapping it does), and its icon's meaning in ``language``."""
        self.title.setText(text.title)
        self.author.setText(text.author)
        self.author.setVisible(bool(text.author))
        self.status.setText(text.status)
        self.status.setVisible(bool(text.status))
        self.icon.set_kind(text.tone if icon is None else icon)
        describe(self.icon, t(ICON_NAMES.get(self.icon.kind, "a11y.icon.waiting"), language))
        title = ", ".join(part for part in (text.title, text.author) if part)
        describe(self, f"{title}: {text.status}" if text.status else title, description)
        set_tone(self, "tone", text.tone)
        set_tone(self, "selected", "true" if selected else "false")
        set_tone(self.status, "tone", text.tone)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.on_tap is not None and self.rect().contains(event.position().toPoint()):
            self.on_tap()
        super().mouseReleaseEvent(event)

    @property
    def checkable(self) -> bool:
        """A row one chooses (a loan to renew), rather than one that takes the patron on."""
        return self.icon.kind in (CHECKBOX, CHECKED)

    def apply_scale(self, scale: style.Scale) -> None:
        pad = scale.px(22)
        self.row.setContentsMargins(pad, pad, scale.px(28), pad)
        self.row.setSpacing(scale.px(24))
        self.text_column.setSpacing(scale.px(4))
        self.icon.setFixedSize(scale.px(56), scale.px(56))
        self.setMinimumHeight(scale.px(118))  # a row you tap is a touch target


class RowAccessible(QAccessibleWidget):
    """What a screen reader sees of a row: a list item, or, when a touch acts on it, a button with
    "press" (a print job) or a check box with "toggle", checked when chosen (a loan to renew)."""

    def __init__(self, row: InfoRow) -> None:
        super().__init__(row, QAccessible.Role.ListItem)
        self._row = row

    def role(self) -> QAccessible.Role:
        if self._row.on_tap is None:
            return QAccessible.Role.ListItem
        return QAccessible.Role.CheckBox if self._row.checkable else QAccessible.Role.Button

    def state(self) -> QAccessible.State:
        state = super().state()
        if self._row.on_tap is not None and self._row.checkable:
            state.checkable = True
            state.checked = self._row.icon.kind == CHECKED
        return state

    def actionNames(self) -> list[str]:
        if self._row.on_tap is None:
            return []
        return [QAccessibleActionInterface.toggleAction() if self._row.checkable
                else QAccessibleActionInterface.pressAction()]

    def doAction(self, name: str) -> None:
        if self._row.on_tap is not None and name in self.actionNames():
            self._row.on_tap()


def _row_accessible(_key: str, target: QObject) -> QAccessibleInterface | None:
    return RowAccessible(target) if isinstance(target, InfoRow) else None


_factory_installed: list[bool] = []


def install_row_accessibility() -> None:
    """Let Qt describe rows with :class:`RowAccessible` (once per process)."""
    if not _factory_installed:
        QAccessible.installFactory(_row_accessible)
        _factory_installed.append(True)


RowT = TypeVar("RowT", bound=InfoRow)


class RowPool(QWidget, Generic[RowT]):
    """A column of rows that are reused from one view to the next (no flicker, no churn)."""

    def __init__(self, make_row: Callable[[], RowT]) -> None:
        super().__init__()
        self.setObjectName("RowPool")
        self._make_row = make_row
        self._scale: style.Scale | None = None
        self.rows: list[RowT] = []
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)

    def show_count(self, count: int) -> list[RowT]:
        """Show the first ``count`` rows (making more when needed) and return them."""
        while len(self.rows) < count:
            row = self._make_row()
            if self._scale is not None:
                row.apply_scale(self._scale)
            self.rows.append(row)
            self.column.addWidget(row)
        for index, row in enumerate(self.rows):
            row.setVisible(index < count)
        return self.rows[:count]

    def apply_scale(self, scale: style.Scale) -> None:
        self._scale = scale
        self.column.setSpacing(scale.px(16))
        for row in self.rows:
            row.apply_scale(scale)


def scroll_area(content: QWidget) -> QScrollArea:
    """A vertical list that a finger can scroll (kinetic), with no horizontal scrolling."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.viewport().setAutoFillBackground(False)
    content.setAutoFillBackground(False)
    area.setWidget(content)
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
    return area


def name_list(area: QScrollArea, name: str) -> None:
    """A list's name for a screen reader (in the visit's language), on the list and its scroll bar."""
    describe(area, name)
    describe(area.verticalScrollBar(), name)


def listed(pool: QWidget) -> QScrollArea:
    """A list of rows at the top of a scrolling area (rows keep their height when there are few)."""
    holder = QWidget()
    holder.setObjectName("RowPool")
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(pool)
    column.addStretch(1)
    return scroll_area(holder)
