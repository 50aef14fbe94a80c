"""The screens around logging in: start, identify, PIN, checking, the patron's menu, idle warning.

Each screen renders a :class:`SessionView` and turns touches into calls on :class:`SessionActions`.
None of them holds a business rule.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.circulation.view import Purpose
from kiosk.session.service import Message, SessionView
from kiosk.settings import Role
from kiosk.settings.calendar import PeriodKind
from kiosk.texts import lms_text, plural
from kiosk.texts import text as t
from kiosk.texts.formats import day_and_month
from ui import style
from ui.screens.base import PadScreen, Screen, SessionActions, button_row
from ui.widgets import CardIllustration, CardOverlay, MessageLabel, PinPad, Tile, button, describe, label

ERROR_MESSAGES = {Message.UNKNOWN_CARD, Message.WRONG_PIN, Message.TOO_MANY_ATTEMPTS,
                  Message.BLOCKED, Message.LMS_UNAVAILABLE, Message.KIOSK_CLOSED}
OK_MESSAGES = {Message.GOODBYE, Message.GOODBYE_RECEIPT, Message.RETURNED}


def message_text(view: SessionView) -> str:
    """The patron-facing sentence for the view's message, with the LMS's own words after it."""
    lang = view.language
    parts: list[str] = []
    if view.message is Message.WRONG_PIN:
        parts.append(plural("msg.wrong_pin", view.attempts_left, lang, attempts=view.attempts_left))
    elif view.message is Message.TOO_MANY_ATTEMPTS:
        minutes = view.lockout_minutes or 15
        parts.append(plural("msg.too_many_attempts", minutes, lang, minutes=minutes))
    elif view.message is not None:
        parts.append(t(f"msg.{view.message.value}", lang))
    parts.extend(lms_text(m, lang) for m in view.lms_messages if m)
    return "\n".join(parts)


def opening_text(view: SessionView) -> str:
    """At the door: "Selvbetjent åbningstid til kl. 22.00" or when the library opens again."""
    lang, opening = view.language, view.opening
    if opening is None:
        return ""
    until = opening.until
    clock = f"{until:%H.%M}" if lang == "da" else f"{until:%H:%M}"  # the branch's own time
    if opening.kind is PeriodKind.CLOSED:
        return t("opening.closed", lang, when=t("opening.closed.at", lang, time=clock))
    return t(f"opening.{opening.kind.value}", lang, time=clock)


def clock_text(instant: dt.datetime, lang: str) -> str:
    """A time of day as the language writes it: "21.55" in Danish, "21:55" in English."""
    return f"{instant:%H.%M}" if lang == "da" else f"{instant:%H:%M}"


def hours_text(view: SessionView) -> str:
    """At the kiosk: until when it takes visits, or that it is closed and when it opens again."""
    lang, hours = view.language, view.hours
    if hours is None:
        return ""
    if hours.open:
        return t("hours.open", lang, time=clock_text(hours.closes, lang)) if hours.closes else ""
    if hours.opens is None:
        return t("hours.closed.later", lang)
    time = clock_text(hours.opens, lang)
    if hours.opens_in_days <= 1:
        when = t("when.today" if hours.opens_in_days <= 0 else "when.tomorrow", lang, time=time)
    else:
        when = t("when.day", lang, weekday=t(f"date.weekday.{hours.opens.weekday()}", lang),
                 date=day_and_month(hours.opens.date(), lang), time=time)
    return t("hours.closed", lang, when=when)


def closing_text(view: SessionView) -> str:
    """During a visit in the kiosk's last minutes: when it closes, and to finish up."""
    hours = view.hours
    if view.closing_soon and hours is not None and hours.closes is not None:
        return t("hours.closing_soon", view.language, time=clock_text(hours.closes, view.language))
    return ""


def show_message_or_reader_warning(box: MessageLabel, view: SessionView) -> None:
    """The session's message; with none, a warning when the card reader is down, the LMS does not
    answer or the kiosk closes soon."""
    text = message_text(view)
    if text:
        box.show_message(text, message_tone(view))
    elif not view.card_reader_ok:
        box.show_message(t("start.reader_down", view.language), "error")
    elif view.lms_offline and view.role is not Role.DOOR:
        box.show_message(t("offline.banner", view.language), "attention")
    elif closing_text(view):
        box.show_message(closing_text(view), "attention")
    else:
        box.show_message("")


