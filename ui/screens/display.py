"""The display choices: high contrast, large text and the reach layout, each turned on or off with
two big buttons, for this visit only. Opened by the header's "Display" button on every screen."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.session.service import SessionView
from kiosk.texts import text as t
from ui import style
from ui.screens.base import SessionActions
from ui.screens.printing import ChoiceRow
from ui.widgets import CardOverlay, button, label


class DisplayChoices(CardOverlay):
    def __init__(self, parent: QWidget, actions: SessionActions) -> None:
        super().__init__(parent)
        self.title = label("Title")
        self.contrast = ChoiceRow(actions.choose_high_contrast)
        self.large_text = ChoiceRow(actions.choose_large_text)
        self.reach = ChoiceRow(actions.choose_reach_layout)
        self.reach_detail = label("Hint")
        self.close_button = button("Primary", "", lambda: actions.show_display_choices(False))
        for widget in (self.title, self.contrast, self.large_text, self.reach, self.reach_detail,
                       self.close_button):
            self.card_layout.addWidget(widget)

    def show_view(self, view: SessionView) -> None:
        lang, mode = view.language, view.display_mode
        self.title.setText(t("display.title", lang))
        self.contrast.show_choice(t("display.contrast", lang), mode.high_contrast, lang)
        self.large_text.show_choice(t("display.large_text", lang), mode.large_text, lang)
        self.reach.show_choice(t("display.reach", lang), mode.reach, lang)
        self.reach_detail.setText(t("display.reach.detail", lang))
        self.close_button.setText(t("display.close", lang))
        self.setVisible(view.display_choices)
        if view.display_choices:
            self.raise_()

    def apply_scale(self, scale: style.Scale) -> None:
        self.scale_card(scale, padding=48, spacing=28, width=940 if scale.portrait else 1100)
        for row in (self.contrast, self.large_text, self.reach):
            row.apply_scale(scale)
