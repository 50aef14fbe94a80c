"""The words of the print screens: a job's row, the price of the choices, what went wrong. Plain
functions of the print view, no Qt."""

from __future__ import annotations

from kiosk.printing.view import JobRow, PrintProblem, PrintView
from kiosk.texts import plural
from kiosk.texts import text as t
from ui.visit_text import ATTENTION, ERROR, NEUTRAL, RowText, money


def job_row(job: JobRow, language: str) -> RowText:
    """"Ansøgning.pdf" over "3 sider · 1 i farver · 2,10 kr."."""
    parts = [plural("print.pages", job.pages, language, n=job.pages),
             t("print.row.colour", language, n=job.colour_pages) if job.colour_pages
             else t("print.row.black", language)]
    parts.append(money(job.price, language, job.currency) if job.price > 0
                 else t("print.row.unpriced", language))
    status = " · ".join(parts)
    if job.failed_before:
        return RowText(job.name, f"{status}\n{t('print.row.failed', language)}", ATTENTION)
    return RowText(job.name, status, NEUTRAL)


def problem_text(view: PrintView, language: str) -> tuple[str, str]:
    """The sentence for the view's problem and its tone; ("", "") with none."""
    if view.problem is None:
        return "", ""
    sentence = t(f"print.problem.{view.problem.value}", language)
    if view.problem is PrintProblem.CANNOT_PRICE and view.detail:
        sentence = f"{sentence} ({view.detail})"
    tone = ERROR if view.problem in (PrintProblem.SERVICE, PrintProblem.PRINTER, PrintProblem.NOT_PRINTED,
                                     PrintProblem.UNKNOWN_CODE) else ATTENTION
    return sentence, tone


def balance_text(view: PrintView, language: str) -> str:
    if view.balance is None:
        return ""
    return t("print.balance", language, amount=money(view.balance, language, view.currency))


def closes_text(view: PrintView, language: str) -> str:
    if view.closes is None:
        return ""
    clock = f"{view.closes:%H.%M}" if language == "da" else f"{view.closes:%H:%M}"
    return t("print.closes", language, time=clock)


def price_text(view: PrintView, language: str) -> str:
    """"Pris: 4,20 kr. · 2 ark" for the chosen job as chosen."""
    priced = view.quote
    if priced is None:
        return ""
    return " · ".join((t("print.price", language, price=money(priced.price, language, priced.currency)),
                       plural("print.sheets", priced.sheets, language, n=priced.sheets)))


PRINTER_REASONS = ("media-jam", "media-empty", "media-needed", "toner-empty", "marker-supply-empty",
                   "door-open", "cover-open", "offline")


def printer_reason(view: PrintView, language: str) -> str:
    """What stopped the printer, in the patron's words, for the reasons a patron can understand."""
    for reason in view.reasons:
        keyword = reason.removesuffix("-error").removesuffix("-warning").removesuffix("-report")
        if keyword in PRINTER_REASONS:
            return t(f"print.reason.{keyword}", language)
    return ""
