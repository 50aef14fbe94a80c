"""Udskriv: the patron's print jobs, one job's picture, choices and price, printing, "take your
pages"; and the release code's pad. Each renders the print desk's view and calls the session; no
rule lives here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import segno
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.printing.view import RELEASE_CODE_LENGTH, PrintStage, PrintView
from kiosk.session.service import SessionView
from kiosk.texts import text as t
from ui import style
from ui.print_text import balance_text, closes_text, job_row, price_text, printer_reason, problem_text
from ui.rows import InfoRow, RowPool, listed, name_list, scroll_area
from ui.screens.base import PadScreen, PrintActions, Screen
from ui.visit_text import money
from ui.widgets import (
    MessageLabel,
    PinPad,
    button,
    choices,
    describe,
    label,
    set_tone,
    show_selected,
    two_lines,
)


def _words_size(widget: QPushButton, *, lines: int = 1) -> QSize:
    """How big ``widget`` must be for its words on one line (or on two, as a button squeezed puts
    them), by the widest measure of them (a mixed script may be wider than Qt's size hint says)."""
    widget.ensurePolished()
    words = widget.text().replace("\n", " ")
    shown = words if lines == 1 else two_lines(words)
    metrics = widget.fontMetrics()
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    option.text = shown
    content = metrics.size(Qt.TextFlag.TextShowMnemonic, shown)
    content.setWidth(max(content.width(), *(metrics.horizontalAdvance(line) for line in shown.split("\n"))))
    size = widget.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, content, widget)
    if lines == 1:
        size.setWidth(max(size.width(), widget.sizeHint().width()))
    return size


