"""The receipt of a visit, in the patron's language: what was borrowed (with due dates) or returned.

No name, card number or PIN is printed: a receipt left at the kiosk tells nobody who it was.
"""

from __future__ import annotations

import datetime as dt

from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, VisitView
from kiosk.domain.model import Receipt, ReceiptLine
from kiosk.texts import text
from kiosk.texts.formats import long_date


def build_receipt(view: VisitView, language: str, now: dt.datetime, library_name: str) -> Receipt:
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
        if row.author:
            lines.append(ReceiptLine(f"  {row.author}"))
        if borrowing:
            due = long_date(row.due_date.date(), language) if row.due_date else row.due_date_text
            lines.append(ReceiptLine(f"  {text('receipt.due', language)} {due}"))
        else:
            lines.append(ReceiptLine(f"  {text('receipt.returned', language)}"))
    lines.append(ReceiptLine(""))
    count = text("receipt.count.borrow" if borrowing else "receipt.count.return", language)
    lines.append(ReceiptLine(f"{count}: {len(rows)}"))
    title = text("receipt.loan.title" if borrowing else "receipt.return.title", language)
    return Receipt(title=title, lines=tuple(lines), footer=text("receipt.thanks", language))
