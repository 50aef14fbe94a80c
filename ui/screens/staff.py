"""Staff mode: a row of pages (status, device tests, tasks, the terminal), each a list of rows with
a coloured icon, and the log-out button. Every line is said in words and by its icon's colour and
shape, as the patron's screens do; nothing of a patron is on it (item numbers only)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.session.service import SessionView
from kiosk.staff.view import (
    Check,
    DeviceTest,
    DoorAction,
    Resolution,
    StaffPage,
    StaffView,
    StatusLine,
    TaskRow,
    TerminalAction,
)
from kiosk.texts import LANGUAGE_NAMES, has
from kiosk.texts import text as t
from ui import style
from ui.rows import InfoRow, RowPool, listed, name_list, scroll_area
from ui.screens.base import Screen
from ui.visit_text import ATTENTION, BUSY, ERROR, NEUTRAL, OK, RowText
from ui.widgets import (
    MessageLabel,
    button,
    choices,
    columns_that_fit,
    label,
    language_choices,
    show_selected,
    two_lines,
)


def one_line_width(widget: QPushButton, words: str) -> int:
    """How wide ``widget`` (polished, in its style's font) is with ``words`` on one line."""
    widget.ensurePolished()
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    option.text = words
    content = widget.fontMetrics().size(Qt.TextFlag.TextShowMnemonic, words)
    return widget.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, content,
                                           widget).width()


def fitted(widget: QPushButton, words: str, room: int, *, split: bool = False) -> None:
    """Show ``words`` on ``widget``: on two lines when one line of them is wider than ``room`` (or
    ``split``), so that a button is never wider than its place (nor cut off)."""
    widget.setText(two_lines(words) if split or one_line_width(widget, words) > room else words)


TONES = {Check.OK: OK, Check.WARNING: ATTENTION, Check.FAILED: ERROR, Check.RUNNING: BUSY,
         Check.NOT_RUN: NEUTRAL}


class StaffActions(Protocol):
    def logout(self) -> None: ...

    def staff_page(self, page: StaffPage) -> None: ...

    def staff_test(self, test: str) -> None: ...

    def staff_resolve(self, entry_id: str, resolution: Resolution) -> None: ...

    def staff_action(self, action: TerminalAction) -> None: ...

    def staff_door(self, action: DoorAction) -> None: ...

    def staff_language(self, language: str) -> None: ...


def said(key: str, values: tuple[tuple[str, object], ...], error: str, language: str) -> str:
    """A line's words: its text key filled in (a credential kind said in words), or the device's
    own error, or both."""
    filled = {name: (t(f"staff.kind.{value}", language) if name == "kind" else value)
              for name, value in values}
    words = t(key, language, **filled) if key else ""
    return " · ".join(part for part in (words, error) if part)


def line_text(what: str, check: Check, key: str, values: tuple[tuple[str, object], ...], error: str,
              language: str) -> RowText:
    name = next((t(k, language) for k in (f"staff.what.{what}", f"staff.device.{what}", f"staff.test.{what}")
                 if has(k, language)), what)
    status = said(key, values, error, language) or t(f"staff.check.{check.value}", language)
    if check is Check.FAILED and key:
        status = f"{t('staff.check.failed', language)}: {status}"
    return RowText(name, status, TONES[check])


