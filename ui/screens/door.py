"""The door terminal's answer: the door is unlocked, or access is refused and why."""

from __future__ import annotations

from kiosk.session.service import SessionView
from kiosk.texts import plural
from kiosk.texts import text as t
from ui import style
from ui.screens.base import Screen
from ui.widgets import MessageLabel, label


class DoorScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("Title")
        self.message = MessageLabel()
        self.hint = label("Hint")
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.message)
        self.column.addWidget(self.hint)
        self.column.addStretch(1)

    def show_view(self, view: SessionView) -> None:
        lang, entry = view.language, view.entry
        if entry is None:
            return
        if entry.allowed and entry.door_unlocked is False:
            self.title.setText(t("door.failed.title", lang))
            self.message.show_message(t("door.failed", lang), "error")
            self.hint.setText("")
        elif entry.allowed:
            self.title.setText(t("door.unlocked.title", lang))
            welcome = (t("door.unlocked", lang) if entry.children == 0
                       else plural("door.unlocked.children", entry.children, lang, n=entry.children))
            self.message.show_message(welcome, "ok")
            self.hint.setText(t("door.unlocked.hint", lang))
        else:
            self.title.setText(t("door.refused.title", lang))
            self.message.show_message(entry.message, "error")
            self.hint.setText("")

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.message.apply_scale(scale)
