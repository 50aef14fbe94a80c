"""What the screens of a visit show, and what they can ask for (the contract between core and UI).

A *visit* is what a patron came to do after the start screen: borrow (identified), return (no
login), or see their account and renew (identified). The session publishes a
:class:`~kiosk.session.service.SessionView` whose ``visit`` field is a :class:`VisitView`; the
screens render it and post the events below. Nothing here touches a device or the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from kiosk.circulation.results import ItemResult


class Purpose(StrEnum):
    """Why the patron pressed a start-screen button."""

    BORROW = "borrow"
    RETURN = "return"
    ACCOUNT = "account"


class ReceiptChoice(StrEnum):
    PRINT = "print"
    EMAIL = "email"
    NONE = "none"


@dataclass(frozen=True)
class LoanRow:
    item_id: str
    title: str
    due_date: dt.datetime | None
    due_date_text: str = ""
    overdue: bool = False
    selected: bool = False  # chosen for renewal
    renewed: bool | None = None  # None: not tried; True/False: the answer to the last renewal
    message: str = ""  # the LMS's words about the last renewal
    author: str = ""


@dataclass(frozen=True)
class HoldRow:
    item_id: str
    title: str
    ready_for_pickup: bool
    pickup_location: str = ""
    author: str = ""


@dataclass(frozen=True)
class AccountView:
    loans: tuple[LoanRow, ...] = ()
    holds: tuple[HoldRow, ...] = ()
    fee_total: Decimal = Decimal("0")
    currency: str = "DKK"


@dataclass(frozen=True)
class VisitView:
    purpose: Purpose
    # Borrow and return: one row per item on the pad, in the order they were handled. A row whose
    # outcome is CHECKING is being handled now.
    items: tuple[ItemResult, ...] = ()
    busy: bool = False
    # Borrow: an item waiting for the patron to accept a fee (shown as a question).
    fee_question: ItemResult | None = None
    # My account.
    account: AccountView | None = None
    loading: bool = False
    # The receipt question, once the patron pressed "done".
    receipt_choices: tuple[ReceiptChoice, ...] = ()
    receipt_printed: bool | None = None
    # Items still on the pad when the patron is done (left behind or not handled).
    left_on_pad: int = 0
    messages: tuple[str, ...] = field(default=())


# -- events the screens post (through the session's action methods) ------------------------------
@dataclass(frozen=True)
class StartVisit:
    purpose: Purpose


@dataclass(frozen=True)
class FinishVisit:
    """The patron pressed "done": ask about the receipt."""


@dataclass(frozen=True)
class ChooseReceipt:
    choice: ReceiptChoice


@dataclass(frozen=True)
class AnswerFee:
    accept: bool


@dataclass(frozen=True)
class ToggleRenewal:
    item_id: str


@dataclass(frozen=True)
class RenewSelected:
    pass


@dataclass(frozen=True)
class RenewAll:
    pass


@dataclass(frozen=True)
class BackToMenu:
    """From borrow or account back to the patron's menu (identified visits)."""