def message_tone(view: SessionView) -> str:
    if view.message in ERROR_MESSAGES:
        return "error"
    if view.message is Message.RECEIPT_FAILED:
        return "attention"
    return "ok" if view.message in OK_MESSAGES else "info"


class StartScreen(Screen):
    """Welcome, the three things one can do, and the card reader for those who just log in."""

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self._door = False
        self._portrait = True
        self._large_text = False
        self.title = label("Title")
        self.choose = label("Subtitle")
        self.hours = label("Hint")  # the kiosk's hours from the branch calendar
        self.borrow_tile = Tile(partial(actions.start_visit, Purpose.BORROW), primary=True)
        self.return_tile = Tile(partial(actions.start_visit, Purpose.RETURN), primary=True)
        self.account_tile = Tile(partial(actions.start_visit, Purpose.ACCOUNT))
        self.print_tile = Tile(actions.start_print)
        self.tiles = (self.borrow_tile, self.return_tile, self.account_tile)
        self.instruction = label("Subtitle")
        self.illustration = CardIllustration()
        self.barcode_hint = label("Hint")
        self.message = MessageLabel()
        tile_column = self.tile_column = QVBoxLayout()
        for tile in (*self.tiles, self.print_tile):
            tile_column.addWidget(tile)
        card = self.card_column = QVBoxLayout()
        card.addStretch(0)  # the reach layout: keeps the tiles down when the drawing is hidden
        card.addWidget(self.instruction)
        card.addWidget(self.illustration, 1)
        card.addWidget(self.barcode_hint)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.addLayout(tile_column, 0)
        self.body.addLayout(card, 1)
        # While the kiosk is closed only the title and when it opens are shown, in the middle.
        self.closed_space = (QWidget(), QWidget())
        self.column.addWidget(self.closed_space[0], 1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.choose)
        self.column.addWidget(self.hours)
        self.column.addLayout(self.body, 1)
        self.column.addWidget(self.closed_space[1], 1)
        self.column.addWidget(self.message)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("welcome", lang))
        door = view.role is Role.DOOR
        closed = not door and view.hours is not None and not view.hours.open
        self.choose.setText(opening_text(view) if door else hours_text(view) if closed
                            else t("start.choose", lang))
        self.hours.setText("" if door or closed else hours_text(view))
        self.hours.setVisible(bool(self.hours.text()))
        self._door = door
        self._arrange()
        for tile, purpose in zip(self.tiles, Purpose, strict=True):
            # The entrance panel only lets people in; outside the kiosk's hours no visit starts.
            tile.setVisible(not door and not closed)
            tile.set_texts(t(f"purpose.{purpose.value}", lang),
                           t(f"purpose.{purpose.value}.detail", lang))
        self.print_tile.setVisible(view.printing_offered and not door and not closed)
        self.print_tile.set_texts(t("purpose.print", lang), t("purpose.print.detail", lang))
        self.instruction.setText(t("start.instruction", lang))
        self.barcode_hint.setText(t("start.barcode", lang))
        describe(self.illustration, t("a11y.card", lang))
        for space in self.closed_space:
            space.setVisible(closed)
        show_message_or_reader_warning(self.message, view)
        # No card to hold to the reader while closed; in large text a message (a refusal, a
        # farewell) takes the place of the card's words and drawing.
        crowded = self._large_text and not self.message.isHidden()
        for widget in (self.instruction, self.illustration, self.barcode_hint):
            widget.setVisible(not closed and not crowded)

    def _arrange(self) -> None:
        """Tiles beside the card in landscape; at the door (no tiles) the card takes the width."""
        self.body.setStretch(0, 0 if self._door or self._portrait else 2)
        self.body.setStretch(1, 1 if self._portrait else 3)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        for tile in (*self.tiles, self.print_tile):
            tile.apply_scale(scale)
        # Four tiles (with printing) beside the card in landscape: closer together there.
        self.tile_column.setSpacing(scale.px(24 if scale.portrait else 14))
        self.card_column.setSpacing(scale.px(18))
        self._portrait = scale.portrait
        self._large_text = scale.large_text
        self._arrange()
        if scale.portrait:
            self.body.setDirection(QBoxLayout.Direction.TopToBottom)
            self.column.setContentsMargins(scale.px(90), scale.px(50), scale.px(90), scale.px(40))
            self.illustration.setMinimumHeight(scale.px(140 if scale.large_text else 200))
            self.column.addWidget(self.message)  # under everything
        else:
            self.body.setDirection(QBoxLayout.Direction.LeftToRight)
            self.column.setContentsMargins(scale.px(140), scale.px(20), scale.px(140), scale.px(20))
            self.illustration.setMinimumHeight(scale.px(160))
            self.card_column.addWidget(self.message)  # beside the tiles, where the card shrinks for it
        self.column.setSpacing(scale.px(26 if scale.portrait else 16))
        self.body.setSpacing(scale.px(60) if not scale.portrait else scale.px(40))

    def apply_reach(self, line: int) -> None:
        """The message, the card and its words above; the tiles at the bottom, below the line."""
        if line:
            self.body.setDirection(QBoxLayout.Direction.BottomToTop)
            self.column.insertWidget(self.column.indexOf(self.hours) + 1, self.message)  # words above
        self.card_column.setStretch(0, 1 if line else 0)