class FirstPage(QLabel):
    """The picture of a job's first page (a PNG the central service drew), on white with a frame."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Preview")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._picture: bytes | None = None
        self._size = QSize(420, 594)

    def show_picture(self, picture: bytes | None) -> None:
        if picture == self._picture:
            return
        self._picture = picture
        image = QImage.fromData(picture) if picture else QImage()
        if image.isNull():
            self.setPixmap(QPixmap())
            return
        self.setPixmap(QPixmap.fromImage(image.scaled(
            self._size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)))

    def apply_scale(self, scale: style.Scale) -> None:
        width = scale.px(300 if scale.portrait else 320)
        self.fit_height(round(width * 297 / 210))

    def fit_height(self, height: int) -> None:
        """The picture ``height`` px high, as wide as an A4 page that high."""
        size = QSize(round(height * 210 / 297), height)
        if size == self._size and self.size() == size:
            return
        self._size = size
        self.setFixedSize(size)
        picture, self._picture = self._picture, None
        self.show_picture(picture)


class QrCode(QWidget):
    """A QR code drawn square by square (segno makes the matrix), black on white with its quiet zone,
    as large as the widget allows."""

    def __init__(self) -> None:
        super().__init__()
        self._matrix: tuple[tuple[int, ...], ...] = ()
        self._text = ""

    def show_text(self, text: str, name: str) -> None:
        """Draw ``text`` as a QR code; a screen reader hears ``name`` (what it is for), then the text."""
        describe(self, name, text)
        if text == self._text:
            return
        self._text = text
        self._matrix = tuple(tuple(row) for row in segno.make(text, error="m").matrix) if text else ()
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self._matrix:
            return
        quiet = 4
        modules = len(self._matrix) + 2 * quiet
        side = min(self.width(), self.height())
        cell = side // modules
        if cell < 1:
            return
        left, top = (self.width() - cell * modules) // 2, (self.height() - cell * modules) // 2
        painter = QPainter(self)
        painter.fillRect(left, top, cell * modules, cell * modules, Qt.GlobalColor.white)
        for y, row in enumerate(self._matrix):
            for x, dark in enumerate(row):
                if dark:
                    painter.fillRect(left + (x + quiet) * cell, top + (y + quiet) * cell, cell, cell,
                                     Qt.GlobalColor.black)
        painter.end()


class ChoiceRow(QWidget):
    """"Tosidet   [Fra] [Til]": one choice the patron turns on or off."""

    def __init__(self, on_choose: Callable[[bool], None]) -> None:
        super().__init__()
        self.caption = label("Subtitle", center=False)
        buttons = choices("PageTab", {False: "", True: ""}, on_choose, self)
        self.off, self.on = buttons[False], buttons[True]
        row = self.row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.caption, 1)
        row.addWidget(self.off)
        row.addWidget(self.on)

    def show_choice(self, caption: str, value: bool, language: str) -> None:
        self.caption.setText(caption)
        self.off.setText(t("print.off", language))
        self.on.setText(t("print.on", language))
        describe(self.off, f"{caption}: {t('print.off', language)}")
        describe(self.on, f"{caption}: {t('print.on', language)}")
        show_selected(self.off, not value)
        show_selected(self.on, value)

    def apply_scale(self, scale: style.Scale) -> None:
        self.row.setSpacing(scale.px(16))
        for key in (self.off, self.on):
            key.setMinimumSize(scale.px(150), scale.px(96))


class CopiesRow(QWidget):
    """"Kopier   − 2 +"."""

    def __init__(self, actions: PrintActions) -> None:
        super().__init__()
        self.caption = label("Subtitle", center=False)
        self.fewer = button("Key", "−", lambda: actions.change_print_choice(copies_step=-1))
        self.count = label("Title")
        self.more = button("Key", "+", lambda: actions.change_print_choice(copies_step=1))
        row = self.row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.caption, 1)
        for widget in (self.fewer, self.count, self.more):
            row.addWidget(widget)

    def show_copies(self, copies: int, language: str) -> None:
        caption = t("print.copies", language)
        self.caption.setText(caption)
        self.count.setText(str(copies))
        counted = f"{caption}: {copies}"
        describe(self.fewer, t("a11y.copies.fewer", language), counted)
        describe(self.more, t("a11y.copies.more", language), counted)
        self.fewer.setEnabled(copies > 1)

    def apply_scale(self, scale: style.Scale) -> None:
        self.row.setSpacing(scale.px(16))
        self.count.setMinimumWidth(scale.px(90))


class PrintScreen(Screen):
    def __init__(self, actions: PrintActions) -> None:
        super().__init__()
        self._actions = actions
        self._portrait = True
        self._room = 1 << 16  # the width inside the margins, known once the screen's size is
        self._scale: style.Scale | None = None
        self._large_text = False
        self._reach_line = 0
        self._stage = PrintStage.LOADING
        self._picture_height = 594  # the job's picture, as its scale has it (less above the reach line)
        self.title = label("Title")
        self.status = label("Hint")  # balance · printing closes at
        self.message = MessageLabel()
        self.pages = QStackedWidget()
        self.column.addWidget(self.title)
        self.column.addWidget(self.status)
        self.column.addWidget(self.message)
        self.column.addWidget(self.pages, 1)
        # The list
        self.jobs: RowPool[InfoRow] = RowPool(InfoRow)
        self.list_hint = label("Hint")
        self.none = label("Subtitle")
        self.none_hint = label("Hint")
        self.upload = label("Hint")
        self.list = listed(self.jobs)
        self.code_button = button("Secondary", "", actions.print_code_wanted)
        self.back_button = button("Secondary", "", actions.print_back)
        self.logout_button = button("Secondary", "", actions.logout)
        self.upload_qr = QrCode()  # the upload page, for a phone
        self.list_page = self._page(self.list_hint, self.none, self.none_hint, self.list, self.upload,
                                    self.upload_qr, stretch_index=3)
        # One job
        self.preview = FirstPage()
        self.job_title = label("Section")
        self.job_pages = label("Hint")
        self.copies = CopiesRow(actions)
        self.duplex = ChoiceRow(lambda on: actions.change_print_choice(duplex=on))
        self.black = ChoiceRow(lambda on: actions.change_print_choice(black_and_white=on))
        self.price = label("Question")
        self.pay_note = label("Hint")
        self.confirm_button = button("Primary", "", actions.confirm_print)
        self.card_button = button("Secondary", "", actions.pay_print_by_card)
        options = QWidget()
        options.setObjectName("RowPool")  # transparent, as a list's content
        choice_column = self.choice_column = QVBoxLayout(options)
        choice_column.setContentsMargins(0, 0, 0, 0)
        for part in (self.job_title, self.job_pages, self.copies, self.duplex, self.black, self.price,
                     self.pay_note):
            choice_column.addWidget(part)
        choice_column.addStretch(1)
        choose = QWidget()
        self.choose_body = QBoxLayout(QBoxLayout.Direction.TopToBottom, choose)
        self.choose_body.setContentsMargins(0, 0, 0, 0)
        # The picture; in the reach layout (portrait) the job's name and pages beside it, both above
        # the line (no controls), so that the choices under them fit below it without scrolling.
        self.choose_head = QHBoxLayout()
        self.choose_head.setContentsMargins(0, 0, 0, 0)
        self.head_words = QVBoxLayout()
        self.head_words.setContentsMargins(0, 0, 0, 0)
        self.choose_head.addStretch(1)
        self.choose_head.addWidget(self.preview)
        self.choose_head.addLayout(self.head_words)
        self.choose_head.addStretch(1)
        self._words_in_head = False
        self.choose_body.addLayout(self.choose_head)
        # The choices scroll if a screen is too low for them (never the window growing past the screen).
        self.options = scroll_area(options)
        self.choose_body.addWidget(self.options, 1)
        self.choose_page = choose
        # Printing, printed, failed: one sentence, big, and what follows
        self.outcome = label("Title")
        self.outcome_detail = label("Subtitle")
        self.outcome_note = label("Hint")
        self.outcome_page = self._page(self.outcome, self.outcome_detail, self.outcome_note, centred=True)
        self.receipt_button = button("Secondary", "", actions.print_payment_receipt)
        self.loading = label("Subtitle")
        self.loading_page = self._page(self.loading, centred=True)
        # Paying by card: the provider's page by a QR code, for the patron's phone
        self.pay_title = label("Question")
        self.qr = QrCode()
        self.pay_hint = label("Subtitle")
        self.pay_link = label("Hint")
        self.pay_until = label("Hint")
        self.pay_page = QWidget()
        pay_column = QVBoxLayout(self.pay_page)
        pay_column.setContentsMargins(0, 0, 0, 0)
        self.pay_body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        pay_words = QVBoxLayout()
        pay_words.addStretch(1)
        for part in (self.pay_hint, self.pay_link, self.pay_until):
            pay_words.addWidget(part)
        pay_words.addStretch(1)
        pay_column.addWidget(self.pay_title)
        pay_column.addLayout(self.pay_body, 1)
        self.pay_body.addWidget(self.qr, 1)
        self.pay_body.addLayout(pay_words, 1)
        for page in (self.loading_page, self.list_page, self.choose_page, self.outcome_page, self.pay_page):
            self.pages.addWidget(page)
        # The buttons a stage offers: "back" and the stage's own action (a code, the receipt, print:
        # one at a time) side by side, and "log out" beside them in landscape, under them in portrait
        # (three in a row are wider than a portrait screen: the window would grow).
        self.buttons = QGridLayout()
        self.buttons.addWidget(self.back_button, 0, 0)
        for action in (self.code_button, self.receipt_button, self.confirm_button):
            self.buttons.addWidget(action, 0, 1)
        self.column.addLayout(self.buttons)

    @staticmethod
    def _page(*widgets: QWidget, centred: bool = False, stretch_index: int = -1) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        if centred:
            column.addStretch(1)
        for index, widget in enumerate(widgets):
            column.addWidget(widget, 1 if index == stretch_index else 0)
        if stretch_index < 0:  # a list that takes the height needs no space left under it
            column.addStretch(1)
        return page

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        desk = view.printing
        if desk is None:
            desk = PrintView(PrintStage.LOADING)
        self.title.setText(t("print.title", lang))
        # Landscape has no height to spare beside a job's picture: its name is the title there.
        self._stage = desk.stage
        self._show_title()
        self.status.setText("  ·  ".join(x for x in (balance_text(desk, lang), closes_text(desk, lang)) if x))
        self.status.setVisible(bool(self.status.text()))
        sentence, tone = problem_text(desk, lang)
        self.message.show_message(sentence if desk.stage is not PrintStage.FAILED else "", tone)
        self._keep_below_line()
        stage = desk.stage
        if stage is PrintStage.LOADING:
            self.loading.setText(t("print.loading", lang))
            self.pages.setCurrentWidget(self.loading_page)
        elif stage is PrintStage.LIST:
            self._show_list(desk, lang)
        elif stage is PrintStage.CHOOSE:
            self._show_choose(desk, lang)
        elif stage is PrintStage.PAYING:
            self._show_paying(desk, lang)
        else:
            self._show_outcome(desk, lang)
        self.back_button.setText(t("print.more", lang) if stage in (PrintStage.PRINTED, PrintStage.FAILED)
                                 else t("cancel", lang) if stage is PrintStage.PAYING else t("back", lang))
        self.back_button.setVisible(stage is not PrintStage.PRINTING)
        self.code_button.setText(t("print.code", lang))
        self.code_button.setVisible(stage is PrintStage.LIST)
        self.receipt_button.setText(t("print.receipt", lang))
        self.receipt_button.setVisible(stage is PrintStage.PRINTED and desk.can_print_receipt
                                       and desk.receipt_printed is None)
        self.confirm_button.setVisible(stage is PrintStage.CHOOSE and desk.can_pay)
        self.card_button.setVisible(stage is PrintStage.CHOOSE and desk.card_payments)
        self.card_button.setEnabled(self.confirm_button.isEnabled() or not desk.can_pay)
        self.card_button.setText(t("print.pay_by_card", lang))
        self.confirm_button.setEnabled(desk.quote is not None and desk.preview is not None and not desk.busy)
        price = money(desk.quote.price, lang, desk.quote.currency) if desk.quote is not None else ""
        self.confirm_button.setText(t("print.confirm", lang, price=price))
        if not desk.can_pay:
            self.card_button.setEnabled(desk.quote is not None and not desk.busy)
        self.logout_button.setText(t("logout", lang))
        self.logout_button.setVisible(stage not in (PrintStage.PRINTING, PrintStage.CHOOSE,
                                                    PrintStage.PAYING))
        self._place_buttons()

    def _place_buttons(self) -> None:
        """"Back" and the stage's own action side by side, "log out" or "pay by card" beside them in
        landscape and under them in portrait (three in a row are wider than a portrait screen: the
        window would grow); whatever does not fit side by side in a language's words (large text, a
        longer language) goes under the others, one button a row, each as wide as the screen."""
        pair = [widget for widget in (self.back_button, self.code_button, self.receipt_button,
                                      self.confirm_button) if not widget.isHidden()]
        last = [widget for widget in (self.logout_button, self.card_button) if not widget.isHidden()]
        spacing = self.buttons.horizontalSpacing()
        single = {widget: _words_size(widget) for widget in (*pair, *last)}
        double = {widget: _words_size(widget, lines=2) for widget in (*pair, *last)}
        needs = {widget: size.width() for widget, size in single.items()}
        squeezed = {widget: size.width() for widget, size in double.items()}

        def fit(widgets: list[QPushButton], widths: dict[QPushButton, int] = needs) -> bool:
            return sum(widths[w] for w in widgets) + spacing * (len(widgets) - 1) <= self._room

        for widget in (self.back_button, self.code_button, self.receipt_button, self.confirm_button,
                       self.logout_button, self.card_button):
            self.buttons.removeWidget(widget)
        stacked = False
        if not self._portrait and fit(pair + last):
            rows = [pair + last]
        elif fit(pair) or fit(pair, squeezed):
            rows = [pair, last] if last else [pair]
            if not fit(pair):  # side by side, their words on two lines: the row as tall as two lines
                needs.update((widget, squeezed[widget]) for widget in pair)
                single.update((widget, double[widget]) for widget in pair)
        else:
            rows = [[widget] for widget in pair + last]
            stacked = True
        columns = max(2, *(len(row) for row in rows))
        for index, row in enumerate(rows):
            for column, widget in enumerate(row):
                # Under the others a button spans the row, "back" alone is as wide as half of it; side
                # by side, each at least as wide as its words on one line (the words' own measure: a
                # mixed script may be wider than Qt's size hint says).
                span = columns if len(row) == 1 and (index or stacked) else 1
                self.buttons.addWidget(widget, index, column, 1, span)
                widget.setMinimumWidth(min(needs[widget], self._room))
                # As tall as the lines it will show (a row is no taller than its items ask).
                tall = double if needs[widget] > self._room else single
                widget.setMinimumHeight(max(tall[w].height() for w in row))
        for widget in (self.back_button, self.code_button, self.receipt_button, self.confirm_button,
                       self.logout_button, self.card_button):
            if widget.isHidden():
                self.buttons.addWidget(widget, 0, 0)  # kept in the layout, not shown
        for column in range(3):
            self.buttons.setColumnStretch(column, 1 if column < columns else 0)

    def _show_list(self, desk: PrintView, lang: str) -> None:
        self.pages.setCurrentWidget(self.list_page)
        jobs = desk.jobs
        self.list_hint.setText(t("print.list.hint", lang))
        self.list_hint.setVisible(bool(jobs))
        self.none.setText(t("print.none", lang))
        self.none.setVisible(not jobs and not desk.busy)
        self.none_hint.setText(t("print.none.hint", lang))
        self.none_hint.setVisible(not jobs and not desk.busy)
        self.upload.setText(t("print.upload", lang, url=desk.upload_url) if desk.upload_url else "")
        self.upload.setVisible(bool(desk.upload_url))
        self.upload_qr.show_text(desk.upload_url, t("a11y.qr.upload", lang))
        name_list(self.list, t("a11y.list.jobs", lang))
        self.upload_qr.setVisible(bool(desk.upload_url))
        for row, job in zip(self.jobs.show_count(len(jobs)), jobs, strict=True):
            row.show_text(job_row(job, lang), lang, icon="", description=t("a11y.job", lang))
            row.on_tap = self._tap(job.job_id)

    def _tap(self, job_id: str) -> Callable[[], None]:
        return lambda: self._actions.choose_print_job(job_id)

    def _show_choose(self, desk: PrintView, lang: str) -> None:
        self.pages.setCurrentWidget(self.choose_page)
        job = desk.selected
        self.preview.show_picture(desk.preview)
        describe(self.preview, t("a11y.preview", lang), job.name if job is not None else "")
        name_list(self.options, t("a11y.list.choices", lang))
        self.job_title.setText(job.name if job is not None else "")
        if job is not None:
            self.job_pages.setText(job_row(job, lang).status.split(" · ")[0] + (
                " · " + t("print.row.colour", lang, n=job.colour_pages) if job.colour_pages else ""))
        self.copies.show_copies(desk.choices.copies, lang)
        self.duplex.show_choice(t("print.duplex", lang), desk.choices.duplex, lang)
        self.black.show_choice(t("print.black_and_white", lang), desk.choices.black_and_white, lang)
        self.black.setVisible(job is not None and job.colour_pages > 0)
        self.price.setText(price_text(desk, lang))
        self.pay_note.setText(t("print.pay_note", lang))

    def _show_paying(self, desk: PrintView, lang: str) -> None:
        self.pages.setCurrentWidget(self.pay_page)
        price = money(desk.quote.price, lang, desk.quote.currency) if desk.quote is not None else ""
        self.pay_title.setText(t("print.paying", lang, price=price))
        self.qr.show_text(desk.pay_url, t("a11y.qr.pay", lang))
        self.pay_hint.setText(t("print.paying.hint", lang))
        # A line may break after a slash: the address is one word, wider than the column beside the code.
        self.pay_link.setText(desk.pay_url.replace("/", "/\u200b"))
        until = desk.pay_until.astimezone(self._zone(desk)) if desk.pay_until is not None else None
        clock = "" if until is None else f"{until:%H.%M}" if lang == "da" else f"{until:%H:%M}"
        self.pay_until.setText(t("print.paying.until", lang, time=clock) if clock else "")

    @staticmethod
    def _zone(desk: PrintView) -> dt.tzinfo | None:
        """The kiosk's own time zone (that of the printing cut-off, which the desk gives locally)."""
        return desk.closes.tzinfo if desk.closes is not None else None

    def _show_outcome(self, desk: PrintView, lang: str) -> None:
        self.pages.setCurrentWidget(self.outcome_page)
        stage = desk.stage
        note = ""
        if stage is PrintStage.PRINTING:
            title = t("print.printing", lang)
            detail = t(f"print.printing.{desk.printer_state}", lang) \
                if desk.printer_state in ("pending", "processing") else ""
            note = t("print.printing.wait", lang)
        elif stage is PrintStage.PRINTED:
            title = t("print.printed", lang)
            paid = desk.quote.price if desk.quote is not None else None
            detail = t("print.printed.paid", lang, price=money(paid, lang, desk.currency))
            if desk.receipt_printed is not None:
                note = t("print.receipt.done" if desk.receipt_printed else "print.receipt.failed", lang)
        else:
            title = t("print.failed", lang)
            detail = t("print.failed.detail", lang)
            note = printer_reason(desk, lang)
        self.outcome.setText(title)
        set_tone(self.outcome, "tone", "error" if stage is PrintStage.FAILED else "")
        self.outcome_detail.setText(detail)
        self.outcome_note.setText(note)
        self.outcome_note.setVisible(bool(note))

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self._portrait = scale.portrait
        side = scale.px(70) if scale.portrait else scale.px(160)
        self.column.setContentsMargins(side, scale.px(36), side, scale.px(36))
        self._room = scale.width - 2 * side  # the screen is as wide as the window
        self.column.setSpacing(scale.px(20))
        self.jobs.apply_scale(scale)
        self.preview.apply_scale(scale)
        self._picture_height = self.preview.height()
        self.copies.apply_scale(scale)
        self.duplex.apply_scale(scale)
        self.black.apply_scale(scale)
        self.choice_column.setSpacing(scale.px(18 if scale.portrait else 10))
        self.choose_body.setDirection(QBoxLayout.Direction.TopToBottom if scale.portrait
                                      else QBoxLayout.Direction.LeftToRight)
        self.choose_body.setSpacing(scale.px(40))
        self.buttons.setSpacing(scale.px(24))
        self._place_buttons()
        # Portrait: the code under the heading, the words under it; landscape: the words beside it.
        self.pay_body.setDirection(QBoxLayout.Direction.TopToBottom if scale.portrait
                                   else QBoxLayout.Direction.LeftToRight)
        self.pay_body.setSpacing(scale.px(30))
        # Landscape: the code at its size, the words the rest of the width (large text needs it all).
        self.pay_body.setStretch(0, 1 if scale.portrait else 0)
        self.pay_body.setStretch(1, 1)
        qr_side = scale.px(420 if scale.portrait else 360)
        self.qr.setMinimumSize(qr_side, qr_side)
        self.upload_qr.setFixedHeight(scale.px(220 if scale.portrait else 110 if scale.large_text else 150))
        self._large_text = scale.large_text
        self._show_title()
        self._scale = scale

    def _keep_below_line(self) -> None:
        """The reach layout: the top margin that puts the controls (the jobs, the choices) just below
        the reach line, under the words shown above them; on a job's page (portrait) its picture,
        name and pages above the line too, the picture as high as the room there. Paying has no
        control but the buttons at the foot: its code and words keep their place."""
        scale = self._scale
        if scale is None:
            return
        margins = self.column.contentsMargins()
        top = scale.px(36)
        picture = self._picture_height
        if self._reach_line and self._stage is not PrintStage.PAYING:
            width = scale.width - margins.left() - margins.right()
            above = sum(widget.heightForWidth(width) + self.column.spacing()
                        for widget in (self.title, self.status, self.message) if not widget.isHidden())
            top = self._reach_line - above
            if self._words_in_head and self._stage is PrintStage.CHOOSE:
                spacing = self.choose_body.spacing()
                picture = min(picture, max(top - scale.px(36) - spacing, scale.px(120)))
                top -= picture + spacing
        self.preview.fit_height(picture)
        self.column.setContentsMargins(margins.left(), max(scale.px(36), top), margins.right(),
                                       margins.bottom())

    def _arrange_head(self, beside: bool) -> None:
        """The job's name and pages beside its picture (the reach layout, portrait) or at the top of
        the choices under it."""
        if beside == self._words_in_head:
            return
        self._words_in_head = beside
        for widget in (self.job_title, self.job_pages):
            (self.choice_column if beside else self.head_words).removeWidget(widget)
        if beside:
            self.head_words.addWidget(self.job_title)
            self.head_words.addWidget(self.job_pages)
            self.head_words.addStretch(1)
        else:
            while self.head_words.count():
                self.head_words.takeAt(0)
            self.choice_column.insertWidget(0, self.job_title)
            self.choice_column.insertWidget(1, self.job_pages)
        for widget in (self.job_title, self.job_pages):
            widget.setAlignment(Qt.AlignmentFlag.AlignLeading if beside else Qt.AlignmentFlag.AlignHCenter)
        self.choose_head.setStretch(0, 0 if beside else 1)
        self.choose_head.setStretch(2, 1 if beside else 0)
        self.choose_head.setStretch(3, 0 if beside else 1)

    def _show_title(self) -> None:
        """In landscape the height is for the choices; in large text for the jobs and buttons too."""
        self.title.setVisible(self._portrait or (self._stage not in (PrintStage.CHOOSE, PrintStage.PAYING)
                                                 and not self._large_text))

    def apply_reach(self, line: int) -> None:
        """Every control below the line; the title, the balance and a job's picture and name (no
        controls) may reach over it; the upload code smaller to make room for the jobs."""
        self._reach_line = line
        scale = self._scale
        self._arrange_head(bool(line) and scale is not None and scale.portrait)
        if scale is not None:
            self.choose_head.setSpacing(scale.px(30))
        self._keep_below_line()
        if line and scale is not None:
            self.upload_qr.setFixedHeight(scale.px(160))


