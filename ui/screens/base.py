"""What every screen shares: the actions it may call, and a centred column that scales."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.session.service import SessionView
from kiosk.staff.view import DoorAction, Resolution, StaffPage, TerminalAction
from ui import style
from ui.widgets import PinPad


class PrintActions(Protocol):
    """What the print screens call (print release)."""

    def logout(self) -> None: ...

    def print_code_wanted(self) -> None: ...

    def enter_print_code(self, code: str) -> None: ...

    def choose_print_job(self, job_id: str) -> None: ...

    def change_print_choice(self, *, copies_step: int = 0, duplex: bool | None = None,
                            black_and_white: bool | None = None) -> None: ...

    def confirm_print(self) -> None: ...

    def print_back(self) -> None: ...

    def pay_print_by_card(self) -> None: ...

    def print_payment_receipt(self) -> None: ...


class SessionActions(PrintActions, Protocol):
    """The session's action methods (each posts an event to the core; none blocks)."""

    def submit_pin(self, pin: str) -> None: ...

    def cancel(self) -> None: ...

    def change_children(self, step: int) -> None: ...

    def logout(self) -> None: ...

    def activity(self) -> None: ...

    def choose_language(self, language: str) -> None: ...

    def toggle_speech(self) -> None: ...
    def show_display_choices(self, shown: bool) -> None: ...

    def choose_high_contrast(self, on: bool) -> None: ...

    def choose_large_text(self, on: bool) -> None: ...

    def choose_reach_layout(self, on: bool) -> None: ...

    def start_visit(self, purpose: Purpose) -> None: ...

    def finish_visit(self) -> None: ...

    def choose_receipt(self, choice: ReceiptChoice) -> None: ...

    def answer_fee(self, accept: bool) -> None: ...

    def toggle_renewal(self, item_id: str) -> None: ...

    def renew_selected(self) -> None: ...

    def renew_all(self) -> None: ...

    def back_to_menu(self) -> None: ...

    def start_print(self) -> None: ...

    def staff_page(self, page: StaffPage) -> None: ...

    def staff_test(self, test: str) -> None: ...

    def staff_resolve(self, entry_id: str, resolution: Resolution) -> None: ...

    def staff_action(self, action: TerminalAction) -> None: ...

    def staff_door(self, action: DoorAction) -> None: ...

    def staff_language(self, language: str) -> None: ...


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

    def apply_reach(self, line: int) -> None:
        """The reach layout: no control above ``line`` px from the screen's top (0: off; after
        :meth:`apply_scale`). Here the whole column starts below it; a screen with words to show
        above its controls does better."""
        if line:
            margins = self.column.contentsMargins()
            self.column.setContentsMargins(margins.left(), max(margins.top(), line), margins.right(),
                                           margins.bottom())

    def show_view(self, view: SessionView) -> None:
        raise NotImplementedError


class PadScreen(Screen):
    """Words beside a number pad in landscape, above it in portrait (the PIN, a release code);
    :meth:`place` puts them in."""

    def __init__(self) -> None:
        super().__init__()
        info = QWidget()
        self.info_column = QVBoxLayout(info)
        self.info_column.setContentsMargins(0, 0, 0, 0)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.addWidget(info, 2)
        self.column.addLayout(self.body, 1)
        self._pad: PinPad | None = None

    def place(self, pad: PinPad, *words: QWidget) -> None:
        self.info_column.addStretch(1)
        for widget in words:
            self.info_column.addWidget(widget)
        self.info_column.addStretch(1)
        self.body.addWidget(pad, 3)
        self._pad = pad

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
        if self._pad is not None:
            self._pad.apply_scale(scale)

    def apply_reach(self, line: int) -> None:
        """The words take as much height as the pad, which so starts lower, and sit just above it
        (with the controls among them, the children at the door)."""
        self.body.setStretch(0, 1 if line else 2)
        self.body.setStretch(1, 1 if line else 3)
        self.info_column.setStretch(self.info_column.count() - 1, 0 if line else 1)


def button_row(*widgets: QWidget) -> QBoxLayout:
    """Buttons side by side, sharing the width (the bottom bar of a screen)."""
    row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
    for widget in widgets:
        row.addWidget(widget, 1)
    return row