class IdentifyScreen(Screen):
    """After "Lån" or "Mine lån": hold your card to the reader (or scan it), or cancel."""

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.title = label("Title")
        self.instruction = label("Subtitle")
        self.illustration = CardIllustration()
        self.barcode_hint = label("Hint")
        self.message = MessageLabel()
        self.code_button = button("Secondary", "", actions.print_code_wanted)
        self.cancel_button = button("Secondary", "", actions.cancel)
        self.column.addWidget(self.title)
        self.column.addWidget(self.instruction)
        self.column.addWidget(self.illustration, 1)
        self.column.addWidget(self.barcode_hint)
        self.column.addWidget(self.message)
        self.add_centred(self.code_button)
        self.add_centred(self.cancel_button)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        # The purpose is known only once the visit has begun; until then, a neutral title.
        title = f"purpose.{view.visit.purpose.value}" if view.visit is not None else "identify.title"
        self.title.setText(t("purpose.print" if view.print_intent else title, lang))
        self.code_button.setText(t("identify.print_code", lang))
        self.code_button.setVisible(view.print_intent)
        self.instruction.setText(t("identify.instruction", lang))
        self.barcode_hint.setText(t("start.barcode", lang))
        describe(self.illustration, t("a11y.card", lang))
        show_message_or_reader_warning(self.message, view)
        self.cancel_button.setText(t("cancel", lang))

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.cancel_button.setMinimumWidth(scale.px(320))
        self.code_button.setMinimumWidth(scale.px(320))


class PinScreen(PadScreen):
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
        self.children_stepper = ChildrenStepper(actions)
        self.place(self.pad, self.title, self.dots, self.message, self.hint, self.children_stepper)
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
        self.children_stepper.show_view(view)
        self.message.show_message(message_text(view), message_tone(view))
        if entering:
            self.pad.clear()
        self._show_dots(self.pad.length)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.children_stepper.apply_scale(scale)


