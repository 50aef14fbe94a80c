"""The language chooser: the header's one language button opens a card listing the languages the
terminal offers, each in its own name and script, with touch targets as big as the keypad's."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.session.view import Screen, SessionView
from kiosk.texts import LANGUAGE_NAMES
from kiosk.texts import text as t
from ui import style
from ui.widgets import CardOverlay, button, describe, label, language_choices, show_selected

COLUMNS = {True: 2, False: 4}  # portrait: two to a row; landscape: four (the card stays clear of the header)


class LanguageChooser(CardOverlay):
    """Shown over the whole window by :meth:`open`; closes when a language is chosen, on its close
    button, and when the screen changes under it (the patron left, or timed out)."""

    def __init__(self, parent: QWidget, languages: tuple[str, ...],
                 on_choose: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.setObjectName("Overlay")
        self._on_choose = on_choose
        self._screen: Screen | None = None
        self.title = label("Title")
        self.card_layout.addWidget(self.title)
        self.grid = QGridLayout()
        # Checkable, each named in its own language (WCAG 3.1.2) and heard as checked or not.
        self.buttons: dict[str, QPushButton] = language_choices("LanguageChoice", languages, self.choose,
                                                                self)
        for choice in self.buttons.values():
            choice.clicked.connect(self.hide)  # the language already chosen: closes, changes nothing
        self._place(COLUMNS[True])
        self.card_layout.addLayout(self.grid)
        self.close_button = button("Secondary", "", self.hide)
        self.card_layout.addWidget(self.close_button)

    def _place(self, columns: int) -> None:
        for index, choice in enumerate(self.buttons.values()):
            self.grid.addWidget(choice, index // columns, index % columns)

    def open(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()

    def choose(self, language: str) -> None:
        self.hide()
        self._on_choose(language)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("language.title", lang))
        self.close_button.setText(t("language.close", lang))
        for code, choice in self.buttons.items():
            show_selected(choice, code == lang)
            describe(choice, LANGUAGE_NAMES.get(code, code), t("a11y.language", lang))
        if self._screen is not None and view.screen is not self._screen:
            self.hide()
        self._screen = view.screen

    def apply_scale(self, scale: style.Scale) -> None:
        self.scale_card(scale, padding=48, spacing=28, width=900 if scale.portrait else 1400)
        self.grid.setSpacing(scale.px(20))
        self._place(COLUMNS[scale.portrait])

