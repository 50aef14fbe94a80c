"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from PySide6.QtCore import QEvent, QLocale, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QColor,
    QIcon,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.texts import LANGUAGE_NAMES
from kiosk.texts import text as t
from ui import style

_Key = TypeVar("_Key")
HIGH_CONTRAST_PROPERTY = "highContrast"  # set on the window while high contrast is on


def palette_of(widget: QWidget) -> style.Palette:
    """The palette a widget that paints itself uses: its window's display mode."""
    return style.HIGH_CONTRAST if widget.window().property(HIGH_CONTRAST_PROPERTY) else style.PLAIN


def label(object_name: str, text: str = "", *, wrap: bool = True, center: bool = True) -> QLabel:
    widget = QLabel(text)
    widget.setObjectName(object_name)
    widget.setWordWrap(wrap)
    if center:
        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget


class WordButton(QPushButton):
    """A push button whose words go onto two lines when the layout gives it less width than one
    line of them needs (a longer language, large text), rather than being cut off; back onto one
    when the room comes back. ``text()`` is what shows; the words are those last set."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._words = text
        self._fit_pending = False
        # Narrower than its one line of words where the room is short (it then shows two), down to
        # :meth:`minimumSizeHint`; not Fixed in height: a row of buttons is no taller than the least
        # of its items' maximum heights, so a Fixed neighbour would cut off two lines of words.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:
        if text != self._words:  # a new view with the same words changes nothing (no churn)
            self._words = text
            super().setText(text)
            self._fit()

    def _needs(self, text: str) -> QSize:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = text
        metrics = self.fontMetrics()
        content = metrics.size(Qt.TextFlag.TextShowMnemonic, text)
        # Some scripts draw wider than their advance (Arabic's last letters): the wider of the two.
        drawn = max((metrics.boundingRect(line).width() for line in text.split("\n")), default=0)
        content.setWidth(max(content.width(), drawn))
        return self.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, content, self)

    def _fit(self) -> None:
        split = two_lines(self._words)
        if split == self._words or self.width() <= 1:
            return
        shown = self._words if self._needs(self._words).width() <= self.width() else split
        if shown != self.text():
            super().setText(shown)

    def narrowest(self) -> int:
        """The least width its words fit in: on two lines where they have a space to break at."""
        self.ensurePolished()
        return self._needs(two_lines(self._words)).width()

    def sizeHint(self) -> QSize:
        """As wide as the words on one line (what it asks for, whatever it shows), as tall as what
        it shows."""
        if not self._words:
            return super().sizeHint()
        return QSize(self._needs(self._words).width(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        """As narrow as its words on two lines: a screen is never wider than its window for a
        button's words (the window would grow with it)."""
        if not self._words:
            return super().minimumSizeHint()
        return QSize(self.narrowest(), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # After the layout that resized it is done: a new size asked for in the middle of it would
        # be lost (its row would keep the old height).
        if not self._fit_pending:
            self._fit_pending = True
            QTimer.singleShot(0, self, self._fit_later)

    def _fit_later(self) -> None:
        self._fit_pending = False
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()


def button(object_name: str, text: str, on_click: Callable[[], None]) -> QPushButton:
    widget = WordButton(text)
    widget.setObjectName(object_name)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    # clicked(bool) would hand `checked` to a lambda's first default argument; swallow it.
    widget.clicked.connect(lambda _checked=False: on_click())
    return widget


def two_lines(text: str) -> str:
    """``text`` broken at the space nearest its middle: a button's words too long for one line."""
    spaces = [index for index, char in enumerate(text) if char == " "]
    if not spaces:
        return text
    middle = min(spaces, key=lambda index: abs(index - len(text) / 2))
    return f"{text[:middle]}\n{text[middle + 1:]}"


def columns_that_fit(widgets: Sequence[QWidget], room: int, spacing: int, most: int) -> int:
    """How many of ``widgets`` fit side by side in ``room`` pixels, in columns as wide as the widest
    (at most ``most``, at least one)."""
    for widget in widgets:
        widget.ensurePolished()
    widest = max((widget.sizeHint().width() for widget in widgets), default=0)
    for columns in range(most, 1, -1):
        if columns * widest + (columns - 1) * spacing <= room:
            return columns
    return 1


def fit_side_by_side(buttons: Sequence[QPushButton], room: int, spacing: int) -> bool:
    """Whether ``buttons`` fit side by side in ``room`` px in columns of equal width, each at least
    as wide as its words need (on two lines, for a :class:`WordButton`)."""
    shown = [widget for widget in buttons if not widget.isHidden()]
    if not shown:
        return True
    each = (room - spacing * (len(shown) - 1)) / len(shown)
    return all((widget.narrowest() if isinstance(widget, WordButton) else widget.sizeHint().width()) <= each
               for widget in shown)


def describe(widget: QWidget, name: str, description: str = "") -> None:
    """What a screen reader says of ``widget`` (through QAccessible, exported to AT-SPI): its
    ``name``, and what touching it does or what it shows when the name does not say
    (``description``). Both in the visit's language; a widget without words of its own (a glyph, a
    drawing, a row of labels) has no other name."""
    if widget.accessibleName() != name:
        widget.setAccessibleName(name)
    if widget.accessibleDescription() != description:
        widget.setAccessibleDescription(description)


def choices(object_name: str, labelled: dict[_Key, str], on_choose: Callable[[_Key], None],
            parent: QWidget) -> dict[_Key, QPushButton]:
    """Buttons of which one is the chosen one (a page, on or off): checkable in one exclusive
    group, so that a screen reader hears which is checked. They act on ``toggled``: a screen
    reader's "toggle" action checks a button without a click, and must choose as a touch does."""
    group = QButtonGroup(parent)
    group.setExclusive(True)
    made = {}
    for key, text in labelled.items():
        widget = button(object_name, text, lambda: None)
        widget.setCheckable(True)
        widget.toggled.connect(partial(_chosen, on_choose, key))
        group.addButton(widget)
        made[key] = widget
    return made


def language_choices(object_name: str, languages: tuple[str, ...], on_choose: Callable[[str], None],
                     parent: QWidget) -> dict[str, QPushButton]:
    """:func:`choices` of languages, each named in its own language and marked as in it for
    assistive technology (its locale: WCAG 3.1.2, language of parts)."""
    made = choices(object_name, {code: LANGUAGE_NAMES.get(code, code) for code in languages}, on_choose,
                   parent)
    for code, widget in made.items():
        widget.setLocale(QLocale(code))
    return made


def _chosen(on_choose: Callable[[_Key], None], key: _Key, checked: bool) -> None:
    if checked:
        on_choose(key)


def show_selected(widget: QPushButton, selected: bool) -> None:
    """Mark one of :func:`choices` as the chosen one: by its colour, and checked for a screen
    reader (showing the view's choice is no choice of the patron's: no signal)."""
    set_tone(widget, "selected", "true" if selected else "false")
    widget.blockSignals(True)
    widget.setChecked(selected)
    widget.blockSignals(False)


def set_tone(widget: QWidget, name: str, value: str) -> None:
    """Set a style property (tone, selected, ...) and have the stylesheet look at it again."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    for child in widget.findChildren(QWidget):
        child.style().unpolish(child)
        child.style().polish(child)


class Tile(QPushButton):
    """A big button with a title and a line under it: the main choices of a screen."""

    def __init__(self, on_click: Callable[[], None], *, primary: bool = False) -> None:
        super().__init__()
        self.setObjectName("Tile")
        self.setProperty("primary", "true" if primary else "false")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.clicked.connect(lambda _checked=False: on_click())
        # Both wrap: three tiles side by side in large text are wider than a landscape screen.
        self.title = label("TileTitle")
        self.detail = label("TileDetail")
        for part in (self.title, self.detail):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.inner = QVBoxLayout(self)
        self.inner.addStretch(1)
        self.inner.addWidget(self.title)
        self.inner.addWidget(self.detail)
        self.inner.addStretch(1)

    def set_texts(self, title: str, detail: str) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        describe(self, title, detail)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        return self.inner.sizeHint().expandedTo(self.minimumSize())

    def minimumSizeHint(self) -> QSize:
        return self.inner.minimumSize()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self.minimumHeight(), self.inner.totalHeightForWidth(width))

    def apply_scale(self, scale: style.Scale) -> None:
        # Landscape stacks the tiles in less height: closer to their words there (Arabic script's
        # lines are taller than Latin ones).
        vertical = scale.px(24 if scale.portrait else 12)
        self.inner.setContentsMargins(scale.px(30), vertical, scale.px(30), vertical)
        self.inner.setSpacing(scale.px(6))
        self.setMinimumHeight(scale.px(150))


class MessageLabel(QLabel):
    """A message box that is hidden when empty; tone 'error', 'attention', 'ok' or 'info'. A new
    message is announced to a screen reader (AT-SPI's announcement; at once for an error), as a
    status message must be (WCAG 4.1.3): the patron's focus stays where it is."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Message")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def show_message(self, text: str, tone: str = "info") -> None:
        if not text:
            self.clear()
            self.hide()
            return
        set_tone(self, "tone", tone)
        if text != self.text():
            self.setText(text)
            announcement = QAccessibleAnnouncementEvent(self, text)
            announcement.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if tone == "error"
                                       else QAccessible.AnnouncementPoliteness.Polite)
            QAccessible.updateAccessibility(announcement)
        self.show()

    def apply_scale(self, scale: style.Scale) -> None:
        # Margins rather than CSS padding: Qt counts them in the label's size hint.
        self.setContentsMargins(scale.px(28), scale.px(22), scale.px(28), scale.px(22))


class Header(QWidget):
    """Library name, clock and the language button (which opens the chooser): on every screen."""

    def __init__(self, title: str, languages: tuple[str, ...], on_open_languages: Callable[[], None],
                 on_speech: Callable[[], None] | None = None, *,
                 on_display: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.setObjectName("Header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = self.row = QHBoxLayout(self)
        # Wraps rather than pushing the buttons off a portrait screen (large text, many languages).
        self.title = label("HeaderTitle", title, wrap=True, center=False)
        self.clock = label("HeaderClock", "", wrap=False)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.clock)
        self.speech_button: QPushButton | None = None
        if on_speech is not None:  # speech mode's key (ui.speech), before the languages
            self.speech_button = speech_key(on_speech)
            layout.addWidget(self.speech_button)
        self.language_button = button("LanguageButton", "", on_open_languages)
        self.language_button.setVisible(len(languages) > 1)
        layout.addWidget(self.language_button)
        # The display choices (contrast, text size, reach): on every screen, before and after login.
        self.display_button = button("DisplayButton", "", on_display or (lambda: None))
        self.display_button.setVisible(on_display is not None)
        layout.addWidget(self.display_button)

    def set_language(self, language: str) -> None:
        """The button shows the language's own name; its accessible name adds what it is for in the
        visit's language and in English ("Sprog / Language"), so that anyone finds it."""
        name = LANGUAGE_NAMES.get(language, language)
        self.language_button.setText(name)
        describe(self.language_button, f"{name}. {t('language.button', language)}",
                 t("a11y.language", language))
        self.display_button.setText(t("display.button", language))

    def set_speech(self, on: bool, language: str) -> None:
        if self.speech_button is not None:
            self.speech_button.setChecked(on)
            describe(self.speech_button, t("speech.key", language))

    def apply_scale(self, scale: style.Scale) -> None:
        margin = scale.px(28)
        self.row.setContentsMargins(margin, scale.px(18), margin, scale.px(18))
        self.row.setSpacing(scale.px(18))
        if self.speech_button is not None:
            self.speech_button.setIconSize(QSize(scale.px(40), scale.px(40)))


def speech_key(on_click: Callable[[], None]) -> QPushButton:
    """The speech key: a loudspeaker (a word would not fit beside the languages in portrait), named
    in the visit's language and in English ("Tale / Speech") for screen readers and the tactile keys,
    so that anyone finds it."""
    key = button("SpeechButton", "", on_click)
    key.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)  # the title wraps instead
    key.setCheckable(True)
    key.setAccessibleName(t("speech.key", "da"))
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(style.ON_HEADER))
    painter.drawPolygon([QPointF(6, 24), QPointF(18, 24), QPointF(34, 8), QPointF(34, 56),
                         QPointF(18, 40), QPointF(6, 40)])
    pen = QPen(QColor(style.ON_HEADER), 5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for radius in (10, 20):
        painter.drawArc(QRectF(32 - radius, 32 - radius, 2 * radius, 2 * radius), -45 * 16, 90 * 16)
    painter.end()
    key.setIcon(QIcon(pixmap))
    return key


class CardIllustration(QWidget):
    """A card being held to a reader, drawn so that it scales with the screen."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(160)

    def paintEvent(self, _event: QPaintEvent) -> None:
        c = palette_of(self)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height() * 1.4)
        cx, cy = self.width() / 2, self.height() / 2
        # The reader: a rounded slab with the contactless symbol.
        reader = QRectF(cx - side * 0.32, cy - side * 0.05, side * 0.64, side * 0.36)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.slab))
        painter.drawRoundedRect(reader, side * 0.04, side * 0.04)
        pen = QPen(QColor(c.background if c.heavy else c.primary), max(2.0, side * 0.014))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        centre = QPointF(cx + side * 0.16, reader.center().y())
        for radius in (0.04, 0.075, 0.11):
            r = side * radius
            painter.drawArc(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r), -45 * 16, 90 * 16)
        # The card, tilted above the reader.
        painter.save()
        painter.translate(cx - side * 0.06, cy - side * 0.12)
        painter.rotate(-12)
        card = QRectF(-side * 0.22, -side * 0.14, side * 0.44, side * 0.28)
        painter.setPen(QPen(QColor(c.background if c.heavy else c.primary_pressed), max(1.5, side * 0.006)))
        painter.setBrush(QColor(c.primary))
        painter.drawRoundedRect(card, side * 0.025, side * 0.025)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.background if c.heavy else c.accent))
        painter.drawRoundedRect(QRectF(card.left() + side * 0.04, card.top() + side * 0.07,
                                       side * 0.08, side * 0.06), side * 0.01, side * 0.01)
        painter.setBrush(QColor(c.on_primary) if c.heavy else QColor(255, 255, 255, 200))
        for row in range(2):
            painter.drawRoundedRect(
                QRectF(card.left() + side * 0.04, card.top() + side * (0.17 + row * 0.045),
                       side * (0.3 - row * 0.1), side * 0.022), side * 0.01, side * 0.01)
        painter.restore()
        painter.end()


class PadIllustration(QWidget):
    """Items lying on the RFID pad, drawn to scale: the empty state of borrow and return."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(160)

    def paintEvent(self, _event: QPaintEvent) -> None:
        c = palette_of(self)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height() * 1.5)
        cx, cy = self.width() / 2, self.height() / 2
        # The pad: a flat slab seen from the front, with the contactless mark in a corner.
        pad = QRectF(cx - side * 0.36, cy + side * 0.06, side * 0.72, side * 0.14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.slab))
        painter.drawRoundedRect(pad, side * 0.03, side * 0.03)
        pen = QPen(QColor(c.background if c.heavy else c.primary), max(2.0, side * 0.01))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        centre = QPointF(pad.right() - side * 0.09, pad.center().y())
        for radius in (0.025, 0.045):
            r = side * radius
            painter.drawArc(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r), -45 * 16, 90 * 16)
        # Two books and a disc case lying on it.
        painter.setPen(QPen(QColor(c.background if c.heavy else c.primary_pressed), max(1.5, side * 0.005)))
        for left, width, height, colour in ((-0.27, 0.2, 0.05, c.primary),
                                            (-0.24, 0.16, 0.045, c.accent),
                                            (0.0, 0.15, 0.03, c.ink if c.heavy else "#8FA9B6")):
            lowest = pad.top() if left != -0.24 else pad.top() - side * 0.05
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(cx + side * left, lowest - side * height,
                                           side * width, side * height), side * 0.008, side * 0.008)
        painter.end()