class ChildrenStepper(QWidget):
    """At the door: "Children with me  − 2 +", shown where the door lets patrons bring children."""

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.caption = label("Subtitle")
        self.fewer = button("Key", "−", lambda: actions.change_children(-1))
        self.count = label("Title")
        self.more = button("Key", "+", lambda: actions.change_children(1))
        # The words above the keys: beside them they wrap word by word in a longer language or
        # large text, in the narrow column beside the keypad.
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.addWidget(self.caption)
        self.row = QHBoxLayout()
        self.row.addStretch(1)
        for widget in (self.fewer, self.count, self.more):
            self.row.addWidget(widget)
        self.row.addStretch(1)
        self.rows.addLayout(self.row)
        self.setVisible(False)

    def show_view(self, view: SessionView) -> None:
        self.setVisible(view.role is Role.DOOR and view.max_children > 0)
        lang = view.language
        self.caption.setText(t("pin.children", lang))
        self.count.setText(str(view.children))
        counted = f"{t('pin.children', lang)}: {view.children}"
        describe(self.fewer, t("a11y.children.fewer", lang), counted)
        describe(self.more, t("a11y.children.more", lang), counted)
        self.fewer.setEnabled(view.children > 0)
        self.more.setEnabled(view.children < view.max_children)

    def apply_scale(self, scale: style.Scale) -> None:
        self.row.setSpacing(scale.px(20))
        self.rows.setSpacing(scale.px(8))
        self.count.setMinimumWidth(scale.px(80))


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
    """The patron's menu: greeting, the LMS's messages, borrow / my account, log out."""

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.greeting = label("Title")
        self.status = label("Subtitle")
        self.message = MessageLabel()
        self.borrow_tile = Tile(partial(actions.start_visit, Purpose.BORROW), primary=True)
        self.account_tile = Tile(partial(actions.start_visit, Purpose.ACCOUNT))
        self.print_tile = Tile(actions.start_print)
        self.tiles = (self.borrow_tile, self.account_tile)
        self.hint = label("Hint")
        self.logout_button = button("Secondary", "", actions.logout)
        self.tile_row = button_row(*self.tiles, self.print_tile)
        self._portrait = True
        self._room = 1 << 16  # the width for the tiles, known once the screen's size is
        self.column.addStretch(1)
        self.column.addWidget(self.greeting)
        self.column.addWidget(self.message)
        self.column.addWidget(self.status)
        self.column.addLayout(self.tile_row)
        self.column.addStretch(2)
        self.column.addWidget(self.hint)
        self.add_centred(self.logout_button)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        if view.greeting_name:
            self.greeting.setText(t("patron.greeting", lang, name=view.greeting_name))
        else:
            self.greeting.setText(t("patron.greeting_anonymous", lang))
        self.status.setText(t("menu.choose", lang))
        self.message.show_message("\n".join(lms_text(m, lang) for m in view.lms_messages if m), "info")
        for tile, purpose in zip(self.tiles, (Purpose.BORROW, Purpose.ACCOUNT), strict=True):
            tile.set_texts(t(f"purpose.{purpose.value}", lang),
                           t(f"purpose.{purpose.value}.detail", lang))
        self.print_tile.setVisible(view.printing_offered)
        self.print_tile.set_texts(t("purpose.print", lang), t("purpose.print.detail", lang))
        self._arrange()
        self.hint.setText(t("patron.logout_hint", lang))
        self.logout_button.setText(t("logout", lang))

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        for tile in (*self.tiles, self.print_tile):
            tile.apply_scale(scale)
            tile.setMinimumHeight(scale.px(220))
        self._portrait = scale.portrait
        margins = self.column.contentsMargins()  # the screen is as wide as the window
        self._room = scale.width - margins.left() - margins.right()
        self.tile_row.setSpacing(scale.px(30))
        self._arrange()
        self.logout_button.setMinimumWidth(scale.px(320))

    def apply_reach(self, line: int) -> None:
        """The greeting and the tiles down at the bottom, above the hint and "log out"."""
        self.column.setStretch(0, 3 if line else 1)
        self.column.setStretch(5, 0 if line else 2)

    def _arrange(self) -> None:
        """Three tiles (with printing) are wider than a portrait screen side by side: one above
        another there; two side by side, unless their words (a longer language's) need more width
        than the screen has; in landscape side by side unless even their narrowest does not fit."""
        shown = [tile for tile in (*self.tiles, self.print_tile) if not tile.isHidden()]
        for tile in shown:
            tile.ensurePolished()
        # Landscape has the width and not the height: side by side with their words wrapped, as
        # long as the narrowest they can be fits.
        side_by_side = (sum((tile.sizeHint() if self._portrait else tile.minimumSizeHint()).width()
                            for tile in shown)
                        + self.tile_row.spacing() * (len(shown) - 1))
        stacked = (self._portrait and len(shown) > 2) or side_by_side > self._room
        self.tile_row.setDirection(QBoxLayout.Direction.TopToBottom if stacked
                                   else QBoxLayout.Direction.LeftToRight)


class IdleOverlay(CardOverlay):
    """Dims the screen and asks "Are you still there?" with a countdown."""

    def __init__(self, parent: QWidget, actions: SessionActions) -> None:
        super().__init__(parent)
        self.title = label("Title")
        self.countdown = label("Subtitle")
        self.stay_button = button("Primary", "", actions.activity)
        self.card_layout.addWidget(self.title)
        self.card_layout.addWidget(self.countdown)
        self.card_layout.addWidget(self.stay_button)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("idle.title", lang))
        self.countdown.setText(plural("idle.countdown", view.seconds_left, lang, seconds=view.seconds_left))
        self.stay_button.setText(t("idle.stay", lang))
        describe(self.stay_button, self.stay_button.text(), self.title.text())
        self.setVisible(view.idle_warning)
        if view.idle_warning:
            self.raise_()

    def apply_scale(self, scale: style.Scale) -> None:
        # Large text: wider, so that the one answer stays on one line in a longer language.
        self.scale_card(scale, padding=60, spacing=36, width=1000 if scale.large_text else 860)