class PrintCodeScreen(PadScreen):
    """Six digits, shown as they are typed (a release code is not a secret like a PIN: it is on the
    patron's phone), on the PIN pad."""

    def __init__(self, actions: PrintActions) -> None:
        super().__init__()
        self.title = label("Title")
        self.digits = label("PinDots", wrap=False)
        self.hint = label("Hint")
        self.pad = PinPad(actions.enter_print_code, self._typed)
        self.back_button = button("Secondary", "", actions.print_back)
        self.place(self.pad, self.title, self.digits, self.hint)
        self.add_centred(self.back_button)
        self._typed(0)

    def _typed(self, _length: int) -> None:
        typed = self.pad.typed if hasattr(self, "pad") else ""
        self.digits.setText(" ".join(typed + "_" * (RELEASE_CODE_LENGTH - len(typed))))

    def show_view(self, view: SessionView) -> None:
        lang = view.language
        self.title.setText(t("print_code.title", lang))
        self.hint.setText(t("print_code.hint", lang))
        self.pad.configure(RELEASE_CODE_LENGTH, t("pin.ok", lang), t("pin.delete", lang))
        self.back_button.setText(t("back", lang))

    def apply_scale(self, scale: style.Scale) -> None:
        super().apply_scale(scale)
        self.back_button.setMinimumWidth(scale.px(320))
