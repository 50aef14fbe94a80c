"""Borrow and return: "put the items on the pad", then one row per item as the core handles it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QWidget

from kiosk.circulation.view import Purpose, VisitView
from kiosk.session.service import SessionView
from kiosk.texts import text as t
from ui import style
from ui.rows import InfoRow, RowPool, listed, name_list
from ui.screens.base import Screen, SessionActions, button_row
from ui.screens.session import closing_text
from ui.visit_text import fee_question, item_row, item_title, left_on_pad, visit_messages
from ui.widgets import CardOverlay, MessageLabel, PadIllustration, button, describe, fit_side_by_side, label


class ItemsScreen(Screen):
    """One screen for both: borrow has "Tilbage" to the patron's menu, return has no login."""

    def __init__(self, actions: SessionActions, purpose: Purpose) -> None:
        super().__init__()
        self.purpose = purpose
        self.title = label("Title")
        self.hint = label("Hint")
        self.busy = label("Busy")
        self.notice = MessageLabel()
        self.messages = MessageLabel()
        self.empty = PadIllustration()
        self.empty_text = label("Subtitle")
        self.pool: RowPool[InfoRow] = RowPool(InfoRow)
        self.list = listed(self.pool)
        self.back_button = button("Secondary", "", actions.back_to_menu)
        self.done_button = button("Primary", "", actions.finish_visit)
        self.back_button.setVisible(purpose is Purpose.BORROW)
        self.column.addWidget(self.title)
        self.column.addWidget(self.hint)
        self.column.addWidget(self.busy)
        self.column.addWidget(self.notice)
        self.column.addWidget(self.messages)
        self.column.addWidget(self.empty, 1)
        self.column.addWidget(self.empty_text)
        self.column.addWidget(self.list, 3)
        self.buttons = button_row(self.back_button, self.done_button)
        self.column.addLayout(self.buttons)
        self.fee = FeeQuestion(self, partial(actions.answer_fee, True),
                               partial(actions.answer_fee, False))
        self._shown_items = 0

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        visit = view.visit if view.visit is not None else VisitView(self.purpose)
        self.title.setText(t("pad.title", lang))
        self.hint.setText(t(f"pad.{self.purpose.value}_hint", lang))
        busy = "msg.finishing" if view.finishing else "busy" if visit.busy else ""
        self.busy.setText(t(busy, lang) if busy else "")
        self.notice.show_message(left_on_pad(visit.left_on_pad, self.purpose, lang) or closing_text(view),
                                 "attention")
        self.messages.show_message(visit_messages(visit.messages, lang), "error")
        waiting = visit.fee_question
        for row, item in zip(self.pool.show_count(len(visit.items)), visit.items, strict=True):
            awaiting = waiting is not None and waiting.item_id == item.item_id
            row.show_text(item_row(item, self.purpose, lang, awaiting_fee=awaiting), lang)
        has_items = bool(visit.items)
        self.list.setVisible(has_items)
        self.empty.setVisible(not has_items)
        self.empty_text.setVisible(not has_items)
        self.empty_text.setText(t("pad.empty", lang))
        describe(self.empty, t("a11y.pad", lang))
        name_list(self.list, t("a11y.list.items", lang))
        if len(visit.items) > self._shown_items:
            # The newest item is the one the patron just put down: keep it in sight.
            QTimer.singleShot(0, self, self._scroll_to_end)  # not after the screen is gone
        self._shown_items = len(visit.items)
        self.back_button.setText(t("back", lang))
        self.done_button.setText(t("done", lang))
        if waiting is not None:
            self.fee.ask(item_title(waiting, lang), fee_question(waiting, lang),
                         t("fee.yes", lang), t("fee.no", lang))
        else:
            self.fee.hide()

    def _scroll_to_end(self) -> None:
        bar = self.list.verticalScrollBar()
        bar.setValue(bar.maximum())

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        side = scale.px(70) if scale.portrait else scale.px(200)
        self.column.setContentsMargins(side, scale.px(40), side, scale.px(36))
        self.column.setSpacing(scale.px(20))
        self.buttons.setSpacing(scale.px(30))
        self.pool.apply_scale(scale)
        self.fee.apply_scale(scale)
        self.empty.setMinimumHeight(scale.px(220))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.fee.setGeometry(self.rect())
        super().resizeEvent(event)


class FeeQuestion(CardOverlay):
    """Dims the list and asks, with the amount, whether the patron will pay to borrow the item."""

    def __init__(self, parent: QWidget, on_yes: Callable[[], None],
                 on_no: Callable[[], None]) -> None:
        super().__init__(parent)
        self.item = label("Subtitle")
        self.question = label("Question")
        self.yes_button = button("Primary", "", on_yes)
        self.no_button = button("Secondary", "", on_no)
        self._scale: style.Scale | None = None
        answers = self.answers = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        answers.addWidget(self.no_button, 1)
        answers.addWidget(self.yes_button, 1)
        self.card_layout.addWidget(self.item)
        self.card_layout.addWidget(self.question)
        self.card_layout.addLayout(answers)

    def ask(self, item: str, question: str, yes: str, no: str) -> None:
        self.item.setText(item)
        self.question.setText(question)
        self.yes_button.setText(yes)
        self.no_button.setText(no)
        self._arrange()
        for answer in (self.yes_button, self.no_button):
            describe(answer, answer.text(), f"{item}: {question}")
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()

    def apply_scale(self, scale: style.Scale) -> None:
        self.scale_card(scale, padding=56, spacing=36, width=900 if scale.portrait else 1100)
        self.answers.setSpacing(scale.px(30))
        self._scale = scale
        self._arrange()

    def _arrange(self) -> None:
        """"Yes" above "no", each as wide as the card, in large text on a portrait screen and where
        a language's words do not fit side by side; else side by side."""
        scale = self._scale
        if scale is None:
            return
        # The card's width inside its padding, less its border in high contrast.
        room = scale.px(900 if scale.portrait else 1100) - 2 * scale.px(56) - scale.px(8)
        stacked = (scale.portrait and scale.large_text) or not fit_side_by_side(
            (self.no_button, self.yes_button), room, scale.px(30))
        self.answers.setDirection(QBoxLayout.Direction.BottomToTop if stacked
                                  else QBoxLayout.Direction.LeftToRight)