class PinPad(QWidget):
    """Digits 0-9, delete and OK. Keeps the typed digits; never shows them."""

    def __init__(self, on_submit: Callable[[str], None], on_change: Callable[[int], None]) -> None:
        super().__init__()
        self._digits = ""
        self._max = 6
        self._on_submit = on_submit
        self._on_change = on_change
        # A keypad keeps its digits where they are in right-to-left languages too (as on a phone).
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.grid = QGridLayout(self)
        self.keys: dict[str, QPushButton] = {}
        for index, digit in enumerate("123456789"):
            self._add_key(digit, index // 3, index % 3, partial(self.press, digit))
        self.delete_key = self._add_key("⌫", 3, 0, self.delete)
        self._add_key("0", 3, 1, lambda: self.press("0"))
        self.ok_key = self._add_key("OK", 3, 2, self.submit)
        self.ok_key.setObjectName("Primary")

    def _add_key(self, text: str, row: int, column: int, action: Callable[[], None]) -> QPushButton:
        key = button("Key", text, action)
        key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.grid.addWidget(key, row, column)
        self.keys[text] = key
        return key

    @property
    def length(self) -> int:
        return len(self._digits)

    @property
    def typed(self) -> str:
        """The digits typed so far (for a release code, which the screen shows; never for a PIN)."""
        return self._digits

    def configure(self, max_length: int, ok_text: str, delete_text: str) -> None:
        self._max = max_length
        self.ok_key.setText(ok_text)
        describe(self.delete_key, delete_text)
        self.delete_key.setToolTip(delete_text)

    def press(self, digit: str) -> None:
        if len(self._digits) < self._max:
            self._digits += digit
            self._on_change(len(self._digits))

    def delete(self) -> None:
        self._digits = self._digits[:-1]
        self._on_change(len(self._digits))

    def clear(self) -> None:
        self._digits = ""
        self._on_change(0)

    def submit(self) -> None:
        digits, self._digits = self._digits, ""
        self._on_change(0)
        self._on_submit(digits)

    def apply_scale(self, scale: style.Scale) -> None:
        self.grid.setSpacing(scale.px(22))


class CardOverlay(QWidget):
    """Dims its parent and shows a white card in the middle; subclasses fill ``card_layout``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("Overlay")  # the scenario runner presses only overlay buttons when one shows
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # Stretches rather than an alignment around the card: an aligned widget gets the height of its
        # size hint, too low for words that wrap onto more lines in large text.
        outer = self.outer = QVBoxLayout(self)
        self.card = QFrame()
        self.card.setObjectName("Card")
        self.card_layout = QVBoxLayout(self.card)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(self.card)
        middle.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(middle)
        outer.addStretch(1)
        self.hide()

    def set_reach(self, below: int) -> None:
        """The reach layout: the card in the lower part, below ``below`` px from the top (0: centred)."""
        self.outer.setStretch(2, 0 if below else 1)
        self.outer.setContentsMargins(0, below, 0, self.outer.spacing() if below else 0)

    def scale_card(self, scale: style.Scale, *, padding: int, spacing: int, width: int) -> None:
        pad = scale.px(padding)
        self.card_layout.setContentsMargins(pad, pad, pad, pad)
        self.card_layout.setSpacing(scale.px(spacing))
        self.card.setFixedWidth(scale.px(width))
