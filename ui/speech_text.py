"""What speech mode says when the view changes: plain functions of two views, no Qt.

A new screen: its heading and main instruction (EN 301 549 5.1.3.1); on the borrow and return
screens each item's outcome once it is known, with amounts (a fee); the receipt's text on the
receipt screen (5.1.3.16); the idle warning and how to get more time; the session's message. Each
thing said is a :class:`Said` with the text's key, so that a language without a voice can play a
recorded prompt of it. Never a PIN, and never the patron's name (speech may come from the speaker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.circulation.receipt import build_receipt
from kiosk.circulation.results import ItemResult, Outcome
from kiosk.circulation.view import Purpose, VisitView
from kiosk.session.view import Screen, SessionView
from kiosk.texts import plural
from kiosk.texts import text as t
from ui.print_text import price_text
from ui.screens.session import message_text
from ui.visit_text import fee_question, item_row, left_on_pad, visit_messages

# The heading and the main instruction of each screen, by text key.
SCREEN_KEYS: dict[Screen, tuple[str, ...]] = {
    Screen.START: ("welcome", "start.choose", "start.instruction"),
    Screen.IDENTIFY: ("identify.title", "identify.instruction"),
    Screen.PIN: ("pin.title",),
    Screen.AUTHENTICATING: ("authenticating", "authenticating.detail"),
    Screen.PATRON: ("patron.greeting_anonymous", "menu.choose"),
    Screen.BORROW: ("pad.title", "pad.borrow_hint"),
    Screen.RETURN: ("pad.title", "pad.return_hint"),
    Screen.ACCOUNT: ("purpose.account",),
    Screen.RECEIPT: ("receipt.title",),
    Screen.STAFF: ("staff.title",),
    Screen.PRINT: ("print.title",),
    Screen.PRINT_CODE: ("print_code.title",),
}
SETTLED = frozenset(Outcome) - {Outcome.CHECKING}


@dataclass(frozen=True)
class Said:
    """One sentence to say; ``key`` names its text ("" when it is the LMS's or a title)."""

    text: str
    key: str = ""


@dataclass(frozen=True)
class Speech:
    """What to say for a change of view; ``interrupt``: cut off what is being said (a new screen)."""

    said: tuple[Said, ...]
    interrupt: bool = False


def speech_for(before: SessionView | None, view: SessionView, *, now: dt.datetime,
               library_name: str) -> Speech:
    """What speech mode says when ``view`` follows ``before`` (None: the first view)."""
    lang = view.language
    said: list[Said] = []
    new_screen = before is None or before.screen is not view.screen or before.language != lang
    turned_on = view.speech and (before is None or not before.speech)
    if turned_on:
        said.append(Said(t("speech.on", lang), "speech.on"))
    if new_screen or turned_on:
        said.extend(_message(view))
        said.extend(_heading(view))
    elif before is not None and before.message != view.message:
        said.extend(_message(view))
    if (not new_screen and view.screen is Screen.DOOR and view.entry is not None and before is not None
            and (before.entry is None or _door(before) != _door(view))):
        said.extend(_door(view))  # the answer came, or the lock failed after all
    if view.screen in (Screen.BORROW, Screen.RETURN) and view.visit is not None:
        said.extend(_items(before.visit if before is not None and not new_screen else None, view.visit, lang))
    printing = view.printing
    if (not new_screen and printing is not None and printing.quote is not None and before is not None
            and (before.printing is None or before.printing.quote != printing.quote)):
        said.append(Said(price_text(printing, lang)))  # the price as the patron changes the choices
    if view.screen is Screen.RECEIPT and view.visit is not None and (new_screen or turned_on):
        said.extend(receipt_said(view.visit, lang, now, library_name))
    if view.idle_warning and (before is None or not before.idle_warning):
        said.append(Said(t("idle.title", lang), "idle.title"))
        said.append(Said(plural("idle.countdown", view.seconds_left, lang, seconds=view.seconds_left)))
        said.append(Said(t("speech.more_time", lang), "speech.more_time"))
    return Speech(tuple(said), interrupt=new_screen or turned_on)


def _heading(view: SessionView) -> list[Said]:
    lang = view.language
    keys = list(SCREEN_KEYS.get(view.screen, ()))
    if view.screen is Screen.IDENTIFY and view.visit is not None:
        keys[0] = f"purpose.{view.visit.purpose.value}"
    if view.screen is Screen.IDENTIFY and view.print_intent:
        keys[0] = "purpose.print"
    said = [Said(t(key, lang), key) for key in keys]
    if view.screen is Screen.PIN:
        if view.pin_min_length == view.pin_max_length:
            said.append(Said(t("pin.hint", lang, min=view.pin_min_length)))
        else:
            said.append(Said(t("pin.hint_range", lang, min=view.pin_min_length, max=view.pin_max_length)))
    if view.screen is Screen.DOOR and view.entry is not None:
        said.extend(_door(view))
    if view.screen is Screen.PRINT and view.printing is not None and view.printing.quote is not None:
        said.append(Said(price_text(view.printing, lang)))  # the price of the job as chosen
    return said


def _door(view: SessionView) -> list[Said]:
    """The door's answer: unlocked (and what to do), not unlocked, or refused and why."""
    lang, entry = view.language, view.entry
    assert entry is not None
    if entry.allowed and entry.door_unlocked is False:
        return [Said(t("door.failed.title", lang), "door.failed.title"),
                Said(t("door.failed", lang), "door.failed")]
    if entry.allowed:
        welcome = (Said(t("door.unlocked", lang), "door.unlocked") if entry.children == 0
                   else Said(plural("door.unlocked.children", entry.children, lang, n=entry.children)))
        return [Said(t("door.unlocked.title", lang), "door.unlocked.title"), welcome,
                Said(t("door.unlocked.hint", lang), "door.unlocked.hint")]
    return [Said(t("door.refused.title", lang), "door.refused.title"), Said(entry.message)]


def _message(view: SessionView) -> list[Said]:
    """The session's message (a farewell, a refusal): said first, it is what just happened."""
    if view.message is None:
        return []
    return [Said(line) for line in message_text(view).splitlines() if line.strip()]


def _items(before: VisitView | None, visit: VisitView, lang: str) -> list[Said]:
    """Each item whose outcome became known since ``before``: its title and what happened."""
    known = {(item.item_id, item.outcome) for item in before.items} if before is not None else set()
    said: list[Said] = []
    for item in visit.items:
        if item.outcome in SETTLED and (item.item_id, item.outcome) not in known:
            said.extend(item_said(item, visit.purpose, lang))
    asked = before.fee_question if before is not None else None
    if visit.fee_question is not None and visit.fee_question != asked:
        said.append(Said(fee_question(visit.fee_question, lang)))
    if visit.messages and (before is None or before.messages != visit.messages):
        said.append(Said(visit_messages(visit.messages, lang)))
    return said


def item_said(item: ItemResult, purpose: Purpose, lang: str) -> list[Said]:
    row = item_row(item, purpose, lang)
    return [Said(row.title), *(Said(line) for line in row.status.splitlines() if line.strip())]


def receipt_said(visit: VisitView, lang: str, now: dt.datetime, library_name: str) -> list[Said]:
    """The receipt read aloud, as it would be printed (EN 301 549 5.1.3.16)."""
    receipt = build_receipt(visit, lang, now, library_name)
    said = [Said(t("speech.receipt", lang), "speech.receipt"), Said(receipt.title)]
    said.extend(Said(line.text.strip()) for line in receipt.lines if line.text.strip())
    said.append(Said(receipt.footer))
    left = left_on_pad(visit.left_on_pad, visit.purpose, lang)
    if left:
        said.append(Said(left))
    return said
