"""The screens of the walking skeleton: start, PIN, checking, patron, and the idle warning.

Each screen renders a :class:`SessionView` and turns touches into calls on :class:`SessionActions`.
None of them holds a business rule.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.services.session import Message, SessionView
from ui import style
from ui.i18n import t
from ui.widgets import CardIllustration, MessageLabel, PinPad, button, label


class SessionActions(Protocol):
    def submit_pin(self, pin: str) -> None: ...

    def cancel(self) -> None: ...

    def logout(self) -> None: ...

    def activity(self) -> None: ...

    def choose_language(self, language: str) -> None: ...


ERROR_MESSAGES = {Message.UNKNOWN_CARD, Message.WRONG_PIN, Message.TOO_MANY_ATTEMPTS,
                  Message.BLOCKED, Message.LMS_UNAVAILABLE}


def message_text(view: SessionView) -> str:
    """The patron-facing sentence for the view's message, with the LMS's own words after it."""
    lang = view.language
    parts: list[str] = []
    if view.message is Message.WRONG_PIN:
        key = "msg.wrong_pin_last" if view.attempts_left == 1 else "msg.wrong_pin"
        parts.append(t(key, lang, attempts=view.attempts_left))
    elif view.message is not None:
        parts.append(t(f"msg.{view.message.value}", lang))
    parts.extend(m for m in view.lms_messages if m)
    return "\n".join(parts)


def message_tone(view: SessionView) -> str:
    return "error" if view.message in ERROR_MESSAGES else "info"


class Screen(QWidget):
    """Base: a centred column with margins that follow the screen's size."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.column = QVBoxLayout(self)

    def add_centred(self, widget: QWidget) -> None:
        """Add a widget at its natural width, centred (buttons); labels take the full width."""
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(widget)
        row.addStretch(1)
        self.column.addLayout(row)

    def apply_scale(self, scale: style.Scale) -> None:
        side = scale.px(90) if scale.portrait else scale.px(260)
        self.column.setContentsMargins(side, scale.px(60), side, scale.px(60))
        self.column.setSpacing(scale.px(34))

    def show_view(self, view: SessionView) -> None:
        raise NotImplementedError


class StartScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("Title")
        self.instruction = label("Subtitle")
        self.illustration = CardIllustration()
        self.barcode_hint = label("Hint")
        self.message = MessageLabel()
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.instruction)
        self.column.addWidget(self.illustration, 4)
        self.column.addWidget(self.barcode_hint)
        self.column.addWidget(self.message)
        self.column.addStretch(1)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("welcome", lang))
        self.instruction.setText(t("start.instruction", lang))
        self.barcode_hint.setText(t("start.barcode", lang))
        self.message.show_message(message_text(view), message_tone(view))


class PinScreen(Screen):
    """Title, dots and messages beside the keypad in landscape, above it in portrait."""

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self._actions = actions
        self._view: SessionView | None = None
        self.title = label("Title")
        self.dots = label("PinDots", wrap=False)
        self.hint = label("Hint")
        self.message = MessageLabel()
        self.pad = PinPad(actions.submit_pin, self._show_dots)
        self.cancel_button = button("Secondary", "", actions.cancel)
        info = QWidget()
        info_column = QVBoxLayout(info)
        info_column.setContentsMargins(0, 0, 0, 0)
        info_column.addStretch(1)
        for widget in (self.title, self.dots, self.message, self.hint):
            info_column.addWidget(widget)
        info_column.addStretch(1)
        self.info_column = info_column
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.addWidget(info, 2)
        self.body.addWidget(self.pad, 3)
        self.column.addLayout(self.body, 1)
        self.add_centred(self.cancel_button)
        self._show_dots(0)

    def _show_dots(self, typed: int) -> None:
        total = self._view.pin_min_length if self._view else 4
        shown = max(total, typed)
        self.dots.setText("●" * typed + "○" * (shown - typed))

    def show_view(self, view: SessionView) -> None:
        entering = self._view is None or self._view.screen is not view.screen
        self._view = view
        lang = view.language
        self.title.setText(t("pin.title", lang))
        if view.pin_min_length == view.pin_max_length:
            self.hint.setText(t("pin.hint", lang, min=view.pin_min_length))
        else:
            self.hint.setText(t("pin.hint_range", lang, min=view.pin_min_length,
                                max=view.pin_max_length))
        self.pad.configure(view.pin_max_length, t("pin.ok", lang), t("pin.delete", lang))
        self.cancel_button.setText(t("cancel", lang))
        self.message.show_message(message_text(view), message_tone(view))
        if entering:
            self.pad.clear()
        self._show_dots(self.pad.length)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        if scale.portrait:
            self.body.setDirection(QBoxLayout.Direction.TopToBottom)
            self.column.setContentsMargins(scale.px(90), scale.px(30), scale.px(90), scale.px(30))
        else:
            self.body.setDirection(QBoxLayout.Direction.LeftToRight)
            self.column.setContentsMargins(scale.px(120), scale.px(40), scale.px(120), scale.px(40))
        self.body.setSpacing(scale.px(60))
        self.info_column.setSpacing(scale.px(24))
        self.column.setSpacing(scale.px(24))
        self.pad.apply_scale(scale)


class AuthenticatingScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("Title")
        self.detail = label("Subtitle")
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.detail)
        self.column.addStretch(1)

    def show_view(self, view: SessionView) -> None:
        self.title.setText(t("authenticating", view.language))
        self.detail.setText(t("authenticating.detail", view.language))


class PatronScreen(Screen):
    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.greeting = label("Title")
        self.status = label("Subtitle")
        self.message = MessageLabel()
        self.hint = label("Hint")
        self.logout_button = button("Primary", "", actions.logout)
        self.column.addStretch(1)
        self.column.addWidget(self.greeting)
        self.column.addWidget(self.status)
        self.column.addWidget(self.message)
        self.column.addStretch(1)
        self.column.addWidget(self.hint)
        self.add_centred(self.logout_button)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        if view.greeting_name:
            self.greeting.setText(t("patron.greeting", lang, name=view.greeting_name))
        else:
            self.greeting.setText(t("patron.greeting_anonymous", lang))
        self.status.setText(t("patron.logged_in", lang))
        self.message.show_message("\n".join(view.lms_messages), "info")
        self.hint.setText(t("patron.logout_hint", lang))
        self.logout_button.setText(t("logout", lang))


class IdleOverlay(QWidget):
    """Dims the screen and asks "Are you still there?" with a countdown."""

    def __init__(self, parent: QWidget, actions: SessionActions) -> None:
        super().__init__(parent)
        self.setObjectName("Overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card = QFrame()
        self.card.setObjectName("Card")
        inner = self.card_layout = QVBoxLayout(self.card)
        self.title = label("Title")
        self.countdown = label("Subtitle")
        self.stay_button = button("Primary", "", actions.activity)
        inner.addWidget(self.title)
        inner.addWidget(self.countdown)
        inner.addWidget(self.stay_button)
        outer.addWidget(self.card)
        self.hide()

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("idle.title", lang))
        self.countdown.setText(t("idle.countdown", lang, seconds=view.seconds_left))
        self.stay_button.setText(t("idle.stay", lang))
        self.setVisible(view.idle_warning)
        if view.idle_warning:
            self.raise_()

    def apply_scale(self, scale: style.Scale) -> None:
        pad = scale.px(60)
        self.card_layout.setContentsMargins(pad, pad, pad, pad)
        self.card_layout.setSpacing(scale.px(36))
        self.card.setFixedWidth(scale.px(860))
