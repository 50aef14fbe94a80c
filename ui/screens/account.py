"""Mine lån: loans (overdue first, as the core orders them) to choose and renew, holds, fees."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QBoxLayout, QVBoxLayout, QWidget

from kiosk.circulation.view import AccountView, Purpose, VisitView
from kiosk.session.service import SessionView
from kiosk.texts import text as t
from ui import style
from ui.rows import CHECKBOX, CHECKED, InfoRow, RowPool, name_list, scroll_area
from ui.screens.base import Screen, SessionActions
from ui.visit_text import hold_row, loan_row, money, visit_messages
from ui.widgets import MessageLabel, button, fit_side_by_side, label


class AccountScreen(Screen):
    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self._toggle = actions.toggle_renewal
        self.title = label("Title")
        self.fees = MessageLabel()
        self.messages = MessageLabel()
        self.loading = label("Subtitle")
        self.loans_title = label("Section", center=False)
        self.loans_hint = label("Hint", center=False)
        self.no_loans = label("Hint", center=False)
        self.loans: RowPool[InfoRow] = RowPool(InfoRow)
        self.holds_title = label("Section", center=False)
        self.no_holds = label("Hint", center=False)
        self.holds: RowPool[InfoRow] = RowPool(InfoRow)
        content = QWidget()
        content.setObjectName("RowPool")
        lists = self.lists = QVBoxLayout(content)
        lists.setContentsMargins(0, 0, 0, 0)
        for widget in (self.loans_title, self.loans_hint, self.no_loans, self.loans,
                       self.holds_title, self.no_holds, self.holds):
            lists.addWidget(widget)
        lists.addStretch(1)
        self.list = scroll_area(content)
        self.renew_selected_button = button("Primary", "", actions.renew_selected)
        self.renew_all_button = button("Secondary", "", actions.renew_all)
        self.back_button = button("Secondary", "", actions.back_to_menu)
        self.logout_button = button("Secondary", "", actions.logout)
        self._scale: style.Scale | None = None
        self._room = 0
        self.buttons = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.renew_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.leave_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.renew_row.addWidget(self.renew_selected_button, 1)
        self.renew_row.addWidget(self.renew_all_button, 1)
        self.leave_row.addWidget(self.back_button, 1)
        self.leave_row.addWidget(self.logout_button, 1)
        self.buttons.addLayout(self.renew_row, 2)
        self.buttons.addLayout(self.leave_row, 2)
        self.column.addWidget(self.title)
        self.column.addWidget(self.fees)
        self.column.addWidget(self.messages)
        self.column.addWidget(self.loading, 1)
        self.column.addWidget(self.list, 1)
        self.column.addLayout(self.buttons)

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        visit = view.visit if view.visit is not None else VisitView(Purpose.ACCOUNT)
        account = visit.account or AccountView()
        self.title.setText(t("purpose.account", lang))
        fees = (t("account.fees", lang, amount=money(account.fee_total, lang, account.currency))
                if account.fee_total > 0 else "")
        self.fees.show_message(fees, "attention")
        self.messages.show_message(visit_messages(visit.messages, lang), "error")
        loading = visit.loading or visit.account is None
        self.loading.setText(t("busy", lang))
        self.loading.setVisible(loading)
        self.list.setVisible(not loading)
        name_list(self.list, t("a11y.list.account", lang))
        self._show_loans(account, lang)
        self._show_holds(account, lang)
        self.renew_selected_button.setText(t("account.renew_selected", lang))
        self.renew_all_button.setText(t("account.renew_all", lang))
        self.renew_selected_button.setEnabled(
            not loading and any(loan.selected for loan in account.loans))
        self.renew_all_button.setEnabled(not loading and bool(account.loans))
        self.back_button.setText(t("back", lang))
        self.logout_button.setText(t("logout", lang))
        self._arrange()

    def _show_loans(self, account: AccountView, lang: str) -> None:
        self.loans_title.setText(t("account.loans", lang, n=len(account.loans)))
        self.loans_hint.setText(t("account.loans_hint", lang))
        self.loans_hint.setVisible(bool(account.loans))
        self.no_loans.setText(t("account.no_loans", lang))
        self.no_loans.setVisible(not account.loans)
        for row, loan in zip(self.loans.show_count(len(account.loans)), account.loans, strict=True):
            row.show_text(loan_row(loan, lang), lang, icon=CHECKED if loan.selected else CHECKBOX,
                          selected=loan.selected,
                          description=t("a11y.renew.chosen" if loan.selected else "a11y.renew.choose", lang))
            row.on_tap = self._tap(loan.item_id)

    def _tap(self, item_id: str) -> Callable[[], None]:
        return lambda: self._toggle(item_id)

    def _show_holds(self, account: AccountView, lang: str) -> None:
        self.holds_title.setText(t("account.holds", lang, n=len(account.holds)))
        self.no_holds.setText(t("account.no_holds", lang))
        self.no_holds.setVisible(not account.holds)
        for row, hold in zip(self.holds.show_count(len(account.holds)), account.holds, strict=True):
            row.show_text(hold_row(hold, lang), lang)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        side = scale.px(70) if scale.portrait else scale.px(200)
        self.column.setContentsMargins(side, scale.px(36), side, scale.px(36))
        self.column.setSpacing(scale.px(20))
        self.lists.setSpacing(scale.px(16))
        self.loans.apply_scale(scale)
        self.holds.apply_scale(scale)
        self.holds_title.setContentsMargins(0, scale.px(24), 0, 0)
        for row in (self.buttons, self.renew_row, self.leave_row):
            row.setSpacing(scale.px(24))
        self._scale, self._room = scale, scale.width - 2 * side
        self._arrange()

    def _arrange(self) -> None:
        """Landscape: all four buttons in one row; portrait, or where a language's words do not fit
        four in a row: renew above leave, two to a row; where they do not fit two in a row either,
        each pair above each other."""
        scale = self._scale
        if scale is None:
            return
        spacing = scale.px(24)
        pairs = ((self.renew_selected_button, self.renew_all_button), (self.back_button, self.logout_button))
        in_one_row = not scale.portrait and fit_side_by_side([*pairs[0], *pairs[1]], self._room, spacing)
        self.buttons.setDirection(QBoxLayout.Direction.LeftToRight if in_one_row
                                  else QBoxLayout.Direction.TopToBottom)
        for index in range(2):  # side by side: half the width each; above each other: their heights
            self.buttons.setStretch(index, 2 if in_one_row else 0)
        for row, pair in zip((self.renew_row, self.leave_row), pairs, strict=True):
            side_by_side = in_one_row or fit_side_by_side(pair, self._room, spacing)
            row.setDirection(QBoxLayout.Direction.LeftToRight if side_by_side
                             else QBoxLayout.Direction.TopToBottom)