class ActionRow(InfoRow):
    """A row with buttons: on its right (run a test), or under its text (resolve a task), side by
    side at the right, or one above another where their words need the width (see arrange)."""

    def __init__(self, *, below: bool = False) -> None:
        super().__init__()
        self.buttons: list[QPushButton] = []
        self._below = below
        self._room = 1 << 16  # the width of the text column, known once the screen's size is
        self.button_grid = QGridLayout()  # under the text: column 0 is the space to their left
        self.button_grid.setContentsMargins(0, 0, 0, 0)
        self.button_grid.setColumnStretch(0, 1)
        self.button_box = QVBoxLayout()
        if below:
            self.text_column.addLayout(self.button_grid)
        else:
            self.row.addLayout(self.button_box)
        self._key: object = None

    def set_buttons(self, labels: list[tuple[str, Callable[[], None]]], key: object = None) -> None:
        """Buttons with these labels; made again only when ``key`` (what they act on) changed."""
        if key is not None and key == self._key:
            return
        self._key = key
        for old in self.buttons:
            self.button_grid.removeWidget(old)
            old.deleteLater()
        self.buttons = [button("RowButton", text, on_click) for text, on_click in labels]
        for widget in self.buttons:
            widget.setAccessibleName(f"{widget.text()}: {self.title.text()}")
            if not self._below:
                self.button_box.addWidget(widget)
        self.arrange()

    def arrange(self, room: int | None = None) -> None:
        """The buttons under the text in as many columns as ``room`` (the text column's width)
        leaves for their words: side by side, or one above another."""
        if room is not None:
            self._room = room
        if not self._below or not self.buttons:
            return
        spacing = self.button_grid.horizontalSpacing()
        columns = columns_that_fit(self.buttons, self._room, spacing, len(self.buttons))
        for index, widget in enumerate(self.buttons):
            self.button_grid.addWidget(widget, index // columns, 1 + index % columns)
        for column in range(1, len(self.buttons) + 1):
            self.button_grid.setColumnStretch(column, 0)

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.button_box.setSpacing(scale.px(12))
        self.button_grid.setSpacing(scale.px(12))


DOOR_ORDER = (DoorAction.UNLOCK, DoorAction.LOCK, DoorAction.STAFFED_15, DoorAction.STAFFED_30,
              DoorAction.STAFFED_60, DoorAction.UNSTAFFED)


class StaffScreen(Screen):
    def __init__(self, actions: StaffActions) -> None:
        super().__init__()
        self._actions = actions
        self.title = label("Title")
        self.who = label("Hint")
        self.tabs = choices("PageTab", {page: page.value for page in StaffPage}, actions.staff_page, self)
        tab_row = QGridLayout()  # in one row, or in two where the words need it (see _arrange)
        for index, tab in enumerate(self.tabs.values()):
            tab_row.addWidget(tab, 0, index)
        self.tab_row = tab_row
        self._scrollbar = 0
        self._room = 1 << 16  # the width inside the margins, known once the screen's size is
        self._door_narrow = False  # the door's buttons in two columns (see _arrange)
        self._door_columns = 3
        self._door_spans: dict[DoorAction, int] = {}
        self._portrait_large = False
        self._language = ""
        self._narrow_wanted = False  # large text or the reach layout on a portrait screen
        self._row_text = 1 << 16  # the width of a row's text column (see apply_scale)
        self.notice = MessageLabel()
        self.status = RowPool(InfoRow)
        self.tests = RowPool(ActionRow)
        self.card_wait = MessageLabel()
        self.tasks = RowPool(partial(ActionRow, below=True))
        self.no_tasks = label("Hint")
        self.revision = label("Subtitle", center=False)
        self.pending = label("Hint", center=False)
        self.action_buttons = {action: button("Secondary", action.value,
                                              partial(actions.staff_action, action))
                               for action in TerminalAction}
        self.language_title = label("Hint", center=False)
        self.language_buttons = language_choices("PageTab", tuple(LANGUAGE_NAMES), actions.staff_language,
                                                 self)
        self.language_row = QGridLayout()  # eight languages: two rows of four
        for index, widget in enumerate(self.language_buttons.values()):
            self.language_row.addWidget(widget, index // 4, index % 4)
        self.door_state = label("Subtitle", center=False)
        self.door_counts = label("Hint", center=False)
        self.door_buttons = {action: button("Primary" if action is DoorAction.UNLOCK else "Secondary",
                                            action.value, partial(actions.staff_door, action))
                             for action in DoorAction}
        self.pages = QStackedWidget()
        self.page_widgets = {
            StaffPage.DOOR: self._door_page(),
            StaffPage.STATUS: self._page(listed(self.status)),
            StaffPage.TESTS: self._page(self.card_wait, listed(self.tests)),
            StaffPage.TASKS: self._page(self.no_tasks, listed(self.tasks)),
            StaffPage.TERMINAL: self._terminal_page(),
        }
        for page_widget in self.page_widgets.values():
            self.pages.addWidget(page_widget)
        self.logout = button("Primary", "", actions.logout)
        self.head = QWidget()  # the title and who is logged in, at its bottom (see apply_reach)
        head = QVBoxLayout(self.head)
        head.setContentsMargins(0, 0, 0, 0)
        head.addStretch(1)
        head.addWidget(self.title)
        head.addWidget(self.who)
        self.head_column = head
        self.column.addWidget(self.head)
        self.column.addLayout(tab_row)
        self.column.addWidget(self.notice)
        self.column.addWidget(self.pages, 1)
        self.column.addWidget(self.logout)
        self._view: StaffView | None = None

    def _arrange(self) -> None:
        """The tabs, and the door's buttons three to a row, in as many columns as their words
        leave room for (a longer language's need more rows)."""
        room = self._room
        tabs = [tab for tab in self.tabs.values() if not tab.isHidden()]
        columns = columns_that_fit(tabs, room, self.tab_row.horizontalSpacing(), len(tabs))
        for index, tab in enumerate(tabs):
            self.tab_row.addWidget(tab, index // columns, index % columns)
        for column in range(len(self.tabs)):
            self.tab_row.setColumnStretch(column, 1 if column < columns else 0)
        buttons, grid = self.door_buttons, self.door_grid
        three = (buttons[DoorAction.LOCK], buttons[DoorAction.STAFFED_15], buttons[DoorAction.STAFFED_30],
                 buttons[DoorAction.STAFFED_60])
        fit = columns_that_fit(three, room - self._scrollbar, grid.horizontalSpacing(), 3)
        self._place_door_buttons(min(fit, 2) if self._narrow_wanted else fit)
        languages = list(self.language_buttons.values())
        columns = columns_that_fit(languages, room - self._scrollbar,
                                   self.language_row.horizontalSpacing(), 4)
        for widget in languages:
            self.language_row.removeWidget(widget)
        for index, widget in enumerate(languages):
            self.language_row.addWidget(widget, index // columns, index % columns)
        for column in range(4):
            self.language_row.setColumnStretch(column, 1 if column < columns else 0)
        for row in self.tasks.rows:
            row.arrange(self._row_text)
        if self._language:
            for action, widget in self.action_buttons.items():
                fitted(widget, t(f"staff.action.{action.value}", self._language), room - self._scrollbar)

    def _terminal_page(self) -> QWidget:
        page = self._page(self.revision, self.pending, *self.action_buttons.values(), self.language_title,
                          stretch=True)
        column = page.layout()
        assert isinstance(column, QVBoxLayout)
        column.insertLayout(column.count() - 1, self.language_row)
        return scroll_area(page)  # a landscape screen is lower than the buttons: they scroll

    def _door_page(self) -> QWidget:
        """The state and the day's counts; "unlock now" and "lock now" side by side, the staffed
        events in a row under them; all of it scrolls when the screen is short."""
        holder = QWidget()
        holder.setObjectName("RowPool")
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.door_state)
        column.addWidget(self.door_counts)
        grid = QGridLayout()  # filled by _arrange
        self.door_grid = grid
        column.addLayout(grid)
        column.addStretch(1)
        return scroll_area(holder)

    @staticmethod
    def _page(*widgets: QWidget, stretch: bool = False) -> QWidget:
        page = QWidget()
        page.setObjectName("RowPool")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            column.addWidget(widget, 1 if widget.objectName() == "" else 0)  # the lists take the height
        if stretch:
            column.addStretch(1)
        return page

    def show_view(self, view: SessionView) -> None:
        staff, lang = view.staff, view.language
        if staff is None:
            return
        self._view, self._language = staff, lang
        self.title.setText(t("staff.title", lang))
        self.who.setText(t("staff.logged_in", lang, role=t(f"staff.role.{staff.role.value}", lang)))
        for page, tab in self.tabs.items():
            tab.setText(t(f"staff.page.{page.value}", lang))
            tab.setVisible(page in staff.pages)
            show_selected(tab, page is staff.page)
        for page, page_widget in self.page_widgets.items():  # each page's list, named as its tab
            for area in (page_widget, *page_widget.findChildren(QScrollArea)):
                if isinstance(area, QScrollArea):
                    name_list(area, t(f"staff.page.{page.value}", lang))
        self.notice.show_message(t(staff.notice, lang, **dict(staff.notice_values)) if staff.notice else "",
                                 TONES[staff.notice_check] or "info")
        self._show_door(staff, lang)
        self.pages.setCurrentWidget(self.page_widgets[staff.page])
        self._show_status(staff.status, lang)
        self._show_tests(staff, lang)
        self._show_tasks(staff.tasks, lang)
        self._show_terminal(staff, lang)
        self.logout.setText(t("staff.logout", lang))
        self._arrange()

    def _show_door(self, staff: StaffView, lang: str) -> None:
        door = staff.door
        if door is None:
            return
        if door.staffed_until:
            state = t("staff.door.staffed_until", lang, until=door.staffed_until)
        elif door.unstaffed_until:
            state = t("staff.door.unstaffed_until", lang, until=door.unstaffed_until)
        else:
            state = t(f"staff.door.opening.{door.opening}", lang)
        self.door_state.setText(state)
        self.door_counts.setText(t("staff.door.today", lang, entries=door.entries_today,
                                   refused=door.refused_today, alarms=door.alarms_today))
        for action, widget in self.door_buttons.items():
            words = t(f"staff.door.{action.value}", lang)
            long_words = action in (DoorAction.UNLOCK, DoorAction.UNSTAFFED)
            fitted(widget, words, self._door_cell(action), split=self._door_narrow and long_words)

    def _show_status(self, lines: tuple[StatusLine, ...], lang: str) -> None:
        for row, line in zip(self.status.show_count(len(lines)), lines, strict=True):
            row.show_text(line_text(line.what, line.check, line.key, line.values, line.error, lang), lang)

    def _show_tests(self, staff: StaffView, lang: str) -> None:
        self.card_wait.show_message(t("staff.test.card.waiting", lang) if staff.waiting_for_card else "",
                                    "attention")
        running = any(test.check is Check.RUNNING for test in staff.tests)
        for row, test in zip(self.tests.show_count(len(staff.tests)), staff.tests, strict=True):
            row.show_text(self._test_text(test, lang), lang)
            row.set_buttons([(t("staff.test.run", lang), partial(self._actions.staff_test, test.name))],
                            key=(test.name, lang))
            for widget in row.buttons:
                widget.setEnabled(not running)

    @staticmethod
    def _test_text(test: DeviceTest, lang: str) -> RowText:
        return line_text(test.name, test.check, test.key, test.values, test.error, lang)

    def _show_tasks(self, tasks: tuple[TaskRow, ...], lang: str) -> None:
        self.no_tasks.setText(t("staff.tasks.none", lang) if not tasks else "")
        self.no_tasks.setVisible(not tasks)
        for row, task in zip(self.tasks.show_count(len(tasks)), tasks, strict=True):
            title = t("staff.task.title", lang, kind=t(f"staff.task.kind.{task.kind}", lang), item=task.item)
            why = t(f"staff.task.state.{task.state}", lang)
            status = " · ".join(part for part in (task.at, why, task.error) if part)
            tone = ERROR if task.state == "replay_rejected" else ATTENTION
            row.show_text(RowText(title, status, tone), lang)
            row.set_buttons([(t(f"staff.resolution.{r.value}", lang),
                              partial(self._actions.staff_resolve, task.entry_id, r))
                             for r in task.resolutions], key=(task.entry_id, task.resolutions, lang))

    def _show_terminal(self, staff: StaffView, lang: str) -> None:
        self.revision.setText(t("staff.terminal.revision", lang, revision=staff.revision) if staff.revision
                              else t("staff.terminal.none", lang))
        self.pending.setText(t("staff.terminal.pending", lang, pending=staff.pending_revision)
                             if staff.pending_revision else t("staff.terminal.no_pending", lang))
        for action, widget in self.action_buttons.items():
            fitted(widget, t(f"staff.action.{action.value}", lang), self._room - self._scrollbar)
            widget.setVisible(action in staff.actions)
        self.language_title.setText(t("staff.terminal.language", lang))
        self.language_title.setVisible(bool(staff.languages))
        for language, widget in self.language_buttons.items():
            widget.setVisible(language in staff.languages)
            show_selected(widget, language == staff.default_language)

    def _door_cell(self, action: DoorAction) -> int:
        """The width of ``action``'s place among the door's buttons (as _place_door_buttons has
        them)."""
        room, spacing = self._room - self._scrollbar, self.door_grid.horizontalSpacing()
        columns = self._door_columns
        spans = min(self._door_spans.get(action, columns), columns)
        return (room - (columns - 1) * spacing) * spans // columns + (spans - 1) * spacing

    def _place_door_buttons(self, columns: int) -> None:
        """Unlock and lock, the three staffed periods, unstaffed now: in three columns, in two (large
        text or the reach layout on a portrait screen: the longest words on two lines), or in one
        (a longer language's words)."""
        narrow = columns == 2
        grid, buttons = self.door_grid, self.door_buttons
        for button_ in buttons.values():
            grid.removeWidget(button_)
        if columns >= 3:
            places = {DoorAction.UNLOCK: (0, 0, 1, 2), DoorAction.LOCK: (0, 2, 1, 1),
                      DoorAction.STAFFED_15: (1, 0, 1, 1), DoorAction.STAFFED_30: (1, 1, 1, 1),
                      DoorAction.STAFFED_60: (1, 2, 1, 1), DoorAction.UNSTAFFED: (2, 0, 1, 3)}
        elif narrow:
            places = {DoorAction.UNLOCK: (0, 0, 1, 1), DoorAction.LOCK: (0, 1, 1, 1),
                      DoorAction.STAFFED_15: (1, 0, 1, 1), DoorAction.STAFFED_30: (1, 1, 1, 1),
                      DoorAction.STAFFED_60: (2, 0, 1, 2), DoorAction.UNSTAFFED: (3, 0, 1, 2)}
        else:
            places = {action: (index, 0, 1, 3) for index, action in enumerate(DOOR_ORDER)}
        for action, (row, column, rows, spans) in places.items():
            grid.addWidget(buttons[action], row, column, rows, spans)
        for column in range(3):
            grid.setColumnStretch(column, 0 if narrow and column == 2 else 1)
        self._door_narrow = narrow
        self._door_columns = min(columns, 3)
        self._door_spans = {action: spans for action, (_row, _column, _rows, spans) in places.items()}
        if self._view is not None and self._view.door is not None and self._language:
            self._show_door(self._view, self._language)  # the words in the width of their places

    def apply_reach(self, line: int) -> None:
        """The tabs and pages below the line, the title and who is logged in (no controls) above it;
        the door's buttons in two columns, beside the scroll bar of the lower page."""
        # The title's block reaches down to the line, whatever height its words take (they may be
        # laid out after this, in another language): the tabs under it start below the line.
        above = line - self.column.contentsMargins().top() - self.column.spacing()
        self.head.setMinimumHeight(max(0, above) if line else 0)
        self._narrow_wanted = self._portrait_large or bool(line)
        self._arrange()

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        side = scale.px(40) if scale.portrait else scale.px(120)
        self.column.setContentsMargins(side, scale.px(30), side, scale.px(30))
        self.column.setSpacing(scale.px(20))
        self.head_column.setSpacing(scale.px(20))
        self.tab_row.setSpacing(scale.px(12))
        self._scrollbar = scale.px(18)
        self._room = scale.width - 2 * side  # the screen is as wide as the window
        self.door_grid.setSpacing(scale.px(16))
        self._portrait_large = scale.portrait and scale.large_text
        # A row's text column: the list's width less the scroll bar, the row's border (at most
        # px(6) in high contrast), padding, icon and spacing (InfoRow.apply_scale).
        self._row_text = (self._room - self._scrollbar - 2 * scale.px(6) - scale.px(22) - scale.px(28)
                          - scale.px(56) - scale.px(24))
        self._narrow_wanted = self._portrait_large
        self._arrange()
        self.title.setVisible(scale.portrait)  # landscape: the height is for the list
        for pool in (self.status, self.tests, self.tasks):
            pool.apply_scale(scale)
        for message in (self.notice, self.card_wait):
            message.apply_scale(scale)
