"""What the print screens show, and what they can ask for (the contract between the print desk and
the UI): the patron's print jobs, the one chosen with its choices and price, and how its printing
goes. Nothing here touches the printer or the network."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kiosk.printing.pricing import Quote

RELEASE_CODE_LENGTH = 6  # digits: what a job sent without a card is released with


class PrintStage(StrEnum):
    LOADING = "loading"  # the queue is being fetched
    LIST = "list"  # the patron's jobs, each with its pages, colour and price (maybe none)
    CHOOSE = "choose"  # one job: a picture of its first page, copies, two-sided, black-and-white
    PAYING = "paying"  # the patron pays by card on their phone (the QR code of the provider's page)
    PRINTING = "printing"  # the price held, the job at the printer, followed there
    PRINTED = "printed"  # take your pages: the price taken
    FAILED = "failed"  # the printer did not print it: nothing taken (``detail`` says why)


class PrintProblem(StrEnum):
    """Why the patron cannot go on, said in their language with what to do."""

    SERVICE = "service"  # the print queue (central service) does not answer
    PRINTER = "printer"  # the printer is off, out of paper, jammed, not there
    BALANCE = "balance"  # the print balance is lower than the price
    CLOSED = "closed"  # past the calendar's "printing closes" cut-off
    NO_PAYER = "no_payer"  # a release code's jobs, and no card to pay from
    CANNOT_PRICE = "cannot_price"  # a paper size not printed here, too many copies
    UNKNOWN_CODE = "unknown_code"  # no jobs under that release code
    NOT_PRINTED = "not_printed"  # the printer stopped: nothing was taken
    CARD_NOT_PAID = "card_not_paid"  # the card payment was declined, cancelled or not made in time
    CARD_UNAVAILABLE = "card_unavailable"  # the service takes no cards now


@dataclass(frozen=True)
class Choices:
    copies: int = 1
    duplex: bool = False
    black_and_white: bool = False


@dataclass(frozen=True)
class JobRow:
    job_id: str
    name: str  # the document's name as it was sent
    pages: int
    colour_pages: int
    price: Decimal  # one copy, one-sided, in colour where the document has colour
    currency: str
    submitted_at: dt.datetime
    failed_before: bool = False  # an earlier try did not print (nothing was taken): try again


@dataclass(frozen=True)
class PrintView:
    stage: PrintStage
    jobs: tuple[JobRow, ...] = ()
    selected: JobRow | None = None
    choices: Choices = Choices()
    quote: Quote | None = None  # the selected job as chosen
    preview: bytes | None = None  # a PNG of the selected job's first page; b"": none to be had
    balance: Decimal | None = None  # the payer's print balance; None: not known (or no payer)
    currency: str = "DKK"
    can_pay: bool = True  # a card to pay from (a release code alone has none)
    problem: PrintProblem | None = None
    detail: str = ""  # the printer's or the service's own words, after the sentence
    reasons: tuple[str, ...] = ()  # why the printer stopped, its keywords ("media-jam", ...)
    printer_state: str = ""  # while printing: "pending", "processing"
    closes: dt.datetime | None = None  # printing closes at (today's cut-off); None: no calendar
    busy: bool = False  # a question to the service is under way (buttons wait)
    receipt_printed: bool | None = None  # None: not asked; the answer of the receipt printer
    can_print_receipt: bool = False  # the kiosk has a receipt printer
    upload_url: str = ""  # where to send documents to print (a phone: the QR code)
    card_payments: bool = False  # paying by card on the phone is offered
    pay_url: str = ""  # while paying by card: the provider's page, short (the QR code)
    pay_until: dt.datetime | None = None  # ... which expires then
