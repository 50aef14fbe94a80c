"""Which sound goes with a change of view: every message is heard as well as read.

A plain function of the previous and the new view (no Qt), so that a language switch or a
re-published view plays nothing, and several news at once play the most urgent sound once.
"""

from __future__ import annotations

from kiosk.circulation.results import ItemResult, Outcome
from kiosk.circulation.view import LoanRow, VisitView
from kiosk.session.service import Message, SessionView
from ui.visit_text import ATTENTION, ERROR, ITEM_TONES, OK

SEVERITY = (OK, ATTENTION, ERROR)

MESSAGE_SOUNDS: dict[Message, str] = {
    Message.UNKNOWN_CARD: ERROR,
    Message.WRONG_PIN: ERROR,
    Message.TOO_MANY_ATTEMPTS: ERROR,
    Message.BLOCKED: ERROR,
    Message.LMS_UNAVAILABLE: ERROR,
    Message.GOODBYE: OK,
    Message.GOODBYE_RECEIPT: OK,
    Message.GOODBYE_EMAIL: OK,
    Message.RETURNED: OK,
    Message.RECEIPT_FAILED: ERROR,
    Message.TIMED_OUT: ATTENTION,
}


def sound_for(previous: SessionView | None, view: SessionView) -> str | None:
    """"ok", "attention" or "error" for what is new in ``view``; None when nothing is."""
    sounds: list[str] = []
    if _message_key(view) != _message_key(previous) and (view.message or view.lms_messages):
        sounds.append(MESSAGE_SOUNDS.get(view.message, ATTENTION) if view.message else ATTENTION)
    if view.entry is not None and (previous is None or previous.entry is None):
        sounds.append(OK if view.entry.allowed else ERROR)
    if view.idle_warning and not (previous and previous.idle_warning):
        sounds.append(ATTENTION)
    if view.visit is not None:
        before = previous.visit if previous is not None else None
        if before is not None and before.purpose is not view.visit.purpose:
            before = None
        sounds.extend(_visit_sounds(before, view.visit))
    return max(sounds, key=SEVERITY.index) if sounds else None


def _message_key(view: SessionView | None) -> tuple[object, ...]:
    if view is None:
        return (None, 0, ())
    return (view.message, view.attempts_left, view.lms_messages)


def _visit_sounds(before: VisitView | None, visit: VisitView) -> list[str]:
    sounds = [_item_sound(item) for item in _new_items(before, visit)]
    if visit.fee_question is not None and (before is None or before.fee_question is None
                                           or before.fee_question.item_id
                                           != visit.fee_question.item_id):
        sounds.append(ATTENTION)
    if visit.left_on_pad > 0 and (before is None or before.left_on_pad == 0):
        sounds.append(ATTENTION)
    if visit.messages and (before is None or before.messages != visit.messages):
        sounds.append(ERROR)  # the visit's own messages say that the library could not be reached
    if visit.receipt_printed is not None and (before is None
                                              or before.receipt_printed is None):
        sounds.append(OK if visit.receipt_printed else ERROR)
    if visit.account is not None:
        old = {loan.item_id: loan for loan in before.account.loans} if (
            before is not None and before.account is not None) else {}
        sounds.extend(_renewal_sound(loan) for loan in visit.account.loans
                      if loan.renewed is not None and _renewal_changed(old.get(loan.item_id), loan))
    return sounds


def _new_items(before: VisitView | None, visit: VisitView) -> list[ItemResult]:
    """Items whose outcome is new: rows keep their place, so compare them place by place."""
    old = before.items if before is not None else ()
    new: list[ItemResult] = []
    for index, item in enumerate(visit.items):
        if item.outcome is Outcome.CHECKING:
            continue
        previous = old[index] if index < len(old) else None
        if previous is None or (previous.item_id, previous.outcome) != (item.item_id, item.outcome):
            new.append(item)
    return new


def _item_sound(item: ItemResult) -> str:
    tone = ITEM_TONES[item.outcome]
    return tone if tone in SEVERITY else ATTENTION


def _renewal_changed(old: LoanRow | None, loan: LoanRow) -> bool:
    return old is None or (old.renewed, old.message, old.due_date) != (loan.renewed, loan.message,
                                                                       loan.due_date)


def _renewal_sound(loan: LoanRow) -> str:
    return OK if loan.renewed else ERROR
