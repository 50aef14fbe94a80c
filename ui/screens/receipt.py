"""After "Færdig": would you like a receipt? One big button per choice the core offers."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QVBoxLayout

from kiosk.circulation.view import Purpose, ReceiptChoice, VisitView
from kiosk.session.service import SessionView
from kiosk.texts import text as t
from ui import style
from ui.screens.base import Screen, SessionActions
from ui.visit_text import left_on_pad
from ui.widgets import MessageLabel, Tile, label


class ReceiptScreen(Screen):
    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.title = label("Title")
        self.notice = MessageLabel()
        self.printed = MessageLabel()
        self.tiles = {choice: Tile(partial(actions.choose_receipt, choice),
                                   primary=choice is ReceiptChoice.PRINT)
                      for choice in ReceiptChoice}
        self.tile_column = QVBoxLayout()
        for tile in self.tiles.values():
            self.tile_column.addWidget(tile)
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.notice)
        self.column.addWidget(self.printed)
        self.column.addLayout(self.tile_column)
        self.column.addStretch(2)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        visit = view.visit if view.visit is not None else VisitView(Purpose.BORROW)
        self.title.setText(t("receipt.title", lang))
        self.notice.show_message(left_on_pad(visit.left_on_pad, visit.purpose, lang), "attention")
        if visit.receipt_printed is None:
            self.printed.show_message("")
        elif visit.receipt_printed:
            self.printed.show_message(t("receipt.printed", lang), "ok")
        else:
            self.printed.show_message(t("receipt.not_printed", lang), "error")
        for choice, tile in self.tiles.items():
            tile.set_texts(t(f"receipt.{choice.value}", lang), t(f"receipt.{choice.value}.detail", lang))
            tile.setVisible(choice in visit.receipt_choices)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.tile_column.setSpacing(scale.px(24))
        for tile in self.tiles.values():
            tile.apply_scale(scale)
