"""The receipt of a visit, in the patron's language: what was borrowed (with due dates) or returned.

No name, card number or PIN is printed: a receipt left at the kiosk tells nobody who it was.
"""

from __future__ import annotations

import datetime as dt

from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, VisitView
from kiosk.domain.model import Receipt, ReceiptLine

MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
TEXT = {
    "da": {"borrow": "Lånekvittering", "return": "Afleveringskvittering", "due": "Afleveres senest",
           "returned": "Afleveret", "count_borrow": "Antal lån", "count_return": "Antal afleveret",
           "thanks": "Tak for besøget"},
    "en": {"borrow": "Loan receipt", "return": "Return receipt", "due": "Due", "returned": "Returned",
           "count_borrow": "Items borrowed", "count_return": "Items returned",
           "thanks": "Thank you for visiting"},
}


def long_date(when: dt.date, language: str) -> str:
    month = MONTHS.get(language, MONTHS["da"])[when.month - 1]
    return f"{when.day}. {month} {when.year}" if language == "da" else f"{when.day} {month} {when.year}"


def build_receipt(view: VisitView, language: str, now: dt.datetime, library_name: str) -> Receipt:
    text = TEXT.get(language, TEXT["da"])
    borrowing = view.purpose is not Purpose.RETURN
    wanted = Outcome.BORROWED if borrowing else Outcome.RETURNED
    lines: list[ReceiptLine] = []
    if library_name:
        lines.append(ReceiptLine(library_name))
    lines.append(ReceiptLine(f"{long_date(now.date(), language)} {now:%H.%M}"))
    lines.append(ReceiptLine(""))
    rows = [row for row in view.items if row.outcome is wanted]
    for row in rows:
        lines.append(ReceiptLine(row.title or row.item_id, bold=True))
        if borrowing:
            due = long_date(row.due_date.date(), language) if row.due_date else row.due_date_text
            lines.append(ReceiptLine(f"  {text['due']} {due}"))
        else:
            lines.append(ReceiptLine(f"  {text['returned']}"))
    lines.append(ReceiptLine(""))
    lines.append(ReceiptLine(f"{text['count_borrow' if borrowing else 'count_return']}: {len(rows)}"))
    return Receipt(title=text["borrow" if borrowing else "return"], lines=tuple(lines), footer=text["thanks"])
