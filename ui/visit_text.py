"""The words and the tone for each row of a visit: an item on the pad, a loan, a hold.

Plain functions of the view state, no Qt: the screens put the results into labels. A *tone* is
"ok", "attention", "error", "busy" or "" (neutral) and picks the row's colour and icon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from kiosk.circulation.results import ItemResult, Outcome, Routing
from kiosk.circulation.view import HoldRow, LoanRow, Purpose
from kiosk.texts import has, lms_text, plural
from kiosk.texts import text as t
from kiosk.texts.formats import day_and_month
from kiosk.texts.formats import money as format_money

OK, ATTENTION, ERROR, BUSY, NEUTRAL = "ok", "attention", "error", "busy", ""


@dataclass(frozen=True)
class RowText:
    title: str
    status: str
    tone: str
    author: str = ""  # under the title, where the LMS sends one (FBS does)


ITEM_TONES: dict[Outcome, str] = {
    Outcome.CHECKING: BUSY,
    Outcome.BORROWED: OK,
    Outcome.RETURNED: OK,
    Outcome.REFUSED: ERROR,
    Outcome.FEE_REQUIRED: ATTENTION,
    Outcome.FEE_DECLINED: NEUTRAL,
    Outcome.INCOMPLETE_SET: ATTENTION,
    Outcome.SECURITY_FAILED: ERROR,
    Outcome.UNREADABLE: ATTENTION,
    Outcome.LMS_UNAVAILABLE: ERROR,
    Outcome.NEEDS_STAFF: ERROR,
    Outcome.OFFLINE_REFUSED: ERROR,
    Outcome.NOT_SAVED: ERROR,
}
OFFLINE_REASONS = ("offline_limit", "offline_category", "offline_disabled")


def date_text(date: dt.datetime | None, fallback: str, language: str) -> str:
    return day_and_month(date, language) if date is not None else fallback


def money(amount: Decimal | None, language: str, currency: str = "DKK") -> str:
    return format_money(amount or Decimal("0"), currency, language)


def item_title(item: ItemResult, language: str) -> str:
    if item.title:
        return item.title
    if item.item_id:
        return t("item.unknown_title", language, item_id=item.item_id)
    return t("item.unreadable_title", language)


def item_row(item: ItemResult, purpose: Purpose, language: str, *,
             awaiting_fee: bool = False) -> RowText:
    """Title, what happened and what to do next, for one item on the pad."""
    lines = [_item_status(item, purpose, language, awaiting_fee)]
    if item.outcome in (Outcome.REFUSED, Outcome.SECURITY_FAILED, Outcome.NEEDS_STAFF):
        # The LMS's own words say why; our sentence says what to do next.
        lines[:0] = [lms_text(m, language) for m in item.lms_messages if m]
    elif item.outcome not in (Outcome.CHECKING, Outcome.OFFLINE_REFUSED):
        lines.extend(lms_text(m, language) for m in item.lms_messages if m)
    if item.offline and item.outcome in (Outcome.BORROWED, Outcome.RETURNED, Outcome.NEEDS_STAFF):
        lines.append(t("item.offline_note", language))
    if item.other_library and item.outcome is not Outcome.CHECKING:
        lines.append(t("item.other_library", language))
    return RowText(item_title(item, language), "\n".join(lines), ITEM_TONES[item.outcome], item.author)


def _item_status(item: ItemResult, purpose: Purpose, lang: str, awaiting_fee: bool) -> str:
    kind = "return" if purpose is Purpose.RETURN else "borrow"
    match item.outcome:
        case Outcome.CHECKING:
            return t("item.checking", lang)
        case Outcome.BORROWED:
            if item.due_date is None and not item.due_date_text:
                return t("item.borrowed_no_date", lang)
            return t("item.borrowed", lang, date=date_text(item.due_date, item.due_date_text, lang))
        case Outcome.RETURNED:
            routing = item.routing or Routing.SHELF
            return t(f"item.returned.{routing.value}", lang, bin=item.sort_bin)
        case Outcome.REFUSED:
            return t(f"item.refused.{kind}", lang)
        case Outcome.FEE_REQUIRED | Outcome.FEE_DECLINED:
            waiting = awaiting_fee and item.outcome is Outcome.FEE_REQUIRED
            key = "item.fee_waiting" if waiting else "item.fee_declined"
            return t(key, lang, amount=money(item.fee_amount, lang))
        case Outcome.INCOMPLETE_SET:
            return t("item.incomplete_set", lang, present=item.parts_present,
                     total=item.parts_in_set)
        case Outcome.SECURITY_FAILED:
            return t(f"item.security_failed.{kind}", lang)
        case Outcome.UNREADABLE:
            return t("item.unreadable", lang)
        case Outcome.LMS_UNAVAILABLE:
            return t("item.lms_unavailable", lang)
        case Outcome.NEEDS_STAFF:
            return t("item.needs_staff", lang)
        case Outcome.NOT_SAVED:
            return t(f"item.not_saved.{kind}", lang)
        case Outcome.OFFLINE_REFUSED:
            reason = next((m for m in item.lms_messages if m in OFFLINE_REASONS), "offline_disabled")
            return t(f"item.{reason}", lang)


def fee_question(item: ItemResult, language: str) -> str:
    return t("fee.question", language, amount=money(item.fee_amount, language))


def left_on_pad(count: int, purpose: Purpose, language: str) -> str:
    if count <= 0:
        return ""
    kind = "return" if purpose is Purpose.RETURN else "borrow"
    return plural(f"left_on_pad.{kind}", count, language, n=count)


def loan_row(loan: LoanRow, language: str) -> RowText:
    """A loan on "Mine lån": its due date, overdue, and the answer to the last renewal."""
    date = date_text(loan.due_date, loan.due_date_text, language)
    if loan.renewed is True:
        status = t("loan.renewed", language, date=date) if date else t("loan.renewed_no_date",
                                                                       language)
        tone = OK
    elif loan.renewed is False:
        status, tone = t("loan.not_renewed", language), ERROR
    elif loan.overdue:
        status = t("loan.overdue", language, date=date) if date else t("loan.overdue_no_date",
                                                                       language)
        tone = ERROR
    else:
        status, tone = (t("loan.due", language, date=date) if date else ""), NEUTRAL
    lines = [status, lms_text(loan.message, language)] if loan.message else [status]
    title = loan.title or t("item.unknown_title", language, item_id=loan.item_id)
    return RowText(title, "\n".join(line for line in lines if line), tone, loan.author)


def hold_row(hold: HoldRow, language: str) -> RowText:
    if hold.ready_for_pickup:
        status = (t("hold.ready_at", language, place=hold.pickup_location)
                  if hold.pickup_location else t("hold.ready", language))
        tone = OK
    else:
        status, tone = t("hold.waiting", language), NEUTRAL
    title = hold.title or t("item.unknown_title", language, item_id=hold.item_id)
    return RowText(title, status, tone, hold.author)


def visit_messages(messages: tuple[str, ...], language: str) -> str:
    """The visit's messages: a known code ("lms_unavailable") as our sentence, the LMS's as
    :func:`~kiosk.texts.lms_text` reads them."""
    return "\n".join(t(f"msg.{m}", language) if has(f"msg.{m}") else lms_text(m, language)
                     for m in messages if m)
