"""Dates and amounts of money as a patron reads them in each language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk.texts import text


def month(date: dt.date, language: str) -> str:
    return text(f"date.month.{date.month}", language)


def day_and_month(date: dt.date, language: str) -> str:
    """A due date as people say it: "15. december" in Danish, "15 December" in English."""
    return text("date.day_month", language, day=date.day, month=month(date, language))


def long_date(date: dt.date, language: str) -> str:
    """"15. december 2026", "15 December 2026"."""
    return text("date.long", language, day=date.day, month=month(date, language), year=date.year)


def money(amount: Decimal, currency: str, language: str) -> str:
    """"10,00 kr." in Danish and "DKK 10.00" in English; other currencies by their code."""
    plain = f"{amount.quantize(Decimal('0.01')):,.2f}"
    if language == "en":
        return f"{currency} {plain}"
    digits = plain.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{digits} kr." if currency == "DKK" else f"{digits} {currency}"
